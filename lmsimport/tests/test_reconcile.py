"""The reconciliation: it finds what differs between LMS and Abonent, names the customer
or the month, stays silent on a clean import, and counts the importing tenant only."""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Q

from core.tenancy import tenant_context
from finance.models import Allocation, CustomerAccount, FinanceDocument
from finance.selectors import open_receivables
from finance.services import technical_issue
from lmsimport.models import LmsMap
from lmsimport.reader import LmsReader
from lmsimport.reconcile import open_receivable_totals, reconcile
from lmsimport.report import report_text
from lmsimport.runner import Context, import_run
from lmsimport.tests.generator import LmsWriter, epoch, scenario_small
from radius.models import Login

pytestmark = pytest.mark.django_db
D = Decimal
WARSAW = ZoneInfo("Europe/Warsaw")
CHECKS = ["customers", "balance", "ledger", "invoices", "corrections", "receivables",
          "logins", "ips", "tariffs", "assignments"]


def reconciled(tenant, dsn) -> dict:
    """The reconciliation of what is in Abonent now against the LMS at ``dsn``."""
    with tenant_context(tenant), LmsReader(dsn) as lms:
        return reconcile(Context(tenant=tenant, lms=lms))


def abonent_id(kind, lms_id):
    return LmsMap.objects.get(kind=kind, lms_id=lms_id).abonent_id


def found(result, check):
    return [d for d in result["differences"] if d["check"] == check]


def failed(result):
    return sorted(c["name"] for c in result["checks"] if not c["ok"])


@pytest.fixture
def lms(lms_db):
    """``scenario_small`` in a fresh LMS, with its writer kept for the test's own rows
    (a second writer would number documents from 1 again)."""
    with lms_db.connect() as conn:
        writer = LmsWriter(conn)
        lms_db.made = scenario_small(writer)
        lms_db.writer = writer
        yield lms_db


@pytest.fixture
def imported(lms, tenant):
    run = import_run(tenant=tenant, dsn=lms.dsn)
    return lms, lms.made, run


def test_clean_import_reconciles_with_no_difference(imported, tenant):
    lms, made, run = imported
    result = run.report["reconciliation"]
    assert [c["name"] for c in result["checks"]] == CHECKS
    assert result["ok"] and result["differences"] == [] and result["differences_total"] == 0
    assert all(c["ok"] for c in result["checks"])
    totals = {c["name"]: (c["lms"], c["abonent"]) for c in result["checks"]}
    assert totals["customers"] == (len(made["balances"]), len(made["balances"]))
    expected = str(sum(made["balances"].values(), D("0.00")))
    assert totals["balance"] == (expected, expected) == totals["ledger"]
    invoices = len(made["ids"]["invoices"])
    assert totals["invoices"][0]["count"] == totals["invoices"][1]["count"] == invoices
    assert totals["corrections"][0] == {"count": 2, "gross": "-118.50"}  # 79.00 and 39.50
    # the same comparison run again on its own (not through the runner) agrees
    assert reconciled(tenant, lms.dsn)["ok"]


def test_open_receivable_totals_are_the_selectors_unsettled_amounts(imported, tenant, staff):
    lms, made, _run = imported
    with tenant_context(tenant):
        from customers.models import Customer
        company = Customer.objects.get(pk=abonent_id("customer",
                                                     made["customers"]["partly_paid"]))
        # a payment that settles part of one more invoice: partial amounts on both sides
        technical_issue(actor=staff, customer=company, amount=D("33.33"), charge=False,
                        reason="test: part of an invoice")
        selector = defaultdict(lambda: D("0.00"))
        for doc in open_receivables():
            selector[doc.customer_id] += doc.left
        totals = open_receivable_totals()
    assert totals == dict(selector)
    assert totals[company.pk] == D("204.37") - D("33.33")  # 3 × 74.00 + 12.37 − 30.00 − …
    assert len(totals) >= 3


