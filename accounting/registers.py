"""The sales VAT register ("rejestr sprzedaży VAT") and revenue per tariff / customer group.

Sales VAT register of a month
    Every invoice and correction whose issue date falls in the month. ``issue_date`` is the
    date in Europe/Warsaw at issue (``timezone.localdate``), so an invoice issued at 00:30
    on 1 February Warsaw time (23:30 UTC on 31 January) belongs to February. Net / VAT /
    gross per rate are the ledger's own: ``finance.exports.document_totals`` — an
    invoice's ``vat_summary``, a correction's *differences* (its lines, the invoice as it
    should be now, less the state before it, each state's VAT rounded per rate), negative
    where it lowers. So the register's gross total equals Σdebit − Σcredit of the month's
    invoices and corrections to the grosz.

Revenue per tariff or group
    Net revenue per calendar month of issue. Invoice lines do not carry their tariff:
    the billing run writes, per invoice, a line and a ``BillingItem`` (subscription,
    period, net) in the same order, so the n-th line of an invoice is the n-th billing item
    of it (by id) when their numbers and nets agree; otherwise a line is matched by the
    tariff name and period the run writes into its name. A line billed by no subscription
    (an invoice typed by hand) is revenue "outside subscriptions". A correction reduces
    (or raises) the month it is issued in: per tariff, its lines less the state before it,
    a line of a correction taking the tariff of the invoice line of the same name.
    Per group: a customer in two groups counts in both, so the groups' rows may add up to
    more than the total, which is the whole revenue once.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Sum
from django.utils.translation import gettext as _

from core.document_hooks import ksef_references
from core.paging import SlicePage
from customers.models import GroupMembership
from finance.exports import document_totals
from finance.models import BillingItem, FinanceDocument, InvoiceLine, Kind
from finance.money import VAT_RATES, RateTotal, vat_summary
from finance.selectors import correction_lines_before, gross_total_of_lines
from finance.seller import Seller, document_parties, seller_get

ZERO = Decimal("0.00")
NO_TOTAL = RateTotal(ZERO, ZERO, ZERO)
REGISTER_PAGE_SIZE = 50
MAX_PAGE = 1_000_000
EXPORT_CHUNK = 2000
MAX_REVENUE_MONTHS = 24
SALES_KINDS = (Kind.INVOICE, Kind.CORRECTION)
OUTSIDE = "outside"  # the revenue row of lines billed by no subscription
NO_GROUP = "none"


# --------------------------------------------------------------------------- months

def month_first(day: date) -> date:
    return day.replace(day=1)


def month_last(day: date) -> date:
    return date.fromordinal(month_add(month_first(day), 1).toordinal() - 1)


def month_add(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_range(first: date, last: date) -> list[date]:
    """The first days of the months from ``first``'s to ``last``'s, both included."""
    months, current = [], month_first(first)
    while current <= last:
        months.append(current)
        current = month_add(current, 1)
    return months


def _add(a: RateTotal, b: RateTotal) -> RateTotal:
    return RateTotal(a.net + b.net, a.vat + b.vat, a.gross + b.gross)


def _sum_totals(totals) -> RateTotal:
    result = NO_TOTAL
    for total in totals:
        result = _add(result, total)
    return result


# --------------------------------------------------------------------------- register

@dataclass(frozen=True)
class RegisterRow:
    """One invoice or correction: ``totals`` per rate (a correction's differences)."""

    document_id: int
    kind: str
    number: str
    issue_date: date
    buyer_name: str
    buyer_nip: str
    ksef: str  # the KSeF number or the JPK marker; "" when no app knows one
    corrected_number: str
    totals: dict

    @property
    def total(self) -> RateTotal:
        return _sum_totals(self.totals.values())

    def rate(self, rate: str) -> RateTotal:
        return self.totals.get(rate, NO_TOTAL)


@dataclass
class RegisterSummary:
    """The month's totals per rate (``VAT_RATES`` order) and overall, and its row count."""

    month: date
    seller: Seller
    count: int
    totals: dict
    total: RateTotal
    rates: list = field(default_factory=list)  # the rates present, in VAT_RATES order


def _month_documents(month: date):
    return (FinanceDocument.objects
            .filter(kind__in=SALES_KINDS, issue_date__gte=month_first(month),
                    issue_date__lte=month_last(month)))


def _invoice_rate_nets(month: date) -> dict[int, list]:
    """Per invoice of the month its (rate, net of the rate, gross of the rate or None)
    items for ``vat_summary``: one grouped query."""
    pairs = defaultdict(list)
    rows = (InvoiceLine.objects
            .filter(document__kind=Kind.INVOICE, document__issue_date__gte=month_first(month),
                    document__issue_date__lte=month_last(month))
            .values_list("document_id", "vat_rate")
            .annotate(net=Sum("net"), gross=gross_total_of_lines()).order_by())
    for document_id, rate, net, gross in rows:
        pairs[document_id].append((rate, net, gross))
    return pairs


def _with_lines(documents):
    """What ``document_totals`` reads, prefetched: lines, and for a correction the
    corrected invoice's lines and its other corrections' lines (the state before)."""
    return documents.select_related("customer", "corrects").prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")),
        "corrects__lines", "corrects__corrections__lines")


