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


@shared_task
def document_issue(tenant_id: int, job_id: str, customer_id: int, actor_id: int | None,
                   document_type: str, template_id: int | None, parent_id: int | None,
                   title: str, language: str | None = None, subscription_id: int | None = None,
                   fault_fee: str | None = None):
    """One document issued from the card (``services.document_issue_run``): the render
    runs here, bounded by the render limits, not in the web request."""
    from django.utils import translation

    from customers.models import Customer
    from finance.models import Subscription

    from . import services
    from .models import Document, DocumentTemplate

    with tenant_context(Tenant.objects.get(pk=tenant_id)), translation.override(language):
        customer = Customer.objects.get(pk=customer_id)
        services.document_issue_run(
            job_id=job_id, customer=customer,
            actor=User.objects.filter(pk=actor_id).first() if actor_id else None,
            document_type=document_type,
            template=DocumentTemplate.objects.get(pk=template_id) if template_id else None,
            parent=Document.objects.get(pk=parent_id, customer=customer) if parent_id else None,
            title=title,
            subscription=Subscription.objects.select_related("tariff").get(
                pk=subscription_id, customer=customer) if subscription_id else None,
            fault_fee=fault_fee)


@shared_task
def document_regenerate(tenant_id: int, document_id: int, actor_id: int | None):
    """One document of "Regenerowanie dokumentów" (``services.document_regenerate``); a
    document approved meanwhile is left as it is."""
    from . import services
    from .models import Document

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        document = Document.objects.filter(pk=document_id,
                                           status=Document.Status.UNAPPROVED).first()
        if document is not None:
            services.document_regenerate(
                actor=User.objects.filter(pk=actor_id).first() if actor_id else None,
                document=document)
