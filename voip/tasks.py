"""Celery tasks of the VoIP app: thin, named after what they call."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from core.models import Tenant


# Retried while the exchange's database is away; a refusal (an endpoint another account
# holds) is not retried: it is recorded on the phone and shown there.
@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=30, max_retries=8)
def phone_provision(tenant_id: int, phone_id: int) -> str:
    """Write the phone's rows to Asterisk (``asterisk.phone_provision``)."""
    from . import asterisk

    return asterisk.phone_provision(Tenant.objects.get(pk=tenant_id), phone_id)
