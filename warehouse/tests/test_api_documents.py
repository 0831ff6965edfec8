"""Warehouse documents in /api/v1/warehouse/documents/ as a program sees them: each kind
posted by its own request shape, a refusal naming every wrong line at once in the one
error shape, the same request token posting once, the list's filters and their query
counts, the PDF, another tenant's documents and ids, a read-only role."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection

from conftest import make_staff, token_client
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from customers.services import customer_create
from warehouse.models import StockDocument, StockItem, StockLevel
from warehouse.tests import factories

pytestmark = pytest.mark.django_db

API = "/api/v1/warehouse/documents/"


@pytest.fixture
def stock(in_tenant, staff):
    stock = factories.Stock()
    factories.receive(staff, warehouse=stock.main, product=stock.ont,
                      serials=[{"serial": "ONT1", "mac": "00:11:22:33:44:01",
                                "gpon_serial": "DSNW00000001"}, "ONT2", "ONT3"])
    factories.receive(staff, warehouse=stock.van, product=stock.ont, serials=["VAN1"])
    factories.receive(staff, warehouse=stock.main, product=stock.cable, quantity=30)
    return stock


@pytest.fixture
def neighbour(in_tenant, staff):
    return customer_create(actor=staff, first_name="Ewa", last_name="Nowak")


@pytest.fixture
def others(other_tenant, other_staff):
    """Tenant B's warehouse, customer, product and a WZ."""
    with tenant_context(other_tenant):
        stock = factories.Stock()
        customer = customer_create(actor=other_staff, first_name="Piotr", last_name="Obcy")
        factories.receive(other_staff, warehouse=stock.main, product=stock.ont,
                          serials=["BETA1"])
        wz = factories.issue(other_staff, warehouse=stock.main, customer=customer,
                             serials=["BETA1"])
    return {"stock": stock, "customer": customer, "wz": wz}


