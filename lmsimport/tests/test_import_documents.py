"""The documents stage of the LMS import: invoices, corrections, KP/KW, debit notes, their
numbers and number plans, against a real LMS database written by the generator."""

from datetime import date
from decimal import Decimal

import pytest

from core.tenancy import tenant_context
from customers.models import Customer
from finance import services
from finance.models import (
    Allocation,
    CashPosition,
    CashRegister,
    CustomerAccount,
    FinanceDocument,
    InvoiceLine,
    Kind,
)
from finance.numbering import number_pattern
from lmsimport.models import ImportRun, LmsMap
from lmsimport.runner import import_run
from lmsimport.tests.generator import LmsWriter, scenario_small

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def lms(lms_db):
    """The LMS database with the small scenario written; ``.made`` is what it returned."""
    with lms_db.connect() as conn:
        lms_db.made = scenario_small(LmsWriter(conn))
    return lms_db


def stage(run, name="documents"):
    return next(s for s in run.report["stages"] if s["name"] == name)


def problems(run, name="documents"):
    return stage(run, name)["problems"]


def abonent(kind, lms_id):
    return LmsMap.objects.get(kind=kind, lms_id=lms_id).abonent_id


def doc(lms_id) -> FinanceDocument:
    return FinanceDocument.objects.get(pk=abonent("document", lms_id))


def customer(made, role) -> Customer:
    return Customer.objects.get(pk=abonent("customer", made["customers"][role]))


def lms_rows(lms, query, params=()):
    with lms.connect() as conn:
        return conn.execute(query, params).fetchall()


def lms_balances(lms) -> dict:
    """LMS's own balance per customer: SUM(cash.value), every customer (0 without rows)."""
    return dict(lms_rows(lms, "SELECT c.id, COALESCE(sum(x.value), 0) FROM customers c "
                              "LEFT JOIN cash x ON x.customerid = c.id GROUP BY c.id"))


def balances_of(tenant, made) -> dict:
    """Abonent's cached balance and ledger balance per LMS customer id."""
    with tenant_context(tenant):
        out = {}
        for lms_id in made["balances"]:
            pk = abonent("customer", lms_id)
            cached = CustomerAccount.objects.filter(customer_id=pk) \
                .values_list("balance", flat=True).first()
            ledger = services.ledger_balance(Customer.objects.get(pk=pk))
            out[lms_id] = (cached if cached is not None else D("0.00"), ledger)
        return out


def settlement(document) -> str:
    return services.invoice_settlement(document).status


def test_every_balance_equals_lms_to_the_grosz(lms, tenant):
    run = import_run(tenant=tenant, dsn=lms.dsn)
    assert run.status == ImportRun.Status.DONE
    expected = lms.made["balances"]
    assert lms_balances(lms) == expected  # the generator and LMS agree
    assert balances_of(tenant, lms.made) == {k: (v, v) for k, v in expected.items()}
    assert any(v < 0 for v in expected.values()) and any(v > 0 for v in expected.values())


