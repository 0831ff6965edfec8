"""ZW: equipment back from the customer — working, faulty or to scrap — and the card of a
serial at the customer: its description and the login it serves."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.events import subscribe, unsubscribe
from core.models import ActionLog
from core.tenancy import tenant_context
from customers.services import customer_create
from warehouse import services
from warehouse.models import ItemMove, Olt, StockItem, StockLevel
from warehouse.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(in_tenant, staff, customer):
    stock = factories.Stock()
    factories.receive(staff, warehouse=stock.main, product=stock.ont,
                      serials=["ONT1", "ONT2", "ONT3", "ONT4"])
    factories.receive(staff, warehouse=stock.main, product=stock.cable, quantity=20)
    stock.wz = factories.issue(staff, warehouse=stock.main, customer=customer,
                               serials=["ONT1", "ONT2", "ONT3"],
                               quantities=[(stock.cable, 10)])
    return stock


@pytest.fixture
def neighbour(staff, in_tenant):
    return customer_create(actor=staff, first_name="Ewa", last_name="Nowak")


@pytest.fixture
def login(staff, customer):
    from radius.services import login_create

    return login_create(actor=staff, customer=customer, login="jan-pc", password="haslo-123")


def _return(staff, stock, customer, lines, **extra):
    return services.return_post(actor=staff, customer=customer, warehouse=stock.main,
                                lines=lines, **extra)


def test_a_return_books_each_serial_by_its_state(stock, staff, customer,
                                                 django_capture_on_commit_callbacks):
    got = []

    def returned(**data):
        got.append(data["serial"])

    subscribe("warehouse.item_returned", returned)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            zw = _return(staff, stock, customer, [
                "ONT1", {"serial": "ont2", "state": "faulty"},
                {"serial": "ONT3", "state": "scrap"},
                {"product": stock.cable.pk, "quantity": 4}])
    finally:
        unsubscribe("warehouse.item_returned", returned)
    places = {i.serial: (i.state, i.condition, i.warehouse_id, i.customer_id,
                         i.issue_document_id) for i in StockItem.objects.all()}
    assert places["ONT1"] == ("in_stock", "working", stock.main.pk, None, None)
    assert places["ONT2"] == ("in_stock", "faulty", stock.main.pk, None, None)
    assert places["ONT3"] == ("scrapped", "faulty", None, None, None)
    assert [line.return_state for line in zw.lines.order_by("id")] == [
        "working", "faulty", "scrap", "working"]
    assert StockLevel.objects.get(warehouse=stock.main, product=stock.cable).quantity == 14
    move = ItemMove.objects.get(document=zw, item__serial="ONT3")
    assert (move.customer_id, move.to_warehouse_id, move.state_after) == (
        customer.pk, None, "scrapped")
    assert got == ["ONT1", "ONT2", "ONT3"]
    assert ActionLog.objects.get(kind="stockdocument.zw").customer_id == customer.pk


def test_an_ont_still_on_its_olt_is_not_taken_back_and_a_removed_one_loses_its_login(
        stock, staff, customer, login):
    olt = Olt.objects.create(name="OLT-1", vendor="huawei", host="10.0.0.1", username="admin",
                             password="x")
    item = StockItem.objects.get(serial="ONT1")
    services.item_login_bind(actor=staff, item=item, login=login)
    StockItem.objects.filter(pk=item.pk).update(olt=olt, olt_port="0/1/3", ont_id=7)
    with pytest.raises(ValidationError) as err:  # live on the OLT: removed from it first
        _return(staff, stock, customer, ["ONT1"])
    assert "remove it from the OLT first" in err.value.message_dict["lines"][0]
    item.refresh_from_db()
    assert (item.state, item.olt_id, item.ont_id) == ("issued", olt.pk, 7)
    StockItem.objects.filter(pk=item.pk).update(olt=None, olt_port="", ont_id=None)
    _return(staff, stock, customer, ["ONT1"])
    item.refresh_from_db()
    assert (item.state, item.login_id, item.olt_id) == ("in_stock", None, None)


def test_only_what_is_at_this_customer_comes_back(stock, staff, customer, neighbour):
    with pytest.raises(ValidationError) as err:
        _return(staff, stock, neighbour, ["ONT1", "ONT4", "GHOST"])
    assert err.value.message_dict["lines"] == [
        "Line 1: The serial ONT1 is not at this customer: it is at the customer "
        f"{customer.number} Jan Kowalski.",
        "Line 2: The serial ONT4 is not at this customer: it is in the warehouse Magazyn "
        "główny.",
        "Line 3: The serial GHOST is not known."]
    assert StockItem.objects.get(serial="ONT1").customer_id == customer.pk


def test_counted_stock_comes_back_working_or_to_scrap(stock, staff, customer):
    with pytest.raises(ValidationError) as err:
        _return(staff, stock, customer, [{"product": stock.cable.pk, "quantity": 1,
                                          "state": "faulty"}])
    assert "comes back working or to scrap" in err.value.message_dict["lines"][0]
    _return(staff, stock, customer, [{"product": stock.cable.pk, "quantity": 3,
                                      "state": "scrap"}])
    assert StockLevel.objects.get(warehouse=stock.main, product=stock.cable).quantity == 10


def test_an_unknown_return_state_is_refused(stock, staff, customer):
    with pytest.raises(ValidationError) as err:
        _return(staff, stock, customer, [{"serial": "ONT1", "state": "broken"}])
    assert "choose the state" in err.value.message_dict["lines"][0]


# --------------------------------------------------------------------------- the card

def test_the_description_is_edited_and_logged(stock, staff, customer):
    item = StockItem.objects.get(serial="ONT1")
    services.item_description_set(actor=staff, item=item, description="  Na strychu  ")
    item.refresh_from_db()
    assert item.description == "Na strychu"
    entry = ActionLog.objects.get(kind="stockitem.change")
    assert entry.customer_id == customer.pk
    assert entry.changes == {"description": ["", "Na strychu"]}
    for bad in ("x" * 501, "line\nbreak"):
        with pytest.raises(ValidationError) as err:
            services.item_description_set(actor=staff, item=item, description=bad)
        assert "description" in err.value.message_dict


def test_an_ont_is_bound_to_one_of_its_customers_logins(stock, staff, customer, neighbour,
                                                        login):
    from radius.services import login_create

    item = StockItem.objects.get(serial="ONT1")
    bound = services.item_login_bind(actor=staff, item=item, login=login.pk)
    assert bound.login_id == login.pk
    assert ActionLog.objects.filter(kind="stockitem.login", customer=customer).exists()
    theirs = login_create(actor=staff, customer=neighbour, login="ewa-pc", password="haslo-123")
    with pytest.raises(ValidationError) as err:
        services.item_login_bind(actor=staff, item=item, login=theirs)
    assert err.value.message_dict["login"] == ["The login ewa-pc is not this customer's."]
    with pytest.raises(ValidationError) as err:
        services.item_login_bind(actor=staff, item=StockItem.objects.get(serial="ONT4"),
                                 login=login)
    assert "at a customer" in err.value.message_dict["login"][0]
    assert services.item_login_bind(actor=staff, item=item, login=None).login_id is None


def test_another_tenants_serial_or_login_is_not_found(stock, staff, customer, login,
                                                      other_tenant):
    item = StockItem.objects.get(serial="ONT1")
    with tenant_context(other_tenant):
        with pytest.raises(StockItem.DoesNotExist):
            services.item_description_set(actor=None, item=item, description="x")
        with pytest.raises(StockItem.DoesNotExist):
            services.item_login_bind(actor=None, item=item, login=None)
        their_customer = customer_create(actor=None, first_name="Obcy", last_name="Klient")
        from radius.services import login_create

        their_login = login_create(actor=None, customer=their_customer, login="obcy-pc",
                                   password="haslo-123")
    with pytest.raises(ValidationError) as err:
        services.item_login_bind(actor=staff, item=item, login=their_login.pk)
    assert err.value.message_dict["login"] == ["No such login."]
    assert StockItem.objects.get(pk=item.pk).description == ""


def test_a_return_is_priced_at_nothing(stock, staff, customer):
    zw = _return(staff, stock, customer, ["ONT1"])
    assert zw.lines.get().unit_price == Decimal("0.00")


def test_counted_goods_come_back_only_as_far_as_the_customer_has_them(stock, staff, customer,
                                                                       neighbour):
    """10 m issued (the fixture's WZ): 4 m back, then 7 m more is refused (6 m left); a
    neighbour with none returns none."""
    level = StockLevel.objects.get(warehouse=stock.main, product=stock.cable)
    assert level.quantity == 10
    _return(staff, stock, customer, [{"product": stock.cable.pk, "quantity": 4}])
    with pytest.raises(ValidationError) as err:
        _return(staff, stock, customer, ["ONT1", {"product": stock.cable.pk, "quantity": 7,
                                                  "state": "scrap"}])
    assert err.value.message_dict["lines"] == [
        "Line 2: the customer has 6 m of Kabel UTP kat. 5e (issued by WZ and not returned); "
        "7 returned."]
    assert StockItem.objects.get(serial="ONT1").customer_id == customer.pk
    with pytest.raises(ValidationError) as err:
        _return(staff, stock, neighbour, [{"product": stock.cable.pk, "quantity": "0.5"}])
    assert "the customer has 0 m of Kabel UTP kat. 5e" in err.value.message_dict["lines"][0]
    level.refresh_from_db()
    assert level.quantity == 14  # 10 + the 4 m back; nothing of the refused ones
    _return(staff, stock, customer, [{"product": stock.cable.pk, "quantity": "6.000"}])
    level.refresh_from_db()
    assert level.quantity == 20
    with pytest.raises(ValidationError):
        _return(staff, stock, customer, [{"product": stock.cable.pk, "quantity": "0.001"}])
