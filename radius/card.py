"""The RADIUS app's sections on the customer card ("Komputery")."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    """Register the card sections; called from ``RadiusConfig.ready``."""
    from core.sections import CardSection, register_card_section

    from .ui.card import computers_section_context

    register_card_section(CardSection(
        "computers", _("Computers"), 100, "radius/card/computers.html", "radius.view_login",
        context=computers_section_context, lazy=True, anchor="komputery",
        category="logins"))

    # The sidebar's "Zablokuj klienta": every login, with a reason (radius/ui/actions.py).
    from core.sections import CardAction as _Action
    from core.sections import register_card_action as _register_action

    _register_action(_Action("customer_block", _("Block the customer"), 45,
                             "radius:customer_block", "radius.change_login", group="computers"))

    # --- card summary: the logins in the card's header, their IDs next to the addresses
    from core.sections import (
        AddressTagSource,
        CardAction,
        CardSummaryItem,
        register_address_tags,
        register_card_action,
        register_card_summary,
    )

    from . import card_summary

    register_card_summary(CardSummaryItem(
        "logins", 30, "customers/card/summary/logins.html", card_summary.summary_context,
        "radius.view_login"))
    register_address_tags(AddressTagSource("logins", card_summary.address_tags,
                                           "radius.view_login"))
    register_card_action(CardAction("login_add", _("Add a computer"), 40, "radius:login_add",
                                    "radius.add_login", group="computers"))
    # --- end card summary
