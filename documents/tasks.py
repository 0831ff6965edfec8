from celery import shared_task

from core.models import Tenant, User
from core.tenancy import tenant_context


@shared_task(acks_late=True)
def document_batch_item(tenant_id: int, batch_id: int, customer_id: int, actor_id: int | None):
    """One customer of a bulk generation (``services.document_batch_item_run``)."""
    from customers.models import Customer

    from . import services
    from .models import DocumentBatch

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        services.document_batch_item_run(
            batch=DocumentBatch.objects.get(pk=batch_id),
            customer=Customer.objects.get(pk=customer_id),
            actor=User.objects.filter(pk=actor_id).first() if actor_id else None)


@shared_task
def template_preview(tenant_id: int, job_id: str, document_type: str, body: str, css: str):
    """A template preview (``services.template_preview_run``); bounded by the render
    limits like every render, here in a worker instead of a web request."""
    from . import services

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        services.template_preview_run(job_id=job_id, document_type=document_type, body=body,
                                      css=css)
