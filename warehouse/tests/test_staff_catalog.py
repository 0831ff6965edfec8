"""The catalogue's staff pages as staff use them: warehouses, suppliers and products
listed, searched, paged, added, edited, deactivated and deleted — with each role's
permissions, the "Warehouse" menu, and another tenant's ids as 404s."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_staff
from core.roles import Role
from core.tenancy import tenant_context
from warehouse import catalog
from warehouse.models import Product, Supplier, Warehouse

from .catalog_factories import a_product, a_receipt, a_serial, a_supplier, a_warehouse

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _client(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


def _main(response) -> str:
    """The page's own part: the list or the question (not the menu, not the messages)."""
    html = _html(response)
    for mark in ('id="warehouse-list"', 'id="supplier-list"', 'id="product-list"',
                 'id="warehouse-confirm"'):
        if mark in html:
            return html.split(mark, 1)[1]
    raise AssertionError("no list or question on the page")


@pytest.fixture
def operator(tenant):
    """Sees the catalogue, changes nothing of it (core/roles.py)."""
    return _client(make_staff(tenant, "olek", role=Role.OPERATOR))


@pytest.fixture
def catalogue(in_tenant, staff):
    return {"warehouse": a_warehouse(staff, "Magazyn główny"),
            "van": a_warehouse(staff, "Auto Tomka", kind="van"),
            "supplier": a_supplier(staff, "Dasan Polska", tax_id="5260250274"),
            "ont": a_product(staff, "ONT Dasan H660GM", producer="Dasan", model="H660GM",
                             default_price="149.99"),
            "cable": a_product(staff, "Kabel UTP kat. 5e", kind="cable")}


@pytest.fixture
def others(other_tenant, other_staff):
    with tenant_context(other_tenant):
        return {"warehouse": a_warehouse(other_staff, "Magazyn Beta"),
                "supplier": a_supplier(other_staff, "Dostawca Beta"),
                "product": a_product(other_staff, "ONT Beta")}


# --------------------------------------------------------------------------- pages, menu

@pytest.mark.parametrize("name", ["warehouses", "suppliers", "products"])
def test_every_list_shows_the_warehouse_tabs(staff_client, catalogue, name):
    response = staff_client.get(reverse(f"warehouse:{name}"))
    assert response.status_code == 200
    html = _html(response)
    for tab in ("warehouses", "suppliers", "products"):
        assert reverse(f"warehouse:{tab}") in html


def test_the_menu_entry_lists_what_the_user_may_see():
    from django.template.loader import render_to_string

    html = render_to_string("warehouse/staff/_menu.html", {"perms": {"warehouse": {
        "view_warehouse": True, "view_product": True}}})
    assert 'id="warehouse-dropdown"' in html and ">Warehouse<" in html
    assert reverse("warehouse:products") in html and reverse("warehouse:suppliers") not in html
    nothing = render_to_string("warehouse/staff/_menu.html", {"perms": {"warehouse": {}}})
    assert "warehouse-dropdown" not in nothing


def test_operator_sees_the_lists_without_the_buttons(operator, catalogue):
    html = _html(operator.get(reverse("warehouse:products")))
    assert "ONT Dasan H660GM" in html and 'id="product-add"' not in html
    assert reverse("warehouse:product_edit", args=[catalogue["ont"].pk]) not in html


@pytest.mark.parametrize("name,data", [
    ("warehouse_add", {"name": "X", "kind": "main"}),
    ("supplier_add", {"name": "X"}),
    ("product_add", {"name": "X", "kind": "cable", "tracking": "counted", "vat_rate": "23",
                     "default_price": "1"}),
])
def test_operator_may_not_add(operator, in_tenant, name, data):
    assert operator.get(reverse(f"warehouse:{name}")).status_code == 403
    assert operator.post(reverse(f"warehouse:{name}"), data).status_code == 403
    assert not (Warehouse.objects.exists() or Supplier.objects.exists()
                or Product.objects.exists())


