"""Stock levels, serials and the customer's equipment in /api/v1/ as a program sees them:
the filters (a serial by its beginning, a MAC in any notation, a GPON serial), a scanned
code found, a serial's history, its description and login, the lists' query counts,
another tenant's serials and customers as 404s, a read-only role."""

import pytest

from conftest import make_staff, token_client
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from customers.services import customer_create
from warehouse import services
from warehouse.models import StockItem
from warehouse.tests import factories

pytestmark = pytest.mark.django_db

API = "/api/v1/warehouse/"


@pytest.fixture
def stock(in_tenant, staff, customer):
    stock = factories.Stock()
    factories.receive(staff, warehouse=stock.main, product=stock.ont,
                      serials=[{"serial": "ONT1", "mac": "00:11:22:33:44:01",
                                "gpon_serial": "DSNW00000001"}, "ONT2", "ONT10"])
    factories.receive(staff, warehouse=stock.van, product=stock.ont, serials=["VAN1"])
    factories.receive(staff, warehouse=stock.main, product=stock.stb,
                      serials=[{"serial": "STB1", "mac": "00:11:22:33:44:a1"}])
    factories.receive(staff, warehouse=stock.main, product=stock.cable, quantity=30)
    stock.wz = factories.issue(staff, warehouse=stock.main, customer=customer,
                               serials=["ONT1", "STB1"])
    services.return_post(actor=staff, customer=customer, warehouse=stock.main,
                         lines=[{"serial": "STB1", "state": "faulty"}])
    return stock


@pytest.fixture
def others(other_tenant, other_staff):
    with tenant_context(other_tenant):
        stock = factories.Stock()
        customer = customer_create(actor=other_staff, first_name="Piotr", last_name="Obcy")
        factories.receive(other_staff, warehouse=stock.main, product=stock.ont,
                          serials=[{"serial": "BETA1", "mac": "00:11:22:33:44:b1"}])
        factories.issue(other_staff, warehouse=stock.main, customer=customer,
                        serials=["BETA1"])
        return {"stock": stock, "customer": customer,
                "item": StockItem.objects.get(serial="BETA1")}


def _refused(response, field) -> list[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"], body
    return body["errors"][field]


def _serials(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["serial"] for row in response.json()["results"]]


# --------------------------------------------------------------------------- stock levels

def test_stock_levels_per_warehouse_and_product(api_client, stock, others,
                                                django_assert_num_queries):
    # token, membership, last use, role; serials counted per place, product and condition;
    # levels; the warehouses' and the products' names
    with django_assert_num_queries(8):
        response = api_client.get(f"{API}stock/")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["has_next"]) == (4, 1, False)
    assert [(r["warehouse_name"], r["product_name"], r["in_stock"], r["faulty"],
             r["working"], r["quantity"]) for r in body["results"]] == [
        ("Magazyn główny", "Dekoder Kaon KSTB", 1, 1, 0, "0.000"),
        ("Magazyn główny", "Kabel UTP kat. 5e", 0, 0, 0, "30.000"),
        ("Magazyn główny", "ONT Dasan H660GM", 2, 0, 2, "0.000"),
        ("Van Tomka", "ONT Dasan H660GM", 1, 0, 1, "0.000"),
    ]


def test_stock_levels_filters_and_pages(api_client, stock, others):
    def names(**params):
        response = api_client.get(f"{API}stock/", params)
        assert response.status_code == 200, response.json()
        return [(r["warehouse_name"], r["product_name"]) for r in response.json()["results"]]

    assert names(warehouse=stock.van.pk) == [("Van Tomka", "ONT Dasan H660GM")]
    assert names(product_kind="cable") == [("Magazyn główny", "Kabel UTP kat. 5e")]
    assert names(search="kaon") == [("Magazyn główny", "Dekoder Kaon KSTB")]
    assert names(search="100%_\\'\"") == []
    assert names(warehouse=others["stock"].main.pk) == []  # another tenant's: nothing
    page = api_client.get(f"{API}stock/", {"page_size": 3, "page": 2}).json()
    assert (page["count"], page["has_next"], len(page["results"])) == (4, False, 1)
    assert len(api_client.get(f"{API}stock/", {"page_size": 1000}).json()["results"]) == 4
    assert _refused(api_client.get(f"{API}stock/", {"product_kind": "sofa"}), "product_kind")
    assert _refused(api_client.get(f"{API}stock/", {"page": 0}), "page")