def test_a_grosz_charged_in_abonent_is_that_customers_difference(imported, tenant, staff):
    lms, made, _run = imported
    kowalski = made["customers"]["paid_in_full"]
    with tenant_context(tenant):
        customer_pk = abonent_id("customer", kowalski)
        from customers.models import Customer
        technical_issue(actor=staff, customer=Customer.objects.get(pk=customer_pk),
                        amount=D("0.01"), charge=True, reason="test: one grosz")
    result = reconciled(tenant, lms.dsn)
    assert not result["ok"]
    assert failed(result) == ["balance", "ledger", "receivables"]
    balance = made["balances"][kowalski]
    for check in ("balance", "ledger"):
        [diff] = found(result, check)
        assert (diff["lms_customer_id"], diff["abonent_customer_id"]) == (kowalski, customer_pk)
        assert (diff["lms"], diff["abonent"]) == (str(balance), str(balance - D("0.01")))
        assert diff["explained_by"] is None
    [owed] = found(result, "receivables")
    assert (owed["lms_customer_id"], owed["lms"], owed["abonent"]) == (kowalski, "0.00", "0.01")
    assert result["differences_total"] == 3


def test_cached_balance_alone_out_of_step_with_the_ledger_is_found(imported, tenant):
    lms, made, _run = imported
    nowak = made["customers"]["overpaid"]
    with tenant_context(tenant):
        CustomerAccount.objects.filter(customer_id=abonent_id("customer", nowak)).update(
            balance=D("0.00"))
    result = reconciled(tenant, lms.dsn)
    assert failed(result) == ["balance"]
    [diff] = found(result, "balance")
    assert (diff["lms_customer_id"], diff["lms"], diff["abonent"]) == (nowak, "100.00", "0.00")


def test_a_deleted_login_is_a_difference_in_logins_and_ips(imported, tenant):
    lms, made, _run = imported
    company = made["customers"]["partly_paid"]
    with tenant_context(tenant):
        company_pk = abonent_id("customer", company)
        Login.objects.filter(customer_id=company_pk, ip="10.10.0.50").delete()
    result = reconciled(tenant, lms.dsn)
    assert failed(result) == ["ips", "logins"]
    [logins] = found(result, "logins")
    assert (logins["lms_customer_id"], logins["abonent_customer_id"]) == (company, company_pk)
    assert (logins["lms"], logins["abonent"]) == (2, 1)
    [ips] = found(result, "ips")
    assert ips["lms"] == ["10.10.0.50", "192.0.2.10"] and ips["abonent"] == ["192.0.2.10"]


def test_an_ip_changed_in_abonent_is_a_difference(imported, tenant):
    lms, made, _run = imported
    kowalski = made["customers"]["paid_in_full"]
    with tenant_context(tenant):
        Login.objects.filter(customer_id=abonent_id("customer", kowalski)).update(
            ip="10.10.0.99")
    result = reconciled(tenant, lms.dsn)
    assert failed(result) == ["ips"]
    [diff] = found(result, "ips")
    assert (diff["lms"], diff["abonent"]) == (["10.10.0.10"], ["10.10.0.99"])


def test_an_invoice_missing_in_abonent_names_its_month_and_customer(imported, tenant):
    lms, made, _run = imported
    kowalski = made["customers"]["paid_in_full"]
    march = made["ids"]["invoices"][2]  # Kowalski's invoices come first: Jan, Feb, Mar …
    with tenant_context(tenant):
        doc = FinanceDocument.objects.get(pk=abonent_id("document", march))
        assert doc.issue_date == date(2025, 3, 1)
        Allocation.objects.filter(Q(receivable=doc) | Q(payment=doc)).delete()
        doc.delete()
    result = reconciled(tenant, lms.dsn)
    [month] = found(result, "invoices")
    assert month["month"] == "2025-03"
    lms_march = month["lms"]["count"]
    assert month["abonent"]["count"] == lms_march - 1
    assert D(month["lms"]["gross"]) - D(month["abonent"]["gross"]) == D("59.99")
    assert [c["lms_customer_id"] for c in month["customers"]] == [kowalski]
    assert month["lms_customer_id"] == kowalski
    assert month["customers"][0]["lms"] == {"count": 1, "gross": "59.99"}
    assert month["customers"][0]["abonent"] == {"count": 0, "gross": "0.00"}
    # the ledger lost a charge too: the customer's balance and ledger say so
    assert {d["lms_customer_id"] for d in found(result, "ledger")} == {kowalski}
    text = report_text({"stages": [], "reconciliation": result})
    assert "invoices 2025-03" in text and f"LMS customer #{kowalski}" in text
    assert "DIFF" in text


