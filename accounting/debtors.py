"""The debtors report ("dłużnicy"): customers whose debt reaches a threshold, with their
balance, oldest unpaid due date, days overdue, last payment and overdue receivables.

One query for a page, whatever the number of customers: the balance is finance's cached
``CustomerAccount.balance`` (joined), everything else a correlated subquery of the
customer's own documents (index ``financedoc_customer_date``). What "overdue" means is
finance's rule (``finance.dashboard.overdue_receivables``: debit less every link to it,
due date — else issue date — before today), not a second copy of it.

The threshold is entered as the debt (a positive amount): ``100`` lists customers owing
100.00 zł or more (balance ≤ −100.00); ``0`` lists everyone who owes anything.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core.paging import SlicePage
from core.spreadsheet import FORMULA_START, formula_defused
from customers.models import Customer, GroupMembership
from finance.dashboard import PAYMENT_KINDS, overdue_receivables
from finance.models import FinanceDocument
from finance.selectors import subquery_sum

ZERO = Decimal("0.00")
PER_PAGE = 50
_MONEY = DecimalField(max_digits=14, decimal_places=2)

# Sort keys of the report: the parameter's value -> the ORDER BY (the id last: stable pages).
SORTS = {
    "debt": ("balance", "number"),
    "-debt": ("-balance", "number"),
    "days": (F("oldest_due").asc(nulls_last=True), "number"),
    "-days": (F("oldest_due").desc(nulls_last=True), "number"),
    "last_payment": (F("last_payment_date").asc(nulls_first=True), "number"),
    "-last_payment": (F("last_payment_date").desc(nulls_last=True), "number"),
    "number": ("number",),
    "name": ("last_name", "first_name", "company_name", "number"),
}
SORT_CHOICES = (
    ("debt", _("largest debt first")),
    ("-debt", _("smallest debt first")),
    ("days", _("longest overdue first")),
    ("-days", _("shortest overdue first")),
    ("last_payment", _("oldest last payment first")),
    ("-last_payment", _("newest last payment first")),
    ("number", _("customer number")),
    ("name", _("name")),
)


@dataclass(frozen=True)
class DebtorFilter:
    """What the report lists. ``threshold``: the minimum debt (≥ 0); ``min_days``: the
    oldest overdue receivable at least this many days past due (None: any, also none
    overdue); ``group_id``/``status``: the customer's group and status ("" / None: any)."""

    threshold: Decimal = ZERO
    min_days: int | None = None
    group_id: int | None = None
    status: str = ""
    sort: str = "debt"


def _count(queryset: QuerySet) -> Subquery:
    """``SELECT COUNT(*)`` of ``queryset`` as a correlated subquery (one row, no GROUP BY)."""
    counted = queryset.order_by().annotate(
        _n=Func(Value(1), function="COUNT", output_field=IntegerField())).values("_n")
    return Subquery(counted, output_field=IntegerField())


def debtor_list(*, filters: DebtorFilter, today: date) -> QuerySet:
    """Customers of the active tenant matching ``filters`` on ``today``, each with
    ``balance``, ``debt`` (−balance), ``oldest_due``, ``overdue_amount``,
    ``overdue_count``, ``last_payment_date`` and ``last_payment_amount`` (None: never
    paid). One query; page it with ``debtor_page``."""
    overdue = overdue_receivables(today=today).filter(customer=OuterRef("pk"))
    payments = (FinanceDocument.objects.filter(customer=OuterRef("pk"), kind__in=PAYMENT_KINDS)
                .order_by("-issue_date", "-id"))
    threshold = max(filters.threshold, ZERO)
    customers = (Customer.objects.filter(finance_account__balance__lt=0,
                                         finance_account__balance__lte=-threshold)
                 .annotate(balance=F("finance_account__balance"),
                           debt=-F("finance_account__balance")))
    if filters.status:
        customers = customers.filter(status=filters.status)
    if filters.group_id:
        customers = customers.filter(Exists(GroupMembership.objects.filter(
            customer=OuterRef("pk"), group_id=filters.group_id)))
    customers = customers.annotate(
        oldest_due=Subquery(overdue.order_by("due").values("due")[:1],
                            output_field=DateField()),
        overdue_amount=subquery_sum(overdue, F("left")),
        overdue_count=Coalesce(_count(overdue), Value(0)),
        last_payment_date=Subquery(payments.values("issue_date")[:1]),
        last_payment_amount=Subquery(payments.values("credit")[:1], output_field=_MONEY),
    )
    if filters.min_days is not None and filters.min_days > 0:
        # "The oldest overdue is at least N days old" is "some open receivable fell due
        # N days ago or earlier": EXISTS stops at the first one.
        customers = customers.filter(Exists(overdue.filter(
            due__lte=today - timedelta(days=filters.min_days))))
    return customers.defer("search_text").order_by(*SORTS.get(filters.sort, SORTS["debt"]))


def days_overdue(oldest_due: date | None, today: date) -> int:
    """Whole days from the oldest due date to ``today`` (0: nothing overdue)."""
    return (today - oldest_due).days if oldest_due else 0


class DebtorPage(SlicePage):
    """One page of the debtors report."""


