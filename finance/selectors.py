"""Reads of the ledger: the customer's history with running balance and settlement status,
one document with everything its page shows, and the open documents the forms offer.

Every function here runs a fixed number of queries, whatever the number of rows: status,
running balance and the "K" marker are annotations of one query, never a query per row.
A receivable's status follows ``services.invoice_settlement``: an invoice together with
its corrections is owed ``Σdebit − Σcredit of downward corrections`` and paid by the
allocations to it and its upward corrections, not counting the downward corrections'
own links (those only cancel what the invoice no longer asks).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from core.paging import SlicePage
from core.tenancy import current_tenant
from customers.models import Address, Customer

from .models import Allocation, CashRegister, CustomerAccount, FinanceDocument, InvoiceLine, Kind
from .money import vat_summary

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=14, decimal_places=2)
HISTORY_PAGE_SIZE = 25

SETTLED, PARTIALLY_SETTLED, UNSETTLED = "settled", "partially_settled", "unsettled"
STATUS_CHOICES = (
    (SETTLED, _("settled")),
    (PARTIALLY_SETTLED, _("partially settled")),
    (UNSETTLED, _("unsettled")),
)
STATUS_LABELS = dict(STATUS_CHOICES)


def gross_total_of_lines():
    """An aggregate of grouped invoice lines: the sum of their gross values when every one
    has a gross (computed from gross, finance.money), else NULL — ``vat_summary`` then
    computes from the net total. (SUM alone would skip the lines without one.)"""
    return Case(When(Exact(Count("id", filter=Q(gross__isnull=True)), 0), then=Sum("gross")),
                default=Value(None), output_field=_MONEY)


def subquery_sum(queryset: QuerySet, expression) -> Subquery:
    """``SELECT SUM(expression)`` of ``queryset`` as a correlated subquery (0 when empty).

    A ``Func`` rather than ``Sum`` keeps Django from adding a GROUP BY: one row always."""
    total = queryset.order_by().annotate(_total=Func(expression, function="SUM",
                                                     output_field=_MONEY)).values("_total")
    return Coalesce(Subquery(total, output_field=_MONEY), Value(ZERO), output_field=_MONEY)


def _with_settlement(queryset: QuerySet) -> QuerySet:
    """Annotate ``owed``, ``paid``, ``settlement_status`` (debit documents other than
    corrections; ``None`` elsewhere), ``unallocated`` (credit documents) and ``corrected``
    (the "K" marker)."""
    corrections = FinanceDocument.objects.filter(corrects=OuterRef("pk"), kind=Kind.CORRECTION)
    # What paid the document and its upward corrections, less its downward corrections
    # (which release, not pay). Two sums, not one with OR: each is an index lookup, where
    # the OR made PostgreSQL hash-join every allocation of the tenant for each row.
    not_by_correction = ~Q(payment__corrects=OuterRef("pk"))
    paid_direct = Allocation.objects.filter(not_by_correction, receivable=OuterRef("pk"))
    paid_corrections = Allocation.objects.filter(not_by_correction,
                                                 receivable__corrects=OuterRef("pk"))
    return queryset.annotate(
        owed=(F("debit") + subquery_sum(corrections, F("debit"))
              - subquery_sum(corrections, F("credit"))),
        paid=subquery_sum(paid_direct, F("amount")) + subquery_sum(paid_corrections, F("amount")),
        unallocated=F("credit") - subquery_sum(Allocation.objects.filter(payment=OuterRef("pk")),
                                       F("amount")),
        corrected=Exists(corrections),
    ).annotate(settlement_status=Case(
        When(Q(debit=0) | Q(kind=Kind.CORRECTION), then=Value(None)),
        When(paid__gte=F("owed"), then=Value(SETTLED)),
        When(paid__gt=0, then=Value(PARTIALLY_SETTLED)),
        default=Value(UNSETTLED), output_field=CharField()))


def customer_history(*, customer: Customer, kind: str = "", status: str = "") -> QuerySet:
    """The customer's ledger, newest first, each document annotated with
    ``running_balance`` (the balance after it, over the whole ledger in date order — a
    filter hides rows but does not change the balance shown), ``owed``, ``paid``,
    ``settlement_status``, ``unallocated`` and ``corrected``; ``corrects`` and
    ``cash_register`` are joined. ``kind``: a ``Kind`` value; ``status``: one of
    ``STATUS_CHOICES`` (receivables only)."""
    up_to_here = FinanceDocument.objects.filter(customer=OuterRef("customer")).filter(
        Q(issue_date__lt=OuterRef("issue_date"))
        | Q(issue_date=OuterRef("issue_date"), id__lte=OuterRef("id")))
    documents = FinanceDocument.objects.filter(customer=customer)
    if kind:
        documents = documents.filter(kind=kind)
    documents = _with_settlement(documents).annotate(
        running_balance=subquery_sum(up_to_here, F("credit") - F("debit")))
    if status:
        documents = documents.filter(settlement_status=status)
    return documents.select_related("corrects", "cash_register").order_by("-issue_date", "-id")


class HistoryPage(SlicePage):
    """One page of the customer's history (newest first)."""


