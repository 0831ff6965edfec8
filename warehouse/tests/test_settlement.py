"""What the customer pays for equipment, in the WZ's own transaction: a sale invoiced, a
lease put on the customer (and ended when its equipment is back), a deposit charged (and
only reported when it comes back). Finance refusing refuses the whole WZ. On real
PostgreSQL transactions: two WZs of one customer at once, a WZ racing a payment."""

import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone

from core.models import ActionLog, TenantSetting
from core.tenancy import tenant_context
from customers.services import customer_create
from finance import billing
from finance.models import CashRegister, CustomerAccount, FinanceDocument, Subscription
from finance.services import bank_transfer_record, kp_issue, ledger_balance
from warehouse import services
from warehouse.models import ItemMove, StockDocument, StockItem, StockLevel
from warehouse.services.settlement import DepositTaken
from warehouse.tests import factories

D = Decimal


def _stock(staff):
    stock = factories.Stock()
    stock.stb.vat_rate = "8"  # the invoice takes each product's own rate
    stock.stb.save(update_fields=["vat_rate"])
    factories.receive(staff, warehouse=stock.main, product=stock.ont,
                      serials=["ONT1", "ONT2", "ONT3", "ONT4"])
    factories.receive(staff, warehouse=stock.main, product=stock.stb, serials=["STB1"])
    factories.receive(staff, warehouse=stock.main, product=stock.cable, quantity=20)
    return stock


def _issue(staff, stock, customer, lines, **extra):
    return services.issue_post(actor=staff, warehouse=stock.main, customer=customer,
                               lines=lines, **extra)


def _return(staff, stock, customer, serials, **extra):
    return services.return_post(actor=staff, customer=customer, warehouse=stock.main,
                                lines=list(serials), **extra)


def _lease_tariff(staff, name="Dzierżawa ONT"):
    return billing.tariff_create(actor=staff, name=name, net_price=D("5.00"), vat_rate="23")


# --------------------------------------------------------------------------- in a test's
# transaction (finance's durable checks are off there; the threads below run for real)

@pytest.fixture
def stock(in_tenant, staff):
    return _stock(staff)


@pytest.mark.django_db
def test_a_sale_is_one_invoice_of_the_wz_lines_linked_to_it(stock, staff, customer):
    wz = _issue(staff, stock, customer, [{"serial": "ONT1", "unit_price": "199,99"}, "STB1",
                                         {"product": stock.cable.pk, "quantity": "2.5"}],
                settlement="sale")
    invoice = FinanceDocument.objects.get(kind="invoice")
    assert StockDocument.objects.get(pk=wz.pk).invoice_id == invoice.pk == wz.invoice.pk
    assert (invoice.customer_id, invoice.issue_date) == (customer.pk, wz.issued_on)
    assert [(line.name, line.quantity, line.net_unit_price, line.vat_rate, line.unit)
            for line in invoice.lines.order_by("position")] == [
        ("ONT Dasan H660GM S/N ONT1", D("1.000"), D("199.99"), "23", "szt."),
        ("Dekoder Kaon KSTB S/N STB1", D("1.000"), D("90.00"), "8", "szt."),
        ("Kabel UTP kat. 5e", D("2.500"), D("1.20"), "23", "m")]
    # 23 %: (199.99 + 3.00) × 1.23 = 249.68; 8 %: 90.00 × 1.08 = 97.20
    assert invoice.debit == D("346.88")
    assert ledger_balance(customer) == D("-346.88")
    entry = ActionLog.objects.get(kind="stockdocument.settle")
    assert (entry.customer_id, entry.params["n"], entry.params["d"]) == (
        customer.pk, wz.number, invoice.number)


