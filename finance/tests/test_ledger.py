import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import ActionLog, Tenant, TenantSetting
from core.tenancy import tenant_context
from customers import services as customer_services
from finance import services
from finance.models import Allocation, CashRegister, CustomerAccount, FinanceDocument

D = Decimal
TODAY = timezone.localdate()


def line(net, rate="23", quantity="1", name="Internet 300 Mb/s"):
    return {"name": name, "quantity": D(quantity), "net_unit_price": D(net), "vat_rate": rate}


def balance(customer):
    cached = CustomerAccount.objects.get(customer=customer).balance
    assert cached == services.ledger_balance(customer)  # the cache never drifts
    return cached


def invoice(staff, customer, gross_net="100.00", days_ago=30, **kw):
    issue = TODAY - timedelta(days=days_ago)
    return services.invoice_issue(actor=staff, customer=customer, lines=[line(gross_net)],
                                  issue_date=issue, due_date=issue + timedelta(days=14), **kw)


def transfer(staff, customer, amount, title="wpłata", ref=""):
    return services.bank_transfer_record(actor=staff, customer=customer, amount=D(amount),
                                         booking_date=TODAY, title=title, bank_reference=ref,
                                         bank_account="29114010810000267002001002")


def test_invoice_vat_per_rate_on_net_totals_and_number(in_tenant, staff, customer):
    doc = services.invoice_issue(actor=staff, customer=customer, lines=[
        line("0.33"), line("0.33"), line("0.33"), line("10.00", rate="8"),
        line("5.00", rate="zw")])
    # 23 %: 0.99 net → 0.23 VAT (not 3 × 0.08); 8 %: 10.00 → 0.80; zw: 5.00.
    assert doc.debit == D("0.99") + D("0.23") + D("10.80") + D("5.00")
    assert doc.number == f"FV/{TODAY:%Y}/{TODAY:%m}/1"
    assert doc.lines.count() == 5
    assert balance(customer) == -doc.debit
    assert ActionLog.objects.filter(customer=customer, kind="finance.invoice").exists()


def test_transfer_settles_the_oldest_unpaid_invoice_first(in_tenant, staff, customer):
    older = invoice(staff, customer, days_ago=60)        # 123.00, due long ago
    newer = invoice(staff, customer, days_ago=20)        # 123.00
    transfer(staff, customer, "150.00")
    assert services.invoice_settlement(older).status == "settled"
    newer_state = services.invoice_settlement(newer)
    assert newer_state.status == "partially_settled" and newer_state.open == D("96.00")
    assert balance(customer) == D("-96.00")


def test_named_invoice_in_the_title_goes_first(in_tenant, staff, customer):
    older = invoice(staff, customer, days_ago=60)
    newer = invoice(staff, customer, days_ago=20)
    transfer(staff, customer, "123.00", title=f"Zapłata za {newer.number.lower()}")
    assert services.invoice_settlement(newer).status == "settled"
    assert services.invoice_settlement(older).status == "unsettled"


def test_due_before_not_yet_due(in_tenant, staff, customer):
    future = services.invoice_issue(actor=staff, customer=customer, lines=[line("100")],
                                    issue_date=TODAY, due_date=TODAY + timedelta(days=10))
    overdue = invoice(staff, customer, days_ago=40)
    transfer(staff, customer, "123.00")
    assert services.invoice_settlement(overdue).status == "settled"
    assert services.invoice_settlement(future).status == "unsettled"


def test_overpayment_stays_as_credit_and_settles_the_next_invoice(in_tenant, staff, customer):
    transfer(staff, customer, "200.00")
    assert balance(customer) == D("200.00")
    first = invoice(staff, customer, days_ago=5)
    assert services.invoice_settlement(first).status == "settled"
    second = invoice(staff, customer, days_ago=1)
    state = services.invoice_settlement(second)
    assert state.paid == D("77.00") and state.status == "partially_settled"
    assert balance(customer) == D("-46.00")


def test_kp_settles_ticked_invoices(in_tenant, staff, customer):
    register = CashRegister.objects.create(name="Kasa główna", symbol="k1")
    a = invoice(staff, customer, days_ago=60)
    b = invoice(staff, customer, days_ago=30)
    kp = services.kp_issue(actor=staff, customer=customer, register=register, invoices=[b])
    assert kp.credit == D("123.00") and kp.number.startswith("KP/K1/")
    assert services.invoice_settlement(b).status == "settled"
    assert services.invoice_settlement(a).status == "unsettled"  # not ticked, not touched