def register_summary(*, month: date) -> RegisterSummary:
    """The month's totals without building every row: invoices from one grouped query of
    their lines (VAT per rate of each invoice by ``vat_summary``, as issued), corrections
    through ``document_totals``. Queries: five (count, invoice nets, corrections and their
    prefetches) plus the seller's settings."""
    totals: dict[str, RateTotal] = {}
    for pairs in _invoice_rate_nets(month).values():
        for rate, total in vat_summary(pairs).items():
            totals[rate] = _add(totals.get(rate, NO_TOTAL), total)
    corrections = _with_lines(_month_documents(month).filter(kind=Kind.CORRECTION))
    for correction in corrections:
        for rate, total in document_totals(correction).items():
            totals[rate] = _add(totals.get(rate, NO_TOTAL), total)
    ordered = {rate: totals[rate] for rate in VAT_RATES if rate in totals}
    return RegisterSummary(month=month_first(month), seller=seller_get(),
                           count=_month_documents(month).count(), totals=ordered,
                           total=_sum_totals(ordered.values()), rates=list(ordered))


def _rows(documents: list[FinanceDocument]) -> list[RegisterRow]:
    references = ksef_references([d.pk for d in documents])
    rows = []
    for document in documents:
        _seller, buyer = document_parties(document, customer=document.customer)
        rows.append(RegisterRow(
            document_id=document.pk, kind=document.kind, number=document.number,
            issue_date=document.issue_date, buyer_name=buyer.name, buyer_nip=buyer.nip,
            ksef=references.get(document.pk, ""),
            corrected_number=document.corrects.number if document.corrects_id else "",
            totals=document_totals(document)))
    return rows


class RegisterPage(SlicePage):
    """One page of the register; ``first`` is the ordinal number of its first row."""

    @property
    def first(self) -> int:
        return (self.number - 1) * REGISTER_PAGE_SIZE + 1


def register_page(*, month: date, page_number=1,
                  per_page: int = REGISTER_PAGE_SIZE) -> RegisterPage:
    """One page of the month's rows by issue date and id (a row more than shown tells
    whether a next page exists). Queries: five (documents with customers, lines,
    corrected invoices' lines, their corrections, those corrections' lines) plus the
    KSeF lookup's."""
    try:
        # Bounded: a page number past a database integer is a typing mistake, not a 500.
        number = min(max(1, int(page_number or 1)), MAX_PAGE)
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * per_page
    documents = list(_with_lines(_month_documents(month)).order_by("issue_date", "id")
                     [offset:offset + per_page + 1])
    return RegisterPage(rows=_rows(documents[:per_page]), number=number,
                        has_next=len(documents) > per_page)


def register_rows(*, month: date):
    """Every row of the month, in chunks (keyset on issue date and id), for the files."""
    last = None
    while True:
        documents = _with_lines(_month_documents(month)).order_by("issue_date", "id")
        if last is not None:
            documents = documents.filter(issue_date__gte=last[0]).exclude(
                issue_date=last[0], id__lte=last[1])
        chunk = list(documents[:EXPORT_CHUNK])
        if not chunk:
            return
        yield from _rows(chunk)
        last = (chunk[-1].issue_date, chunk[-1].pk)


def kind_label(kind: str) -> str:
    return _("invoice") if kind == Kind.INVOICE else _("correction")


# --------------------------------------------------------------------------- revenue

@dataclass
class RevenueRow:
    key: str
    label: str
    values: list  # one Decimal per month
    total: Decimal


@dataclass
class RevenueTable:
    by: str  # "tariff" or "group"
    months: list
    rows: list
    totals: list  # the whole revenue per month (counted once)
    total: Decimal


def _tariff_of_lines(lines: list[tuple], items: list[tuple]) -> list:
    """The tariff (id, name) of each invoice line, None for a line no subscription billed.

    ``lines``: (name, net) in position order; ``items``: the invoice's billing items as
    (tariff id, tariff name, period start, period end, net) in id order, which is the
    order the billing run wrote the lines in."""
    if len(lines) == len(items) and all(line[1] == item[4]
                                        for line, item in zip(lines, items, strict=True)):
        return [(item[0], item[1]) for item in items]
    result = []
    for name, _net in lines:
        found = {(item[0], item[1]) for item in items if item[1] in name
                 and str(item[2]) in name and str(item[3]) in name}
        result.append(found.pop() if len(found) == 1 else None)
    return result


