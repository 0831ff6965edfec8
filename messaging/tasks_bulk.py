"""Celery task of bulk sends: thin, named after the service it calls."""

from celery import shared_task

from core.models import Tenant
from core.tenancy import tenant_context


@shared_task(acks_late=True)
def bulk_send_run(tenant_id: int, bulk_id: int):
    """Render and queue a bulk send's messages (``bulk.bulk_send_run``); delivered twice,
    it queues nobody twice."""
    from . import bulk

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        bulk.bulk_send_run(bulk_id=bulk_id)


@shared_task(acks_late=True)
def bulk_send_batch(tenant_id: int, bulk_id: int, batch: list):
    """Render and queue one batch of a bulk send (``bulk.bulk_send_batch_run``)."""
    from . import bulk

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        bulk.bulk_send_batch_run(bulk_id=bulk_id, batch=batch)
