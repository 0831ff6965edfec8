"""Templates, gateway settings and bulk sends: the tenant settings of this part."""

from django.utils.translation import gettext_lazy as _

# A bulk send queues at most this many messages; more recipients are refused before
# anything is queued (the ISP splits the audience, e.g. by group).
BULK_CAP_DEFAULT = 10_000


def ready() -> None:
    from core.tenant_settings import Category, SettingDef, register

    # Celery's autodiscovery finds ``messaging.tasks`` only: a worker learns this one here.
    from . import tasks_bulk  # noqa: F401

    register(SettingDef(
        key="messaging.bulk_cap", category=Category.MESSAGING, type=int,
        default=BULK_CAP_DEFAULT, label=_("Most messages of one bulk send"),
        help_text=_("A bulk send to more recipients is refused before anything is sent."),
        min_value=1, max_value=1_000_000,
    ))
