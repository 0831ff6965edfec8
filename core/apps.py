from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform")

    def ready(self):
        from . import rls, schema, tenant_settings  # noqa: F401  register OpenAPI schemes, setting keys

        # Row-level security on every app's tenant tables after each migrate (core/rls.py).
        pre_migrate.connect(rls.migrate_started, dispatch_uid="core.rls.migrate_started")
        post_migrate.connect(rls.migrate_finished, dispatch_uid="core.rls.migrate_finished")
