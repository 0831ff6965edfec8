"""Reads of the jpk part: the month's sales register from the ledger, the purchase
register, the JPK files built.

The sales register is read set-based (a month of a large ISP has 100,000 invoices): four
queries — the documents, their lines, the corrected invoices' other corrections and the
lines of the states those corrections changed — and no model instance per row.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection
from django.db.models import Q, Sum
from django.db.models.fields.json import KT

from core.sql import column_any
from finance.ksef_ledger import gtu_code
from finance.models import FinanceDocument, InvoiceLine, Kind
from finance.money import RateTotal, vat_summary
from finance.selectors import gross_total_of_lines

from .models import JpkFiling, PurchaseDocument

ZERO = Decimal("0.00")


@dataclass
class SaleRow:
    """One SprzedazWiersz: an invoice, or a correction with the differences it made.

    ``rates``: per VAT rate of ``finance.money.VAT_RATES``, the net and VAT this document
    adds to the month (negative for a correction lowering them)."""

    document_id: int
    kind: str
    number: str
    issue_date: date
    buyer_nip: str
    buyer_name: str
    buyer_country: str
    rates: dict[str, RateTotal]
    gtu: list[str] = field(default_factory=list)
    reference: str = "BFK"  # the KSeF number, or the marker OFF / BFK / DI

    @property
    def vat(self) -> Decimal:
        return sum((total.vat for total in self.rates.values()), ZERO)

    @property
    def gross(self) -> Decimal:
        return sum((total.gross for total in self.rates.values()), ZERO)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The first day of the month and of the next one."""
    start = date(year, month, 1)
    return start, date(year + month // 12, month % 12 + 1, 1)


def _collect(lines) -> tuple[dict[int, dict], dict[int, set]]:
    """Per document: its ``vat_summary`` (VAT per rate on the rate's net total, as the
    ledger computes it) and the GTU codes of its lines. ``lines`` are rows of (document,
    rate, net total of the rate's lines, their gross total — None unless every line has a
    gross: computed from gross —, GTU codes): the database sums them, and ``vat_summary``
    of one total per rate is the same as of the lines themselves."""
    nets, gtus = defaultdict(list), defaultdict(set)
    rows = lines.iterator(chunk_size=20000) if hasattr(lines, "iterator") else lines
    for document_id, rate, net, gross, codes in rows:
        nets[document_id].append((rate, net, gross))
        for gtu in codes or ():
            if code := gtu_code(gtu):
                gtus[document_id].add(code)
    return {pk: vat_summary(items) for pk, items in nets.items()}, gtus


def _per_rate(lines):
    """(document, rate, net total, GTU codes) rows: one aggregate query on PostgreSQL; the
    embedded SQLite of ``make run`` has no ARRAY_AGG, so there the codes come from a
    second query."""
    per_rate = lines.order_by().values("document_id", "vat_rate").annotate(
        net_total=Sum("net"), gross_total=gross_total_of_lines())
    if connection.vendor == "postgresql":
        return (per_rate.annotate(codes=ArrayAgg("gtu", distinct=True, filter=~Q(gtu="")))
                .values_list("document_id", "vat_rate", "net_total", "gross_total", "codes"))
    codes = defaultdict(set)
    for document_id, rate, gtu in (lines.order_by().exclude(gtu="")
                                   .values_list("document_id", "vat_rate", "gtu").distinct()):
        codes[(document_id, rate)].add(gtu)
    return [(document_id, rate, net, gross, sorted(codes.get((document_id, rate), ())))
            for document_id, rate, net, gross in per_rate
            .values_list("document_id", "vat_rate", "net_total", "gross_total")]


def _summaries(document_ids) -> tuple[dict[int, dict], dict[int, set]]:
    return _collect(_per_rate(InvoiceLine.objects.filter(
        column_any(InvoiceLine, "document", list(document_ids), "bigint"))))


def _month_lines(start: date, end: date) -> tuple[dict[int, dict], dict[int, set]]:
    """``_summaries`` of every invoice and correction issued in [start, end), joined by
    date rather than by a list of 100,000 ids."""
    return _collect(_per_rate(InvoiceLine.objects.filter(
        document__kind__in=(Kind.INVOICE, Kind.CORRECTION),
        document__issue_date__gte=start, document__issue_date__lt=end)))


def _difference(after: dict, before: dict) -> dict[str, RateTotal]:
    """Per rate, the state after less the state before — each state's VAT rounded on its
    own net total, so the sum is the correction's amount on the ledger to the grosz."""
    rates = {}
    for rate in dict.fromkeys([*before, *after]):
        a = after.get(rate, RateTotal(ZERO, ZERO, ZERO))
        b = before.get(rate, RateTotal(ZERO, ZERO, ZERO))
        diff = RateTotal(a.net - b.net, a.vat - b.vat, a.gross - b.gross)
        if diff != (ZERO, ZERO, ZERO):
            rates[rate] = diff
    return rates


def _before_states(corrections: list[tuple[int, int]]) -> dict[int, int]:
    """For each (correction id, invoice id): the id of the document holding the invoice's
    lines as they stood before it — the previous correction of the same invoice, else the
    invoice (the rule of ``finance.selectors.correction_lines_before``)."""
    invoice_ids = {invoice_id for _pk, invoice_id in corrections}
    siblings = defaultdict(list)
    for pk, invoice_id in (FinanceDocument.objects
                           .filter(kind=Kind.CORRECTION, corrects_id__in=invoice_ids)
                           .values_list("pk", "corrects_id")):
        siblings[invoice_id].append(pk)
    before = {}
    for pk, invoice_id in corrections:
        earlier = [other for other in siblings[invoice_id] if other < pk]
        before[pk] = max(earlier) if earlier else invoice_id
    return before


def sales_register(year: int, month: int) -> list[SaleRow]:
    """The active tenant's invoices and corrections issued in the month, in issue order,
    each with its per-rate amounts and GTU codes; a correction that changes no amount (a
    correction of data) is not a row. The KSeF reference is filled by the builder."""
    start, end = month_bounds(year, month)
    documents = list(
        FinanceDocument.objects
        .filter(kind__in=(Kind.INVOICE, Kind.CORRECTION), issue_date__gte=start,
                issue_date__lt=end)
        .order_by("issue_date", "id")
        .values_list("id", "kind", "number", "issue_date", "corrects_id",
                     KT("parties__buyer__nip"), KT("parties__buyer__name"),
                     KT("parties__buyer__country"), "customer__nip",
                     "customer__company_name", "customer__first_name",
                     "customer__last_name"))
    summaries, gtus = _month_lines(start, end)
    corrections = [(row[0], row[4]) for row in documents if row[1] == Kind.CORRECTION]
    before_of = _before_states(corrections)
    missing = set(before_of.values()) - summaries.keys()
    if missing:
        more_summaries, more_gtus = _summaries(missing)
        summaries.update(more_summaries)
        gtus.update(more_gtus)
    rows = []
    for (pk, kind, number, issue_date, _corrects, nip, name, country, customer_nip,
         company, first, last) in documents:
        rates = summaries.get(pk, {})
        codes = set(gtus.get(pk, ()))
        if kind == Kind.CORRECTION:
            source = before_of[pk]
            rates = _difference(rates, summaries.get(source, {}))
            codes |= gtus.get(source, set())
            if not rates:
                continue
        name = name or company or f"{first} {last}".strip()
        rows.append(SaleRow(pk, kind, number, issue_date, nip or customer_nip or "",
                            name, country or "PL", rates, sorted(codes)))
    return rows


def purchase_register(year: int, month: int) -> list[PurchaseDocument]:
    """The purchase documents deducted in the month (``period``), in register order."""
    return list(PurchaseDocument.objects.filter(period=date(year, month, 1))
                .order_by("issue_date", "id"))


def purchase_list(*, search: str = "", period: date | None = None):
    """The purchase register for the staff list: newest deduction month first."""
    documents = PurchaseDocument.objects.order_by("-period", "-issue_date", "-id")
    if period:
        documents = documents.filter(period=period)
    if search := search.strip():
        documents = documents.filter(Q(number__icontains=search)
                                     | Q(supplier_name__icontains=search)
                                     | Q(supplier_nip__contains=search.replace("-", "")))
    return documents


def purchase_get(pk) -> PurchaseDocument:
    return PurchaseDocument.objects.get(pk=pk)


def filing_list():
    return (JpkFiling.objects.select_related("created_by").defer("xml")
            .order_by("-year", "-month", "-sequence"))


def filing_get(pk, *, with_xml: bool = False) -> JpkFiling:
    """One file with its author and the file it corrects; the XML (tens of MB for a
    large ISP) only when asked — never the corrected file's."""
    filings = JpkFiling.objects.select_related("created_by", "previous").defer("previous__xml")
    return (filings if with_xml else filings.defer("xml")).get(pk=pk)


def filing_last(year: int, month: int) -> JpkFiling | None:
    return (JpkFiling.objects.filter(year=year, month=month).defer("xml")
            .order_by("-sequence").first())


def filing_difference(filing: JpkFiling) -> list[dict]:
    """What changed against the file it corrects: each declaration field and control sum
    that differs, with both values (empty for a first filing)."""
    previous = filing.previous
    if previous is None:
        return []
    changes = []
    for key in sorted(set(filing.declaration) | set(previous.declaration),
                      key=lambda k: int(k.split("_")[1])):
        old, new = previous.declaration.get(key, 0), filing.declaration.get(key, 0)
        if old != new:
            changes.append({"field": key, "before": old, "after": new})
    for key in ("sales_rows", "output_vat", "purchase_rows", "input_vat"):
        old, new = getattr(previous, key), getattr(filing, key)
        if old != new:
            changes.append({"field": key, "before": old, "after": new})
    return changes
