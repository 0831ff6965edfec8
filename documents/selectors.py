"""Reads of the documents pages; these own every select_related / prefetch_related."""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import (
    Document,
    DocumentBatch,
    DocumentDownload,
    DocumentFile,
    DocumentScan,
    DocumentTemplate,
    DocumentTemplateVersion,
    DocumentType,
)

CARD_DOCUMENTS_LIMIT = 50
BATCH_LIST_LIMIT = 20
DOWNLOAD_HISTORY_LIMIT = 200


def customer_document_list(*, customer, limit: int = CARD_DOCUMENTS_LIMIT) -> list[Document]:
    """The customer's newest documents, ready for the card's "Documents" section.

    Queries: the documents (joined with who issued and approved them and the parent, with
    the number of downloads counted), their files, their scans, their children. Each
    document gets ``current_file`` and ``previous_files`` (newest first).
    """
    documents = list(
        Document.objects.filter(customer=customer)
        .select_related("issued_by", "approved_by", "parent")
        .annotate(download_count=Count("downloads"))
        .prefetch_related(
            Prefetch("files", queryset=DocumentFile.objects.order_by("-version")
                     .select_related("created_by")),
            Prefetch("scans", queryset=DocumentScan.objects.order_by("uploaded_at", "id")),
            Prefetch("children", queryset=Document.objects.order_by("issued_at", "id")),
        )
        .order_by("-issued_at", "-id")[:limit]
    )
    for document in documents:
        files = list(document.files.all())
        document.current_file = files[0] if files else None
        document.previous_files = files[1:]
    return documents


def customer_contract_choices(*, customer) -> list[tuple[int, str]]:
    """The customer's contracts an annex or a termination may refer to (one query)."""
    return list(Document.objects.filter(customer=customer, document_type=DocumentType.CONTRACT)
                .order_by("-issued_at", "-id").values_list("pk", "number"))


def template_list() -> list[DocumentTemplate]:
    """The tenant's templates by type and name, with their current version (one query)."""
    return list(DocumentTemplate.objects.select_related("current_version")
                .order_by("document_type", "name"))


def template_version_list(*, template: DocumentTemplate) -> list[DocumentTemplateVersion]:
    return list(template.versions.select_related("created_by").order_by("-version"))


def template_get(*, pk) -> DocumentTemplate:
    return DocumentTemplate.objects.select_related("current_version").get(pk=pk)


def document_get(*, pk, customer_id=None) -> Document:
    documents = Document.objects.select_related("customer")
    if customer_id is not None:
        documents = documents.filter(customer_id=customer_id)
    return documents.get(pk=pk)


def document_download_list(*, document: Document) -> list[DocumentDownload]:
    """"Historia pobrań" of one document, the newest ones (one query)."""
    return list(document_download_queryset(document=document)[:DOWNLOAD_HISTORY_LIMIT])


def batch_list(*, limit: int = BATCH_LIST_LIMIT) -> list[DocumentBatch]:
    return list(DocumentBatch.objects.select_related("group", "template", "created_by")
                .order_by("-created_at", "-id")[:limit])


def batch_get(*, pk) -> DocumentBatch:
    return DocumentBatch.objects.select_related("group", "template", "created_by").get(pk=pk)


def document_file_current(*, document: Document) -> DocumentFile | None:
    return document.files.order_by("-version").first()


def document_api_list(*, customer) -> QuerySet:
    """A customer's documents, newest first, with what each list row shows: the current
    file's version and the number of signed copies (subqueries of the page query) and the
    ids of the documents that refer to it (one prefetch)."""
    current_version = (DocumentFile.objects.filter(document=OuterRef("pk"))
                       .order_by("-version").values("version")[:1])
    scans = (DocumentScan.objects.filter(document=OuterRef("pk")).order_by()
             .values("document").annotate(n=Count("pk")).values("n"))
    return (Document.objects.filter(customer=customer)
            .select_related("approved_by")
            .annotate(current_file_version=Subquery(current_version,
                                                    output_field=IntegerField()),
                      scans_count=Coalesce(Subquery(scans, output_field=IntegerField()), 0))
            .prefetch_related(Prefetch("children",
                                       queryset=Document.objects.order_by("pk")
                                       .only("pk", "parent_id"))))


def document_template_queryset() -> QuerySet:
    return DocumentTemplate.objects.select_related("current_version")


def document_download_queryset(*, document: Document) -> QuerySet:
    """"Historia pobrań" of one document, newest first, for paging."""
    return document.downloads.select_related("user", "customer").order_by("-at", "-id")