def _refused(response, field) -> list[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"], body
    return body["errors"][field]


def _post(api_client, kind, body):
    return api_client.post(f"{API}{kind}/", body, format="json")


# --------------------------------------------------------------------------- each kind

def test_a_pz_receives_scanned_serials_and_a_counted_quantity(api_client, stock):
    response = _post(api_client, "pz", {
        "supplier": stock.supplier.pk, "warehouse": stock.van.pk,
        "supplier_document": "FV 12/2026 \"Dasan\" \\ 1",
        "lines": [
            {"product": stock.ont.pk, "unit_price": "149,99", "serials": [
                {"serial": " dsnw 0001 ", "mac": "AA-BB-CC-00-11-22",
                 "gpon_serial": "44534E5700000099"},
                {"serial": "DSNW0002"}]},
            {"product": stock.cable.pk, "quantity": "12,5"},
        ]})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "PZ" and body["number"] and body["code"].startswith("MAG")
    assert body["supplier_name"] == "Dasan Polska"
    assert body["supplier_document"] == "FV 12/2026 \"Dasan\" \\ 1"
    assert [(line["serial"], line["quantity"], line["unit_price"]) for line in body["lines"]] \
        == [("DSNW0001", "1.000", "149.99"), ("DSNW0002", "1.000", "149.99"),
            ("", "12.500", "1.20")]
    assert {move["serial"] for move in body["moves"]} == {"DSNW0001", "DSNW0002"}
    item = StockItem.objects.get(serial="DSNW0001")
    assert (item.mac, item.gpon_serial, item.warehouse) == ("aa:bb:cc:00:11:22",
                                                            "DSNW00000099", stock.van)
    assert StockLevel.objects.get(warehouse=stock.van, product=stock.cable).quantity \
        == Decimal("12.5")


def test_a_wz_issues_to_the_customer_and_a_zw_takes_it_back_faulty(api_client, stock,
                                                                  customer):
    response = _post(api_client, "wz", {
        "warehouse": stock.main.pk, "customer": customer.pk, "note": "Montaż 'u' klienta",
        "lines": [{"serial": "ont1"}, {"product": stock.cable.pk, "quantity": "10"}]})

    assert response.status_code == 201, response.json()
    wz = response.json()
    assert (wz["kind"], wz["customer"], wz["settlement"]) == ("WZ", customer.pk, "none")
    assert wz["customer_name"].endswith("Jan Kowalski")
    assert StockItem.objects.get(serial="ONT1").customer == customer
    assert StockLevel.objects.get(warehouse=stock.main, product=stock.cable).quantity == 20

    response = _post(api_client, "zw", {
        "customer": customer.pk, "warehouse": stock.main.pk,
        "lines": [{"serial": "ONT1", "state": "faulty"}]})

    assert response.status_code == 201, response.json()
    zw = response.json()
    assert zw["kind"] == "ZW" and zw["lines"][0]["return_state"] == "faulty"
    assert zw["return_settlement"] == {"leases_ended": [], "deposits": []}
    item = StockItem.objects.get(serial="ONT1")
    assert (item.state, item.condition, item.warehouse) == ("in_stock", "faulty", stock.main)


def test_a_sale_wz_names_its_invoice(api_client, stock, customer):
    response = _post(api_client, "wz", {
        "warehouse": stock.main.pk, "customer": customer.pk, "settlement": "sale",
        "lines": [{"serial": "ONT2", "unit_price": "199.00"}]})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["settlement"] == "sale" and body["invoice"] and body["invoice_number"]
    assert body["lines"][0]["unit_price"] == "199.00"


def test_mm_rw_and_inw_move_scrap_and_count(api_client, stock):
    response = _post(api_client, "mm", {
        "warehouse": stock.main.pk, "target_warehouse": stock.van.pk,
        "lines": [{"serial": "ONT2"}, {"product": stock.cable.pk, "quantity": "5"}]})
    assert response.status_code == 201, response.json()
    mm = response.json()
    assert (mm["warehouse_name"], mm["target_warehouse_name"]) == ("Magazyn główny",
                                                                   "Van Tomka")
    assert StockItem.objects.get(serial="ONT2").warehouse == stock.van

    response = _post(api_client, "rw", {
        "warehouse": stock.van.pk, "lines": [{"serial": "ONT2", "scrap": True},
                                             {"product": stock.cable.pk, "quantity": "1"}]})
    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["return_state"] == "scrap"
    assert StockItem.objects.get(serial="ONT2").state == "scrapped"

    response = _post(api_client, "inw", {
        "warehouse": stock.main.pk, "serials": ["ont1"],
        "quantities": [{"product": stock.cable.pk, "quantity": "0"}]})
    assert response.status_code == 201, response.json()
    inw = response.json()
    assert [m["serial"] for m in inw["moves"]] == ["ONT3"]  # held, not scanned: lost
    assert inw["moves"][0]["state_after"] == "lost"
    assert {(line["product_name"], line["quantity"], line["expected"])
            for line in inw["lines"]} == {("ONT Dasan H660GM", "1.000", "2.000"),
                                          ("Kabel UTP kat. 5e", "0.000", "25.000")}
    assert StockItem.objects.get(serial="ONT3").state == "lost"


# --------------------------------------------------------------------------- refusals

def test_a_serial_not_in_the_warehouse_is_refused_saying_where_it_is(api_client, stock,
                                                                    customer):
    response = _post(api_client, "wz", {"warehouse": stock.main.pk, "customer": customer.pk,
                                        "lines": [{"serial": "VAN1"}]})

    assert _refused(response, "lines") == [
        "Line 1: The serial VAN1 is not in the warehouse Magazyn główny: it is in the "
        "warehouse Van Tomka."]
    assert not StockDocument.objects.filter(kind="WZ").exists()


def test_every_wrong_line_is_named_at_once_and_nothing_moves(api_client, stock, customer):
    response = _post(api_client, "wz", {"warehouse": stock.main.pk, "customer": customer.pk,
                                        "lines": [{"serial": "ONT1"}, {"serial": "NOSUCH"},
                                                  {"serial": "ONT1"},
                                                  {"product": stock.cable.pk,
                                                   "quantity": "1e3"}]})

    # the form of a quantity is the request's shape: refused before the lines are read
    assert _refused(response, "lines.3.quantity") == [
        "A quantity: digits, and at most 3 decimals after a comma or a dot."]
    response = _post(api_client, "wz", {"warehouse": stock.main.pk, "customer": customer.pk,
                                        "lines": [{"serial": "ONT1"}, {"serial": "NOSUCH"},
                                                  {"serial": "ONT1"}, {"serial": "bad serial!"}]})
    assert _refused(response, "lines") == [
        "Line 3: the serial ONT1 is already on line 1 of this document.",
        "Line 4: “bad serial!” is not a serial number: letters, digits and . _ / - only, at "
        "most 64, starting with a letter or a digit."]
    response = _post(api_client, "wz", {"warehouse": stock.main.pk, "customer": customer.pk,
                                        "lines": [{"serial": "ONT1"}, {"serial": "NOSUCH"},
                                                  {"product": stock.cable.pk,
                                                   "quantity": "31"}]})
    assert _refused(response, "lines") == [
        "Line 2: The serial NOSUCH is not known: receive it by a PZ first.",
        "Line 3: Only 30 m of Kabel UTP kat. 5e in the warehouse Magazyn główny; 31 asked."]
    assert StockItem.objects.get(serial="ONT1").state == "in_stock"


def test_a_line_is_a_serial_or_a_product_never_both_nor_neither(api_client, stock,
                                                                customer):
    response = _post(api_client, "wz", {
        "warehouse": stock.main.pk, "customer": customer.pk,
        "lines": [{"serial": "ONT1", "product": stock.ont.pk}, {}, {"serial": "ONT2",
                                                                   "quantity": "2"}]})

    body = response.json()
    assert response.status_code == 400
    assert set(body["errors"]) == {"lines.0", "lines.1", "lines.2.quantity"}
    assert body["errors"]["lines.2.quantity"] == ["A serial is one piece: no quantity."]


@pytest.mark.parametrize("issued_on", ["9999-12-31", "1900-01-01"])
def test_a_far_date_is_refused_on_the_date(api_client, stock, customer, issued_on):
    response = _post(api_client, "wz", {"warehouse": stock.main.pk, "customer": customer.pk,
                                        "issued_on": issued_on, "lines": [{"serial": "ONT1"}]})

    assert "is outside" in _refused(response, "issued_on")[0]


def test_a_body_past_a_pallet_is_refused_before_anything_reads_its_lines(api_client, stock):
    """5,000 lines at most (MAX_SERIALS): a million would be parsed line by line first."""
    serials = [{"serial": f"BULK{n:05d}"} for n in range(5001)]
    response = _post(api_client, "pz", {
        "supplier": stock.supplier.pk, "warehouse": stock.van.pk,
        "lines": [{"product": stock.ont.pk, "serials": serials}]})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "lines.0.serials": ["Ensure this field has no more than 5000 elements."]}
    response = _post(api_client, "mm", {
        "warehouse": stock.main.pk, "target_warehouse": stock.van.pk,
        "lines": [f"X{n}" for n in range(5001)]})
    assert "lines" in response.json()["errors"]
    assert not StockItem.objects.filter(serial__startswith="BULK").exists()