@pytest.mark.django_db
def test_finance_refusing_the_invoice_refuses_the_whole_wz(stock, staff, customer):
    # A pattern stored before patterns were checked: finance cannot number the invoice.
    broken = TenantSetting.objects.create(key="finance.invoice_number_pattern",
                                          value="FV/{YYYY}")
    with pytest.raises(ValidationError) as err:
        _issue(staff, stock, customer, ["ONT1", {"product": stock.cable.pk, "quantity": 5}],
               settlement="sale", request_token=uuid.uuid4())
    assert err.value.message_dict == {"settlement": [
        "Finance did not issue the invoice of the sale: A number pattern needs the running "
        "number {N}."]}
    assert not StockDocument.objects.filter(kind="WZ").exists()
    assert not FinanceDocument.objects.filter(customer=customer).exists()
    ont = StockItem.objects.get(serial="ONT1")
    assert (ont.state, ont.warehouse_id, ont.customer_id) == ("in_stock", stock.main.pk, None)
    assert not ItemMove.objects.filter(item=ont, document__kind="WZ").exists()
    assert StockLevel.objects.get(warehouse=stock.main, product=stock.cable).quantity == 20
    assert not ActionLog.objects.filter(customer=customer,
                                        kind__startswith="stockdocument.").exists()
    broken.delete()
    wz = _issue(staff, stock, customer, ["ONT1"], settlement="sale")
    assert wz.invoice_id and wz.number.endswith("/1")  # the refused one took no number


@pytest.mark.django_db
def test_finance_refusing_the_deposit_refuses_the_wz(stock, staff, customer):
    TenantSetting.objects.create(key="finance.debit_note_number_pattern",
                                 value="ND/{MM}/{N}")
    with pytest.raises(ValidationError) as err:
        _issue(staff, stock, customer, ["ONT1"], settlement="deposit", deposit="100")
    assert err.value.message_dict["settlement"][0].startswith(
        "Finance did not issue the debit note of the deposit: With {MM} the running number")
    assert StockItem.objects.get(serial="ONT1").state == "in_stock"
    assert not StockDocument.objects.filter(kind="WZ").exists()
    assert not FinanceDocument.objects.filter(customer=customer).exists()


@pytest.mark.django_db
def test_one_form_sent_twice_is_one_wz_and_one_invoice(stock, staff, customer):
    token = uuid.uuid4()
    first = _issue(staff, stock, customer, ["ONT1"], settlement="sale", request_token=token)
    again = _issue(staff, stock, customer, ["ONT1"], settlement="sale", request_token=token)
    assert again.pk == first.pk and again.invoice_id == first.invoice_id
    assert FinanceDocument.objects.filter(kind="invoice").count() == 1
    assert StockDocument.objects.filter(kind="WZ").count() == 1


@pytest.mark.django_db
def test_another_tenants_lease_tariff_is_not_found(stock, staff, customer, other_tenant,
                                                   other_staff):
    with tenant_context(other_tenant):
        theirs = _lease_tariff(other_staff, name="Ich dzierżawa")
    with pytest.raises(ValidationError) as err:
        _issue(staff, stock, customer, ["ONT1"], settlement="lease", lease_tariff=theirs.pk)
    assert err.value.message_dict == {"lease_tariff": ["No such tariff."]}
    assert not Subscription.objects.exists()


# --------------------------------------------------------------------------- lease

@pytest.mark.django_db
def test_a_lease_ends_when_the_last_of_its_equipment_comes_back(stock, staff, customer):
    tariff = _lease_tariff(staff)
    wz = _issue(staff, stock, customer, ["ONT1", "ONT2"], settlement="lease",
                lease_tariff=tariff.pk)
    subscription = Subscription.objects.get(customer=customer)
    assert wz.subscription_id == subscription.pk
    assert StockDocument.objects.get(pk=wz.pk).subscription_id == subscription.pk
    assert (subscription.tariff_id, subscription.start_date, subscription.note) == (
        tariff.pk, wz.issued_on, wz.number)

    some = _return(staff, stock, customer, ["ONT2"])
    assert some.return_settlement.leases_ended == []
    subscription.refresh_from_db()
    assert subscription.end_date is None

    returned_on = wz.issued_on + timedelta(days=3)
    rest = _return(staff, stock, customer, [{"serial": "ONT1", "state": "faulty"}],
                   issued_on=returned_on)
    subscription.refresh_from_db()
    assert subscription.end_date == returned_on
    [ended] = rest.return_settlement.leases_ended
    assert (ended.issue_document.pk, ended.subscription_id, ended.end_date) == (
        wz.pk, subscription.pk, returned_on)
    assert ActionLog.objects.filter(kind="stockdocument.settle",
                                    params__n=rest.number, params__w=wz.number).exists()
    assert ActionLog.objects.filter(kind="finance.subscription", customer=customer,
                                    message__contains="ends on").exists()


