"""Reads of the KSeF pipeline (they own select_related)."""

from django.db.models import QuerySet

from .models import KsefSubmission


def submission_list(*, state: str = "", search: str = "") -> QuerySet:
    """The active tenant's submissions, newest first, with the document and its customer
    (the queue page and the API render them without further queries)."""
    rows = KsefSubmission.objects.select_related("document", "document__customer")
    if state:
        rows = rows.filter(state=state)
    if search:
        rows = rows.filter(document__number__icontains=search.strip())
    return rows.order_by("-queued_at", "-id")


def submission_get(*, pk) -> KsefSubmission:
    """One submission of the active tenant (another tenant's: DoesNotExist, a 404)."""
    return KsefSubmission.objects.select_related("document", "document__customer").get(pk=pk)


def submission_for_document(document_id: int) -> KsefSubmission | None:
    return KsefSubmission.objects.filter(document_id=document_id).first()


def state_counts() -> dict[str, int]:
    from django.db.models import Count

    return dict(KsefSubmission.objects.order_by().values_list("state")
                .annotate(n=Count("id")).values_list("state", "n"))