def test_operator_may_neither_edit_nor_deactivate_nor_delete(operator, catalogue):
    urls = [reverse("warehouse:warehouse_edit", args=[catalogue["warehouse"].pk]),
            reverse("warehouse:warehouse_deactivate", args=[catalogue["warehouse"].pk]),
            reverse("warehouse:warehouse_delete", args=[catalogue["warehouse"].pk]),
            reverse("warehouse:supplier_edit", args=[catalogue["supplier"].pk]),
            reverse("warehouse:supplier_delete", args=[catalogue["supplier"].pk]),
            reverse("warehouse:product_edit", args=[catalogue["ont"].pk]),
            reverse("warehouse:product_deactivate", args=[catalogue["ont"].pk]),
            reverse("warehouse:product_delete", args=[catalogue["ont"].pk])]
    for url in urls:
        assert operator.get(url).status_code == 403, url
        assert operator.post(url).status_code == 403, url
    assert Warehouse.objects.filter(active=True).count() == 2 and Product.objects.count() == 2


def test_a_user_without_the_view_permission_is_refused(client, tenant, in_tenant):
    from core.models import Membership

    user = make_staff(tenant, "nikt", role=Role.OPERATOR)
    Membership.objects.filter(user=user).update(role="nobody")  # a role granting nothing
    client.force_login(user)
    assert client.get(reverse("warehouse:warehouses")).status_code == 403


def test_other_tenants_objects_are_404s(staff_client, catalogue, others):
    urls = [reverse("warehouse:warehouse_edit", args=[others["warehouse"].pk]),
            reverse("warehouse:warehouse_deactivate", args=[others["warehouse"].pk]),
            reverse("warehouse:warehouse_delete", args=[others["warehouse"].pk]),
            reverse("warehouse:supplier_edit", args=[others["supplier"].pk]),
            reverse("warehouse:supplier_delete", args=[others["supplier"].pk]),
            reverse("warehouse:product_edit", args=[others["product"].pk]),
            reverse("warehouse:product_deactivate", args=[others["product"].pk]),
            reverse("warehouse:product_delete", args=[others["product"].pk])]
    for url in urls:
        assert staff_client.get(url).status_code == 404, url
        assert staff_client.post(url, {"name": "Hacked"}).status_code == 404, url
    with tenant_context(others["warehouse"].tenant):
        assert Warehouse.objects.get(pk=others["warehouse"].pk).name == "Magazyn Beta"
        assert Warehouse.objects.get(pk=others["warehouse"].pk).active
        assert Product.objects.filter(pk=others["product"].pk).exists()
    html = _html(staff_client.get(reverse("warehouse:warehouses"), {"state": "all"}))
    assert "Magazyn Beta" not in html


# --------------------------------------------------------------------------- warehouses

def test_a_warehouse_is_added_with_its_keeper(staff_client, tenant, in_tenant):
    tech = make_staff(tenant, "tomek", role=Role.TECHNICIAN)
    form_html = _html(staff_client.get(reverse("warehouse:warehouse_add")))
    assert "Tomek Testowy" in form_html  # the tenant's staff offered as keepers

    response = staff_client.post(reverse("warehouse:warehouse_add"), {
        "name": "Auto Tomka", "kind": "van", "keeper": str(tech.pk)})

    assert response.status_code == 302 and response["Location"] == reverse(
        "warehouse:warehouses")
    van = Warehouse.objects.get()
    assert (van.name, van.kind, van.keeper) == ("Auto Tomka", "van", tech)
    html = _html(staff_client.get(reverse("warehouse:warehouses")))
    assert "Auto Tomka" in html and "Tomek Testowy" in html and "technician&#x27;s van" in html


def test_a_taken_name_is_shown_next_to_the_field(staff_client, catalogue):
    response = staff_client.post(reverse("warehouse:warehouse_add"),
                                 {"name": "magazyn GŁÓWNY", "kind": "main"})
    assert response.status_code == 400
    assert "A warehouse of this name exists." in _html(response)
    assert Warehouse.objects.count() == 2