@pytest.mark.django_db
def test_a_lease_already_invoiced_ends_with_its_invoiced_period(stock, staff, customer):
    wz = _issue(staff, stock, customer, ["ONT1"], settlement="lease",
                lease_tariff=_lease_tariff(staff).pk)
    billing.billing_run(run_date=wz.issued_on, actor=staff)  # monthly, in advance
    subscription = Subscription.objects.get(customer=customer)
    assert subscription.billed_until >= wz.issued_on
    zw = _return(staff, stock, customer, ["ONT1"])
    subscription.refresh_from_db()
    # The invoiced month is not taken back here: a correction of its invoice does that.
    assert subscription.end_date == subscription.billed_until
    assert zw.return_settlement.leases_ended[0].end_date == subscription.billed_until


@pytest.mark.django_db
def test_a_lease_ended_by_hand_before_the_return_is_left_alone(stock, staff, customer):
    wz = _issue(staff, stock, customer, ["ONT1"], settlement="lease",
                lease_tariff=_lease_tariff(staff).pk)
    billing.subscription_end(actor=staff, subscription=wz.subscription,
                             end_date=wz.issued_on)
    zw = _return(staff, stock, customer, ["ONT1"], issued_on=wz.issued_on + timedelta(days=5))
    assert Subscription.objects.get(pk=wz.subscription_id).end_date == wz.issued_on
    assert zw.return_settlement.leases_ended == []


@pytest.mark.django_db
def test_a_return_dated_before_the_lease_starts_is_refused(stock, staff, customer):
    wz = _issue(staff, stock, customer, ["ONT1"], settlement="lease",
                lease_tariff=_lease_tariff(staff).pk)
    with pytest.raises(ValidationError) as err:
        _return(staff, stock, customer, ["ONT1"], issued_on=wz.issued_on - timedelta(days=1))
    assert "before the lease of " + wz.number in err.value.message_dict["issued_on"][0]
    assert StockItem.objects.get(serial="ONT1").customer_id == customer.pk
    assert Subscription.objects.get(pk=wz.subscription_id).end_date is None
    assert not StockDocument.objects.filter(kind="ZW").exists()


@pytest.mark.django_db
def test_returning_equipment_of_two_leases_ends_only_the_one_all_back(stock, staff,
                                                                      customer):
    tariff = _lease_tariff(staff)
    first = _issue(staff, stock, customer, ["ONT1"], settlement="lease", lease_tariff=tariff)
    second = _issue(staff, stock, customer, ["ONT2", "ONT3"], settlement="lease",
                    lease_tariff=tariff)
    zw = _return(staff, stock, customer, ["ONT1", "ONT3"])
    assert [e.issue_document.pk for e in zw.return_settlement.leases_ended] == [first.pk]
    assert Subscription.objects.get(pk=first.subscription_id).end_date == zw.issued_on
    assert Subscription.objects.get(pk=second.subscription_id).end_date is None


# --------------------------------------------------------------------------- deposit

@pytest.mark.django_db
def test_a_deposit_is_a_debit_note_and_a_return_only_reports_it(stock, staff, customer):
    wz = _issue(staff, stock, customer, ["ONT1", "ONT2"], settlement="deposit",
                deposit="100,00")
    note = FinanceDocument.objects.get(kind="debit_note")
    assert StockDocument.objects.get(pk=wz.pk).invoice_id == note.pk
    assert note.debit == D("100.00") and wz.number in note.title
    assert ledger_balance(customer) == D("-100.00")

    some = _return(staff, stock, customer, ["ONT1"])
    assert some.return_settlement.deposits == [
        DepositTaken(issue_document=wz, debit_note_number=note.number, amount=D("100.00"),
                     all_back=False)]
    rest = _return(staff, stock, customer, ["ONT2"])
    [deposit] = rest.return_settlement.deposits
    assert (deposit.issue_document.number, deposit.amount, deposit.all_back) == (
        wz.number, D("100.00"), True)
    # Not refunded: staff do that by a KW or a correction.
    assert ledger_balance(customer) == D("-100.00")
    assert FinanceDocument.objects.filter(customer=customer).count() == 1


