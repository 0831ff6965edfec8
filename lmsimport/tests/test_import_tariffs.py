"""The tariffs stage of the LMS import: tariffs, assignments, suspensions, billed_until."""

from datetime import date
from decimal import Decimal

import pytest

from core.tenancy import tenant_context
from finance import billing
from finance.models import FinanceDocument, Subscription, Suspension, Tariff
from lmsimport.models import ImportRun, LmsMap
from lmsimport.runner import import_run
from lmsimport.stages import tariffs as lms_tariffs
from lmsimport.stages.tariffs import discount_percent
from lmsimport.tests.generator import LmsWriter, epoch, scenario_small

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def lms(lms_db):
    with lms_db.connect() as conn:
        lms_db.made = scenario_small(LmsWriter(conn))
    return lms_db


def stage(run):
    return next(s for s in run.report["stages"] if s["name"] == "tariffs")


def problems(run, kind):
    return [p for p in stage(run)["problems"] if p["kind"] == kind]


def abonent_id(kind, lms_id):
    return LmsMap.objects.get(kind=kind, lms_id=lms_id).abonent_id


def subscription_of(made, role, tariff_index=None):
    customer = abonent_id("customer", made["customers"][role])
    subs = Subscription.objects.filter(customer_id=customer).order_by("id")
    if tariff_index is None:
        return subs.get()
    tariff = abonent_id("tariff", made["ids"]["tariffs"][tariff_index])
    return subs.get(tariff_id=tariff)


def snapshot(tenant):
    with tenant_context(tenant):
        return (
            sorted(Tariff.objects.values_list("id", "name", "net_price", "vat_rate", "period",
                                              "download_kbps", "upload_kbps", "is_active")),
            sorted(Subscription.objects.values_list("id", "customer_id", "tariff_id",
                                                    "start_date", "end_date", "discount",
                                                    "billed_until", "cycles_billed")),
            sorted(Suspension.objects.values_list("id", "subscription_id", "date_from",
                                                  "date_to")),
        )


def test_tariffs_keep_lms_price_vat_speeds_and_state(lms, tenant):
    made = lms.made
    run = import_run(tenant=tenant, dsn=lms.dsn)
    assert run.status == ImportRun.Status.DONE
    t100, t300, tv, old = made["ids"]["tariffs"]
    with tenant_context(tenant):
        internet = Tariff.objects.get(pk=abonent_id("tariff", t100))
        # LMS's 59.99 is gross: a gross-priced tariff (its net part 48.77 for lists)
        assert (internet.name, internet.gross_price, internet.net_price,
                internet.vat_rate) == ("Internet 100", D("59.99"), D("48.77"), "23")
        assert (internet.download_kbps, internet.upload_kbps) == (100000, 20000)
        assert internet.period == Tariff.Period.MONTHLY and internet.is_active
        television = Tariff.objects.get(pk=abonent_id("tariff", tv))
        assert (television.gross_price, television.net_price, television.vat_rate) == \
            (D("29.90"), D("27.69"), "8")
        assert television.download_kbps is None
        assert not Tariff.objects.get(pk=abonent_id("tariff", old)).is_active
    assert stage(run)["counts"]["tariff"]["created"] == 4
    # 29.90 gross at 8 % has no net price in grosze (27.69 → 29.91), but a gross-priced
    # tariff keeps it: the only line is the withdrawn tariff's
    assert [(p["lms_id"], p["action"]) for p in problems(run, "tariff")] == [(old, "flagged")]


