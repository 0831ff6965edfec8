"""WZ: equipment issued to a customer — only from where it is, never below zero — and
what the customer pays for it: a sale invoiced, a lease put on the customer's tariffs, a
deposit charged."""

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.events import subscribe, unsubscribe
from core.models import ActionLog
from customers.services import address_add, customer_create
from finance.models import FinanceDocument, Subscription
from warehouse import services
from warehouse.models import ItemMove, StockDocument, StockItem, StockLevel
from warehouse.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(in_tenant, staff):
    stock = factories.Stock()
    factories.receive(staff, warehouse=stock.main, product=stock.ont,
                      serials=[{"serial": "ONT1", "mac": "00:11:22:33:44:01"}, "ONT2", "ONT3"])
    factories.receive(staff, warehouse=stock.main, product=stock.stb,
                      serials=[{"serial": "STB1", "mac": "00:11:22:33:44:a1"}])
    factories.receive(staff, warehouse=stock.van, product=stock.ont, serials=["VAN1"])
    factories.receive(staff, warehouse=stock.main, product=stock.cable, quantity=20)
    return stock


@pytest.fixture
def neighbour(staff, in_tenant):
    return customer_create(actor=staff, first_name="Ewa", last_name="Nowak")


@pytest.fixture
def events():
    got = []

    def issued(**data):
        got.append(("issued", data))

    def returned(**data):
        got.append(("returned", data))

    subscribe("warehouse.item_issued", issued)
    subscribe("warehouse.item_returned", returned)
    yield got
    unsubscribe("warehouse.item_issued", issued)
    unsubscribe("warehouse.item_returned", returned)


def _issue(staff, stock, customer, lines, **extra):
    return services.issue_post(actor=staff, warehouse=stock.main, customer=customer,
                               lines=lines, **extra)


