from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountingConfig(AppConfig):
    name = "accounting"
    verbose_name = _("Accounting and tax files")

    def ready(self):
        # Each part registers its tenant settings, sections, event handlers and log kinds
        # in its own module's ``ready()`` (accounting/setup_<part>.py).
        from . import setup

        setup.ready()
