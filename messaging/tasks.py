"""Celery tasks of the messaging app: thin, named after the services they call."""

from celery import shared_task

from core.models import Tenant
from core.tenancy import tenant_context


def _again(tenant_id: int, again) -> None:
    for message_id, countdown in again:
        message_send.apply_async((tenant_id, message_id), countdown=countdown)


@shared_task(acks_late=True)
def message_send(tenant_id: int, message_id: int):
    """Hand one queued message to its gateway (``services.message_send_run``)."""
    from . import services

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        _again(tenant_id, services.message_send_run(ids=[message_id]))


@shared_task(acks_late=True)
def message_send_batch(tenant_id: int, message_ids: list[int]):
    """Hand a batch of queued messages to their gateways in one go (one SMTP connection,
    one HTTP session): bulk sends and the billing run's invoices."""
    from . import services

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        _again(tenant_id, services.message_send_run(ids=message_ids))


@shared_task(acks_late=True)
def invoice_mail_send(tenant_id: int, invoice_ids: list[int]):
    """E-mail a batch of new invoices with their PDFs (``invoice_mail.invoice_mail_queue``)."""
    from . import invoice_mail

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        invoice_mail.invoice_mail_queue(invoice_ids=invoice_ids)
