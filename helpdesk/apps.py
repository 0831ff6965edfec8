from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = _("Helpdesk and contact centre")

    def ready(self):
        # Each part registers its tenant settings, card sections, sidebar actions, event
        # handlers and log kinds in its own module's ``ready()``.
        from . import setup

        setup.ready()
