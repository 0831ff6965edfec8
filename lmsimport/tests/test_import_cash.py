"""The cash stage of the LMS import: payments, technical rows, opening balances, the
allocations LMS's "settled" marks give, balances — and running it again."""

import os
import time
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from core.events import EVENTS, subscribe, unsubscribe
from core.tenancy import tenant_context
from customers.models import Customer
from finance import services
from finance.models import (
    Allocation,
    CashRegister,
    CustomerAccount,
    FinanceDocument,
    InvoiceLine,
    Kind,
)
from lmsimport.models import ImportRun, LmsMap
from lmsimport.runner import import_run
from lmsimport.tests.generator import LmsWriter, scenario_small
from lmsimport.tests.test_import_documents import (
    abonent,
    balances_of,
    customer,
    doc,
    lms_balances,
    lms_rows,
    problems,
    settlement,
    stage,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def lms(lms_db):
    """The scenario, with its writer kept (``.writer``) to change LMS between runs."""
    conn = lms_db.connect()
    lms_db.writer = LmsWriter(conn)
    lms_db.made = scenario_small(lms_db.writer)
    yield lms_db
    conn.close()


def snapshot(tenant):
    """The ledger as plain values: equal snapshots = the run wrote nothing."""
    with tenant_context(tenant):
        return (
            sorted(FinanceDocument.objects.values_list(
                "id", "customer_id", "kind", "number", "issue_date", "debit", "credit",
                "corrects_id", "cash_register_id", "title")),
            sorted(InvoiceLine.objects.values_list("id", "document_id", "net_unit_price")),
            sorted(Allocation.objects.values_list("id", "payment_id", "receivable_id",
                                                  "amount")),
            sorted(CustomerAccount.objects.values_list("customer_id", "balance")),
        )


def open_receivables(customer_pk) -> Decimal:
    """What the customer still owes, document by document (debit − allocated)."""
    total = D("0.00")
    for document in FinanceDocument.objects.filter(customer_id=customer_pk, debit__gt=0):
        paid = sum(a.amount for a in Allocation.objects.filter(receivable=document))
        total += document.debit - paid
    return total


def unallocated_credit(customer_pk) -> Decimal:
    total = D("0.00")
    for document in FinanceDocument.objects.filter(customer_id=customer_pk, credit__gt=0):
        used = sum(a.amount for a in Allocation.objects.filter(payment=document))
        total += document.credit - used
    return total


def test_payments_become_bank_transfers_and_settle_as_lms_says(lms, tenant):
    run = import_run(tenant=tenant, dsn=lms.dsn)
    assert run.status == ImportRun.Status.DONE
    made = lms.made
    payments = lms_rows(lms, "SELECT count(*) FROM cash WHERE docid IS NULL AND type = 1 "
                             "AND value > 0")[0][0]
    assert stage(run, "cash")["counts"]["bank_transfer"]["created"] == payments
    with tenant_context(tenant):
        assert FinanceDocument.objects.filter(kind=Kind.BANK_TRANSFER).count() == payments
        # paid in full, each invoice marked settled in LMS: settled here too
        kowalski = customer(made, "paid_in_full")
        invoices = FinanceDocument.objects.filter(customer=kowalski, kind=Kind.INVOICE)
        assert {settlement(i) for i in invoices} == {"settled"}
        # the company: nine paid and settled in LMS, one partly (30.00 of 74.00), two open
        company = customer(made, "partly_paid")
        statuses = [settlement(i) for i in FinanceDocument.objects.filter(
            customer=company, kind=Kind.INVOICE).order_by("issue_date")]
        assert statuses == ["settled"] * 9 + ["partially_settled"] + ["unsettled"] * 2
        assert open_receivables(company.pk) == -made["balances"][made["customers"]
                                                                  ["partly_paid"]]
        transfer = FinanceDocument.objects.filter(customer=company,
                                                  kind=Kind.BANK_TRANSFER).first()
        assert transfer.bank_account == "10102010260000120200000001"[-26:] or \
            transfer.bank_account.endswith("0000120200000001")


def test_overpayment_stays_unallocated(lms, tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    made = lms.made
    with tenant_context(tenant):
        nowak = customer(made, "overpaid")
        assert CustomerAccount.objects.get(customer=nowak).balance == D("100.00")
        assert unallocated_credit(nowak.pk) == D("100.00")
        assert open_receivables(nowak.pk) == 0
        assert {settlement(i) for i in FinanceDocument.objects.filter(
            customer=nowak, kind=Kind.INVOICE)} == {"settled"}


def test_open_receivables_per_customer_equal_what_lms_shows_unpaid(lms, tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    with tenant_context(tenant):
        for lms_id, balance in lms.made["balances"].items():
            pk = abonent("customer", lms_id)
            owed, credit = open_receivables(pk), unallocated_credit(pk)
            assert credit - owed == balance, lms_id
            assert owed == 0 or credit == 0, lms_id  # nothing left both owed and paid


def test_import_publishes_no_event(lms, tenant):
    heard = []

    def listen(**data):
        heard.append(data)

    for name in EVENTS:
        subscribe(name, listen)
    try:
        import_run(tenant=tenant, dsn=lms.dsn)
    finally:
        for name in EVENTS:
            unsubscribe(name, listen)
    assert heard == []


def test_second_run_writes_nothing_and_says_unchanged(lms, tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    before = snapshot(tenant)
    run = import_run(tenant=tenant, dsn=lms.dsn)
    assert snapshot(tenant) == before
    documents, cash = stage(run)["counts"], stage(run, "cash")["counts"]
    assert documents["invoice"]["created"] == documents["invoice"]["updated"] == 0
    assert documents["invoice"]["unchanged"] == len(lms.made["ids"]["invoices"])
    assert cash["bank_transfer"]["unchanged"] == cash["bank_transfer"]["read"] > 0
    assert cash["bank_transfer"]["created"] == 0
    # the grosz-off invoice is still said on the second run
    bad = next(b for b in lms.made["broken"] if b["kind"] == "invoice_sum_mismatch")
    assert [p["lms_id"] for p in problems(run) if p["lms_id"] == bad["id"]] == [bad["id"]]


def _read_kind(query: str) -> str:
    return ("documents" if "FROM documents" in query else "cash" if "FROM cash " in query
            else "customers")


def test_a_rerun_reads_again_only_the_rows_lms_changed(lms, tenant, monkeypatch):
    """The re-run compares fingerprints in SQL (LMS's streamed into a temporary table,
    joined with the mappings): unchanged customers, documents and payments are not read
    again. Were the digest computed there not the one the stages store, every row would
    be. The fingerprints are read ahead on a second LMS connection of the run's snapshot:
    a payment LMS books meanwhile is not half-seen by this run, it is the next run's."""
    from lmsimport import runner
    from lmsimport.reader import LmsReader

    first = import_run(tenant=tenant, dsn=lms.dsn)
    transfers = stage(first, "cash")["counts"]["bank_transfer"]["created"]
    made = lms.made
    edited = made["ids"]["invoices"][0]
    lms.writer.invoice_edit(edited, 1, "70.00")
    paid = lms.writer.payment(made["customers"]["paid_in_full"], D("10.01"), date(2026, 11, 20))
    read, readers = [], set()
    by_ids = LmsReader.by_ids

    def spy(self, query, ids, params=()):
        read.append((_read_kind(query), list(ids)))
        readers.add(self.conn.info.backend_pid)
        yield from by_ids(self, query, ids, params)

    monkeypatch.setattr(LmsReader, "by_ids", spy)
    fetched, later = [], []
    fetch = runner._fingerprints_fetch

    def fetch_spy(reader, query, params):  # on the second connection, in the thread
        fetched.append((_read_kind(query), reader.conn.info.backend_pid))
        if not later:  # LMS books a payment while the run is under way
            later.append(lms.writer.payment(made["customers"]["paid_in_full"], D("3.03"),
                                            date(2026, 11, 21)))
        return fetch(reader, query, params)

    monkeypatch.setattr(runner, "_fingerprints_fetch", fetch_spy)
    run = import_run(tenant=tenant, dsn=lms.dsn)
    assert sorted(kind for kind, _pid in fetched) == ["cash", "customers", "documents"]
    forks = {pid for _kind, pid in fetched}
    assert len(forks) == 1 and not forks & readers  # one other connection than the run's
    assert dict(read) == {"customers": [], "documents": [edited], "cash": [paid]}
    documents, cash = stage(run)["counts"], stage(run, "cash")["counts"]
    assert documents["invoice"]["updated"] == 1
    assert documents["invoice"]["unchanged"] == len(made["ids"]["invoices"]) - 1
    assert cash["bank_transfer"]["created"] == 1
    assert cash["bank_transfer"]["unchanged"] == transfers
    with tenant_context(tenant):
        assert open_receivables(customer(made, "paid_in_full").pk) == D("0.00")
        assert not FinanceDocument.objects.filter(number=f"LMS/{later[0]}").exists()
    read.clear()
    again = import_run(tenant=tenant, dsn=lms.dsn)  # only the payment booked meanwhile
    assert dict(read) == {"customers": [], "documents": [], "cash": later}
    assert stage(again)["counts"]["invoice"]["unchanged"] == len(made["ids"]["invoices"])
    with tenant_context(tenant):
        assert FinanceDocument.objects.get(number=f"LMS/{later[0]}").credit == D("3.03")


def test_an_invoice_edited_in_lms_is_updated_and_reallocated(lms, tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    made = lms.made
    kowalski_lms = made["customers"]["paid_in_full"]
    edited = made["ids"]["invoices"][0]  # Kowalski's first, paid and settled
    lms.writer.invoice_edit(edited, 1, "70.00")
    run = import_run(tenant=tenant, dsn=lms.dsn)
    assert stage(run)["counts"]["invoice"]["updated"] == 1
    with tenant_context(tenant):
        invoice = doc(edited)
        assert invoice.debit == D("70.00")
        assert invoice.lines.get().net_unit_price == D("56.91")
        kowalski = customer(made, "paid_in_full")
        assert CustomerAccount.objects.get(customer=kowalski).balance == D("-10.01")
        assert open_receivables(kowalski.pk) == D("10.01")
        assert FinanceDocument.objects.filter(kind=Kind.INVOICE).count() == \
            len(made["ids"]["invoices"])
    assert balances_of(tenant, made)[kowalski_lms] == (D("-10.01"), D("-10.01"))
    assert lms_balances(lms)[kowalski_lms] == D("-10.01")


def test_a_document_and_a_payment_deleted_in_lms_are_removed(lms, tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    made = lms.made
    gone_invoice = made["ids"]["invoices"][-1]
    gone_payment = made["ids"]["payments"][0]
    with tenant_context(tenant):
        invoice_pk = abonent("document", gone_invoice)
        payment_pk = abonent("cash", gone_payment)
    lms.writer.document_delete(gone_invoice)
    lms.writer.cash_delete(gone_payment)
    run = import_run(tenant=tenant, dsn=lms.dsn)
    assert stage(run)["counts"]["document"]["deleted"] == 1
    assert stage(run, "cash")["counts"]["cash"]["deleted"] == 1
    expected = lms_balances(lms)
    with tenant_context(tenant):
        assert not FinanceDocument.objects.filter(pk__in=[invoice_pk, payment_pk]).exists()
        assert not LmsMap.objects.filter(kind="document", lms_id=gone_invoice).exists()
    assert {k: v[0] for k, v in balances_of(tenant, made).items()} == expected
    assert {k: v[1] for k, v in balances_of(tenant, made).items()} == expected
    with tenant_context(tenant):  # Kowalski's first invoice lost its payment: open again
        first = doc(made["ids"]["invoices"][0])
        assert settlement(first) in ("unsettled", "settled")
        kowalski = customer(made, "paid_in_full")
        assert open_receivables(kowalski.pk) == D("59.99")


def test_a_deleted_document_abonent_depends_on_stays(lms, tenant, staff):
    import_run(tenant=tenant, dsn=lms.dsn)
    made = lms.made
    target = lms_rows(lms, "SELECT max(id) FROM documents WHERE type = 1 AND customerid = %s",
                      (made["customers"]["partly_paid"],))[0][0]  # the company's last, open
    with tenant_context(tenant):
        company = customer(made, "partly_paid")
        invoice = doc(target)
        kp = services.kp_issue(actor=staff, customer=company,
                               register=CashRegister.objects.get(),
                               invoices=[invoice], issue_date=date(2026, 1, 5))
    lms.writer.document_delete(target)
    run = import_run(tenant=tenant, dsn=lms.dsn)
    with tenant_context(tenant):
        assert FinanceDocument.objects.filter(pk=invoice.pk).exists()
        assert Allocation.objects.filter(payment=kp, receivable=invoice).exists()
    kept = [p for p in problems(run) if p["lms_id"] == target]
    assert [p["action"] for p in kept] == ["flagged"]


def test_since_brings_history_as_opening_balances(lms, tenant):
    since = date(2025, 7, 1)
    run = import_run(tenant=tenant, dsn=lms.dsn, since=since)
    assert run.status == ImportRun.Status.DONE
    made = lms.made
    assert balances_of(tenant, made) == {k: (v, v) for k, v in made["balances"].items()}
    with tenant_context(tenant):
        assert not FinanceDocument.objects.filter(issue_date__lt=date(2025, 6, 30)).exists()
        openings = FinanceDocument.objects.filter(kind=Kind.TECHNICAL,
                                                  issue_date=date(2025, 6, 30))
        assert openings.exists()
        with translation.override(settings.LANGUAGE_CODE):  # printed in the site's language
            assert {o.title for o in openings} == {str(_("Opening balance from LMS"))}
        kowalski = customer(made, "paid_in_full")
        assert not openings.filter(customer=kowalski).exists()  # paid up: nothing to open
        company = customer(made, "partly_paid")
        opening = openings.get(customer=company)
        assert opening.debit == D("74.00") * 6  # six invoices unpaid before July
        invoices = FinanceDocument.objects.filter(kind=Kind.INVOICE,
                                                  customer=company).count()
        assert invoices == 6
    again = import_run(tenant=tenant, dsn=lms.dsn, since=since)
    assert stage(again, "cash")["counts"]["opening"]["unchanged"] > 0
    assert balances_of(tenant, made) == {k: (v, v) for k, v in made["balances"].items()}


def test_a_since_rerun_compares_only_the_history_it_imports(lms, tenant, monkeypatch):
    """With --since, a re-run's comparison covers the documents and cash from that date:
    what LMS changed after it is read again, a payment booked before it changes only the
    customer's opening balance, and the history left out is never taken as gone."""
    from lmsimport.reader import LmsReader

    since = date(2025, 7, 1)
    made = lms.made
    import_run(tenant=tenant, dsn=lms.dsn, since=since)
    company = made["customers"]["partly_paid"]
    with lms.connect() as conn:
        edited = conn.execute(
            "SELECT min(id) FROM documents WHERE customerid = %s AND type = 1 "
            "AND cdate >= extract(epoch FROM %s::date)", (company, since)).fetchone()[0]
    lms.writer.invoice_edit(edited, 1, "70.00")
    late = lms.writer.payment(company, D("20.00"), date(2025, 12, 1))
    early = lms.writer.payment(company, D("15.00"), date(2025, 3, 1))  # before --since
    read = []
    by_ids = LmsReader.by_ids

    def spy(self, query, ids, params=()):
        read.append((_read_kind(query), list(ids)))
        yield from by_ids(self, query, ids, params)

    monkeypatch.setattr(LmsReader, "by_ids", spy)
    run = import_run(tenant=tenant, dsn=lms.dsn, since=since)

    assert dict(read) == {"customers": [], "documents": [edited], "cash": [late]}
    counts = stage(run, "cash")["counts"]
    assert counts["opening"]["updated"] == 1  # the company's, by the early payment
    assert counts["bank_transfer"]["created"] == 1
    assert sum(c["deleted"] for c in stage(run)["counts"].values()) == 0
    assert run.report["reconciliation"]["ok"]
    with tenant_context(tenant):
        assert not FinanceDocument.objects.filter(number=f"LMS/{early}").exists()
        opening = FinanceDocument.objects.get(customer=customer(made, "partly_paid"),
                                              kind=Kind.TECHNICAL,
                                              issue_date=date(2025, 6, 30))
        assert opening.debit == D("74.00") * 6 - D("15.00")


def test_a_write_failing_behind_a_stage_fails_the_run_and_leaves_nothing(lms, tenant,
                                                                          monkeypatch):
    """The documents are copied behind the stage's work (``runner.WriteBehind``): a copy
    that fails is the run's failure, and the run's one transaction takes everything back."""
    from lmsimport.stages import documents

    def broken(ctx, copies, fresh):
        raise RuntimeError("disk full")

    monkeypatch.setattr(documents, "_copies_write", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        import_run(tenant=tenant, dsn=lms.dsn)
    with tenant_context(tenant):
        run = ImportRun.objects.get()
        assert run.status == ImportRun.Status.FAILED and "disk full" in run.error
        assert not Customer.objects.exists()
        assert not FinanceDocument.objects.exists()
        assert not LmsMap.objects.exists()


def test_cash_of_another_tenant_is_not_touched(lms, tenant, other_tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    import_run(tenant=other_tenant, dsn=lms.dsn)  # the same LMS into a second ISP
    with tenant_context(tenant):
        mine = FinanceDocument.objects.count()
        assert CustomerAccount.objects.count() == Customer.objects.count()
    with tenant_context(other_tenant):
        assert FinanceDocument.objects.count() == mine
    assert balances_of(other_tenant, lms.made) == {
        k: (v, v) for k, v in lms.made["balances"].items()}


@pytest.mark.skipif(not os.environ.get("LMS_BENCH"),
                    reason="speed test: LMS_BENCH=<customers> to run it")
def test_money_stages_speed(lms_db, tenant):
    """LMS_BENCH=2000: 2,000 customers × 12 invoices and payments; prints documents/s."""
    from lmsimport.stages import cash, customers, documents
    from lmsimport.tests.generator import scenario_ledger_bulk

    with lms_db.connect() as conn:
        made = scenario_ledger_bulk(LmsWriter(conn), customers=int(os.environ["LMS_BENCH"]))
    took = {}

    def timed(name, stage):
        def run(ctx):
            began = time.perf_counter()
            stage(ctx)
            took[name] = time.perf_counter() - began
        return run

    stages = [(n, timed(n, m.run)) for n, m in (("customers", customers),
                                                ("documents", documents), ("cash", cash))]
    if os.environ.get("LMS_PROFILE"):
        import cProfile
        import pstats
        profile = cProfile.Profile()
        run = profile.runcall(import_run, tenant=tenant, dsn=lms_db.dsn, stages=stages)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
    else:
        run = import_run(tenant=tenant, dsn=lms_db.dsn, stages=stages)
    assert run.status == ImportRun.Status.DONE
    rows = made["invoices"] + made["payments"]
    print(f"\nmoney stages: {took} — {rows / (took['documents'] + took['cash']):.0f} rows/s")
    again = {}
    took.clear()
    run = import_run(tenant=tenant, dsn=lms_db.dsn, stages=stages)
    again.update(took)
    print(f"second run: {again}")
    with tenant_context(tenant):
        assert FinanceDocument.objects.count() == rows
        assert not CustomerAccount.objects.exclude(balance=0).exists()
