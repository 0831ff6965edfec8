from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsImportConfig(AppConfig):
    name = "lmsimport"
    verbose_name = _("Import from LMS")