def test_assignments_become_subscriptions_billed_up_to_lms_last_invoice(lms, tenant):
    made = lms.made
    run = import_run(tenant=tenant, dsn=lms.dsn)
    with tenant_context(tenant):
        paid = subscription_of(made, "paid_in_full")
        assert paid.start_date == date(2024, 3, 1) and paid.end_date is None
        # LMS invoiced January … December 2025: the next period is January 2026
        assert paid.billed_until == date(2025, 12, 31)
        assert paid.cycles_billed == 12
        assert subscription_of(made, "overpaid").discount == D("10.00")
        # 5 zł off 79.00 gross → a percentage that gives LMS's 74.00 gross
        company = subscription_of(made, "partly_paid")
        assert billing.period_gross(company, company.tariff, date(2026, 1, 1),
                                    date(2026, 1, 31), 31) == D("74.00")
        tv_internet = subscription_of(made, "tv_suspended", tariff_index=0)
        suspension = tv_internet.suspensions.get()
        assert suspension.date_from == date(2026, 1, 1)
        assert suspension.date_to == date.max
        assert not subscription_of(made, "tv_suspended", tariff_index=2).suspensions.exists()
        orphan = subscription_of(made, "deleted_tariff")
        assert not orphan.tariff.is_active
    flagged = [p for p in problems(run, "assignment") if p["action"] == "flagged"]
    # 10 % off 59.99 is 53.99 in LMS and in Abonent (from gross; the net method gave 53.98):
    # the only line left is the withdrawn tariff's
    assert [p["lms_id"] for p in flagged] == [made["ids"]["assignments"][-1]]
    assert "withdrawn" in flagged[0]["message"]
    assert stage(run)["counts"]["assignment"]["created"] == len(made["ids"]["assignments"])


def test_first_billing_run_bills_january_once_for_every_assignment(lms, tenant, staff):
    made = lms.made
    import_run(tenant=tenant, dsn=lms.dsn)
    with tenant_context(tenant):
        imported = set(FinanceDocument.objects.filter(kind="invoice")
                       .values_list("pk", flat=True))  # LMS's own, by the documents stage
        billing.billing_run(run_date=date(2026, 1, 1), actor=staff)
        issued = list(FinanceDocument.objects.filter(kind="invoice").exclude(pk__in=imported))
        # kowalski, company, nowak, wiśniewski, the TV customer (internet suspended),
        # the withdrawn tariff's customer: one invoice each, January 2026 only
        assert len(issued) == 6
        paid = subscription_of(made, "paid_in_full")
        assert paid.billed_until == date(2026, 1, 31)
        by_customer = {d.customer_id: d.debit for d in issued}
        assert by_customer[paid.customer_id] == D("59.99")
        assert by_customer[subscription_of(made, "partly_paid").customer_id] == D("74.00")
        tv_customer = subscription_of(made, "tv_suspended", tariff_index=2).customer_id
        assert by_customer[tv_customer] == D("29.90")  # LMS's gross, to the grosz
        assert by_customer[subscription_of(made, "overpaid").customer_id] == D("53.99")
        # the same run again issues nothing: no period twice
        billing.billing_run(run_date=date(2026, 1, 1), actor=staff)
        assert FinanceDocument.objects.filter(kind="invoice").exclude(
            pk__in=imported).count() == 6


def test_second_run_changes_nothing_and_lms_changes_are_updated(lms, tenant, staff):
    made = lms.made
    import_run(tenant=tenant, dsn=lms.dsn)
    before = snapshot(tenant)
    again = import_run(tenant=tenant, dsn=lms.dsn)
    assert snapshot(tenant) == before
    assert stage(again)["counts"]["assignment"]["created"] == 0
    assert stage(again)["counts"]["assignment"]["updated"] == 0
    assert stage(again)["counts"]["tariff"]["updated"] == 0

    t100 = made["ids"]["tariffs"][0]
    first = made["ids"]["assignments"][0]
    with lms.connect() as conn:
        conn.execute("UPDATE tariffs SET value = 61.50 WHERE id = %s", [t100])
        conn.execute("UPDATE assignments SET dateto = %s WHERE id = %s",
                     [epoch(date(2026, 3, 31)), first])
        conn.execute("UPDATE assignments SET suspended = 0 WHERE customerid = %s",
                     [made["customers"]["tv_suspended"]])
    with tenant_context(tenant):  # Abonent billed January meanwhile
        billing.billing_run(run_date=date(2026, 1, 1), actor=staff)
    third = import_run(tenant=tenant, dsn=lms.dsn)
    with tenant_context(tenant):
        changed = Tariff.objects.get(pk=abonent_id("tariff", t100))
        assert (changed.gross_price, changed.net_price) == (D("61.50"), D("50.00"))
        sub = Subscription.objects.get(pk=abonent_id("assignment", first))
        assert sub.end_date == date(2026, 3, 31)
        # what Abonent billed stays billed: LMS's older last invoice does not move it back
        assert sub.billed_until == date(2026, 1, 31)
        tv_internet = subscription_of(made, "tv_suspended", tariff_index=0)
        # resumed in LMS: the suspension ends with January, which Abonent dealt with
        assert list(tv_internet.suspensions.values_list("date_from", "date_to")) == [
            (date(2026, 1, 1), date(2026, 1, 31))]
        assert Subscription.objects.count() == len(made["ids"]["assignments"])
    assert stage(third)["counts"]["tariff"]["updated"] == 1
    assert stage(third)["counts"]["assignment"]["updated"] == 2


