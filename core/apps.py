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
        # Staff sessions a tenant admin sees and may end (core/staff.py).
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from . import staff

        user_logged_in.connect(staff.staff_session_started, dispatch_uid="core.staff.started")
        user_logged_out.connect(staff.staff_session_ended, dispatch_uid="core.staff.ended")