@pytest.mark.django_db
def test_a_return_sent_twice_reads_the_same_settlement_back(stock, staff, customer):
    deposit = _issue(staff, stock, customer, ["ONT1"], settlement="deposit")
    lease = _issue(staff, stock, customer, ["ONT2"], settlement="lease",
                   lease_tariff=_lease_tariff(staff))
    token = uuid.uuid4()
    first = _return(staff, stock, customer, ["ONT1", "ONT2"], request_token=token)
    again = _return(staff, stock, customer, ["ONT1", "ONT2"], request_token=token)
    assert again.pk == first.pk
    assert again.return_settlement == first.return_settlement
    assert [d.issue_document.pk for d in again.return_settlement.deposits] == [deposit.pk]
    assert [e.issue_document.pk for e in again.return_settlement.leases_ended] == [lease.pk]
    assert first.return_settlement.deposits[0].amount == D("150.00")  # the lines' value


@pytest.mark.django_db
def test_equipment_sold_or_given_comes_back_with_nothing_to_settle(stock, staff, customer):
    _issue(staff, stock, customer, ["ONT1"], settlement="sale")
    _issue(staff, stock, customer, ["ONT2"])
    zw = _return(staff, stock, customer, ["ONT1", "ONT2"])
    assert zw.return_settlement.leases_ended == [] == zw.return_settlement.deposits


# --------------------------------------------------------------------------- at once, for real

def _at_once(*calls):
    """Each call in its own thread (its own connection), started together: each one's
    result or exception (a deadlock would be PostgreSQL's error here)."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(5)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _in(tenant, call):
    def run():
        with tenant_context(tenant):
            return call()
    return run


@pytest.fixture
def shop(tenant, staff):
    try:
        with tenant_context(tenant):
            stock = _stock(staff)
            customer = customer_create(actor=staff, first_name="Jan", last_name="Kowalski")
        yield stock, customer
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_two_sales_to_one_customer_at_once_both_go_through(shop, tenant, staff):
    stock, customer = shop
    results = _at_once(*[_in(tenant, lambda serial=serial: _issue(
        staff, stock, customer, [serial], settlement="sale")) for serial in ("ONT1", "ONT2")])
    assert all(isinstance(r, StockDocument) for r in results), results
    with tenant_context(tenant):
        invoices = FinanceDocument.objects.filter(kind="invoice", customer=customer)
        assert invoices.count() == 2
        assert {d.invoice_id for d in StockDocument.objects.filter(kind="WZ")} == \
            set(invoices.values_list("pk", flat=True))
        assert ledger_balance(customer) == D("-369.00")  # 2 × 150.00 × 1.23
        assert CustomerAccount.objects.get(customer=customer).balance == D("-369.00")


@pytest.mark.django_db(transaction=True)
def test_a_sale_and_a_payment_of_one_customer_at_once_both_go_through(shop, tenant, staff):
    stock, customer = shop
    with tenant_context(tenant):
        register = CashRegister.objects.create(name="Kasa", symbol="k1")
    results = _at_once(
        _in(tenant, lambda: _issue(staff, stock, customer, ["ONT1"], settlement="sale")),
        _in(tenant, lambda: kp_issue(actor=staff, customer=customer, register=register,
                                     amount="100.00")),
        _in(tenant, lambda: bank_transfer_record(
            actor=staff, customer=customer, amount="84.50", booking_date=timezone.localdate(),
            title="za ONT", bank_reference="REF-1")))
    assert not [r for r in results if isinstance(r, Exception)], results
    with tenant_context(tenant):
        assert StockItem.objects.get(serial="ONT1").customer_id == customer.pk
        assert FinanceDocument.objects.filter(customer=customer).count() == 3
        assert ledger_balance(customer) == D("0.00")  # 184.50 paid for 184.50
        assert CustomerAccount.objects.get(customer=customer).balance == D("0.00")


@pytest.mark.django_db(transaction=True)
def test_one_sale_form_sent_twice_at_once_is_one_invoice(shop, tenant, staff):
    stock, customer = shop
    token = uuid.uuid4()
    results = _at_once(*[_in(tenant, lambda: _issue(
        staff, stock, customer, ["ONT1"], settlement="sale", request_token=token))] * 2)
    assert all(isinstance(r, StockDocument) for r in results), results
    assert results[0].pk == results[1].pk
    with tenant_context(tenant):
        assert FinanceDocument.objects.filter(kind="invoice").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_lease_and_a_deposit_commit_with_their_wz(shop, tenant, staff):
    """Outside a test's transaction finance's durability is checked: the nested calls
    must join the WZ's transaction, not open their own."""
    stock, customer = shop
    with tenant_context(tenant):
        tariff = _lease_tariff(staff)
        lease = _issue(staff, stock, customer, ["ONT1"], settlement="lease",
                       lease_tariff=tariff)
        deposit = _issue(staff, stock, customer, ["ONT2"], settlement="deposit")
        assert lease.subscription_id and deposit.invoice_id
        zw = _return(staff, stock, customer, ["ONT1", "ONT2"])
        assert Subscription.objects.get(pk=lease.subscription_id).end_date == zw.issued_on
        assert [d.amount for d in zw.return_settlement.deposits] == [D("150.00")]


