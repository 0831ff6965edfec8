"""Finance's tiles on the home page (``core.dashboard``) and the reads behind them and the
lists they open: the unidentified bank lines, the customers with overdue receivables
("dłużnicy") and today's payments."""

from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Min, OuterRef, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dashboard import DashboardTile, register_dashboard_tile

from .models import Allocation, BankLine, FinanceDocument, Kind
from .selectors import subquery_sum

ZERO = Decimal("0.00")
# The documents by which a customer pays: money in at the desk or by the bank.
PAYMENT_KINDS = (Kind.KP, Kind.BANK_TRANSFER)


def overdue_receivables(*, today: date) -> QuerySet:
    """The active tenant's receivables past due on ``today`` with something left to pay,
    each with ``left`` and ``due``: the rule of ``selectors.open_receivable_list`` (debit
    less every link to it) and ``selectors.overdue_summary`` (due date, else issue date,
    before today), set-based for the whole tenant."""
    return (FinanceDocument.objects.filter(debit__gt=0)
            .annotate(due=Coalesce("due_date", "issue_date")).filter(due__lt=today)
            .annotate(left=F("debit") - subquery_sum(Allocation.objects.filter(
                receivable=OuterRef("pk")), F("amount")))
            .filter(left__gt=0))


def debtor_rows(*, today: date) -> QuerySet:
    """Customers with overdue receivables, most owed first: rows of ``customer_id``,
    ``overdue`` (the amount), ``oldest_due``, ``documents`` (how many). One query; page it
    and ``debtor_customers_attach`` the page."""
    return (overdue_receivables(today=today).order_by().values("customer_id")
            .annotate(overdue=Sum("left"), oldest_due=Min("due"), documents=Count("id"))
            .order_by("-overdue", "customer_id"))


def debtor_customers_attach(rows) -> list[dict]:
    """``rows`` of ``debtor_rows`` with ``customer`` each. Queries: one."""
    from customers.models import Customer

    rows = list(rows)
    customers = Customer.objects.defer("search_text").in_bulk([r["customer_id"] for r in rows])
    for row in rows:
        row["customer"] = customers[row["customer_id"]]
    return rows


def overdue_totals(*, today: date) -> tuple[int, Decimal]:
    """How many customers are overdue on ``today`` and by how much in all. One query."""
    totals = overdue_receivables(today=today).aggregate(
        n=Count("customer_id", distinct=True), amount=Sum("left"))
    return totals["n"], totals["amount"] or ZERO


def payment_totals(*, day: date) -> tuple[int, Decimal]:
    totals = FinanceDocument.objects.filter(kind__in=PAYMENT_KINDS, issue_date=day).aggregate(
        n=Count("id"), amount=Sum("credit"))
    return totals["n"], totals["amount"] or ZERO


def payment_list(*, day: date) -> QuerySet:
    """The payments (KP, bank transfers) dated ``day``, in the order recorded, with their
    customer and cash register."""
    return (FinanceDocument.objects.filter(kind__in=PAYMENT_KINDS, issue_date=day)
            .select_related("customer", "cash_register").defer("customer__search_text")
            .order_by("id"))


# --------------------------------------------------------------------------- tiles

def _bank_unidentified(request):
    totals = BankLine.objects.filter(status=BankLine.Status.UNIDENTIFIED).aggregate(
        n=Count("id"), amount=Sum("amount"))
    return totals["n"], totals["amount"] or ZERO


def _overdue(request):
    return overdue_totals(today=timezone.localdate())


def _payments_today(request):
    return payment_totals(day=timezone.localdate())


def register_tiles() -> None:
    register_dashboard_tile(DashboardTile(
        key="finance.bank_unidentified", title=_("Unidentified payments"), order=10,
        count=_bank_unidentified, url="finance:bank_unidentified",
        permission="finance.view_bankline"))
    register_dashboard_tile(DashboardTile(
        key="finance.overdue", title=_("Overdue customers"), order=50, count=_overdue,
        url="finance:debtors", permission="finance.view_financedocument"))
    register_dashboard_tile(DashboardTile(
        key="finance.payments_today", title=_("Today's payments"), order=60,
        count=_payments_today, url="finance:payments",
        permission="finance.view_financedocument"))