def test_an_invoice_added_in_lms_after_the_import_is_found_in_its_month(imported, tenant):
    lms, made, _run = imported
    wisniewski = made["customers"]["corrected_to_zero"]
    lms.writer.invoice(wisniewski, date(2026, 2, 10),
                       [{"description": "Instalacja", "value": "100.00",
                         "tax_id": made["taxes"]["23"]}], plan_id=made["plans"]["invoice"])
    result = reconciled(tenant, lms.dsn)
    assert failed(result) == ["balance", "invoices", "ledger", "receivables"]
    [month] = found(result, "invoices")
    assert month["month"] == "2026-02" and month["lms_customer_id"] == wisniewski
    assert (month["lms"], month["abonent"]) == ({"count": 1, "gross": "100.00"},
                                                {"count": 0, "gross": "0.00"})


def test_months_are_polish_months_to_the_edge_and_far_ahead(imported, tenant):
    lms, made, _run = imported
    nowak = made["customers"]["overpaid"]
    item = [{"description": "Usługa", "value": "1.00", "tax_id": made["taxes"]["23"]}]
    for when in (datetime(2026, 1, 31, 23, 30, tzinfo=WARSAW),  # 22:30 UTC: January
                 datetime(2026, 2, 1, 0, 30, tzinfo=WARSAW),    # still Jan 31 in UTC
                 datetime(2026, 7, 31, 23, 59, tzinfo=WARSAW),  # summer time
                 datetime(2099, 12, 31, 23, 59, tzinfo=WARSAW)):
        lms.writer.invoice(nowak, when, item, plan_id=made["plans"]["invoice"])
    result = reconciled(tenant, lms.dsn)
    months = {d["month"]: d["lms"] for d in found(result, "invoices")}
    assert months == dict.fromkeys(["2026-01", "2026-02", "2026-07", "2099-12"],
                                   {"count": 1, "gross": "1.00"})
    assert all(d["lms_customer_id"] == nowak for d in found(result, "invoices"))


def test_a_new_lms_customer_and_changed_assignments_are_found(imported, tenant):
    lms, made, _run = imported
    orphan = made["customers"]["deleted_tariff"]
    with lms.connect() as conn:  # a new assignment in LMS, and one ended long ago
        conn.execute("INSERT INTO assignments (customerid, tariffid, period, at, datefrom) "
                     "VALUES (%s, %s, 3, 1, %s)",
                     [orphan, made["ids"]["tariffs"][0], epoch(date(2025, 6, 1))])
        conn.execute("UPDATE assignments SET dateto = %s WHERE customerid = %s",
                     [epoch(date(2020, 1, 31)), made["customers"]["paid_in_full"]])
    new_customer = lms.writer.customer("Nowy", "Klient")
    result = reconciled(tenant, lms.dsn)
    assert failed(result) == ["assignments", "customers"]
    [missing] = found(result, "customers")
    assert (missing["lms_customer_id"], missing["abonent_customer_id"]) == (new_customer, None)
    diffs = {d["lms_customer_id"]: (d["lms"], d["abonent"]) for d in found(result, "assignments")}
    assert diffs == {orphan: (2, 1), made["customers"]["paid_in_full"]: (0, 1)}


def test_another_tenants_rows_never_count(lms_scenario, tenant, other_tenant, staff,
                                          other_staff):
    lms, made = lms_scenario
    import_run(tenant=tenant, dsn=lms.dsn)
    other = import_run(tenant=other_tenant, dsn=lms.dsn)
    assert other.report["reconciliation"]["ok"]
    kowalski = made["customers"]["paid_in_full"]
    with tenant_context(other_tenant):  # the other ISP's copy drifts from LMS
        from customers.models import Customer
        theirs = abonent_id("customer", kowalski)
        technical_issue(actor=other_staff, customer=Customer.objects.get(pk=theirs),
                        amount=D("5.00"), charge=False, reason="test: credit")
        Login.objects.filter(customer_id=theirs).delete()
    mine = reconciled(tenant, lms.dsn)
    assert mine["ok"] and mine["differences_total"] == 0
    with tenant_context(tenant):
        assert LmsMap.objects.filter(kind="customer").count() == len(made["balances"])
    result = reconciled(other_tenant, lms.dsn)
    assert {d["abonent_customer_id"] for d in result["differences"]} == {theirs}
    assert failed(result) == ["balance", "ips", "ledger", "logins"]