@pytest.mark.django_db(transaction=True)
def test_a_return_ending_a_lease_and_a_payment_at_once_both_go_through(shop, tenant, staff):
    stock, customer = shop
    with tenant_context(tenant):
        lease = _issue(staff, stock, customer, ["ONT1"], settlement="lease",
                       lease_tariff=_lease_tariff(staff))
        sale = _issue(staff, stock, customer, ["ONT2"], settlement="sale")
    results = _at_once(
        _in(tenant, lambda: _return(staff, stock, customer, ["ONT1"])),
        _in(tenant, lambda: _issue(staff, stock, customer, ["ONT3"], settlement="sale")),
        _in(tenant, lambda: bank_transfer_record(
            actor=staff, customer=customer, amount=sale.invoice.debit,
            booking_date=timezone.localdate(), title=sale.invoice.number,
            bank_reference="REF-2")))
    assert not [r for r in results if isinstance(r, Exception)], results
    with tenant_context(tenant):
        assert Subscription.objects.get(pk=lease.subscription_id).end_date is not None
        assert ledger_balance(customer) == D("-184.50")


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "settlement", "extra", "allowed"), [
    ("technician", "sale", {}, False),        # no invoices of their own
    ("technician", "deposit", {"deposit": "100.00"}, False),
    ("technician", "lease", "tariff", False),
    ("technician", "none", {}, True),          # equipment issued with no charge: theirs
    ("operator", "sale", {}, True),            # sells at the desk (finance.add_invoice)
    ("operator", "deposit", {"deposit": "100.00"}, False),  # no debit notes
    ("accountant", "deposit", {"deposit": "100.00"}, True),  # finance's, all of it
])
def test_a_wz_charges_only_as_its_author_may_issue_in_finance(stock, staff, customer, tenant,
                                                             role, settlement, extra, allowed):
    from conftest import make_staff
    from core.roles import Role

    user = make_staff(tenant, f"user-{role}", Role(role))
    if extra == "tariff":
        extra = {"lease_tariff": _lease_tariff(staff).pk}
    if role == "accountant":  # the service asks finance; the pages and API ask for the
        # warehouse's own permission before it (add_stockdocument), which they have not
        assert not user.has_perm("warehouse.add_stockdocument")
    try:
        wz = _issue(user, stock, customer, [{"serial": "ONT1", "unit_price": "100.00"}],
                    settlement=settlement, **extra)
    except ValidationError as exc:
        assert not allowed, exc
        assert "You may not charge the customer this way" in exc.message_dict["settlement"][0]
        assert not FinanceDocument.objects.exists() and not Subscription.objects.exists()
        assert StockItem.objects.get(serial="ONT1").state == "in_stock"
    else:
        assert allowed and wz.settlement == settlement