def customer_history_page(*, customer: Customer, kind: str = "", status: str = "",
                          page_number=1, per_page: int = HISTORY_PAGE_SIZE) -> HistoryPage:
    """One page of ``customer_history``. Queries: one (a row more than shown tells
    whether a next page exists)."""
    try:
        number = max(1, int(page_number or 1))
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * per_page
    rows = list(customer_history(customer=customer, kind=kind, status=status)
                [offset:offset + per_page + 1])
    return HistoryPage(rows=rows[:per_page], number=number, has_next=len(rows) > per_page)


def customer_balance(*, customer: Customer) -> Decimal:
    """The cached balance (Σcredit − Σdebit; negative: the customer owes). One query."""
    account = CustomerAccount.objects.filter(customer=customer).values_list(
        "balance", flat=True).first()
    return account if account is not None else ZERO


@dataclass
class DocumentLinks:
    """What a document paid (``pays``: its allocations as a payment) and what paid it
    (``paid_by``: allocations to it as a receivable), each with the other document."""

    pays: list
    paid_by: list


def document_allocation_list(*, document: FinanceDocument) -> DocumentLinks:
    """The allocations of one document, oldest first. Queries: one."""
    links = list(Allocation.objects.filter(Q(payment=document) | Q(receivable=document))
                 .select_related("payment", "receivable", "created_by").order_by("id"))
    return DocumentLinks(pays=[a for a in links if a.payment_id == document.pk],
                         paid_by=[a for a in links if a.receivable_id == document.pk])


def document_get(*, pk) -> FinanceDocument:
    """One document of the active tenant with its customer (and the buyer's address),
    lines, VAT summary (``vat_rows``), allocations (``links``), corrections, a KP's
    positions (``positions``) and settlement annotations. Raises
    ``FinanceDocument.DoesNotExist`` (another tenant's included).
    Queries: five (the document, addresses, lines, corrections, allocations), a KP six."""
    document = (_with_settlement(FinanceDocument.objects.filter(pk=pk))
                .select_related("customer", "corrects", "cash_register", "created_by",
                                "tenant")
                .prefetch_related(
                    # The buyer's address on the page: residence, else correspondence.
                    Prefetch("customer__addresses", queryset=Address.objects.filter(
                        kind__in=[Address.Kind.RESIDENCE, Address.Kind.CORRESPONDENCE])
                        .order_by("-kind")),
                    Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")),
                    Prefetch("corrections",
                             queryset=FinanceDocument.objects.order_by("issue_date", "id")))
                .get())
    # vat_summary keeps the order of VAT_RATES: 23, 8, 5, 0, zw, np.
    document.vat_rows = list(vat_summary((line.vat_rate, line.net, line.gross)
                                         for line in document.lines.all()).items())
    document.links = document_allocation_list(document=document)
    # A KP's positions (one more query, for a KP only).
    document.positions = list(document.cash_positions.order_by("position")) \
        if document.kind == Kind.KP else []
    return document


def correction_lines_before(correction: FinanceDocument) -> list[InvoiceLine]:
    """The lines of the invoice as it stood before ``correction``: those of the previous
    correction of the same invoice (none: it corrected the invoice to zero), else the
    invoice's own. Read through ``corrects__corrections`` and the lines' relations, so
    prefetching ``corrects__lines`` and ``corrects__corrections__lines`` serves many."""
    invoice = correction.corrects
    earlier = sorted((c for c in invoice.corrections.all() if c.pk < correction.pk),
                     key=lambda c: c.pk)
    return list((earlier[-1] if earlier else invoice).lines.all())


