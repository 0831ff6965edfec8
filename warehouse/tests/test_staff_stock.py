"""The stock pages as staff use them: levels per warehouse and product (filtered, paged, in
a few queries), the serials of one product in one warehouse, a serial's page with its
full history, "find a serial" by its serial, MAC or GPON serial, the menu — and another
tenant's ids as 404s."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_staff
from core.roles import Role
from core.tenancy import tenant_context
from customers.services import customer_create
from warehouse import services
from warehouse.models import StockItem
from warehouse.tests import factories

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


def _levels(response) -> list[str]:
    """Each row of the stock table as "warehouse | product | in stock | working | faulty |
    quantity"."""
    import re

    table = _html(response).split('id="stock-levels"')[1].split("</table>")[0]
    rows = []
    for row in table.split("<tr id=")[1:]:
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in row.split("<td")[1:]]
        cells = [" ".join(cell.split(">", 1)[-1].split()) for cell in cells]
        rows.append(" | ".join(cells[:2] + cells[3:]))
    return rows


@pytest.fixture
def stock(in_tenant, staff, customer):
    stock = factories.Stock()
    factories.receive(staff, warehouse=stock.main, product=stock.ont, serials=[
        {"serial": "ONT1", "mac": "00:11:22:33:44:01", "gpon_serial": "DSNW00000001"},
        "ONT2", "ONT3", "ONT4"])
    factories.receive(staff, warehouse=stock.van, product=stock.ont, serials=["VAN1"])
    factories.receive(staff, warehouse=stock.main, product=stock.stb, serials=[
        {"serial": "STB1", "mac": "00:11:22:33:44:a1"}])
    factories.receive(staff, warehouse=stock.main, product=stock.cable, quantity="30.5")
    stock.wz = factories.issue(staff, warehouse=stock.main, customer=customer,
                               serials=["ONT1", "STB1"])
    stock.zw = services.return_post(actor=staff, customer=customer, warehouse=stock.main,
                                    lines=[{"serial": "STB1", "state": "faulty"}])
    return stock


# --------------------------------------------------------------------------- stock levels

def test_the_stock_page_shows_each_warehouse_and_product(staff_client, stock):
    response = staff_client.get(reverse("warehouse:stock"))
    assert response.status_code == 200
    assert _levels(response) == [
        "Magazyn główny | Dekoder Kaon KSTB | 1 | 0 | 1 | —",
        "Magazyn główny | Kabel UTP kat. 5e | — | — | — | 30.5 m",
        "Magazyn główny | ONT Dasan H660GM | 3 | 3 | 0 | —",
        "Van Tomka | ONT Dasan H660GM | 1 | 1 | 0 | —",
    ]
    html = _html(response)
    link = (reverse("warehouse:stock_items")
            + f"?warehouse={stock.van.pk}&amp;product={stock.ont.pk}")
    assert link in html


def test_the_stock_page_filters_by_warehouse_type_and_name(staff_client, stock):
    url = reverse("warehouse:stock")
    assert [row.split(" | ")[1] for row in _levels(staff_client.get(
        url, {"warehouse": stock.van.pk}))] == ["ONT Dasan H660GM"]
    assert [row.split(" | ")[1] for row in _levels(staff_client.get(
        url, {"kind": "cable"}))] == ["Kabel UTP kat. 5e"]
    assert [row.split(" | ")[1] for row in _levels(staff_client.get(
        url, {"q": "kaon"}))] == ["Dekoder Kaon KSTB"]
    assert _levels(staff_client.get(url, {"q": "%_\\'\""})) == []
    for junk in ({"warehouse": "x"}, {"kind": "tv"}, {"page": "0"}):
        assert len(_levels(staff_client.get(url, junk))) == 4


def test_the_stock_page_is_paged(staff_client, stock, staff):
    for n in range(55):
        product = factories.CableFactory(name=f"Złączka {n:02d}")
        factories.receive(staff, warehouse=stock.van, product=product, quantity=1)
    url = reverse("warehouse:stock")
    first = staff_client.get(url, {"warehouse": stock.van.pk})
    assert len(_levels(first)) == 50 and "56 rows" in _html(first)
    assert f"?page=2&amp;warehouse={stock.van.pk}" in _html(first)
    assert len(_levels(staff_client.get(url, {"warehouse": stock.van.pk, "page": 2}))) == 6


