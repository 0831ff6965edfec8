from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Each part of the app registers its tenant settings, card sections, event handlers and
# search in its own module's ``ready()``.
PARTS = ("setup_sms", "setup_email", "setup_auto", "setup_card", "setup_bulk",
         "setup_notice")


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messages")

    def ready(self):
        for part in PARTS:
            try:
                module = import_module(f"messaging.{part}")
            except ModuleNotFoundError as e:  # TEMPORARY while the parts are written
                if e.name != f"messaging.{part}":
                    raise
                continue
            module.ready()
