"""Registrations of the ksef app's pipeline part (called from ksef.setup): its log kinds
and tasks, the reactions to issued invoices, the invoice page's KSeF panel and the KSeF
reference lookup for corrections and tax files."""


def ready() -> None:
    from core.document_hooks import register_document_panel, register_ksef_reference
    from core.events import register_event, subscribe

    from . import log_kinds_pipeline, tasks  # noqa: F401  (log kinds; Celery finds the tasks)
    from .pipeline import (
        ksef_references,
        on_correction_issued,
        on_invoice_issued,
        on_invoices_issued,
    )
    from .views.pipeline import document_panel_context

    subscribe("invoice.issued", on_invoice_issued)
    subscribe("billing.invoices_issued", on_invoices_issued)
    # finance.services.correction_issue is to publish it (asked of finance's owner).
    register_event("correction.issued", ("correction_id", "invoice_id", "customer_id"))
    subscribe("correction.issued", on_correction_issued)
    register_ksef_reference(ksef_references)
    register_document_panel("ksef", template="ksef/_document_panel.html",
                            context=document_panel_context, order=50,
                            permission="ksef.view_ksefsubmission")
