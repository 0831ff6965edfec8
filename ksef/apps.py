from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KsefConfig(AppConfig):
    name = "ksef"
    verbose_name = _("KSeF e-invoicing")

    def ready(self):
        # Each part registers its tenant settings, sections, event handlers and log kinds
        # in its own module's ``ready()`` (ksef/setup_<part>.py).
        from . import setup

        setup.ready()
