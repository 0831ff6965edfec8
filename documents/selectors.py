"""Reads of the documents pages; these own every select_related / prefetch_related."""

from dataclasses import dataclass
from decimal import Decimal

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


# --------------------------------------------------------------------------- approval station

AWAITING_TODAY_LIMIT = 200


def documents_awaiting_approval_today_queryset() -> QuerySet:
    """The rule: issued today (local midnight on) and not approved yet. The home page's
    tile counts it; the approval station lists it."""
    from django.utils import timezone

    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return Document.objects.filter(status=Document.Status.UNAPPROVED, issued_at__gte=start)


def documents_awaiting_approval_today(*, limit: int = AWAITING_TODAY_LIMIT) -> list[Document]:
    """The approval station's list: today's documents awaiting approval, oldest first,
    with their customers (one query)."""
    return list(documents_awaiting_approval_today_queryset()
                .select_related("customer").order_by("issued_at", "id")[:limit])


# --------------------------------------------------------------------------- tariff documents

@dataclass(frozen=True)
class DocumentOffer:
    """What a subscription is offered to issue ("dokumenty do taryf"): the type, the
    template (the tariff's, else the default ``services.template_choose`` would take; None
    when there is none), the contract it refers to and the tariff's termination fee."""

    document_type: str
    template: DocumentTemplate | None
    parent: Document | None = None
    fault_fee: Decimal | None = None

    @property
    def label(self) -> str:
        return str(DocumentType(self.document_type).label)


SUBSCRIPTION_TYPES = (DocumentType.CONTRACT, DocumentType.ANNEX, DocumentType.TERMINATION)


def subscription_offer_type(*, subscription, linked_types, contract) -> str | None:
    """The rule of the offer, on rows already read: a subscription with an end date is
    offered its termination (once, and only when there is a contract to terminate); one
    without a contract or annex of its own is offered a contract — an annex to the
    customer's contract when there is one (a tariff added or changed later)."""
    has_contract = DocumentType.CONTRACT in linked_types or DocumentType.ANNEX in linked_types
    if subscription.end_date is not None and contract is not None:
        return None if DocumentType.TERMINATION in linked_types else DocumentType.TERMINATION
    if not has_contract:
        return DocumentType.ANNEX if contract is not None else DocumentType.CONTRACT
    return None


def subscription_documents(*, customer, subscriptions) -> dict[int, dict]:
    """Per subscription (by id): its documents (newest first) and ``offer`` (a
    ``DocumentOffer`` or None). Queries: the customer's contracts, annexes and
    terminations (one); the default templates (two, only when a tariff names none)."""
    from . import services

    documents = list(Document.objects.filter(customer=customer,
                                             document_type__in=SUBSCRIPTION_TYPES)
                     .order_by("-issued_at", "-id"))
    contracts = [d for d in documents if d.document_type == DocumentType.CONTRACT]
    rows = {}
    for subscription in subscriptions:
        own = [d for d in documents if d.subscription_id == subscription.pk]
        own_contract = next((d for d in own if d.document_type == DocumentType.CONTRACT), None)
        contract = own_contract or (contracts[0] if contracts else None)
        kind = subscription_offer_type(subscription=subscription,
                                       linked_types={d.document_type for d in own},
                                       contract=contract)
        rows[subscription.pk] = {"documents": own, "offer": kind and {
            "document_type": kind, "parent": contract if kind != DocumentType.CONTRACT else None,
            "template": services.tariff_template(tariff=subscription.tariff, document_type=kind),
            "fault_fee": subscription.tariff.termination_fee
            if kind == DocumentType.TERMINATION else None}}
    missing = {row["offer"]["document_type"] for row in rows.values()
               if row["offer"] and row["offer"]["template"] is None}
    defaults = services.default_templates(customer=customer, document_types=missing) \
        if missing else {}
    for row in rows.values():
        offer = row["offer"]
        if offer:
            row["offer"] = DocumentOffer(
                document_type=offer["document_type"], parent=offer["parent"],
                template=offer["template"] or defaults.get(offer["document_type"]),
                fault_fee=offer["fault_fee"])
    return rows


def tariff_document_counts(*, tariff) -> dict:
    """How many documents of the tariff's subscriptions are unapproved (regenerated by
    "Regenerowanie dokumentów") and approved (left alone): one query."""
    from django.db.models import Q

    return Document.objects.filter(subscription__tariff=tariff).aggregate(
        unapproved=Count("pk", filter=Q(status=Document.Status.UNAPPROVED)),
        approved=Count("pk", filter=Q(status=Document.Status.APPROVED)))


def group_template_rows() -> list[dict]:
    """Every customer group with its default template of each type (``None``: not set),
    for the page that sets them. Queries: the groups, their defaults (two)."""
    from customers.models import CustomerGroup, GroupDefaultTemplate

    defaults = {(d.group_id, d.document_type): d.template
                for d in GroupDefaultTemplate.objects.select_related("template")}
    return [{"group": group, "types": [
        {"value": value, "label": label, "template": defaults.get((group.pk, value))}
        for value, label in DocumentType.choices]}
        for group in CustomerGroup.objects.order_by("name")]