def test_a_warehouse_is_renamed_deactivated_and_shown_among_the_inactive(staff_client,
                                                                         catalogue):
    van = catalogue["van"]
    edit = reverse("warehouse:warehouse_edit", args=[van.pk])
    response = staff_client.post(edit, {"name": "Auto Tomka 2", "kind": "van",
                                        "active": "on"})
    assert response.status_code == 302
    url = reverse("warehouse:warehouse_deactivate", args=[van.pk])
    assert "Deactivate the warehouse Auto Tomka 2?" in _html(staff_client.get(url))
    assert staff_client.post(url).status_code == 302

    van.refresh_from_db()
    assert (van.name, van.active) == ("Auto Tomka 2", False)
    assert "Auto Tomka 2" not in _main(staff_client.get(reverse("warehouse:warehouses")))
    inactive = _main(staff_client.get(reverse("warehouse:warehouses"), {"state": "inactive"}))
    assert "Auto Tomka 2" in inactive and "Magazyn główny" not in inactive
    # activated again from its form
    staff_client.post(edit, {"name": "Auto Tomka 2", "kind": "van", "active": "on"})
    van.refresh_from_db()
    assert van.active


def test_a_warehouse_holding_stock_says_why_it_stays_active(staff_client, staff, catalogue):
    warehouse = catalogue["warehouse"]
    a_serial(product=catalogue["ont"], warehouse=warehouse)
    url = reverse("warehouse:warehouse_deactivate", args=[warehouse.pk])

    page = _main(staff_client.get(url))
    assert "still holds stock (1 serials, 0 counted products)" in page
    assert 'type="submit"' not in page
    assert staff_client.post(url).status_code == 400
    # nor by unticking "active" on its form
    response = staff_client.post(reverse("warehouse:warehouse_edit", args=[warehouse.pk]),
                                 {"name": warehouse.name, "kind": "main"})
    assert response.status_code == 400 and "still holds stock" in _html(response)
    warehouse.refresh_from_db()
    assert warehouse.active


def test_a_warehouse_named_by_a_document_is_not_deleted(staff_client, staff, catalogue):
    warehouse = catalogue["warehouse"]
    a_receipt(warehouse=warehouse, supplier=catalogue["supplier"])
    url = reverse("warehouse:warehouse_delete", args=[warehouse.pk])
    assert "deactivate it instead" in _html(staff_client.get(url))
    assert staff_client.post(url).status_code == 400
    assert Warehouse.objects.filter(pk=warehouse.pk).exists()

    van_url = reverse("warehouse:warehouse_delete", args=[catalogue["van"].pk])
    assert staff_client.post(van_url).status_code == 302
    assert not Warehouse.objects.filter(pk=catalogue["van"].pk).exists()


def test_warehouses_are_searched_and_paged(staff_client, staff, in_tenant):
    for n in range(55):
        a_warehouse(staff, f"Auto {n:02d}", kind="van")
    a_warehouse(staff, "Oddział Radom", kind="branch")
    url = reverse("warehouse:warehouses")

    first = _html(staff_client.get(url))
    assert "Auto 00" in first and "Auto 49" in first and "Auto 50" not in first
    assert "page=2" in first
    second = _html(staff_client.get(url, {"page": 2}))
    assert "Auto 54" in second and "Oddział Radom" in second and "page=3" not in second
    found = _html(staff_client.get(url, {"q": "radom"}, headers=HTMX))
    assert found.startswith('<div id="warehouses">') and "Oddział Radom" in found
    assert "Auto 01" not in found
    vans = _html(staff_client.get(url, {"kind": "van", "page": 2}))
    assert "Oddział Radom" not in vans and "page=1&amp;kind=van" in vans
    nonsense = staff_client.get(url, {"page": "10**20", "kind": "garage", "state": "x"})
    assert nonsense.status_code == 200 and "Auto 00" in _html(nonsense)


