"""SLA tasks (owned by the SLA part): ``sla_escalate_run`` runs every minute (beat)."""

from celery import shared_task


@shared_task
def sla_escalate_run() -> int:
    return 0