def test_kw_refund_of_credit(in_tenant, staff, customer):
    register = CashRegister.objects.create(name="Kasa", symbol="k1")
    transfer(staff, customer, "50.00")
    kw = services.kw_issue(actor=staff, customer=customer, register=register, amount="50.00",
                           title="Zwrot nadpłaty")
    assert kw.debit == D("50.00") and balance(customer) == 0
    assert Allocation.objects.filter(receivable=kw).get().amount == D("50.00")


def test_downward_correction_releases_allocations_into_credit(in_tenant, staff, customer):
    inv = invoice(staff, customer, days_ago=30)            # 123.00
    transfer(staff, customer, "123.00")
    correction, warnings = services.correction_issue(
        actor=staff, invoice=inv, lines=[line("80.00")], reason="Rabat za awarię")
    assert correction.credit == D("24.60") and correction.corrects == inv
    assert services.invoice_settlement(inv).status == "settled"
    assert balance(customer) == D("24.60")                 # the released part is credit
    nxt = invoice(staff, customer, days_ago=1)
    assert services.invoice_settlement(nxt).paid == D("24.60")
    assert warnings == []


def test_upward_correction_reopens_the_invoice(in_tenant, staff, customer):
    inv = invoice(staff, customer, days_ago=30)
    transfer(staff, customer, "123.00")
    correction, _ = services.correction_issue(actor=staff, invoice=inv,
                                              lines=[line("120.00")], reason="Błędna cena")
    assert correction.debit == D("24.60")
    state = services.invoice_settlement(inv)
    assert state.status == "partially_settled" and state.open == D("24.60")


def test_correction_to_zero_warns_about_the_cycle_counter(in_tenant, staff, customer):
    inv = invoice(staff, customer)
    _, warnings = services.correction_issue(actor=staff, invoice=inv, lines=[],
                                            reason="Anulowanie")
    # Every line went with the invoice: each is named (none was billed by a subscription).
    assert [str(w) for w in warnings] == [
        "Line “Internet 300 Mb/s” was corrected to 0: check the cycle counter of the "
        "payment schedule."]
    assert warnings[0].subscription_id is None
    assert balance(customer) == 0


def test_edit_only_in_statuses_of_edycja_faktur(in_tenant, staff, customer):
    inv = invoice(staff, customer)
    services.invoice_update(actor=staff, invoice=inv, lines=[line("50.00")])
    inv.refresh_from_db()
    assert inv.debit == D("61.50") and balance(customer) == D("-61.50")
    transfer(staff, customer, "10.00")
    with pytest.raises(ValidationError) as error:
        services.invoice_update(actor=staff, invoice=inv, lines=[line("40.00")])
    assert "edycja_faktur" in error.value.messages[0]
    TenantSetting.objects.create(key="finance.edycja_faktur",
                                 value="unsettled,partially_settled")
    services.invoice_update(actor=staff, invoice=inv, lines=[line("40.00")])


@pytest.mark.parametrize("call", [
    lambda s, c: services.invoice_issue(actor=s, customer=c, lines=[line("0.00")]),
    lambda s, c: services.invoice_issue(actor=s, customer=c, lines=[line("-5.00")]),
    lambda s, c: services.invoice_issue(actor=s, customer=c, lines=[line("5", rate="22")]),
    lambda s, c: services.invoice_issue(actor=s, customer=c, lines=[]),
    lambda s, c: transfer(s, c, "0"),
    lambda s, c: transfer(s, c, "-10"),
    lambda s, c: services.technical_issue(actor=s, customer=c, amount="5", charge=True,
                                          reason=" "),
    lambda s, c: services.debit_note_issue(actor=s, customer=c, amount="40", title=""),
])
def test_bad_input_is_refused_and_nothing_written(in_tenant, staff, customer, call):
    with pytest.raises(ValidationError):
        call(staff, customer)
    assert not FinanceDocument.objects.exists()
    assert not ActionLog.objects.filter(kind__startswith="finance").exists()


def test_the_same_bank_reference_is_recorded_once(in_tenant, staff, customer):
    transfer(staff, customer, "10.00", ref="MB170119012058")
    with pytest.raises(ValidationError):
        transfer(staff, customer, "10.00", ref="MB170119012058")
    assert FinanceDocument.objects.count() == 1 and balance(customer) == D("10.00")


def test_correcting_another_tenants_invoice_is_impossible(customer, staff, other_tenant,
                                                          other_staff, tenant):
    with tenant_context(tenant):
        inv = invoice(staff, customer)
    with tenant_context(other_tenant), pytest.raises(FinanceDocument.DoesNotExist):
        services.correction_issue(actor=other_staff, invoice=inv, lines=[], reason="x")
    with tenant_context(tenant):
        assert not inv.corrections.exists()