def test_skipped_rows_are_explained_by_their_report_lines(lms, tenant):
    made, w, conn = lms.made, lms.writer, lms.writer.conn
    kowalski = made["customers"]["paid_in_full"]
    # a contractor (not a customer) with an invoice: both skipped, both reported
    contractor = w.customer("Dostawca Sp. z o.o.", type=2)
    bill = w.invoice(contractor, date(2025, 4, 3),
                     [{"description": "Usługa", "value": "10.00",
                       "tax_id": made["taxes"]["23"]}], plan_id=made["plans"]["invoice"])
    # a second node with Kowalski's login: skipped
    clash = w.node(kowalski, "clash", made["ids"]["networks"][0], "10.10.0.77",
                   login=f"klient{kowalski}", passwd="x")
    # a charge without a tariff (a liability): skipped by the tariffs stage
    liability = conn.execute(
        "INSERT INTO assignments (customerid, tariffid, period, at, datefrom) "
        "VALUES (%s, NULL, 3, 1, 0) RETURNING id", [kowalski]).fetchone()[0]
    run = import_run(tenant=tenant, dsn=lms.dsn)
    result = run.report["reconciliation"]
    assert result["ok"], report_text(run.report)
    explained = {(d["check"], d.get("month")): d for d in result["explained"]}
    assert set(explained) == {("customers", None), ("invoices", "2025-04"), ("logins", None),
                              ("ips", None), ("assignments", None)}
    assert explained[("customers", None)]["lms_customer_id"] == contractor
    assert explained[("customers", None)]["explained_by"].startswith(f"customer #{contractor}")
    assert str(bill) in explained[("invoices", "2025-04")]["explained_by"]
    assert explained[("logins", None)]["explained_by"].startswith(f"node #{clash}: skipped")
    assert explained[("ips", None)]["explained_by"].startswith(f"node #{clash}")
    assert explained[("assignments", None)]["explained_by"].startswith(
        f"assignment #{liability}: skipped")
    text = report_text(run.report)
    assert "Explained by report lines (5)" in text
    assert "Reconciliation: no unexplained difference." in text


def test_a_skip_explains_only_what_it_skipped(lms, tenant):
    made = lms.made
    kowalski = made["customers"]["paid_in_full"]
    clash = lms.writer.node(kowalski, "clash", made["ids"]["networks"][0],
                            "10.10.0.77", login=f"klient{kowalski}", passwd="x")
    run = import_run(tenant=tenant, dsn=lms.dsn)
    assert run.report["reconciliation"]["explained_total"] == 2  # logins and ips
    with tenant_context(tenant):  # and Kowalski's own login lost besides
        Login.objects.filter(customer_id=abonent_id("customer", kowalski)).delete()
    with LmsReader(lms.dsn) as reader, tenant_context(tenant):
        # the run's report lines (the skipped clash) are there, the lost login is not one
        from lmsimport.report import Report
        report = Report()
        stage = report.stage("nodes")
        stage.problem(lms_id=clash, kind="node", action="skipped", message="clash")
        result = reconcile(Context(tenant=tenant, lms=reader, report=stage))
    [logins] = found(result, "logins")
    assert (logins["lms"], logins["abonent"], logins["explained_by"]) == (2, 0, None)


def test_report_text_prints_the_reconciliation_block(imported):
    _lms, _made, run = imported
    text = report_text(run.report)
    block = text[text.index("Reconciliation"):]
    for name in CHECKS:
        assert any(line.split()[:1] == [name] and line.endswith("ok")
                   for line in block.splitlines()), name
    assert block.rstrip().endswith("Reconciliation: no unexplained difference.")


def test_dry_run_reports_the_reconciliation_and_writes_nothing(lms_scenario, tenant):
    lms, _made = lms_scenario
    run = import_run(tenant=tenant, dsn=lms.dsn, dry_run=True)
    assert run.report["reconciliation"]["ok"]
    with tenant_context(tenant):
        assert not LmsMap.objects.exists()