# --------------------------------------------------------------------------- serials

def test_serials_are_listed_filtered_and_found_by_any_scanned_form(api_client, stock,
                                                                   customer, others):
    items = f"{API}items/"
    assert _serials(api_client.get(items)) == ["ONT1", "ONT10", "ONT2", "STB1", "VAN1"]
    assert _serials(api_client.get(items, {"warehouse": stock.main.pk})) == [
        "ONT10", "ONT2", "STB1"]
    assert _serials(api_client.get(items, {"state": "issued"})) == ["ONT1"]
    assert _serials(api_client.get(items, {"customer": customer.pk})) == ["ONT1"]
    assert _serials(api_client.get(items, {"product": stock.stb.pk})) == ["STB1"]
    # a serial's beginning is not a prefix of every serial that starts alike only
    assert _serials(api_client.get(items, {"search": "ont1"})) == ["ONT1", "ONT10"]
    assert _serials(api_client.get(items, {"search": "ONT10"})) == ["ONT10"]
    assert _serials(api_client.get(items, {"search": "00-11-22-33-44-A1"})) == ["STB1"]
    assert _serials(api_client.get(items, {"search": "44534E5700000001"})) == ["ONT1"]
    assert _serials(api_client.get(items, {"search": "%_\\'\""})) == []
    assert _serials(api_client.get(items, {"search": "BETA1"})) == []
    assert _refused(api_client.get(items, {"state": "gone"}), "state")
    page = api_client.get(items, {"page_size": 2}).json()
    assert (page["page"], page["has_next"], len(page["results"])) == (1, True, 2)


def test_the_serials_list_query_count(api_client, stock, django_assert_num_queries):
    # token, membership, last use, role; the page (product, place, WZ, login, OLT joined)
    with django_assert_num_queries(5):
        response = api_client.get(f"{API}items/", {"search": "ONT1"})
    row = response.json()["results"][0]
    assert (row["serial"], row["state"], row["customer_name"], row["issue_document_number"]) \
        == ("ONT1", "issued", "1 Jan Kowalski", stock.wz.number)
    assert row["features"] == [{"feature": "gpon_serial", "value": "DSNW00000001"},
                               {"feature": "mac", "value": "00:11:22:33:44:01"}]


def test_a_scanned_code_finds_its_serial(api_client, stock, others):
    def found(code):
        response = api_client.get(f"{API}items/find/", {"code": code})
        return response.json()["serial"] if response.status_code == 200 else \
            response.status_code

    assert found(" ont1 ") == "ONT1"
    assert found("0011.2233.44a1") == "STB1"
    assert found("dsnw00000001") == "ONT1"
    assert found("ONT") == 404  # a beginning is not a scan
    assert found("BETA1") == 404
    assert found("00:11:22:33:44:b1") == 404
    assert _refused(api_client.get(f"{API}items/find/"), "code")


def test_a_serials_card_and_history(api_client, stock, customer, django_assert_num_queries):
    item = StockItem.objects.get(serial="STB1")
    # token, membership, last use, role; the serial; its moves
    with django_assert_num_queries(6):
        response = api_client.get(f"{API}items/{item.pk}/history/")

    assert response.status_code == 200
    body = response.json()
    assert (body["item"]["serial"], body["item"]["condition"], body["item"]["warehouse_name"]) \
        == ("STB1", "faulty", "Magazyn główny")
    assert [(m["document_kind"], m["from_warehouse_name"], m["to_warehouse_name"],
             m["customer_name"], m["state_after"]) for m in body["moves"]] == [
        ("PZ", "", "Magazyn główny", "", "in_stock"),
        ("WZ", "Magazyn główny", "", "1 Jan Kowalski", "issued"),
        ("ZW", "", "Magazyn główny", "1 Jan Kowalski", "in_stock"),
    ]
    assert api_client.get(f"{API}items/{item.pk}/").json()["product_kind"] == "stb"