def test_a_missing_body_names_each_required_field(api_client, stock):
    response = _post(api_client, "mm", {})

    assert set(_refused(response, "warehouse")) == {"This field is required."}
    assert set(response.json()["errors"]) == {"warehouse", "target_warehouse", "lines"}
    response = _post(api_client, "mm", {"warehouse": stock.main.pk,
                                        "target_warehouse": stock.main.pk, "lines": []})
    assert _refused(response, "target_warehouse") == ["Choose another warehouse to move to."]


def test_the_same_request_token_posts_one_document(api_client, stock, customer):
    token = str(uuid.uuid4())
    body = {"warehouse": stock.main.pk, "customer": customer.pk, "request_token": token,
            "lines": [{"serial": "ONT1"}]}

    first, again = _post(api_client, "wz", body), _post(api_client, "wz", body)

    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert StockDocument.objects.filter(kind="WZ").count() == 1
    assert ActionLog.objects.filter(kind="stockdocument.wz").count() == 1
    response = _post(api_client, "zw", {"warehouse": stock.main.pk, "customer": customer.pk,
                                        "request_token": token,
                                        "lines": [{"serial": "ONT1"}]})
    assert "already used for another document" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_one_serial_sent_to_two_customers_at_once_goes_to_one(tenant, staff):
    with tenant_context(tenant):
        stock = factories.Stock()
        factories.receive(staff, warehouse=stock.main, product=stock.ont, serials=["RACE1"])
        first = customer_create(actor=staff, first_name="Jan", last_name="Kowalski")
        second = customer_create(actor=staff, first_name="Ewa", last_name="Nowak")
    clients = [token_client(staff, tenant), token_client(staff, tenant)]
    barrier, answers = threading.Barrier(2), [None, None]

    def post(index, customer):
        try:
            barrier.wait(5)
            answers[index] = clients[index].post(f"{API}wz/", {
                "warehouse": stock.main.pk, "customer": customer.pk,
                "lines": [{"serial": "RACE1"}]}, format="json")
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i, c)) for i, c in enumerate((first,
                                                                                 second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(a.status_code for a in answers) == [201, 400]
    refused = next(a for a in answers if a.status_code == 400).json()
    assert "is not in the warehouse" in refused["errors"]["lines"][0]
    with tenant_context(tenant):
        winner = next(a for a in answers if a.status_code == 201).json()["customer"]
        assert StockItem.objects.get(serial="RACE1").customer_id == winner
        assert StockDocument.objects.filter(kind="WZ").count() == 1


# --------------------------------------------------------------------------- reading

def _some_documents(staff, stock, customer, neighbour):
    factories.issue(staff, warehouse=stock.main, customer=customer, serials=["ONT1"])
    factories.issue(staff, warehouse=stock.van, customer=neighbour, serials=["VAN1"])


def test_the_list_filters_by_kind_warehouse_customer_and_serial(api_client, staff, stock,
                                                                customer, neighbour):
    _some_documents(staff, stock, customer, neighbour)

    def numbers(**params):
        response = api_client.get(API, params)
        assert response.status_code == 200, response.json()
        return [(row["kind"], row["warehouse_name"]) for row in response.json()["results"]]

    assert numbers(kind="WZ") == [("WZ", "Van Tomka"), ("WZ", "Magazyn główny")]
    assert numbers(kind="WZ", warehouse=stock.van.pk) == [("WZ", "Van Tomka")]
    assert numbers(customer=customer.pk) == [("WZ", "Magazyn główny")]
    assert numbers(search="ont1") == [("WZ", "Magazyn główny"), ("PZ", "Magazyn główny")]
    assert numbers(search="100%_\\'\"") == []
    assert len(numbers()) == 5
    page = api_client.get(API, {"page_size": 2, "page": 2}).json()
    assert (page["page"], page["has_next"], len(page["results"])) == (2, True, 2)
    assert api_client.get(API, {"page": 99}).json()["results"] == []
    assert numbers(date_from="2000-01-01", date_to="2000-01-31") == []
    response = api_client.get(API, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert _refused(response, "date_to")
    assert _refused(api_client.get(API, {"kind": "XX"}), "kind")


def test_the_list_query_count(api_client, staff, stock, customer, neighbour,
                              django_assert_num_queries):
    _some_documents(staff, stock, customer, neighbour)
    # token, membership, last use, role; the page (parties and count of lines joined)
    with django_assert_num_queries(5):
        response = api_client.get(API, {"search": "ONT1"})
    assert response.status_code == 200 and len(response.json()["results"]) == 2
    row = response.json()["results"][0]
    assert (row["kind"], row["line_count"], row["customer"]) == ("WZ", 1, customer.pk)


def test_a_document_with_its_lines_and_moves(api_client, staff, stock, customer,
                                             django_assert_num_queries):
    wz = factories.issue(staff, warehouse=stock.main, customer=customer, serials=["ONT1"],
                         quantities=[(stock.cable, 2)])
    # token, membership, last use, role; the document, its lines, its moves
    with django_assert_num_queries(7):
        response = api_client.get(f"{API}{wz.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["created_by_name"]) == (wz.number, "Anna Testowy")
    assert [(line["serial"], line["product_name"]) for line in body["lines"]] == [
        ("ONT1", "ONT Dasan H660GM"), ("", "Kabel UTP kat. 5e")]
    assert [(m["serial"], m["from_warehouse"], m["customer"], m["state_after"])
            for m in body["moves"]] == [("ONT1", stock.main.pk, customer.pk, "issued")]


def test_a_document_prints_as_a_pdf(api_client, staff, stock, customer):
    wz = factories.issue(staff, warehouse=stock.main, customer=customer, serials=["ONT1"])

    response = api_client.get(f"{API}{wz.pk}/pdf/")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert wz.number.replace("/", "-") in response["Content-Disposition"]


# --------------------------------------------------------------------------- tenants, roles

def test_another_tenants_document_is_a_404(api_client, stock, others):
    wz = others["wz"]
    for url in (f"{API}{wz.pk}/", f"{API}{wz.pk}/pdf/"):
        response = api_client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    listed = api_client.get(API, {"search": "BETA1"}).json()
    assert listed["results"] == []


def test_another_tenants_ids_in_a_body_are_not_found(api_client, stock, customer, others):
    theirs = others["stock"]
    response = _post(api_client, "wz", {"warehouse": theirs.main.pk,
                                        "customer": others["customer"].pk,
                                        "lines": [{"serial": "BETA1"}]})
    assert _refused(response, "warehouse") == ["No such warehouse."]
    response = _post(api_client, "wz", {"warehouse": stock.main.pk,
                                        "customer": others["customer"].pk,
                                        "lines": [{"serial": "ONT1"}]})
    assert _refused(response, "customer") == ["No such customer."]
    response = _post(api_client, "pz", {"supplier": theirs.supplier.pk,
                                        "warehouse": stock.main.pk,
                                        "lines": [{"product": stock.ont.pk,
                                                   "serials": [{"serial": "X1"}]}]})
    assert _refused(response, "supplier") == ["No such supplier."]
    response = _post(api_client, "pz", {"supplier": stock.supplier.pk,
                                        "warehouse": stock.main.pk,
                                        "lines": [{"product": theirs.ont.pk,
                                                   "serials": [{"serial": "X1"}]}]})
    assert _refused(response, "lines") == ["Line 1: no such product."]
    # their serial is no serial here
    response = _post(api_client, "wz", {"warehouse": stock.main.pk, "customer": customer.pk,
                                        "lines": [{"serial": "BETA1"}]})
    assert "not known" in _refused(response, "lines")[0]
    with tenant_context(others["customer"].tenant):
        assert StockItem.objects.get(serial="BETA1").customer == others["customer"]


def test_a_reader_lists_documents_but_posts_none(tenant, stock, customer):
    reader = token_client(make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT), tenant)

    assert reader.get(API).status_code == 200
    response = reader.post(f"{API}wz/", {"warehouse": stock.main.pk, "customer": customer.pk,
                                         "lines": [{"serial": "ONT1"}]}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    technician = token_client(make_staff(tenant, "technik", role=Role.TECHNICIAN), tenant)
    response = technician.post(f"{API}wz/", {"warehouse": stock.main.pk,
                                             "customer": customer.pk,
                                             "lines": [{"serial": "ONT1"}]}, format="json")
    assert response.status_code == 201, response.json()