def test_an_issue_puts_the_serials_at_the_customer(stock, staff, customer, events,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        wz = _issue(staff, stock, customer, ["ont1", " STB1", {"product": stock.cable.pk,
                                                               "quantity": "15,5"}])
    ont, stb = StockItem.objects.get(serial="ONT1"), StockItem.objects.get(serial="STB1")
    for item in (ont, stb):
        assert (item.state, item.customer_id, item.warehouse_id, item.issue_document_id) == (
            "issued", customer.pk, None, wz.pk)
    assert StockLevel.objects.get(warehouse=stock.main, product=stock.cable).quantity == \
        Decimal("4.5")
    move = ItemMove.objects.get(item=ont, document=wz)
    assert (move.from_warehouse_id, move.to_warehouse_id, move.customer_id, move.state_after) \
        == (stock.main.pk, None, customer.pk, "issued")
    assert [line.unit_price for line in wz.lines.order_by("id")] == [
        Decimal("150.00"), Decimal("90.00"), Decimal("1.20")]
    entry = ActionLog.objects.get(kind="stockdocument.wz")
    assert entry.customer_id == customer.pk
    assert [data["serial"] for _kind, data in events] == ["ONT1", "STB1"]
    assert events[1] == ("issued", {"item_id": stb.pk, "customer_id": customer.pk,
                                    "product_kind": "stb", "serial": "STB1",
                                    "mac": "00:11:22:33:44:a1", "document_id": wz.pk})


def test_a_refused_issue_publishes_nothing(stock, staff, customer, events,
                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        _issue(staff, stock, customer, ["ONT1", "VAN1"])
    assert events == []
    assert StockItem.objects.get(serial="ONT1").state == "in_stock"


def test_a_serial_elsewhere_is_refused_saying_where_it_is(stock, staff, customer, neighbour):
    _issue(staff, stock, neighbour, ["ONT2"])
    with pytest.raises(ValidationError) as err:
        _issue(staff, stock, customer, ["ONT1", "VAN1", "ONT2", "NOPE1"])
    assert err.value.message_dict["lines"] == [
        "Line 2: The serial VAN1 is not in the warehouse Magazyn główny: it is in the "
        "warehouse Van Tomka.",
        "Line 3: The serial ONT2 is not in the warehouse Magazyn główny: it is at the "
        f"customer {neighbour.number} Ewa Nowak.",
        "Line 4: The serial NOPE1 is not known: receive it by a PZ first."]
    assert StockItem.objects.get(serial="ONT1").state == "in_stock"
    assert StockDocument.objects.filter(kind="WZ").count() == 1


def test_counted_stock_never_goes_below_zero(stock, staff, customer):
    with pytest.raises(ValidationError) as err:
        _issue(staff, stock, customer, [{"product": stock.cable.pk, "quantity": "20.001"}])
    assert err.value.message_dict["lines"] == [
        "Line 1: Only 20 m of Kabel UTP kat. 5e in the warehouse Magazyn główny; 20.001 "
        "asked."]
    with pytest.raises(ValidationError) as err:  # the van never had any
        services.issue_post(actor=staff, warehouse=stock.van, customer=customer,
                            lines=[{"product": stock.cable.pk, "quantity": 1}])
    assert "Only 0 m" in err.value.message_dict["lines"][0]
    _issue(staff, stock, customer, [{"product": stock.cable.pk, "quantity": 20}])
    assert StockLevel.objects.get(warehouse=stock.main, product=stock.cable).quantity == 0


def test_a_faulty_serial_is_not_issued(stock, staff, customer, neighbour):
    _issue(staff, stock, neighbour, ["ONT3"])
    services.return_post(actor=staff, customer=neighbour, warehouse=stock.main,
                         lines=[{"serial": "ONT3", "state": "faulty"}])
    with pytest.raises(ValidationError) as err:
        _issue(staff, stock, customer, ["ONT3"])
    assert "ONT3 is faulty" in err.value.message_dict["lines"][0]


def test_the_installation_address_must_be_the_customers(stock, staff, customer, neighbour):
    own = address_add(actor=staff, customer=customer, kind="installation", street="Polna",
                      building_no="7", postal_code="05-500", city="Piaseczno")
    theirs = address_add(actor=staff, customer=neighbour, kind="installation",
                         street="Leśna", building_no="1", postal_code="05-500",
                         city="Piaseczno")
    with pytest.raises(ValidationError) as err:
        _issue(staff, stock, customer, ["ONT1"], address=theirs)
    assert err.value.message_dict["address"] == ["The address is not this customer's."]
    assert _issue(staff, stock, customer, ["ONT1"], address=own.pk).address_id == own.pk


def test_the_same_issue_form_twice_posts_one_wz(stock, staff, customer):
    token = uuid.uuid4()
    first = _issue(staff, stock, customer, ["ONT1"], request_token=token)
    again = _issue(staff, stock, customer, ["ONT1"], request_token=token)
    assert again.pk == first.pk and StockDocument.objects.filter(kind="WZ").count() == 1


# --------------------------------------------------------------------------- settlement

def test_a_sale_is_invoiced_line_by_line(stock, staff, customer):
    wz = _issue(staff, stock, customer, [{"serial": "ONT1", "unit_price": "199.00"},
                                         {"product": stock.cable.pk, "quantity": 10}],
                settlement="sale")
    invoice = FinanceDocument.objects.get(kind="invoice")
    assert StockDocument.objects.get(pk=wz.pk).invoice_id == invoice.pk
    assert invoice.customer_id == customer.pk and invoice.issue_date == wz.issued_on
    assert [(line.name, line.quantity, line.net_unit_price, line.vat_rate, line.unit)
            for line in invoice.lines.order_by("position")] == [
        ("ONT Dasan H660GM S/N ONT1", Decimal("1.000"), Decimal("199.00"), "23", "szt."),
        ("Kabel UTP kat. 5e", Decimal("10.000"), Decimal("1.20"), "23", "m")]
    assert invoice.debit == Decimal("259.53")  # (199.00 + 12.00) × 1.23


def test_a_sale_at_no_price_is_refused_and_nothing_moves(stock, staff, customer):
    with pytest.raises(ValidationError) as err:
        _issue(staff, stock, customer, [{"serial": "ONT1", "unit_price": "0"}],
               settlement="sale")
    assert err.value.message_dict["lines"] == ["A sale needs prices: the lines come to 0.00."]
    assert StockItem.objects.get(serial="ONT1").state == "in_stock"
    assert not FinanceDocument.objects.filter(kind="invoice").exists()


def test_a_lease_puts_its_tariff_on_the_customer(stock, staff, customer):
    from finance.billing import tariff_create

    tariff = tariff_create(actor=staff, name="Dzierżawa ONT", net_price="5.00", vat_rate="23")
    wz = _issue(staff, stock, customer, ["ONT1"], settlement="lease", lease_tariff=tariff.pk)
    subscription = Subscription.objects.get(customer=customer)
    assert subscription.tariff_id == tariff.pk and subscription.start_date == wz.issued_on
    assert StockDocument.objects.get(pk=wz.pk).subscription_id == subscription.pk
    with pytest.raises(ValidationError) as err:
        _issue(staff, stock, customer, ["ONT2"], settlement="lease")
    assert err.value.message_dict["lease_tariff"] == ["Choose the tariff of the lease."]


def test_a_deposit_is_charged_by_a_debit_note(stock, staff, customer):
    wz = _issue(staff, stock, customer, ["ONT1"], settlement="deposit", deposit="100,00")
    note = FinanceDocument.objects.get(kind="debit_note")
    assert note.debit == Decimal("100.00") and wz.number in note.title
    assert StockDocument.objects.get(pk=wz.pk).invoice_id == note.pk
    wz2 = _issue(staff, stock, customer, ["ONT2"], settlement="deposit")
    assert StockDocument.objects.get(pk=wz2.pk).invoice.debit == Decimal("150.00")


@pytest.mark.parametrize(("extra", "field"), [
    ({"settlement": "gift"}, "settlement"),
    ({"settlement": "none", "lease_tariff": 1}, "lease_tariff"),
    ({"settlement": "sale", "deposit": "10"}, "deposit"),
    ({"settlement": "deposit", "deposit": "-10"}, "deposit"),
    ({"settlement": "deposit", "deposit": "0"}, "deposit"),
    ({"settlement": "lease", "lease_tariff": 999999}, "lease_tariff"),
])
def test_a_settlement_that_does_not_fit_is_refused(stock, staff, customer, extra, field):
    with pytest.raises(ValidationError) as err:
        _issue(staff, stock, customer, ["ONT1"], **extra)
    assert field in err.value.message_dict
    assert StockItem.objects.get(serial="ONT1").state == "in_stock"

