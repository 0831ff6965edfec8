"""Registrations of the helpdesk's sla part (called from helpdesk.setup): the tenant
setting of the escalation queue and the log kinds. The ``case.changed`` event the beat job
publishes when it escalates is listed in ``core.events.EVENTS``."""

from django.utils.translation import gettext_lazy as _

from core import tenant_settings
from core.tenant_settings import Category, SettingDef

ESCALATION_QUEUE = SettingDef(
    key="helpdesk.escalation_queue", category=Category.HELPDESK, type=str, default="",
    label=_("Queue escalated cases move to"),
    help_text=_("The name of a queue. A case past its SLA deadline gets a higher priority "
                "and, when this is set, moves to this queue without an owner. Empty: it "
                "stays in its queue."),
    max_length=100,
)


def ready() -> None:
    from . import log_kinds_sla  # noqa: F401  (registers the kinds)

    if "helpdesk.escalation_queue" not in tenant_settings.REGISTRY:
        tenant_settings.register(ESCALATION_QUEUE)
