"""Celery tasks of call recordings: thin, each tenant in its own context."""

from celery import shared_task

from core.models import Tenant
from core.tenancy import tenant_context


@shared_task
def recordings_purge() -> int:
    """Daily (beat): each tenant's recordings past its retention period removed
    (``voip.recordings.recordings_purge``); returns how many in all."""
    from .recordings import recordings_purge as purge

    removed = 0
    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            removed += purge()
    return removed


@shared_task
def recordings_scan() -> int:
    """Every few minutes (beat): each tenant's new files registered
    (``voip.recordings.recordings_scan``); returns how many in all."""
    from .recordings import recordings_scan as scan

    registered = 0
    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            registered += len(scan().registered)
    return registered