def invoice_current_lines(*, invoice: FinanceDocument) -> list[InvoiceLine]:
    """The invoice's lines as they stand now: those of its newest correction (none: it
    was corrected to zero), else its own. Queries: two."""
    source = (FinanceDocument.objects.filter(corrects=invoice)
              .order_by("-id").values_list("pk", flat=True).first())
    return list(InvoiceLine.objects.filter(document_id=source or invoice.pk)
                .order_by("position"))


def open_receivables() -> QuerySet:
    """The active tenant's debit documents (upward corrections included) with something
    left to pay, each with ``left``: its debit less every link to it — what
    ``services.kp_issue`` and ``services.allocation_link`` may still settle — and ``due``
    (the due date, else the issue date). Set-based, for any number of customers: the one
    rule of "what is open" (``open_receivable_list`` is it for one customer)."""
    return (FinanceDocument.objects.filter(debit__gt=0)
            .annotate(left=F("debit") - subquery_sum(Allocation.objects.filter(
                receivable=OuterRef("pk")), F("amount")),
                due=Coalesce("due_date", "issue_date"))
            .filter(left__gt=0))


def open_receivable_totals() -> dict[int, Decimal]:
    """Customer id → the sum of ``left`` of ``open_receivables`` (what each still owes),
    for every customer of the active tenant with something open. The same rule, written
    as one join of grouped allocations rather than a correlated subquery per document:
    over 600,000 documents 2 s instead of 7 (the LMS import's reconciliation reads it)."""
    document, allocation = FinanceDocument._meta.db_table, Allocation._meta.db_table
    tenant = current_tenant().pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.customer_id, SUM(d.debit - COALESCE(a.total, 0)) FROM {document} d "  # noqa: S608
            f"LEFT JOIN (SELECT receivable_id, SUM(amount) AS total FROM {allocation} "
            "WHERE tenant_id = %s GROUP BY receivable_id) a ON a.receivable_id = d.id "
            "WHERE d.tenant_id = %s AND d.debit > 0 AND d.debit - COALESCE(a.total, 0) > 0 "
            "GROUP BY d.customer_id", [tenant, tenant])
        return {pk: Decimal(total).quantize(Decimal("0.01")) for pk, total in cursor.fetchall()}


def open_receivable_list(*, customer: Customer) -> list[FinanceDocument]:
    """``open_receivables`` of the customer, oldest due first. Queries: one."""
    return list(open_receivables().filter(customer=customer).order_by("due", "id"))


def overdue_summary(receivables, *, today) -> tuple[Decimal, date | None]:
    """Of ``open_receivable_list``'s rows, what is past due on ``today`` and the oldest
    due date among them (None: nothing overdue). A receivable without a due date is due
    on its issue date."""
    overdue = [r for r in receivables if (r.due_date or r.issue_date) < today]
    return (sum((r.left for r in overdue), ZERO),
            min((r.due_date or r.issue_date for r in overdue), default=None))


def open_payment_list(*, customer: Customer) -> list[FinanceDocument]:
    """The customer's credit documents with money not yet linked (``unallocated``),
    oldest first. Queries: one."""
    return list(_with_settlement(FinanceDocument.objects.filter(customer=customer, credit__gt=0))
                .filter(unallocated__gt=0).order_by("issue_date", "id"))


def linked_document_list(*, customer: Customer) -> list[FinanceDocument]:
    """The customer's documents that have links one may remove (not a correction's own
    link). Queries: one."""
    linked = Allocation.objects.exclude(rule="correction")
    return list(FinanceDocument.objects.filter(customer=customer).filter(
        Exists(linked.filter(payment=OuterRef("pk")))
        | Exists(linked.filter(receivable=OuterRef("pk")))).order_by("-issue_date", "-id"))


def cash_register_list() -> list[CashRegister]:
    """The tenant's cash registers by name, with their number of documents. Queries: one."""
    return list(CashRegister.objects.annotate(document_count=Count("documents"))
                .order_by("name"))