def test_the_stock_page_reads_in_a_few_queries(staff_client, stock, staff,
                                               django_assert_num_queries):
    for n in range(10):
        warehouse = factories.WarehouseFactory(name=f"Van {n}")
        factories.receive(staff, warehouse=warehouse, product=stock.ont, count=3)
        factories.receive(staff, warehouse=warehouse, product=stock.cable, quantity=5)
    staff_client.get(reverse("warehouse:stock"))  # the session settled (its first save)
    # session, user, membership with the role; the warehouses of the filter; the serials in
    # stock counted per warehouse, product and condition; the counted products' levels;
    # the names of the warehouses and products shown — whatever their number. With a type
    # or a search, the products they name first.
    with django_assert_num_queries(8):
        response = staff_client.get(reverse("warehouse:stock"))
    assert len(_levels(response)) == 24
    with django_assert_num_queries(9):
        staff_client.get(reverse("warehouse:stock"), {"kind": "ont", "q": "dasan"},
                         headers={"HX-Request": "true"})


# --------------------------------------------------------------------------- serials

def test_the_serials_of_a_product_in_a_warehouse(staff_client, stock):
    response = staff_client.get(reverse("warehouse:stock_items"),
                                {"warehouse": stock.main.pk, "product": stock.ont.pk})
    html = _html(response)
    assert response.status_code == 200
    assert "ONT2" in html and "ONT3" in html and "ONT4" in html
    assert "ONT1" not in html.split('id="item-list"')[1]  # at the customer
    assert "VAN1" not in html
    item = StockItem.objects.get(serial="ONT2")
    assert reverse("warehouse:item", args=[item.pk]) in html


def test_the_serials_list_is_paged_and_reads_in_a_few_queries(staff_client, stock, staff,
                                                              django_assert_num_queries):
    factories.receive(staff, warehouse=stock.van, product=stock.ont,
                      serials=[f"P{n:03d}" for n in range(60)])
    url = reverse("warehouse:stock_items")
    params = {"warehouse": stock.van.pk, "product": stock.ont.pk}
    staff_client.get(url, params)  # the session settled (its first save)
    # session, user, membership with the role; the warehouse; the product; the page of serials.
    with django_assert_num_queries(6):
        first = staff_client.get(url, params)
    assert _html(first).split('id="item-list"')[1].count('id="item-') == 50
    second = _html(staff_client.get(url, {**params, "page": 2}))
    assert second.split('id="item-list"')[1].count('id="item-') == 11 and "VAN1" in second


def test_the_serials_list_wants_a_warehouse_and_a_product(staff_client, stock):
    url = reverse("warehouse:stock_items")
    assert staff_client.get(url).status_code == 404
    assert staff_client.get(url, {"warehouse": stock.main.pk, "product": "x"}
                            ).status_code == 404
    assert staff_client.get(url, {"warehouse": 10**12, "product": stock.ont.pk}
                            ).status_code == 404


def test_a_serials_page_shows_its_whole_history(staff_client, stock, customer):
    item = StockItem.objects.get(serial="STB1")
    html = _html(staff_client.get(reverse("warehouse:item", args=[item.pk])))
    assert "S/N STB1" in html and "00:11:22:33:44:a1" in html
    history = html.split('id="item-history"')[1].split("</table>")[0]
    rows = history.split("<tr>")[2:]
    assert len(rows) == 3  # PZ, WZ, ZW
    pz, wz, zw = rows
    assert "PZ" in pz and "Magazyn główny" in pz
    assert stock.wz.number in wz and reverse("customers:card", args=[customer.pk]) in wz
    assert "at the customer" in wz
    assert stock.zw.number in zw and "faulty" in zw and "in stock" in zw
    assert 'id="item-place"' in html and "Magazyn główny" in html.split('id="item-place"')[1]


def test_an_issued_serials_page_names_the_customer_and_its_wz(staff_client, stock, customer):
    item = StockItem.objects.get(serial="ONT1")
    html = _html(staff_client.get(reverse("warehouse:item", args=[item.pk])))
    place = html.split('id="item-place"')[1].split("</dd>")[0]
    assert "Kowalski" in place and reverse("warehouse:document", args=[stock.wz.pk]) in place