def test_manual_link_and_unlink(in_tenant, staff, customer):
    inv = invoice(staff, customer)
    pay = transfer(staff, customer, "123.00")
    assert services.allocations_remove(actor=staff, document=pay) == 1
    assert services.invoice_settlement(inv).status == "unsettled"
    with pytest.raises(ValidationError):
        services.allocation_link(actor=staff, payment=pay, receivable=inv, amount="200")
    services.allocation_link(actor=staff, payment=pay, receivable=inv)
    assert services.invoice_settlement(inv).status == "settled"


def test_debit_note_and_technical_transactions(in_tenant, staff, customer):
    services.debit_note_issue(actor=staff, customer=customer, amount="40.00",
                              title="Opłata za wezwanie do zapłaty")
    services.technical_issue(actor=staff, customer=customer, amount="40.00", charge=False,
                             reason="Umorzenie decyzją zarządu")
    assert balance(customer) == 0


# ------------------------------------------------------------------ properties

operation = st.one_of(
    st.tuples(st.just("invoice"), st.decimals("0.01", "500", places=2),
              st.integers(0, 90)),
    st.tuples(st.just("pay"), st.decimals("0.01", "700", places=2), st.integers(0, 1)),
    st.tuples(st.just("correct"), st.decimals("0", "500", places=2), st.integers(0, 5)),
    st.tuples(st.just("reimport"), st.just(D(0)), st.integers(0, 5)),
    st.tuples(st.just("unlink"), st.just(D(0)), st.integers(0, 5)),
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=1, max_size=12))
def test_no_money_appears_or_vanishes(in_tenant, staff, customer, ops):
    FinanceDocument.objects.filter(customer=customer).update(corrects=None)
    Allocation.objects.all().delete()
    FinanceDocument.objects.all().delete()
    CustomerAccount.objects.all().delete()
    refs = []
    for op, amount, n in ops:
        invoices = list(FinanceDocument.objects.filter(kind="invoice").order_by("id"))
        try:
            if op == "invoice":
                issue = TODAY - timedelta(days=n)
                services.invoice_issue(actor=staff, customer=customer,
                                       lines=[line(str(amount))], issue_date=issue,
                                       due_date=issue + timedelta(days=14))
            elif op == "pay":
                ref = f"REF{len(refs)}"
                refs.append(ref)
                transfer(staff, customer, str(amount), ref=ref)
            elif op == "correct" and invoices:
                services.correction_issue(actor=staff, invoice=invoices[n % len(invoices)],
                                          lines=[line(str(amount))] if amount else [],
                                          reason="test")
            elif op == "reimport" and refs:
                transfer(staff, customer, "1.00", ref=refs[n % len(refs)])
            elif op == "unlink" and invoices:
                services.allocations_remove(actor=staff, document=invoices[n % len(invoices)])
        except ValidationError:
            pass
        documents = list(FinanceDocument.objects.all())
        for document in documents:
            given_out = sum((a.amount for a in document.allocations_out.all()), D(0))
            taken_in = sum((a.amount for a in document.allocations_in.all()), D(0))
            assert given_out <= document.credit
            assert taken_in <= document.debit
        if documents:  # no document yet: no account either
            assert balance(customer) == sum((d.credit - d.debit for d in documents), D(0))
        assert FinanceDocument.objects.filter(kind="bank_transfer").count() == len(refs)


def test_concurrent_payments_and_invoices_keep_the_ledger(transactional_db, tenant, staff):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    with tenant_context(tenant):
        customer = customer_services.customer_create(actor=staff, last_name="Nowak")
    errors = []

    def work(i):
        try:
            with tenant_context(Tenant.objects.get(pk=tenant.pk)):
                if i % 2:
                    transfer(staff, customer, "61.50", ref=f"R{i}")
                else:
                    invoice(staff, customer, gross_net="50.00", days_ago=i)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with tenant_context(tenant):
        assert balance(customer) == 0
        numbers = list(FinanceDocument.objects.filter(kind="invoice")
                       .values_list("number", flat=True))
        # Issued 0-6 days ago: early in a month they fall in two monthly series.
        series = {}
        for number in numbers:
            prefix, n = number.rsplit("/", 1)
            series.setdefault(prefix, []).append(int(n))
        assert sum(len(ns) for ns in series.values()) == 4
        assert all(sorted(ns) == list(range(1, len(ns) + 1)) for ns in series.values())
        for inv in FinanceDocument.objects.filter(kind="invoice"):
            assert services.invoice_settlement(inv).status == "settled"