def test_warehouse_list_query_count(staff_client, staff, tenant, in_tenant,
                                    django_assert_num_queries):
    for n in range(10):
        keeper = make_staff(tenant, f"tech{n}", role=Role.TECHNICIAN)
        a_warehouse(staff, f"Auto {n}", kind="van", keeper=keeper)
    # session, user, membership with the role (permissions); the page of warehouses with their
    # keepers; the session saved (savepoint, update, release) — whatever the number of rows.
    with django_assert_num_queries(7):
        response = staff_client.get(reverse("warehouse:warehouses"))
    assert "Tech9 Testowy" in _html(response)


# --------------------------------------------------------------------------- suppliers

def test_a_supplier_is_added_with_a_nip_and_a_wrong_one_is_named(staff_client, in_tenant):
    url = reverse("warehouse:supplier_add")
    response = staff_client.post(url, {"name": "Huawei Polska", "tax_id": "526-025-02-75",
                                       "email": "nie-email"})
    assert response.status_code == 400
    html = _html(response)
    assert "is not a valid NIP number" in html and "valid email" in html
    assert not Supplier.objects.exists()

    response = staff_client.post(url, {"name": "Huawei Polska", "tax_id": "526-025-02-74",
                                       "phone": "22 123 45 67"})
    assert response.status_code == 302
    supplier = Supplier.objects.get()
    assert (supplier.tax_id, supplier.phone) == ("5260250274", "+48221234567")


def test_suppliers_are_searched_by_nip_and_edited(staff_client, staff, catalogue):
    a_supplier(staff, "ZTE Polska")
    url = reverse("warehouse:suppliers")
    found = _html(staff_client.get(url, {"q": "526-025"}))
    assert "Dasan Polska" in found and "ZTE Polska" not in found

    supplier = catalogue["supplier"]
    response = staff_client.post(reverse("warehouse:supplier_edit", args=[supplier.pk]), {
        "name": "Dasan Zhone Polska", "tax_id": "5260250274", "address": 'ul. "Prosta" 1',
        "email": "", "phone": ""})
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert (supplier.name, supplier.address) == ("Dasan Zhone Polska", 'ul. "Prosta" 1')


def test_a_supplier_named_by_a_receipt_is_not_deleted(staff_client, catalogue):
    supplier = catalogue["supplier"]
    a_receipt(warehouse=catalogue["warehouse"], supplier=supplier)
    url = reverse("warehouse:supplier_delete", args=[supplier.pk])
    assert "Receipts (PZ) name this supplier" in _html(staff_client.get(url))
    assert staff_client.post(url).status_code == 400
    assert Supplier.objects.filter(pk=supplier.pk).exists()


def test_supplier_list_query_count(staff_client, staff, in_tenant, django_assert_num_queries):
    for n in range(10):
        a_supplier(staff, f"Dostawca {n}")
    # session, user, membership with the role; the page of suppliers; the session saved
    # (savepoint, update, release).
    with django_assert_num_queries(7):
        response = staff_client.get(reverse("warehouse:suppliers"), {"q": "dostawca"})
    assert "Dostawca 9" in _html(response)


# --------------------------------------------------------------------------- products

def test_choosing_a_type_fills_in_its_defaults(staff_client, in_tenant):
    url = reverse("warehouse:product_add")
    html = _html(staff_client.get(url, {"kind": "ont", "name": "ONT Huawei"}, headers=HTMX))
    assert 'value="ONT Huawei"' in html
    assert 'value="serial" selected' in html
    assert 'value="mac" class="form-check-input" id="product_features_0" checked' in html
    assert 'value="gpon_serial" class="form-check-input" id="product_features_1" checked' in html
    cable = _html(staff_client.get(url, {"kind": "cable"}))
    assert 'value="counted" selected' in cable and 'name="unit" value="m"' in cable


