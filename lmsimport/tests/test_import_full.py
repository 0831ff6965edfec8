"""Issue 17 end to end: a realistic LMS imported, reconciled to zero differences, changed
and imported again (only the changes, nothing twice, still zero), and Abonent's first
billing run issuing what LMS's own billing would have issued for the next month."""

import ipaddress
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest

from core.tenancy import tenant_context
from customers.models import Customer
from finance import billing
from finance.models import CustomerAccount, FinanceDocument, InvoiceLine, Subscription, Tariff
from finance.money import vat_summary
from lmsimport.models import LmsMap
from lmsimport.report import report_text
from lmsimport.runner import import_run
from lmsimport.tests.generator import LmsWriter, scenario_small
from radius.models import Login

pytestmark = pytest.mark.django_db
D = Decimal
WARSAW = ZoneInfo("Europe/Warsaw")
# The rows whose counts the second run must get exactly (stage, kind).
WATCHED = [("customers", "customer"), ("tariffs", "tariff"), ("tariffs", "assignment"),
           ("nodes", "node"), ("documents", "invoice"), ("documents", "correction"),
           ("documents", "kp"), ("documents", "kw"), ("documents", "debit_note"),
           ("cash", "bank_transfer")]


@pytest.fixture
def lms(lms_db):
    with lms_db.connect() as conn:
        writer = LmsWriter(conn)
        lms_db.made = scenario_small(writer)
        lms_db.writer = writer
        yield lms_db


def counts(run, stage, kind):
    found = next(s for s in run.report["stages"] if s["name"] == stage)["counts"]
    return found.get(kind, {})


def written(run) -> dict:
    """(stage, kind) → (created, updated, deleted) of the watched rows."""
    return {key: tuple(counts(run, *key).get(c, 0) for c in ("created", "updated", "deleted"))
            for key in WATCHED}


def abonent_rows(tenant) -> dict:
    with tenant_context(tenant):
        return {"customers": Customer.objects.count(),
                "documents": FinanceDocument.objects.count(),
                "lines": InvoiceLine.objects.count(),
                "logins": Login.objects.count(), "tariffs": Tariff.objects.count(),
                "subscriptions": Subscription.objects.count(),
                "accounts": CustomerAccount.objects.count(),
                "maps": LmsMap.objects.count()}


def assert_reconciled(run):
    result = run.report["reconciliation"]
    assert result["ok"] and result["differences_total"] == 0, report_text(run.report)
    assert all(check["ok"] for check in result["checks"])