def test_tariffs_are_per_tenant(lms, tenant, other_tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    import_run(tenant=other_tenant, dsn=lms.dsn)
    with tenant_context(tenant):
        mine = set(Tariff.objects.values_list("pk", flat=True))
    with tenant_context(other_tenant):
        theirs = set(Tariff.objects.values_list("pk", flat=True))
        assert Subscription.objects.count() == len(lms.made["ids"]["assignments"])
    assert mine and theirs and not mine & theirs


@pytest.mark.parametrize(("net", "gross", "p", "v", "percent", "target"), [
    (D("48.77"), D("59.99"), 10, 0, D("10.00"), D("53.99")),
    (D("64.23"), D("79.00"), 0, 5, D("6.33"), D("74.00")),
    (D("64.23"), D("79.00"), 0, 0, D("0.00"), D("79.00")),
    (D("64.23"), D("79.00"), 0, 80, D("100.00"), D("0.00")),  # more off than the price
    (D("24.31"), D("29.90"), 0, "4.99", D("16.69"), D("24.91")),
])
def test_discount_percent_of_lms_discounts(net, gross, p, v, percent, target):
    for tariff in (Tariff(net_price=net, gross_price=gross, vat_rate="23"),
                   Tariff(net_price=net, vat_rate="23")):
        found, expected = discount_percent(tariff, gross, p, v)
        assert expected == target
        if tariff.gross_price is not None:  # from gross, the percentage gives LMS's gross
            assert (found, lms_tariffs.period_gross(tariff, found)) == (percent, target)


def test_resumed_before_billing_deleted_and_liability_rows(lms, tenant):
    made = lms.made
    import_run(tenant=tenant, dsn=lms.dsn)
    first = made["ids"]["assignments"][0]
    with lms.connect() as conn:
        conn.execute("UPDATE assignments SET suspended = 0 WHERE customerid = %s",
                     [made["customers"]["tv_suspended"]])
        conn.execute("DELETE FROM assignments WHERE id = %s", [first])
        liability = conn.execute(
            "INSERT INTO assignments (customerid, tariffid, period, at, datefrom) "
            "VALUES (%s, NULL, 3, 1, 0) RETURNING id",
            [made["customers"]["paid_in_full"]]).fetchone()[0]
    run = import_run(tenant=tenant, dsn=lms.dsn)
    with tenant_context(tenant):
        tv_internet = subscription_of(made, "tv_suspended", tariff_index=0)
        assert not tv_internet.suspensions.exists()  # nothing of it was billed: it goes
        gone = Subscription.objects.get(pk=abonent_id("assignment", first))
        assert gone.end_date == date(2025, 12, 31)  # ends with what LMS billed
        assert Subscription.objects.count() == len(made["ids"]["assignments"])
    assert stage(run)["counts"]["assignment"]["deleted"] == 1
    assert stage(run)["counts"]["suspension"]["deleted"] == 1
    skipped = [p for p in problems(run, "assignment") if p["action"] == "skipped"]
    assert [p["lms_id"] for p in skipped] == [liability]


def test_dry_run_writes_no_tariff(lms, tenant):
    run = import_run(tenant=tenant, dsn=lms.dsn, dry_run=True)
    assert stage(run)["counts"]["tariff"]["created"] == 4
    with tenant_context(tenant):
        assert not Tariff.objects.exists() and not Subscription.objects.exists()