@pytest.mark.django_db
def test_a_lease_of_counted_goods_ends_when_they_are_all_back_lent_goods_first(stock, staff,
                                                                             customer):
    """Cable given with no charge, then cable leased: returned cable covers the leased
    metres first (what is lent comes back); the lease ends with the return that covers its
    last metre (its serial back too); more cable back is the given one."""
    tariff = _lease_tariff(staff, name="Dzierżawa okablowania")
    _issue(staff, stock, customer, [{"product": stock.cable.pk, "quantity": 5}])
    lease = _issue(staff, stock, customer, ["ONT1", {"product": stock.cable.pk, "quantity": 3}],
                   settlement="lease", lease_tariff=tariff.pk)
    subscription = Subscription.objects.get(pk=lease.subscription_id)

    first = _return(staff, stock, customer, ["ONT1", {"product": stock.cable.pk, "quantity": 2}])
    assert first.return_settlement.leases_ended == []  # 1 m of the lease still out
    subscription.refresh_from_db()
    assert subscription.end_date is None

    last_day = lease.issued_on + timedelta(days=2)
    second = _return(staff, stock, customer, [{"product": stock.cable.pk, "quantity": 1}],
                     issued_on=last_day)
    [ended] = second.return_settlement.leases_ended
    assert (ended.issue_document.pk, ended.end_date) == (lease.pk, last_day)
    subscription.refresh_from_db()
    assert subscription.end_date == last_day
    # read back when the same ZW's form comes again
    assert services.settlement.return_settlement_get(second).leases_ended[0].end_date \
        == last_day
    third = _return(staff, stock, customer, [{"product": stock.cable.pk, "quantity": 4}])
    assert third.return_settlement.leases_ended == []


@pytest.mark.django_db
def test_a_lease_with_cable_still_out_does_not_end_when_its_serial_comes_back(stock, staff,
                                                                             customer):
    tariff = _lease_tariff(staff)
    lease = _issue(staff, stock, customer, ["ONT1", {"product": stock.cable.pk, "quantity": 2}],
                   settlement="lease", lease_tariff=tariff.pk)
    back = _return(staff, stock, customer, ["ONT1"])
    assert back.return_settlement.leases_ended == []
    assert Subscription.objects.get(pk=lease.subscription_id).end_date is None
    rest = _return(staff, stock, customer, [{"product": stock.cable.pk, "quantity": 2}])
    assert [e.issue_document.pk for e in rest.return_settlement.leases_ended] == [lease.pk]


@pytest.mark.django_db
def test_a_deposit_of_a_wz_dated_earlier_is_dated_with_it(stock, staff, customer):
    """The debit note is the WZ's paper: a WZ typed in today for equipment handed over
    three days ago charges the deposit on that day, due the tenant's payment days later."""
    handed_over = timezone.localdate() - timedelta(days=3)
    _issue(staff, stock, customer, ["ONT1"], settlement="deposit", deposit="50",
           issued_on=handed_over)
    note = FinanceDocument.objects.get(kind="debit_note")
    assert note.issue_date == handed_over
    assert note.due_date == handed_over + timedelta(days=14)


@pytest.mark.django_db
def test_a_sale_or_deposit_above_what_one_document_carries_is_refused(stock, staff, customer):
    """One ONT at 999 999 999 999.99 net: the invoice would overflow — refused with the
    reason on the settlement, nothing posted (no server error)."""
    with pytest.raises(ValidationError) as err:
        _issue(staff, stock, customer, [{"serial": "ONT1", "unit_price": "999999999999,99"}],
               settlement="sale")
    assert err.value.message_dict["settlement"] == [
        "Finance did not issue the invoice of the sale: At most 99,999,999.99 on one "
        "document."]
    with pytest.raises(ValidationError) as err:
        _issue(staff, stock, customer, ["ONT1"], settlement="deposit",
               deposit="100000000.00")
    assert "At most 99,999,999.99 on one document." in err.value.message_dict["settlement"][0]
    assert not StockDocument.objects.filter(kind="WZ").exists()
    assert not FinanceDocument.objects.exists()
    assert StockItem.objects.get(serial="ONT1").state == "in_stock"