def test_import_reconciles_then_a_second_run_brings_only_the_changes(lms, tenant):
    made, w = lms.made, lms.writer
    first = import_run(tenant=tenant, dsn=lms.dsn)
    assert_reconciled(first)
    assert first.report["reconciliation"]["explained_total"] == 0
    before = abonent_rows(tenant)
    assert before["customers"] == len(made["balances"])

    # nothing changed in LMS: nothing is written
    again = import_run(tenant=tenant, dsn=lms.dsn)
    assert_reconciled(again)
    assert set(written(again).values()) == {(0, 0, 0)}
    assert abonent_rows(tenant) == before

    kowalski, nowak = made["customers"]["paid_in_full"], made["customers"]["overpaid"]
    company = made["customers"]["partly_paid"]
    node = made["ids"]["nodes"][1]  # Kowalski's (the first is the NAS)
    orphan = made["ids"]["assignments"][-1]
    w.conn.execute("UPDATE customers SET lastname = 'Kowalski-Zmieniony' WHERE id = %s",
                   [kowalski])
    w.payment(nowak, "20.00", datetime(2026, 1, 5, 12, tzinfo=WARSAW), comment="Wpłata")
    w.invoice(company, date(2026, 1, 8), [{"description": "Instalacja", "value": "150.00",
                                           "tax_id": made["taxes"]["23"]}],
              plan_id=made["plans"]["invoice"])
    newcomer = w.customer("Nowa", "Klientka", created=date(2026, 1, 2))
    w.conn.execute("UPDATE nodes SET ipaddr = %s WHERE id = %s",
                   [int(ipaddress.IPv4Address("10.10.0.20")), node])
    w.conn.execute("DELETE FROM assignments WHERE id = %s", [orphan])

    third = import_run(tenant=tenant, dsn=lms.dsn)
    assert_reconciled(third)
    changes = written(third)
    assert changes == {**dict.fromkeys(WATCHED, (0, 0, 0)),
                       ("customers", "customer"): (1, 1, 0), ("nodes", "node"): (0, 1, 0),
                       ("tariffs", "assignment"): (0, 0, 1),
                       ("documents", "invoice"): (1, 0, 0),
                       ("cash", "bank_transfer"): (1, 0, 0)}
    # the rest is counted unchanged, not rewritten
    assert counts(third, "customers", "customer")["unchanged"] == len(made["balances"]) - 1
    assert counts(third, "documents", "invoice")["unchanged"] == len(made["ids"]["invoices"])
    assert counts(third, "cash", "bank_transfer")["unchanged"] == \
        counts(first, "cash", "bank_transfer")["created"]
    after = abonent_rows(tenant)
    assert after["customers"] == before["customers"] + 1
    assert after["documents"] == before["documents"] + 2  # the invoice and the transfer
    assert after["lines"] == before["lines"] + 1
    assert (after["logins"], after["tariffs"], after["subscriptions"]) == \
        (before["logins"], before["tariffs"], before["subscriptions"])
    with tenant_context(tenant):
        mapped = dict(LmsMap.objects.filter(kind="customer").values_list("lms_id",
                                                                         "abonent_id"))
        assert Customer.objects.get(pk=mapped[kowalski]).last_name == "Kowalski-Zmieniony"
        assert Customer.objects.filter(pk=mapped[newcomer]).exists()
        assert Login.objects.get(customer_id=mapped[kowalski]).ip == "10.10.0.20"
        assert CustomerAccount.objects.get(customer_id=mapped[nowak]).balance == \
            made["balances"][nowak] + D("20.00")
        ended = Subscription.objects.get(pk=LmsMap.objects.get(kind="assignment",
                                                               lms_id=orphan).abonent_id)
        assert ended.end_date is not None

    # and once more: nothing left to do, nothing doubled
    fourth = import_run(tenant=tenant, dsn=lms.dsn)
    assert_reconciled(fourth)
    assert set(written(fourth).values()) == {(0, 0, 0)}
    assert abonent_rows(tenant) == after


# --------------------------------------------------------------------------- billing

def _day(epoch: int) -> date:
    return datetime.fromtimestamp(epoch, WARSAW).date()


def lms_would_bill(conn, year: int, month: int) -> dict[int, list[list[Decimal]]]:
    """What LMS's billing (lms-payments) charges in ``month``, from LMS's rows: LMS
    customer id → its invoices, each the list of its lines' gross amounts.

    LMS's rules, written here from its semantics: a monthly assignment (period 3) is
    charged on day ``at`` of every month while it runs (``datefrom`` on or before that day,
    ``dateto`` 0 or not before it), unless suspended, for a customer not deleted, at the
    tariff's gross ``value`` less ``pdiscount`` percent (rounded to the grosz, half up) and
    less ``vdiscount``; the charges of one customer on one day make one invoice."""
    rows = conn.execute(
        "SELECT a.customerid, a.at, a.period, a.datefrom, a.dateto, a.pdiscount, a.vdiscount,"
        " t.value, a.suspended, c.deleted FROM assignments a JOIN tariffs t ON t.id = a.tariffid"
        " JOIN customers c ON c.id = a.customerid ORDER BY a.id").fetchall()
    invoices = defaultdict(list)
    for customer, at, period, start, end, pdiscount, vdiscount, value, suspended, deleted \
            in rows:
        assert period == 3, "the scenario's assignments are monthly"
        day = date(year, month, at)
        if suspended or deleted or (start and _day(start) > day) or (end and _day(end) < day):
            continue
        gross = ((value * (100 - pdiscount) / 100).quantize(D("0.01"), ROUND_HALF_UP)
                 - vdiscount).quantize(D("0.01"))
        invoices[(customer, day)].append(gross)
    found = defaultdict(list)
    for (customer, _day_of), lines in sorted(invoices.items()):
        found[customer].append(sorted(lines))
    return dict(found)


