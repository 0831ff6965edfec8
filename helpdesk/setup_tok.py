"""Registrations of the helpdesk's tok part (called from helpdesk.setup): the card's
"Telefoniczna Obsługa Klienta" section, the sidebar's "Dodaj rozmowę do TOK" and the
part's log kinds."""

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from core.sections import CardAction, CardSection, register_card_action, register_card_section

    from .log_kinds_tok import register
    from .views.tok_card import tok_section_context

    register()
    register_card_section(CardSection(
        "tok", _("Customer phone service (TOK)"), 440, "helpdesk/tok/card/section.html",
        "helpdesk.view_interaction", context=tok_section_context, lazy=True, anchor="tok"))
    register_card_action(CardAction(
        "tok_new", _("Add a TOK conversation"), 70, "helpdesk:tok_new",
        "helpdesk.add_interaction", group="helpdesk"))
