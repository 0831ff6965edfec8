from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailhostingConfig(AppConfig):
    name = "mailhosting"
    verbose_name = _("Hosted mailboxes")

    def ready(self):
        # --- card: "Konta e-mail" (mailboxes and forwardings), its sidebar actions
        from core.sections import (
            CardAction,
            CardSection,
            register_card_action,
            register_card_section,
        )

        from .views import mailboxes_section_context

        register_card_section(CardSection(
            "mailboxes", _("E-mail accounts"), 450, "mailhosting/card/mailboxes.html",
            "mailhosting.view_mailbox", context=mailboxes_section_context,
            anchor="konta-email"))
        register_card_action(CardAction(
            "mailbox_add", _("Add a mailbox"), 50, section="mailboxes",
            permission="mailhosting.add_mailbox", group="mail", opens="mailbox-add"))
        register_card_action(CardAction(
            "mail_domains", _("Mail domains"), 51, "mailhosting:domains",
            "mailhosting.view_maildomain", group="mail", per_customer=False))
        # --- end card
