"""MM, RW and the inventory, and a serial's history through all of its documents."""

import pytest
from django.core.exceptions import ValidationError

from customers.services import customer_create
from warehouse import selectors, services
from warehouse.models import ItemMove, StockDocument, StockItem, StockLevel
from warehouse.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(in_tenant, staff):
    stock = factories.Stock()
    factories.receive(staff, warehouse=stock.main, product=stock.ont,
                      serials=["ONT1", "ONT2", "ONT3", "ONT4"])
    factories.receive(staff, warehouse=stock.van, product=stock.ont, serials=["VAN1"])
    factories.receive(staff, warehouse=stock.main, product=stock.cable, quantity=50)
    return stock


def _level(warehouse, product):
    return StockLevel.objects.get(warehouse=warehouse, product=product).quantity


# --------------------------------------------------------------------------- MM

def test_a_move_takes_serials_and_cable_to_the_van(stock, staff):
    mm = services.move_post(actor=staff, warehouse=stock.main, target_warehouse=stock.van,
                            lines=["ONT1", {"product": stock.cable.pk, "quantity": "12.5"}])
    item = StockItem.objects.get(serial="ONT1")
    assert (item.state, item.warehouse_id) == ("in_stock", stock.van.pk)
    assert (_level(stock.main, stock.cable), _level(stock.van, stock.cable)) == (37.5, 12.5)
    move = ItemMove.objects.get(document=mm)
    assert (move.from_warehouse_id, move.to_warehouse_id) == (stock.main.pk, stock.van.pk)
    assert mm.target_warehouse_id == stock.van.pk and mm.number.startswith("MM/")


def test_a_move_needs_two_warehouses_and_the_stock_where_it_starts(stock, staff):
    with pytest.raises(ValidationError) as err:
        services.move_post(actor=staff, warehouse=stock.main, target_warehouse=stock.main.pk,
                           lines=["ONT1"])
    assert err.value.message_dict["target_warehouse"] == ["Choose another warehouse to move to."]
    with pytest.raises(ValidationError) as err:
        services.move_post(actor=staff, warehouse=stock.main, target_warehouse=stock.van,
                           lines=["VAN1", {"product": stock.cable.pk, "quantity": 51}])
    assert err.value.message_dict["lines"] == [
        "Line 1: The serial VAN1 is not in the warehouse Magazyn główny: it is in the "
        "warehouse Van Tomka.",
        "Line 2: Only 50 m of Kabel UTP kat. 5e in the warehouse Magazyn główny; 51 asked."]
    assert not StockDocument.objects.filter(kind="MM").exists()
    assert not StockLevel.objects.filter(warehouse=stock.van).exclude(quantity=0).exists()


# --------------------------------------------------------------------------- RW

def test_internal_use_and_scrap(stock, staff):
    rw = services.internal_post(actor=staff, warehouse=stock.main, lines=[
        "ONT1", {"serial": "ONT2", "scrap": True}, {"product": stock.cable.pk, "quantity": 5}])
    states = dict(StockItem.objects.filter(serial__in=["ONT1", "ONT2"])
                  .values_list("serial", "state"))
    assert states == {"ONT1": "used", "ONT2": "scrapped"}
    assert not StockItem.objects.filter(serial__in=["ONT1", "ONT2"],
                                        warehouse__isnull=False).exists()
    assert _level(stock.main, stock.cable) == 45
    assert [line.return_state for line in rw.lines.order_by("id")] == ["", "scrap", ""]
    with pytest.raises(ValidationError) as err:
        services.internal_post(actor=staff, warehouse=stock.main, lines=["ONT1"])
    assert "it is used internally" in err.value.message_dict["lines"][0]
    with pytest.raises(ValidationError):
        services.internal_post(actor=staff, warehouse=stock.main,
                               lines=[{"serial": "ONT3", "scrap": "yes"}])


# --------------------------------------------------------------------------- INW

def test_an_inventory_books_what_was_not_found_and_the_counted_difference(stock, staff):
    inw = services.inventory_post(actor=staff, warehouse=stock.main,
                                  serials=["ont1", "ONT2", "ONT2", " ONT3 "],
                                  quantities=[{"product": stock.cable.pk, "quantity": "47.5"}])
    lost = StockItem.objects.get(serial="ONT4")
    assert (lost.state, lost.warehouse_id) == ("lost", None)
    assert StockItem.objects.filter(state="in_stock", warehouse=stock.main).count() == 3
    assert _level(stock.main, stock.cable) == 47.5
    lines = {line.product_id: (line.expected, line.quantity) for line in inw.lines.all()}
    assert lines == {stock.ont.pk: (4, 3), stock.cable.pk: (50, 47.5)}
    assert ItemMove.objects.get(document=inw).item_id == lost.pk
    # Found again by the next inventory.
    services.inventory_post(actor=staff, warehouse=stock.main,
                            serials=["ONT1", "ONT2", "ONT3", "ONT4"])
    assert StockItem.objects.get(serial="ONT4").state == "in_stock"


def test_a_serial_scanned_that_is_elsewhere_is_refused_with_the_list(stock, staff, customer):
    factories.issue(staff, warehouse=stock.main, customer=customer, serials=["ONT4"])
    with pytest.raises(ValidationError) as err:
        services.inventory_post(actor=staff, warehouse=stock.main,
                                serials=["ONT1", "VAN1", "ONT4", "NEW9"])
    message = err.value.message_dict["serials"][0]
    assert "move each here by its own document first" in message
    assert "VAN1 is in the warehouse Van Tomka" in message
    assert f"ONT4 is at the customer {customer.number} Jan Kowalski" in message
    assert "NEW9 is not known" in message
    assert not StockDocument.objects.filter(kind="INW").exists()
    assert StockItem.objects.get(serial="ONT2").state == "in_stock"