def test_a_description_is_changed_as_typed(api_client, stock, customer):
    item = StockItem.objects.get(serial="ONT1")
    text = "Router w szafce \"RACK-1\" \\ 50% {login}"

    response = api_client.patch(f"{API}items/{item.pk}/", {"description": text},
                                format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["description"] == text
    assert StockItem.objects.get(pk=item.pk).description == text
    assert ActionLog.objects.filter(kind="stockitem.change", customer=customer).count() == 1
    response = api_client.patch(f"{API}items/{item.pk}/", {"description": "x" * 501},
                                format="json")
    assert _refused(response, "description")
    assert api_client.put(f"{API}items/{item.pk}/", {"description": "x"},
                          format="json").status_code == 405


def test_an_ont_is_bound_to_a_login_of_its_customer(api_client, staff, stock, customer):
    from radius.services import login_create

    item = StockItem.objects.get(serial="ONT1")
    login = login_create(actor=staff, customer=customer, login="jan-pc", password="haslo-123")
    neighbour = customer_create(actor=staff, first_name="Ewa", last_name="Nowak")
    theirs = login_create(actor=staff, customer=neighbour, login="ewa-pc",
                          password="haslo-123")
    url = f"{API}items/{item.pk}/login/"

    response = api_client.post(url, {"login": login.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["login"], response.json()["login_name"]) == (login.pk, "jan-pc")
    assert _refused(api_client.post(url, {"login": theirs.pk}, format="json"), "login") == [
        "The login ewa-pc is not this customer's."]
    response = api_client.post(url, {"login": None}, format="json")
    assert response.status_code == 200 and response.json()["login"] is None
    in_stock = StockItem.objects.get(serial="ONT2")
    response = api_client.post(f"{API}items/{in_stock.pk}/login/", {"login": login.pk},
                               format="json")
    assert "at a customer" in _refused(response, "login")[0]


def test_another_tenants_serial_is_a_404_and_their_login_not_found(api_client, stock,
                                                                   customer, others):
    theirs = others["item"]
    for method, url, body in (("get", f"{API}items/{theirs.pk}/", None),
                              ("get", f"{API}items/{theirs.pk}/history/", None),
                              ("patch", f"{API}items/{theirs.pk}/", {"description": "x"}),
                              ("post", f"{API}items/{theirs.pk}/login/", {"login": None})):
        response = getattr(api_client, method)(url, body, format="json")
        assert response.status_code == 404, (method, url)
    with tenant_context(others["customer"].tenant):
        from radius.services import login_create

        their_login = login_create(actor=None, customer=others["customer"], login="obcy-pc",
                                   password="haslo-123")
        assert StockItem.objects.get(pk=theirs.pk).description == ""
    mine = StockItem.objects.get(serial="ONT1")
    response = api_client.post(f"{API}items/{mine.pk}/login/", {"login": their_login.pk},
                               format="json")
    assert _refused(response, "login") == ["No such login."]


# --------------------------------------------------------------------------- the card

def test_the_customers_equipment(api_client, stock, customer, django_assert_num_queries):
    url = f"/api/v1/customers/{customer.pk}/equipment/"
    # token, membership, last use, role; the customer; the equipment (WZ and login joined)
    with django_assert_num_queries(6):
        response = api_client.get(url)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["serial"], row["product_name"], row["issue_document_number"],
            row["issued_on"]) == ("ONT1", "ONT Dasan H660GM", stock.wz.number,
                                  stock.wz.issued_on.isoformat())
    assert {f["feature"]: f["value"] for f in row["features"]} == {
        "gpon_serial": "DSNW00000001", "mac": "00:11:22:33:44:01"}


def test_another_tenants_customer_equipment_is_a_404(api_client, other_api_client, stock,
                                                      customer, others):
    assert api_client.get(
        f"/api/v1/customers/{others['customer'].pk}/equipment/").status_code == 404
    assert other_api_client.get(
        f"/api/v1/customers/{customer.pk}/equipment/").status_code == 404


def test_a_reader_sees_the_stock_but_changes_no_serial(tenant, stock):
    reader = token_client(make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT), tenant)
    item = StockItem.objects.get(serial="ONT1")

    assert reader.get(f"{API}stock/").status_code == 200
    assert reader.get(f"{API}items/{item.pk}/history/").status_code == 200
    assert reader.patch(f"{API}items/{item.pk}/", {"description": "x"},
                        format="json").status_code == 403
    assert reader.post(f"{API}items/{item.pk}/login/", {"login": None},
                       format="json").status_code == 403
    assert StockItem.objects.get(pk=item.pk).description == ""
