"""The card's "Wiadomości SMS, E-mail, Komunikaty" section and its sidebar actions."""

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from core.sections import CardAction, CardSection, register_card_action, register_card_section

    from .views.card import messages_section_context

    register_card_section(CardSection(
        "messages", _("SMS, e-mail and device messages"), 420, "messaging/card/section.html",
        "messaging.view_message", context=messages_section_context, lazy=True,
        anchor="wiadomosci"))
    register_card_action(CardAction(
        "sms_send", _("Send an SMS"), 60, section="messages",
        permission="messaging.add_message", group="messages", opens="message-sms"))
    register_card_action(CardAction(
        "email_send", _("Send an e-mail"), 61, "messaging:email_new",
        "messaging.add_message", group="messages"))
