from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform")

    def ready(self):
        from . import schema, tenant_settings  # noqa: F401  register OpenAPI schemes, setting keys