def test_a_serials_page_reads_in_a_fixed_number_of_queries(staff_client, stock,
                                                           django_assert_num_queries):
    item = StockItem.objects.get(serial="STB1")
    staff_client.get(reverse("warehouse:item", args=[item.pk]))  # the session settled
    # session, user, membership with the role; the item with its product and place; its
    # history with documents, warehouses and customers.
    with django_assert_num_queries(5):
        staff_client.get(reverse("warehouse:item", args=[item.pk]))


@pytest.mark.parametrize("code,serial", [
    ("ont1", "ONT1"), (" ONT 1 ", "ONT1"), ("00-11-22-33-44-A1", "STB1"),
    ("0011.2233.4401", "ONT1"), ("dsnw00000001", "ONT1"),
])
def test_find_a_serial_by_its_serial_mac_or_gpon_serial(staff_client, stock, code, serial):
    response = staff_client.get(reverse("warehouse:item_find"), {"code": code})
    assert response.status_code == 302
    assert response["Location"] == reverse("warehouse:item",
                                           args=[StockItem.objects.get(serial=serial).pk])


def test_find_a_serial_says_when_nothing_is_known(staff_client, stock):
    response = staff_client.get(reverse("warehouse:item_find"), {"code": 'NOPE"<b>'})
    assert response.status_code == 404
    html = _html(response)
    assert 'id="item-not-found"' in html and "NOPE&quot;&lt;b&gt;" in html
    empty = staff_client.get(reverse("warehouse:item_find"))
    assert empty.status_code == 200 and 'id="item-find-code"' in _html(empty)


# --------------------------------------------------------------------------- who may

def test_the_menu_lists_the_stock_pages_by_permission():
    from django.template.loader import render_to_string

    everything = render_to_string("warehouse/staff/_menu.html", {"perms": {"warehouse": {
        "view_stockdocument": True, "view_stockitem": True, "add_stockdocument": True}}})
    for name in ("documents", "stock", "item_find", "document_new_pz", "document_new_wz",
                 "document_new_zw", "document_new_mm", "document_new_rw",
                 "document_new_inw"):
        assert reverse(f"warehouse:{name}") in everything
    viewing = render_to_string("warehouse/staff/_menu.html", {"perms": {"warehouse": {
        "view_stockdocument": True, "view_stockitem": True}}})
    assert reverse("warehouse:documents") in viewing
    assert reverse("warehouse:document_new_pz") not in viewing


def test_an_accountant_sees_the_stock(tenant, stock):
    client = _client(make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT))
    assert client.get(reverse("warehouse:stock")).status_code == 200
    item = StockItem.objects.get(serial="ONT2")
    assert client.get(reverse("warehouse:item", args=[item.pk])).status_code == 200


def test_another_tenants_serials_are_404s(other_tenant, other_staff, stock):
    client = _client(other_staff)
    item = StockItem.objects.get(serial="ONT2")
    assert client.get(reverse("warehouse:item", args=[item.pk])).status_code == 404
    assert client.get(reverse("warehouse:stock_items"), {
        "warehouse": stock.main.pk, "product": stock.ont.pk}).status_code == 404
    assert client.get(reverse("warehouse:item_find"), {"code": "ONT2"}).status_code == 404
    assert _levels(client.get(reverse("warehouse:stock"))) == []
    # its own serial of the same number is its own
    with tenant_context(other_tenant):
        theirs = factories.WarehouseFactory(name="Magazyn Beta")
        product = factories.ProductFactory(name="ONT Beta")
        buyer = customer_create(actor=other_staff, first_name="Ola", last_name="Beta")
        factories.receive(other_staff, warehouse=theirs, product=product, serials=["ONT2"])
        factories.issue(other_staff, warehouse=theirs, customer=buyer, serials=["ONT2"])
    found = client.get(reverse("warehouse:item_find"), {"code": "ONT2"})
    assert found.status_code == 302 and found["Location"] != reverse(
        "warehouse:item", args=[item.pk])