def debtor_page(*, filters: DebtorFilter, today: date, page_number=1,
                per_page: int = PER_PAGE) -> DebtorPage:
    """One page of ``debtor_list`` with ``days_overdue`` set on each row. Queries: one
    (a row more than shown tells whether a next page exists)."""
    try:
        number = max(1, int(page_number or 1))
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * per_page
    rows = list(debtor_list(filters=filters, today=today)[offset:offset + per_page + 1])
    for row in rows:
        row.days_overdue = days_overdue(row.oldest_due, today)
    return DebtorPage(rows=rows[:per_page], number=number, has_next=len(rows) > per_page)


def debtor_totals(*, filters: DebtorFilter, today: date) -> tuple[int, Decimal]:
    """How many customers match and their debt in all ("all matching" selection). One
    query."""
    # Over ``values("debt")``: aggregating the annotated queryset itself makes Django wrap
    # it in a subquery that does not select ``debt``.
    totals = debtor_list(filters=filters, today=today).order_by().values("debt").aggregate(
        n=Count("debt"), total=Coalesce(Sum("debt"), Value(ZERO), output_field=_MONEY))
    return totals["n"], totals["total"]


def debtor_ids(*, filters: DebtorFilter, today: date) -> list[int]:
    """The ids of every matching customer, in the report's order. One query."""
    return list(debtor_list(filters=filters, today=today).values_list("pk", flat=True))


def debtor_export_rows(*, filters: DebtorFilter, today: date):
    """Every matching customer as the export writes it, read in chunks (the report of
    100,000 customers is not held in memory at once)."""
    for row in debtor_list(filters=filters, today=today).iterator(chunk_size=2000):
        row.days_overdue = days_overdue(row.oldest_due, today)
        yield row


# --------------------------------------------------------------------------- export



def export_header() -> list[str]:
    from django.utils.translation import gettext as _

    return [_("Customer number"), _("Customer"), _("Status"), _("Balance"), _("Debt"),
            _("Overdue"), _("Oldest due date"), _("Days overdue"), _("Overdue documents"),
            _("Last payment date"), _("Last payment amount")]


def export_values(row) -> list:
    return [row.number, row.display_name, row.get_status_display(), row.balance, row.debt,
            row.overdue_amount, row.oldest_due, row.days_overdue, row.overdue_count,
            row.last_payment_date, row.last_payment_amount]


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return formula_defused(text)


def debtor_csv(*, filters: DebtorFilter, today: date):
    """The report as CSV lines (UTF-8 with a BOM, ``;``, decimal comma: Excel with Polish
    settings), generated row by row for a streaming response."""
    import codecs
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")

    def flush() -> bytes:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text.encode()

    writer.writerow(export_header())
    yield codecs.BOM_UTF8 + flush()
    for row in debtor_export_rows(filters=filters, today=today):
        writer.writerow([_csv_value(v) for v in export_values(row)])
        yield flush()


def debtor_xlsx(*, filters: DebtorFilter, today: date) -> bytes:
    """The report as an XLSX workbook (write-only: rows are not kept in memory)."""
    import io

    from django.utils.translation import gettext as _
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Debtors")[:31])
    bold = Font(bold=True)

    def cell(value, *, header=False):
        c = WriteOnlyCell(sheet, value=value)
        if header:
            c.font = bold
        if isinstance(value, date):
            c.number_format = "yyyy-mm-dd"
        elif isinstance(value, Decimal):
            c.number_format = "#,##0.00"
        elif isinstance(value, str) and value.startswith(FORMULA_START):
            c.data_type = "s"  # text, never a formula
        return c

    sheet.append([cell(v, header=True) for v in export_header()])
    for row in debtor_export_rows(filters=filters, today=today):
        sheet.append([cell(v) for v in export_values(row)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- demands

def demand_list(*, customer_id: int | None = None) -> QuerySet:
    """The active tenant's payment demands, newest first, with the customer and the fee's
    debit note joined; the PDF is not read."""
    from .models import PaymentDemand

    demands = PaymentDemand.objects.select_related("customer", "fee_note").defer(
        "pdf", "customer__search_text")
    if customer_id is not None:
        demands = demands.filter(customer_id=customer_id)
    return demands.order_by("-issue_date", "-id")


class DemandPage(SlicePage):
    """One page of payment demands."""


def demand_page(*, customer_id: int | None = None, page_number=1,
                per_page: int = PER_PAGE) -> DemandPage:
    """One page of ``demand_list``. Queries: one."""
    try:
        number = max(1, int(page_number or 1))
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * per_page
    rows = list(demand_list(customer_id=customer_id)[offset:offset + per_page + 1])
    return DemandPage(rows=rows[:per_page], number=number, has_next=len(rows) > per_page)


def demand_get(*, pk):
    """One demand of the active tenant with its PDF (DoesNotExist: another tenant's)."""
    from .models import PaymentDemand

    return PaymentDemand.objects.select_related("customer").get(pk=pk)


def demand_job_get(*, pk):
    """One demand job of the active tenant (DoesNotExist: another tenant's)."""
    from .models import DemandJob

    return DemandJob.objects.get(pk=pk)
