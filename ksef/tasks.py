"""Celery tasks of the KSeF pipeline: thin, named after the service they call."""

import logging

from celery import shared_task
from django.conf import settings

from core.models import Tenant
from core.tenancy import all_tenants_context, tenant_context

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def ksef_send(tenant_id: int):
    """``pipeline.submissions_send`` for one tenant. Delivered twice (a worker died,
    ``acks_late``) it is harmless: rows are claimed with SKIP LOCKED and a row left
    mid-send is resumed by hash, never sent again. Queues itself again while work remains
    (not when tasks run eagerly: the caller's loop would never end)."""
    from . import pipeline

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        result = pipeline.submissions_send()
    retry_in = result.get("retry_in")
    if retry_in is not None and not settings.CELERY_TASK_ALWAYS_EAGER:
        ksef_send.apply_async((tenant_id,), countdown=max(retry_in, 1.0))
    return result


@shared_task
def ksef_send_due():
    """Celery beat, every minute: a send round for each tenant with due submissions (the
    safety net for a task lost with its worker or a retry whose time has come)."""
    from django.db.models import Q
    from django.utils import timezone

    from .models import KsefSubmission

    State = KsefSubmission.State
    now = timezone.now()
    with all_tenants_context():
        tenant_ids = sorted(set(KsefSubmission.all_tenants.filter(
            Q(state=State.QUEUED, next_try_at__isnull=True) | Q(state=State.SENT)
            | Q(state__in=(State.QUEUED, State.SENDING), next_try_at__lte=now))
            .values_list("tenant_id", flat=True)))
    for tenant_id in tenant_ids:
        ksef_send.delay(tenant_id)
    return len(tenant_ids)
