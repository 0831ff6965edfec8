"""Celery tasks of the finance app: thin, named after the service they call."""

import logging

from celery import shared_task

from core.models import Tenant, User
from core.tenancy import tenant_context

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def billing_run_task(tenant_id: int, run_id: int, actor_id: int | None):
    """The page's "Run billing": ``billing.billing_run`` on the queued run row."""
    from . import billing
    from .models import BillingRun

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        run = BillingRun.objects.get(pk=run_id)
        billing.billing_run(run_date=run.run_date, run=run,
                            actor=User.objects.filter(pk=actor_id).first() if actor_id else None)


@shared_task
def billing_run_daily():
    """Celery beat, daily: every tenant's billing run for today, each in its own tenant."""
    from django.utils import timezone

    from . import billing

    for tenant in Tenant.objects.order_by("pk"):
        with tenant_context(tenant):
            try:
                billing.billing_run(run_date=timezone.localdate(), actor=None)
            except Exception:
                # Recorded on the tenant's run row as failed; the other tenants still bill.
                logger.exception("billing run of tenant %s failed", tenant.slug)