def test_numbers_are_the_numbers_lms_printed(lms, tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    printed = lms_rows(lms, "SELECT id, fullnumber, type FROM documents ORDER BY id")
    with tenant_context(tenant):
        for lms_id, number, _type in printed:
            assert doc(lms_id).number == number
        first = lms.made["ids"]["invoices"][0]
        assert doc(first).number == "1/FV/2025"
        assert doc(first).kind == Kind.INVOICE
        assert FinanceDocument.objects.filter(kind=Kind.INVOICE).count() == \
            len(lms.made["ids"]["invoices"])


def test_invoice_lines_keep_lms_items_and_vat(lms, tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    made = lms.made
    with tenant_context(tenant):
        invoice = doc(made["ids"]["invoices"][0])  # Kowalski, 59.99 gross at 23 %
        line = invoice.lines.get()
        assert (line.name, line.quantity, line.net_unit_price, line.vat_rate) == \
            ("Abonament internetowy (01/2025)", D("1.000"), D("48.77"), "23")
        assert invoice.debit == D("59.99") and invoice.credit == 0
        assert invoice.due_date == date(2025, 1, 15)  # paytime 14 days
        buyer = invoice.parties["buyer"]
        assert (buyer["name"], buyer["pesel"], buyer["city"]) == \
            ("Kowalski Jan", Customer.objects.get(pk=invoice.customer_id).pesel, "Warszawa")


def test_corrections_are_linked_to_what_they_correct(lms, tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    made = lms.made
    zero, partial = made["ids"]["corrections"]
    with tenant_context(tenant):
        to_zero = doc(zero)
        assert to_zero.kind == Kind.CORRECTION
        assert (to_zero.credit, to_zero.debit) == (D("79.00"), 0)
        assert to_zero.reason == "Brak usługi - awaria"
        assert to_zero.corrects.number == "3/FV/2025" or to_zero.corrects.kind == Kind.INVOICE
        assert settlement(to_zero.corrects) == "settled"  # corrected to zero: nothing owed
        assert services.invoice_settlement(to_zero.corrects).total == 0
        half = doc(partial)
        assert (half.credit, half.corrects.debit) == (D("39.50"), D("79.00"))
        assert [line.net_unit_price for line in half.lines.all()] == [D("32.11")]


def test_kp_and_kw_are_in_the_register_made_from_lms(lms, tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    made = lms.made
    with tenant_context(tenant):
        register = CashRegister.objects.get()
        assert register.name == "Kasa główna"
        assert (register.kp_number_pattern, register.kw_number_pattern) == \
            ("KP {N}/{YYYY}", "KW {N}/{YYYY}")
        *kps, kw = [doc(i) for i in made["ids"]["receipts"]]
        assert {(d.kind, d.cash_register_id) for d in kps} == {(Kind.KP, register.pk)}
        assert [d.number for d in kps] == [f"KP {n}/2025" for n in range(1, 7)]
        assert kps[0].credit == D("79.00")
        assert CashPosition.objects.filter(document=kps[0]).count() == 1
        assert (kw.kind, kw.number, kw.debit, kw.cash_register_id) == \
            (Kind.KW, "KW 1/2025", D("50.00"), register.pk)


def test_debit_note_is_imported_as_one(lms, tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    with tenant_context(tenant):
        note = doc(lms.made["ids"]["debit_notes"][0])
        assert (note.kind, note.number, note.debit, note.title) == \
            (Kind.DEBIT_NOTE, "1/NO/2025", D("12.37"), "Odsetki za zwłokę")


def test_items_not_summing_to_cash_are_flagged_and_cash_wins(lms, tenant):
    run = import_run(tenant=tenant, dsn=lms.dsn)
    bad = next(b for b in lms.made["broken"] if b["kind"] == "invoice_sum_mismatch")
    flagged = [p for p in problems(run) if p["lms_id"] == bad["id"]]
    assert [p["action"] for p in flagged] == ["flagged"]
    assert "159.99" in flagged[0]["message"] and "159.98" in flagged[0]["message"]
    with tenant_context(tenant):
        invoice = doc(bad["id"])
        assert invoice.debit == D("159.98")  # what LMS's cash (its balance) holds
        assert invoice.lines.count() == 2


def test_number_plans_become_patterns_and_abonent_continues_the_series(lms, tenant, staff):
    run = import_run(tenant=tenant, dsn=lms.dsn)
    assert run.status == ImportRun.Status.DONE
    invoices_2025 = len(lms.made["ids"]["invoices"])
    with tenant_context(tenant):
        assert number_pattern(Kind.INVOICE) == "{N}/FV/{YYYY}"
        assert number_pattern(Kind.CORRECTION) == "{N}/FK/{YYYY}"
        assert number_pattern(Kind.DEBIT_NOTE) == "{N}/NO/{YYYY}"
        kowalski = customer(lms.made, "paid_in_full")
        line = {"name": "Instalacja", "quantity": D("1"), "net_unit_price": D("100.00"),
                "vat_rate": "23"}
        invoice = services.invoice_issue(actor=staff, customer=kowalski, lines=[line],
                                         issue_date=date(2025, 12, 31))
        assert invoice.number == f"{invoices_2025 + 1}/FV/2025"  # no gap, no clash
        later = services.invoice_issue(actor=staff, customer=kowalski, lines=[line],
                                       issue_date=date(2026, 1, 2))
        assert later.number == "1/FV/2026"  # a new year starts again, as in LMS
        register = CashRegister.objects.get()
        kp = services.kp_issue(actor=staff, customer=kowalski, register=register,
                               amount=D("10.00"), issue_date=date(2025, 12, 31))
        assert kp.number == "KP 7/2025"


def test_non_money_documents_are_counted_as_skipped(lms, tenant):
    with lms.connect() as conn:
        owner = lms.made["customers"]["paid_in_full"]
        for doc_type in (6, -1, -1):
            conn.execute("INSERT INTO documents (type, number, cdate, customerid, name) "
                         "VALUES (%s, 1, 1735689600, %s, 'x')", (doc_type, owner))
    run = import_run(tenant=tenant, dsn=lms.dsn)
    counts = stage(run)["counts"]
    assert counts["lms_type_6"]["skipped"] == 1
    assert counts["lms_type_-1"]["skipped"] == 2
    assert {p["kind"] for p in problems(run) if p["action"] == "skipped"} >= \
        {"lms_type_6", "lms_type_-1"}


def test_a_non_money_document_with_cash_keeps_the_balance(lms, tenant):
    """A pro forma LMS somehow charged: LMS's balance counts it, so the ledger does too."""
    owner = lms.made["customers"]["paid_in_full"]
    with lms.connect() as conn:
        proforma = conn.execute(
            "INSERT INTO documents (type, number, cdate, customerid, name) "
            "VALUES (6, 1, 1735689600, %s, 'x') RETURNING id", (owner,)).fetchone()[0]
        conn.execute("INSERT INTO cash (time, type, value, customerid, docid, comment) "
                     "VALUES (1735689600, 0, -15.00, %s, %s, 'Opłata')", (owner, proforma))
    run = import_run(tenant=tenant, dsn=lms.dsn)
    assert "lms_type_6" not in stage(run)["counts"]
    flagged = [p for p in problems(run) if p["lms_id"] == proforma]
    assert [(p["kind"], p["action"]) for p in flagged] == [("technical", "flagged")]
    with tenant_context(tenant):
        charge = doc(proforma)
        assert (charge.kind, charge.debit) == (Kind.TECHNICAL, D("15.00"))
    assert balances_of(tenant, lms.made)[owner] == (D("-15.00"), D("-15.00"))
    assert lms_balances(lms)[owner] == D("-15.00")


def test_dry_run_writes_nothing(lms, tenant):
    run = import_run(tenant=tenant, dsn=lms.dsn, dry_run=True)
    assert run.status == ImportRun.Status.DONE
    assert stage(run)["counts"]["invoice"]["created"] == len(lms.made["ids"]["invoices"])
    with tenant_context(tenant):
        assert not FinanceDocument.objects.exists()
        assert not InvoiceLine.objects.exists() and not Allocation.objects.exists()
        assert not CashRegister.objects.exists()
        assert number_pattern(Kind.INVOICE) == "FV/{YYYY}/{MM}/{N}"


def test_other_tenant_sees_nothing(lms, tenant, other_tenant):
    import_run(tenant=tenant, dsn=lms.dsn)
    with tenant_context(other_tenant):
        assert not FinanceDocument.objects.exists()
        assert not CustomerAccount.objects.exists()
        assert not CashRegister.objects.exists()
        assert not Allocation.objects.exists()
        assert number_pattern(Kind.INVOICE) == "FV/{YYYY}/{MM}/{N}"
    with tenant_context(tenant):
        assert FinanceDocument.objects.count() > 50


def test_invoices_keep_lms_gross_line_by_line_and_in_total(lms, tenant):
    """LMS computes invoices from gross: each imported line keeps round(unit gross × count)
    and the invoice's totals per rate add up to what LMS charged (the ledger's debit) — so
    its print, JPK and registers show LMS's amounts, not a grosz off."""
    from finance.exports import document_totals

    import_run(tenant=tenant, dsn=lms.dsn)
    items = lms_rows(lms, "SELECT ic.docid, ic.itemid, round(ic.value * abs(ic.count), 2)"
                          " FROM invoicecontents ic JOIN documents d ON d.id = ic.docid"
                          " WHERE d.type = 1 ORDER BY ic.docid, ic.itemid")
    broken = {b["id"] for b in lms.made["broken"] if b["kind"] == "invoice_sum_mismatch"}
    with tenant_context(tenant):
        checked = 0
        for docid, itemid, gross in items:
            line = InvoiceLine.objects.get(document=doc(docid), position=itemid)
            assert line.gross == gross and line.net + (line.gross - line.net) == gross
            checked += 1
        assert checked == len(items) > 12
        for docid in {row[0] for row in items} - broken:
            invoice = doc(docid)
            assert sum(t.gross for t in document_totals(invoice).values()) == invoice.debit


def test_a_net_computed_lms_invoice_stays_net(lms, tenant):
    """An LMS document flagged net (flags & 16) is computed from net: no gross per line."""
    made = lms.made
    with lms.connect() as conn:
        target = made["ids"]["invoices"][0]
        conn.execute("UPDATE documents SET flags = flags | 16 WHERE id = %s", (target,))
        conn.commit()
    import_run(tenant=tenant, dsn=lms.dsn)
    with tenant_context(tenant):
        assert all(line.gross is None for line in doc(target).lines.all())
        assert any(line.gross is not None
                   for line in doc(made["ids"]["invoices"][1]).lines.all())
