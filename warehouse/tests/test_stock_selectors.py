"""What staff read of the stock: levels per warehouse and product, a scanned code found,
the customer's equipment, the documents — each in a fixed number of queries."""

from decimal import Decimal

import pytest

from core.tenancy import tenant_context
from warehouse import selectors, services
from warehouse.models import StockItem
from warehouse.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(in_tenant, staff, customer):
    stock = factories.Stock()
    factories.receive(staff, warehouse=stock.main, product=stock.ont,
                      serials=[{"serial": "ONT1", "mac": "00:11:22:33:44:01",
                                "gpon_serial": "DSNW00000001"}, "ONT2", "ONT3", "ONT4"])
    factories.receive(staff, warehouse=stock.van, product=stock.ont, serials=["VAN1"])
    factories.receive(staff, warehouse=stock.main, product=stock.stb,
                      serials=[{"serial": "STB1", "mac": "00:11:22:33:44:a1"}])
    factories.receive(staff, warehouse=stock.main, product=stock.cable, quantity=30)
    stock.wz = factories.issue(staff, warehouse=stock.main, customer=customer,
                               serials=["ONT1", "STB1"])
    services.return_post(actor=staff, customer=customer, warehouse=stock.main,
                         lines=[{"serial": "STB1", "state": "faulty"}])
    return stock


def _rows(page):
    return [(r.warehouse_name, r.product_name, r.in_stock, r.faulty, r.quantity)
            for r in page.rows]


def test_stock_levels_per_warehouse_and_product(stock, django_assert_num_queries):
    # serials counted per place, product and condition (ids alone); levels; the names of
    # the warehouses and of the products shown
    with django_assert_num_queries(4):
        page = selectors.stock_levels()
    assert _rows(page) == [
        ("Magazyn główny", "Dekoder Kaon KSTB", 1, 1, 0),
        ("Magazyn główny", "Kabel UTP kat. 5e", 0, 0, Decimal("30")),
        ("Magazyn główny", "ONT Dasan H660GM", 3, 0, 0),
        ("Van Tomka", "ONT Dasan H660GM", 1, 0, 0),
    ]
    assert page.count == 4 and not page.has_next
    assert page.rows[0].working == 0


def test_stock_levels_filters_and_pages(stock):
    assert _rows(selectors.stock_levels(warehouse_id=stock.van.pk)) == [
        ("Van Tomka", "ONT Dasan H660GM", 1, 0, 0)]
    assert [r.product_name for r in selectors.stock_levels(product_kind="cable").rows] == [
        "Kabel UTP kat. 5e"]
    assert [r.product_name for r in selectors.stock_levels(search="kaon").rows] == [
        "Dekoder Kaon KSTB"]
    assert selectors.stock_levels(search="100%_\\'").rows == []
    first = selectors.stock_levels(per_page=3)
    second = selectors.stock_levels(per_page=3, page="2")
    assert first.has_next and not second.has_next
    assert len(first.rows) == 3 and _rows(second) == [("Van Tomka", "ONT Dasan H660GM", 1, 0, 0)]
    assert selectors.stock_levels(page="10**20").number == 1


def test_another_tenant_sees_none_of_it(stock, other_tenant):
    with tenant_context(other_tenant):
        assert selectors.stock_levels().rows == []
        assert selectors.item_find(code="ONT1") is None
        assert selectors.document_list().rows == []
        with pytest.raises(StockItem.DoesNotExist):
            selectors.item_get(pk=StockItem.all_tenants.get(serial="ONT1").pk)


@pytest.mark.parametrize("code", ["ont1", " ONT1 ", "00-11-22-33-44-01", "001122334401",
                                  "dsnw00000001", "44534E5700000001"])
def test_a_scanned_serial_mac_or_gpon_serial_finds_the_item(stock, code):
    item = selectors.item_find(code=code)
    assert item is not None and item.serial == "ONT1"


@pytest.mark.parametrize("code", ["", "   ", "NOPE", "00:11:22:33:44:99", None, "x" * 500])
def test_an_unknown_code_finds_nothing(stock, code):
    assert selectors.item_find(code=code) is None


def test_the_customers_equipment(stock, customer, django_assert_num_queries):
    with django_assert_num_queries(1):  # the items with product, WZ and login
        items = selectors.customer_equipment_list(customer_id=customer.pk)
        shown = [(i.product.name, i.serial, i.mac, i.issue_document.number,
                  i.issue_document.issued_on, i.login, i.features) for i in items]
    assert shown == [("ONT Dasan H660GM", "ONT1", "00:11:22:33:44:01", stock.wz.number,
                      stock.wz.issued_on, None,
                      [("GPON serial", "DSNW00000001"), ("MAC address", "00:11:22:33:44:01")])]


def test_document_list_filters_and_counts(stock, customer, django_assert_num_queries):
    with django_assert_num_queries(1):  # documents with parties and their line counts
        page = selectors.document_list()
        shown = [(d.kind, d.warehouse.name, d.supplier and d.supplier.name,
                  d.customer and d.customer.display_name, d.line_count) for d in page.rows]
    assert [kind for kind, *_rest in shown] == ["ZW", "WZ", "PZ", "PZ", "PZ", "PZ"]
    assert shown[1] == ("WZ", "Magazyn główny", None, "Jan Kowalski", 2)
    assert [d.kind for d in selectors.document_list(customer_id=customer.pk).rows] == [
        "ZW", "WZ"]
    assert [d.kind for d in selectors.document_list(kind="PZ", warehouse_id=stock.van.pk)
            .rows] == ["PZ"]
    assert [d.number for d in selectors.document_list(search="stb1").rows] == [
        selectors.document_list(kind="ZW").rows[0].number, stock.wz.number,
        selectors.document_list(kind="PZ").rows[1].number]
    assert [d.number for d in selectors.document_list(search=stock.wz.number).rows] == [
        stock.wz.number]
    assert selectors.document_list(search="%").rows == []


def test_document_get_with_its_lines(stock, django_assert_num_queries):
    with django_assert_num_queries(3):  # the document, its lines, its moves
        document = selectors.document_get(pk=stock.wz.pk)
        lines = [(line.product.name, line.item.serial) for line in document.lines.all()]
        moved = [move.item.serial for move in document.moves.all()]
    assert lines == [("ONT Dasan H660GM", "ONT1"), ("Dekoder Kaon KSTB", "STB1")]
    assert moved == ["ONT1", "STB1"]


def test_the_customer_search_finds_who_has_the_device(stock, customer, staff):
    from core.search import search_hits

    assert selectors.equipment_search("001122334401", 50) == [
        (customer.pk, "equipment ONT Dasan H660GM S/N ONT1")]
    assert selectors.equipment_search("ONT2", 50) == []  # in stock: nobody's
    assert selectors.equipment_search("Kowalski", 50) == []
    hits = search_hits(query="ont1", user=staff)
    assert "equipment ONT Dasan H660GM S/N ONT1" in hits[customer.pk]
