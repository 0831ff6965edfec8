"""Celery tasks of the messages the system sends by itself: thin, named after the
services they call."""

import logging

from celery import shared_task

from core.models import Tenant
from core.tenancy import tenant_context

log = logging.getLogger(__name__)


@shared_task
def reminders_run_daily():
    """Celery beat, daily: each tenant's payment reminders, one task per tenant (a tenant
    whose run fails does not hold the others back)."""
    for tenant_id in Tenant.objects.order_by("pk").values_list("pk", flat=True):
        reminders_queue.delay(tenant_id)


@shared_task(acks_late=True)
def reminders_queue(tenant_id: int):
    """``reminders.reminders_queue`` for one tenant's today. Delivered twice, the second
    finds the reminders given and queues nothing."""
    from django.core.exceptions import ValidationError

    from . import reminders

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        try:
            reminders.reminders_queue()
        except ValidationError as e:  # the tenant's template: staff see it on the page
            log.warning("payment reminders of tenant %s not sent: %s", tenant_id,
                        " ".join(e.messages))