def test_a_partial_inventory_counts_only_its_products(stock, staff):
    factories.receive(staff, warehouse=stock.main, product=stock.stb, serials=["STB1"])
    services.inventory_post(actor=staff, warehouse=stock.main, products=[stock.stb.pk],
                            serials=["STB1"])
    assert not StockItem.objects.filter(state="lost").exists()  # the ONTs were not counted
    with pytest.raises(ValidationError) as err:
        services.inventory_post(actor=staff, warehouse=stock.main, products=[stock.stb],
                                serials=["ONT1"])
    assert "not among the products" in err.value.message_dict["serials"][0]
    with pytest.raises(ValidationError):
        services.inventory_post(actor=staff, warehouse=stock.main, products=[999999])


def test_counting_cable_alone_never_loses_the_serials(stock, staff):
    held = StockItem.objects.filter(state="in_stock", warehouse=stock.main).count()
    services.inventory_post(actor=staff, warehouse=stock.main,
                            quantities=[{"product": stock.cable.pk, "quantity": "7"}])
    assert _level(stock.main, stock.cable) == 7
    assert StockItem.objects.filter(state="in_stock", warehouse=stock.main).count() == held
    assert held and not StockItem.objects.filter(state="lost").exists()
    with pytest.raises(ValidationError) as err:  # neither scanned nor counted: nothing
        services.inventory_post(actor=staff, warehouse=stock.main)
    assert "Scan the serials or count the products." in err.value.message_dict["serials"]


def test_a_negative_count_is_refused_and_zero_is_a_count(stock, staff):
    with pytest.raises(ValidationError):
        services.inventory_post(actor=staff, warehouse=stock.main, serials=[],
                                quantities=[{"product": stock.cable.pk, "quantity": -1}])
    services.inventory_post(actor=staff, warehouse=stock.main, products=[stock.cable],
                            quantities=[{"product": stock.cable.pk, "quantity": 0}])
    assert _level(stock.main, stock.cable) == 0


# --------------------------------------------------------------------------- history

def test_a_serials_history_shows_every_step_and_who_had_it(stock, staff, customer,
                                                           django_assert_num_queries):
    pz = StockDocument.objects.get(kind="PZ", lines__item__serial="ONT1")
    wz = factories.issue(staff, warehouse=stock.main, customer=customer, serials=["ONT1"])
    other = customer_create(actor=staff, first_name="Ewa", last_name="Nowak")
    zw = services.return_post(actor=staff, customer=customer, warehouse=stock.main,
                              lines=[{"serial": "ONT1", "state": "faulty"}])
    mm = services.move_post(actor=staff, warehouse=stock.main, target_warehouse=stock.van,
                            lines=["ONT1"])
    item = StockItem.objects.get(serial="ONT1")
    with django_assert_num_queries(1):  # the moves with their documents, places, customers
        history = selectors.item_history(item_id=item.pk)
        steps = [(m.document.number, m.from_warehouse and m.from_warehouse.name,
                  m.to_warehouse and m.to_warehouse.name,
                  m.customer and m.customer.display_name, m.state_after, m.condition_after)
                 for m in history]
    assert steps == [
        (pz.number, None, "Magazyn główny", None, "in_stock", "working"),
        (wz.number, "Magazyn główny", None, "Jan Kowalski", "issued", "working"),
        (zw.number, None, "Magazyn główny", "Jan Kowalski", "in_stock", "faulty"),
        (mm.number, "Magazyn główny", "Van Tomka", None, "in_stock", "faulty"),
    ]
    assert other.pk not in {m.customer_id for m in history}


def test_counting_cable_with_the_onts_chosen_but_none_scanned_loses_no_ont(stock, staff):
    """"Count only these products": ONT and cable chosen, the cable counted and nothing
    scanned — only the cable is counted; the ONTs are not booked lost."""
    services.inventory_post(actor=staff, warehouse=stock.main,
                            products=[stock.ont.pk, stock.cable.pk],
                            quantities=[{"product": stock.cable.pk, "quantity": "45"}])
    assert _level(stock.main, stock.cable) == 45
    assert not StockItem.objects.filter(state="lost").exists()
    assert StockItem.objects.filter(state="in_stock", warehouse=stock.main).count() == 4


def test_a_level_that_would_overflow_refuses_the_document(stock, staff, customer):
    """A stock level holds at most 999 999 999.999: a PZ or an MM that would take one
    beyond is refused with the reason — no server error, nothing posted."""
    factories.receive(staff, warehouse=stock.van, product=stock.cable, quantity="999999999")
    with pytest.raises(ValidationError) as err:
        factories.receive(staff, warehouse=stock.van, product=stock.cable, quantity="1")
    assert err.value.message_dict["lines"] == [
        "Van Tomka would hold more Kabel UTP kat. 5e than a stock level can (at most "
        "999999999.999)."]
    with pytest.raises(ValidationError) as err:
        services.move_post(actor=staff, warehouse=stock.main, target_warehouse=stock.van,
                           lines=[{"product": stock.cable.pk, "quantity": "5"}])
    assert "would hold more" in err.value.message_dict["lines"][0]
    assert (_level(stock.main, stock.cable), _level(stock.van, stock.cable)) == (
        50, 999999999)
    assert StockDocument.objects.filter(kind="MM").count() == 0