def _invoice_tariffs(invoice_ids) -> dict[int, dict[str, tuple]]:
    """Per invoice, ``{line name: tariff}`` for its lines that a subscription billed."""
    lines, items = defaultdict(list), defaultdict(list)
    for document_id, name, net in (InvoiceLine.objects.filter(document_id__in=invoice_ids)
                                    .order_by("document_id", "position")
                                    .values_list("document_id", "name", "net")):
        lines[document_id].append((name, net))
    for row in (BillingItem.objects.filter(invoice_id__in=invoice_ids).order_by("invoice_id", "id")
                .values_list("invoice_id", "subscription__tariff_id",
                             "subscription__tariff__name", "period_start", "period_end", "net")):
        items[row[0]].append(row[1:])
    names = {}
    for invoice_id, invoice_lines in lines.items():
        tariffs = _tariff_of_lines(invoice_lines, items.get(invoice_id, []))
        names[invoice_id] = {name: tariff for (name, _net), tariff
                             in zip(invoice_lines, tariffs, strict=True) if tariff is not None}
    return names


def _by_tariff(lines, names: dict) -> dict:
    """Σ net per tariff (None: outside subscriptions) of ``lines`` (name, net)."""
    result = defaultdict(lambda: ZERO)
    for name, net in lines:
        result[names.get(name)] += net
    return result


def _document_revenue(documents) -> dict[int, dict]:
    """Per invoice or correction, its net revenue per tariff (a correction's change)."""
    documents = list(documents)
    invoice_ids = {d.corrects_id or d.pk for d in documents}
    names = _invoice_tariffs(invoice_ids)
    result = {}
    for document in documents:
        invoice_id = document.corrects_id or document.pk
        after = [(line.name, line.net) for line in document.lines.all()]
        change = _by_tariff(after, names.get(invoice_id, {}))
        if document.kind == Kind.CORRECTION:
            before = [(line.name, line.net) for line in correction_lines_before(document)]
            for tariff, net in _by_tariff(before, names.get(invoice_id, {})).items():
                change[tariff] -= net
        result[document.pk] = change
    return result


def revenue_table(*, first: date, last: date, by: str = "tariff") -> RevenueTable:
    """Net revenue per month of ``first`` … ``last`` (at most ``MAX_REVENUE_MONTHS``) per
    tariff or per customer group. Rows are sorted by label; "outside subscriptions" /
    "no group" last."""
    months = month_range(first, last)
    if not months or len(months) > MAX_REVENUE_MONTHS:
        raise ValueError(f"1 to {MAX_REVENUE_MONTHS} months")
    documents = list(_with_lines(FinanceDocument.objects.filter(
        kind__in=SALES_KINDS, issue_date__gte=months[0],
        issue_date__lte=month_last(months[-1]))).order_by("issue_date", "id"))
    revenue = _document_revenue(documents)
    index = {month: n for n, month in enumerate(months)}
    cells = defaultdict(lambda: [ZERO] * len(months))
    labels, totals = {}, [ZERO] * len(months)
    groups = _customer_groups({d.customer_id for d in documents}) if by == "group" else {}
    for document in documents:
        column = index[month_first(document.issue_date)]
        per_tariff = revenue[document.pk]
        net = sum(per_tariff.values(), ZERO)
        totals[column] += net
        if by == "group":
            for key, label in groups.get(document.customer_id) or [(NO_GROUP, None)]:
                cells[key][column] += net
                labels[key] = label
        else:
            for tariff, amount in per_tariff.items():
                key = str(tariff[0]) if tariff else OUTSIDE
                cells[key][column] += amount
                labels[key] = tariff[1] if tariff else None
    fallback = _("no group") if by == "group" else _("outside subscriptions")
    rows = [RevenueRow(key, labels[key] or fallback, values, sum(values, ZERO))
            for key, values in cells.items()]
    rows.sort(key=lambda r: (r.key in (OUTSIDE, NO_GROUP), r.label.lower(), r.key))
    return RevenueTable(by=by, months=months, rows=rows, totals=totals,
                        total=sum(totals, ZERO))


def _customer_groups(customer_ids) -> dict[int, list]:
    groups = defaultdict(list)
    for customer_id, group_id, name in (GroupMembership.objects
                                        .filter(customer_id__in=customer_ids)
                                        .order_by("group__name")
                                        .values_list("customer_id", "group_id", "group__name")):
        groups[customer_id].append((str(group_id), name))
    return groups
