"""The RADIUS app's sections on the customer card ("Komputery")."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    """Register the card sections; called from ``RadiusConfig.ready``."""
    from core.sections import CardSection, register_card_section

    from .ui.card import computers_section_context

    register_card_section(CardSection(
        "computers", _("Computers"), 100, "radius/card/computers.html", "radius.view_login",
        context=computers_section_context, lazy=True))
