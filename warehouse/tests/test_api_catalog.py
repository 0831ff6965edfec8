"""The catalogue in /api/v1/warehouse/: warehouses, suppliers and products as a program
sees them — the one error shape keyed by field, another tenant's ids as 404s, a read-only
role refused, the lists' filters and their query counts."""

from decimal import Decimal

import pytest

from conftest import make_staff, token_client
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from warehouse.models import Product, Supplier, Warehouse

from .catalog_factories import a_product, a_receipt, a_serial, a_supplier, a_warehouse

pytestmark = pytest.mark.django_db

API = "/api/v1/warehouse/"


@pytest.fixture
def reader(tenant):
    """Reads the catalogue, changes nothing of it (the accountant)."""
    return token_client(make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT), tenant)


@pytest.fixture
def technician(tenant):
    return token_client(make_staff(tenant, "technik", role=Role.TECHNICIAN), tenant)


@pytest.fixture
def others(other_tenant, other_staff):
    with tenant_context(other_tenant):
        return {"warehouse": a_warehouse(other_staff, "Magazyn Beta"),
                "supplier": a_supplier(other_staff, "Dostawca Beta"),
                "product": a_product(other_staff, "ONT Beta")}


def _refused(response, field) -> list[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"], body
    return body["errors"][field]


# --------------------------------------------------------------------------- warehouses

def test_a_warehouse_is_created_listed_and_changed(api_client, staff, tenant, in_tenant):
    tech = make_staff(tenant, "tomek", role=Role.TECHNICIAN)
    response = api_client.post(f"{API}warehouses/", {
        "name": "Auto Tomka", "kind": "van", "keeper": tech.pk}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["kind"], body["keeper"], body["keeper_name"], body["active"]) \
        == ("Auto Tomka", "van", tech.pk, "Tomek Testowy", True)

    response = api_client.patch(f"{API}warehouses/{body['id']}/", {
        "name": "Auto Tomka 2", "keeper": None}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["keeper"]) == ("Auto Tomka 2", None)
    assert ActionLog.objects.filter(kind="warehouse.change").count() == 1


def test_a_warehouse_of_a_taken_name_is_a_400_on_the_name(api_client, staff, in_tenant):
    a_warehouse(staff, "Magazyn")
    response = api_client.post(f"{API}warehouses/", {"name": " magazyn "}, format="json")
    assert _refused(response, "name") == ["A warehouse of this name exists."]
    assert Warehouse.objects.count() == 1


def test_a_warehouses_wrong_values_are_named_each(api_client, other_staff, in_tenant):
    response = api_client.post(f"{API}warehouses/", {
        "name": "", "kind": "garage", "keeper": other_staff.pk}, format="json")
    assert set(response.json()["errors"]) == {"name"}  # blank: refused as it is parsed
    response = api_client.post(f"{API}warehouses/", {
        "name": "Auto", "kind": "garage", "keeper": other_staff.pk}, format="json")
    assert set(response.json()["errors"]) == {"kind", "keeper"}
    response = api_client.post(f"{API}warehouses/", {
        "name": "Auto", "kind": "van", "keeper": other_staff.pk}, format="json")
    assert _refused(response, "keeper") == ["Choose a staff member of this operator."]
    assert not Warehouse.objects.exists()


def test_a_warehouse_is_deactivated_unless_it_holds_stock(api_client, staff, in_tenant):
    full, empty = a_warehouse(staff, "Pełny"), a_warehouse(staff, "Pusty")
    a_serial(product=a_product(staff), warehouse=full)

    response = api_client.post(f"{API}warehouses/{full.pk}/deactivate/")
    assert "still holds stock" in _refused(response, "active")[0]
    response = api_client.patch(f"{API}warehouses/{full.pk}/", {"active": False},
                                format="json")
    assert "still holds stock" in _refused(response, "active")[0]

    response = api_client.post(f"{API}warehouses/{empty.pk}/deactivate/")
    assert response.status_code == 200 and response.json()["active"] is False
    listed = api_client.get(f"{API}warehouses/", {"active": "true"}).json()
    assert [w["name"] for w in listed["results"]] == ["Pełny"]


def test_a_warehouse_named_by_a_document_is_not_deleted(api_client, staff, in_tenant):
    used, unused = a_warehouse(staff, "Używany"), a_warehouse(staff, "Pomyłka")
    a_receipt(warehouse=used, supplier=a_supplier(staff))

    response = api_client.delete(f"{API}warehouses/{used.pk}/")
    assert response.status_code == 400 and "deactivate it instead" in response.json()["detail"]
    assert api_client.delete(f"{API}warehouses/{unused.pk}/").status_code == 204
    assert list(Warehouse.objects.values_list("name", flat=True)) == ["Używany"]


def test_warehouses_list_only_the_tenants_own_filtered(api_client, staff, tenant, in_tenant,
                                                       others, django_assert_num_queries):
    for n in range(5):
        keeper = make_staff(tenant, f"tech{n}", role=Role.TECHNICIAN)
        a_warehouse(staff, f"Auto {n}", kind="van", keeper=keeper)
    a_warehouse(staff, "Oddział Radom", kind="branch")

    # token, membership, last use, role; count, the page (keepers joined)
    with django_assert_num_queries(6):
        body = api_client.get(f"{API}warehouses/", {"kind": "van"}).json()
    assert body["count"] == 5 and body["results"][4]["keeper_name"] == "Tech4 Testowy"
    found = api_client.get(f"{API}warehouses/", {"search": "radom"}).json()
    assert [w["name"] for w in found["results"]] == ["Oddział Radom"]
    assert "Magazyn Beta" not in str(api_client.get(f"{API}warehouses/").json())


# --------------------------------------------------------------------------- suppliers

def test_a_supplier_is_created_with_its_nip_compacted(api_client, in_tenant):
    response = api_client.post(f"{API}suppliers/", {
        "name": "Dasan Polska", "tax_id": "PL 526-025-02-74", "phone": "601 234 567",
        "email": "biuro@dasan.pl"}, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["tax_id"], response.json()["phone"]) == ("5260250274",
                                                                      "+48601234567")


def test_a_wrong_nip_and_e_mail_are_a_400_naming_each(api_client, in_tenant):
    response = api_client.post(f"{API}suppliers/", {
        "name": "Dasan", "tax_id": "5260250275", "email": "dasan"}, format="json")
    body = response.json()
    assert response.status_code == 400 and set(body["errors"]) == {"tax_id", "email"}
    assert "NIP" in body["errors"]["tax_id"][0]
    assert not Supplier.objects.exists()


def test_a_supplier_is_changed_searched_and_kept_while_a_receipt_names_it(api_client, staff,
                                                                          in_tenant):
    supplier = a_supplier(staff, "Dasan Polska", tax_id="5260250274")
    a_supplier(staff, "ZTE Polska")
    response = api_client.patch(f"{API}suppliers/{supplier.pk}/",
                                {"address": "ul. Prosta 1\\2"}, format="json")
    assert response.status_code == 200 and response.json()["address"] == "ul. Prosta 1\\2"
    found = api_client.get(f"{API}suppliers/", {"search": "526-025"}).json()
    assert [s["name"] for s in found["results"]] == ["Dasan Polska"]

    a_receipt(warehouse=a_warehouse(staff), supplier=supplier)
    response = api_client.delete(f"{API}suppliers/{supplier.pk}/")
    assert response.status_code == 400 and "Receipts (PZ)" in response.json()["detail"]


def test_suppliers_list_query_count(api_client, staff, in_tenant, django_assert_num_queries):
    for n in range(5):
        a_supplier(staff, f"Dostawca {n}")
    # token, membership, last use, role; count, the page
    with django_assert_num_queries(6):
        body = api_client.get(f"{API}suppliers/").json()
    assert body["count"] == 5


# --------------------------------------------------------------------------- products

def test_a_product_is_created_with_its_types_defaults(api_client, in_tenant):
    response = api_client.post(f"{API}products/", {
        "name": "ONT Dasan H660GM", "kind": "ont", "producer": "Dasan",
        "default_price": "149,99"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["serial_tracked"], body["unit"], body["features"], body["vat_rate"],
            body["default_price"]) == (True, "szt.", ["mac", "gpon_serial"], "23", "149.99")
    cable = api_client.post(f"{API}products/", {"name": "Kabel", "kind": "cable"},
                            format="json").json()
    assert (cable["serial_tracked"], cable["unit"], cable["features"],
            cable["default_price"]) == (False, "m", [], "0.00")


def test_a_product_sent_as_a_form_keeps_its_types_defaults(api_client, in_tenant):
    response = api_client.post(f"{API}products/", {"name": "Router", "kind": "router"})
    assert response.status_code == 201, response.json()
    assert (response.json()["serial_tracked"], response.json()["features"]) == (True, ["mac"])


@pytest.mark.parametrize("price,message", [
    ("1e3", "is not an amount"), ("NaN", "is not an amount"), ("-1", "may not be negative"),
    ("1.005", "At most 2 decimal places"), ("", "may not be blank"), ("1,2,3", "not an amount"),
])
def test_a_price_that_is_not_one_is_a_400_on_the_price(api_client, in_tenant, price, message):
    response = api_client.post(f"{API}products/", {
        "name": "Router", "kind": "router", "default_price": price}, format="json")
    assert message in " ".join(_refused(response, "default_price"))
    assert not Product.objects.exists()


def test_a_json_number_price_is_read_as_its_decimal_text(api_client, in_tenant):
    response = api_client.post(f"{API}products/", {
        "name": "Router", "kind": "router", "default_price": 99.9}, format="json")
    assert response.status_code == 201 and response.json()["default_price"] == "99.90"
    assert Product.objects.get().default_price == Decimal("99.90")


def test_wrong_features_and_vat_rate_are_named(api_client, in_tenant):
    response = api_client.post(f"{API}products/", {
        "name": "Router", "kind": "router", "vat_rate": "22", "features": ["imei"]},
        format="json")
    body = response.json()
    assert response.status_code == 400 and {"vat_rate", "features"} <= set(body["errors"])


def test_how_a_product_is_kept_is_fixed_once_it_has_stock(api_client, staff, in_tenant):
    product = a_product(staff)
    a_serial(product=product, warehouse=a_warehouse(staff))

    response = api_client.patch(f"{API}products/{product.pk}/", {"serial_tracked": False},
                                format="json")
    assert "cannot change" in _refused(response, "serial_tracked")[0]
    response = api_client.patch(f"{API}products/{product.pk}/", {
        "default_price": "129.00", "features": ["mac", "gpon_serial", "firmware"]},
        format="json")
    assert response.status_code == 200
    assert response.json()["features"] == ["mac", "gpon_serial", "firmware"]
    response = api_client.post(f"{API}products/{product.pk}/deactivate/")
    assert response.status_code == 200 and response.json()["active"] is False
    response = api_client.delete(f"{API}products/{product.pk}/")
    assert response.status_code == 400 and "deactivate it instead" in response.json()["detail"]


def test_products_filter_and_list_query_count(api_client, staff, in_tenant, others,
                                              django_assert_num_queries):
    for n in range(5):
        a_product(staff, f"Router {n}", kind="router", producer="TP-Link")
    a_product(staff, "Kabel UTP", kind="cable")

    # token, membership, last use, role; count, the page
    with django_assert_num_queries(6):
        body = api_client.get(f"{API}products/", {"serial_tracked": "true",
                                                  "search": "tp-link"}).json()
    assert body["count"] == 5
    assert [p["name"] for p in api_client.get(f"{API}products/", {"kind": "cable"})
            .json()["results"]] == ["Kabel UTP"]
    assert "ONT Beta" not in str(api_client.get(f"{API}products/").json())


# --------------------------------------------------------------------------- roles, tenants

def test_a_read_only_role_reads_but_changes_nothing(reader, staff, in_tenant):
    warehouse, product = a_warehouse(staff), a_product(staff)
    supplier = a_supplier(staff)
    assert reader.get(f"{API}products/").status_code == 200
    assert reader.get(f"{API}warehouses/{warehouse.pk}/").status_code == 200
    refused = [
        reader.post(f"{API}warehouses/", {"name": "X"}, format="json"),
        reader.patch(f"{API}warehouses/{warehouse.pk}/", {"name": "X"}, format="json"),
        reader.post(f"{API}warehouses/{warehouse.pk}/deactivate/"),
        reader.delete(f"{API}warehouses/{warehouse.pk}/"),
        reader.post(f"{API}suppliers/", {"name": "X"}, format="json"),
        reader.patch(f"{API}suppliers/{supplier.pk}/", {"name": "X"}, format="json"),
        reader.post(f"{API}products/", {"name": "X", "kind": "cable"}, format="json"),
        reader.post(f"{API}products/{product.pk}/deactivate/"),
        reader.delete(f"{API}products/{product.pk}/"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert refused[0].json()["code"] == "permission_denied"
    assert Warehouse.objects.get().name == warehouse.name and Product.objects.get().active


def test_a_technician_may_not_change_the_catalogue(technician, staff, in_tenant):
    product = a_product(staff)
    assert technician.get(f"{API}products/{product.pk}/").status_code == 200
    response = technician.patch(f"{API}products/{product.pk}/", {"name": "X"}, format="json")
    assert response.status_code == 403


def test_other_tenants_ids_are_404s(api_client, in_tenant, others):
    for name, obj in (("warehouses", others["warehouse"]), ("suppliers", others["supplier"]),
                      ("products", others["product"])):
        url = f"{API}{name}/{obj.pk}/"
        assert api_client.get(url).status_code == 404
        response = api_client.patch(url, {"name": "Hacked"}, format="json")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert api_client.delete(url).status_code == 404
    assert api_client.post(f"{API}warehouses/{others['warehouse'].pk}/deactivate/") \
        .status_code == 404
    assert api_client.post(f"{API}products/{others['product'].pk}/deactivate/") \
        .status_code == 404
    with tenant_context(others["warehouse"].tenant):
        assert Warehouse.objects.get().name == "Magazyn Beta" and Warehouse.objects.get().active
        assert Supplier.objects.get().name == "Dostawca Beta"
        assert Product.objects.get().name == "ONT Beta"
