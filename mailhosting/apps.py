from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailhostingConfig(AppConfig):
    name = "mailhosting"
    verbose_name = _("Hosted mailboxes")