def abonent_billed(tenant, run_date) -> dict[int, list[list[Decimal]]]:
    """LMS customer id → the invoices the billing run issued, each its lines' grosses."""
    with tenant_context(tenant):
        imported = set(LmsMap.objects.filter(kind="document").values_list("abonent_id",
                                                                          flat=True))
        to_lms = dict(LmsMap.objects.filter(kind="customer").values_list("abonent_id",
                                                                         "lms_id"))
        found = defaultdict(list)
        for doc in (FinanceDocument.objects.filter(kind="invoice", issue_date=run_date)
                    .exclude(pk__in=imported).prefetch_related("lines").order_by("id")):
            lines = sorted(sum((t.gross for t in vat_summary(
                [(line.vat_rate, line.net, line.gross)]).values()), D("0.00"))
                for line in doc.lines.all())
            assert sum(lines) == doc.debit  # one rate each: the invoice is its lines
            found[to_lms[doc.customer_id]].append(lines)
    return dict(found)


def test_first_billing_run_issues_what_lms_would_have(lms, tenant, staff):
    run = import_run(tenant=tenant, dsn=lms.dsn)
    assert_reconciled(run)
    last = lms.writer.conn.execute(
        "SELECT max(d.cdate) FROM documents d JOIN invoicecontents ic ON ic.docid = d.id "
        "WHERE d.type = 1 AND ic.tariffid IS NOT NULL").fetchone()[0]
    last = _day(last)
    year, month = (last.year + 1, 1) if last.month == 12 else (last.year, last.month + 1)
    assert (year, month) == (2026, 1)
    expected = lms_would_bill(lms.writer.conn, year, month)
    with tenant_context(tenant):
        billing.billing_run(run_date=date(year, month, 1), actor=staff)
    got = abonent_billed(tenant, date(year, month, 1))

    # the same customers, the same number of invoices and of lines each
    assert set(got) == set(expected)
    assert {c: [len(i) for i in v] for c, v in got.items()} == \
        {c: [len(i) for i in v] for c, v in expected.items()}
    # the amounts: equal to the grosz for every customer — gross-priced tariffs bill
    # LMS's gross (29.90 at 8 %, 10 % off 59.99 = 53.99), which no net price reproduces
    assert got == expected
    flagged = [p for s in run.report["stages"] for p in s["problems"]
               if p["action"] == "flagged" and p["kind"] in ("tariff", "assignment")
               and "will charge" in p["message"]]
    assert flagged == []


def test_history_before_since_comes_as_opening_balances_and_still_reconciles(lms, tenant):
    made = lms.made
    since = date(2025, 7, 1)
    run = import_run(tenant=tenant, dsn=lms.dsn, since=since)
    assert_reconciled(run)
    checks = {c["name"]: c for c in run.report["reconciliation"]["checks"]}
    later = lms.writer.conn.execute(
        "SELECT count(*) FROM documents WHERE type = 1 AND cdate >= %s",
        [int(datetime(2025, 7, 1, tzinfo=WARSAW).timestamp())]).fetchone()[0]
    assert 0 < later < len(made["ids"]["invoices"])
    assert checks["invoices"]["lms"]["count"] == checks["invoices"]["abonent"]["count"] == later
    total = str(sum(made["balances"].values(), D("0.00")))
    assert checks["balance"]["lms"] == checks["balance"]["abonent"] == total
    with tenant_context(tenant):
        assert not FinanceDocument.objects.filter(kind="invoice", issue_date__lt=since).exists()
