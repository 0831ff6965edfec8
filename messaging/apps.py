from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messages")

    def ready(self):
        # Each part registers its tenant settings, card sections, event handlers and
        # gateway kinds in its own module's ``ready()``.
        from . import (
            setup_auto,
            setup_bulk,
            setup_card,
            setup_email,
            setup_notice,
            setup_sms,
        )

        for part in (setup_sms, setup_email, setup_auto, setup_card, setup_bulk, setup_notice):
            part.ready()
