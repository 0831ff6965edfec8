"""Celery tasks of the finance app: thin, named after the service they call."""

import logging

from celery import shared_task

from core.models import Tenant, User
from core.tenancy import tenant_context

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def billing_run_task(tenant_id: int, run_id: int, actor_id: int | None):
    """The page's "Run billing" (and "Resume"): ``billing.billing_run`` on the queued run
    row. Delivered twice (a worker died: ``acks_late``), it continues the run if that one
    was interrupted and does nothing if it is alive, done or abandoned."""
    from . import billing
    from .models import BillingRun

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        run = BillingRun.objects.get(pk=run_id)
        billing.billing_run(run_date=run.run_date, run=run,
                            actor=User.objects.filter(pk=actor_id).first() if actor_id else None)


@shared_task
def billing_run_daily():
    """Celery beat, daily: every tenant's billing run for today, each in its own tenant."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from . import billing

    for tenant in Tenant.objects.order_by("pk"):
        with tenant_context(tenant):
            try:
                billing.billing_run(run_date=timezone.localdate(), actor=None)
            except ValidationError as e:
                # Another run is active (or an interrupted one waits for staff on the
                # billing page): tonight's run is that one's to finish.
                logger.warning("billing run of tenant %s not started: %s", tenant.slug,
                               " ".join(e.messages))
            except Exception:
                # Recorded on the tenant's run row as failed; the other tenants still bill.
                logger.exception("billing run of tenant %s failed", tenant.slug)