def test_a_product_is_added_as_the_form_says(staff_client, in_tenant):
    response = staff_client.post(reverse("warehouse:product_add"), {
        "name": "ONT Huawei HG8245H", "kind": "ont", "producer": "Huawei",
        "model": "HG8245H", "tracking": "serial", "unit": "", "vat_rate": "23",
        "default_price": "189,90", "features": ["gpon_serial", "mac", "firmware"]})

    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.serial_tracked, product.unit, product.default_price, product.features) \
        == (True, "szt.", Decimal("189.90"), ["mac", "gpon_serial", "firmware"])
    html = _html(staff_client.get(reverse("warehouse:products")))
    assert "MAC address, GPON serial, firmware" in html and "by serial" in html


@pytest.mark.parametrize("price,message", [
    ("1e3", "is not an amount"), ("-5", "may not be negative"), ("1,999", "At most 2 decimal"),
    ("NaN", "is not an amount"),
])
def test_a_wrong_price_is_shown_on_its_field(staff_client, in_tenant, price, message):
    response = staff_client.post(reverse("warehouse:product_add"), {
        "name": "Router", "kind": "router", "tracking": "serial", "vat_rate": "23",
        "default_price": price, "features": ["mac"]})
    assert response.status_code == 400 and message in _html(response)
    assert not Product.objects.exists()


def test_a_product_with_stock_keeps_how_it_is_kept(staff_client, catalogue):
    ont = catalogue["ont"]
    a_serial(product=ont, warehouse=catalogue["warehouse"])
    response = staff_client.post(reverse("warehouse:product_edit", args=[ont.pk]), {
        "name": ont.name, "kind": "ont", "tracking": "counted", "unit": "szt.",
        "vat_rate": "23", "default_price": "149.99", "active": "on"})
    assert response.status_code == 400
    assert "whether it is kept by serial cannot change now" in _html(response)
    ont.refresh_from_db()
    assert ont.serial_tracked


def test_a_product_is_deactivated_and_an_unused_one_deleted(staff_client, catalogue):
    ont, cable = catalogue["ont"], catalogue["cable"]
    a_serial(product=ont, warehouse=catalogue["warehouse"])
    assert staff_client.post(reverse("warehouse:product_deactivate",
                                     args=[ont.pk])).status_code == 302
    ont.refresh_from_db()
    assert not ont.active
    refused = staff_client.post(reverse("warehouse:product_delete", args=[ont.pk]))
    assert refused.status_code == 400 and "deactivate it instead" in _html(refused)
    assert staff_client.post(reverse("warehouse:product_delete",
                                     args=[cable.pk])).status_code == 302
    assert list(Product.objects.values_list("name", flat=True)) == ["ONT Dasan H660GM"]


def test_products_are_searched_by_producer_and_filtered_by_type(staff_client, catalogue):
    url = reverse("warehouse:products")
    found = _html(staff_client.get(url, {"q": "dasan h660"}))
    assert "ONT Dasan H660GM" in found and "Kabel UTP" not in found
    cables = _html(staff_client.get(url, {"kind": "cable"}, headers=HTMX))
    assert "Kabel UTP" in cables and "ONT Dasan" not in cables
    assert "counted (m)" in cables


def test_product_list_query_count(staff_client, staff, in_tenant, django_assert_num_queries):
    for n in range(10):
        a_product(staff, f"Router {n}", kind="router")
    # session, user, membership with the role; the page of products; the session saved
    # (savepoint, update, release).
    with django_assert_num_queries(7):
        response = staff_client.get(reverse("warehouse:products"))
    assert "Router 9" in _html(response)


def test_edit_forms_show_the_current_values(staff_client, catalogue):
    html = _html(staff_client.get(reverse("warehouse:product_edit",
                                          args=[catalogue["ont"].pk])))
    assert 'value="149.99"' in html and 'value="Dasan"' in html
    html = _html(staff_client.get(reverse("warehouse:supplier_edit",
                                          args=[catalogue["supplier"].pk])))
    assert 'value="5260250274"' in html
    assert catalog.warehouse_delete_refusal(catalogue["van"]) == ""
