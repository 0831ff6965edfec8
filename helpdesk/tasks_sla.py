"""SLA tasks (owned by the SLA part): ``sla_escalate_run`` runs every minute (beat)."""

from celery import shared_task


@shared_task
def sla_escalate_run() -> int:
    """Flag and escalate every tenant's cases past their SLA deadlines (idempotent)."""
    from .services.sla import sla_escalate_all

    return sla_escalate_all()
