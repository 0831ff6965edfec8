"""Celery tasks of the VoIP app: thin, named after what they call."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from core.models import Tenant

logger = logging.getLogger(__name__)


# Retried while the exchange's database is away; a refusal (an endpoint another account
# holds) is not retried: it is recorded on the phone and shown there.
@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=30, max_retries=8)
def phone_provision(tenant_id: int, phone_id: int) -> str:
    """Write the phone's rows to Asterisk (``asterisk.phone_provision``)."""
    from . import asterisk

    return asterisk.phone_provision(Tenant.objects.get(pk=tenant_id), phone_id)


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=30, max_retries=3)
def cdr_import() -> int:
    """Every few minutes (beat): each tenant's new CDRs from Asterisk's ``cdr`` table rated
    (``cdr.cdr_import_asterisk``; a call is rated once, however often this runs). Returns
    the calls rated in all; nothing when the exchange's database is not configured.

    A tenant whose import fails is logged and the next one imported: one tenant's CDRs
    never hold up the others' billing. When a tenant failed because the exchange's
    database was away, the task is retried once all were tried (the rated stay rated)."""
    from core.tenancy import tenant_context

    from . import asterisk, cdr

    if not asterisk.enabled():
        return 0
    rated, away = 0, None
    for tenant in Tenant.objects.order_by("pk"):
        try:
            with tenant_context(tenant):
                rated += cdr.cdr_import_asterisk(tenant=tenant).rated
        except Exception as exc:  # logged; the other tenants go on
            logger.exception("voip: the CDR import of tenant %s failed", tenant.pk)
            if isinstance(exc, OperationalError | InterfaceError):
                away = away or exc
    if away is not None:
        raise away
    return rated


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=30, max_retries=3)
def phones_limit_follow() -> int:
    """Hourly (beat): each tenant's phones blocked over their amount limit in a period gone
    by unblocked (``services.phones_limit_follow``). Returns how many, in all."""
    from core.tenancy import tenant_context

    from .services import phones_limit_follow as follow

    lifted = 0
    for tenant in Tenant.objects.order_by("pk"):
        with tenant_context(tenant):
            lifted += follow()
    return lifted
