"""The warehouse's catalogue (warehouse.catalog): warehouses, suppliers and products as
staff keep them — what is refused and why (keyed by field, nothing saved), what each kind
of product is by default, what stock fixes, and what documents keep from deletion."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from warehouse import catalog
from warehouse.models import Product, StockDocumentLine, Supplier, Warehouse

from .catalog_factories import a_level, a_product, a_receipt, a_serial, a_supplier, a_warehouse

pytestmark = pytest.mark.django_db
D = Decimal


def _errors(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


# --------------------------------------------------------------------------- warehouses

def test_a_warehouse_is_added_trimmed_and_logged(in_tenant, staff):
    warehouse = catalog.warehouse_create(actor=staff, name="  Magazyn główny ", kind="main")

    assert warehouse.name == "Magazyn główny" and warehouse.active
    entry = ActionLog.objects.get(kind="warehouse.add")
    assert entry.params == {"w": "Magazyn główny"} and entry.actor_user_id == staff.pk


def test_a_technicians_van_names_its_keeper_of_this_tenant_only(in_tenant, staff, tenant,
                                                                other_staff):
    tech = make_staff(tenant, "tomek", role=Role.TECHNICIAN)
    van = catalog.warehouse_create(actor=staff, name="Auto Tomka", kind="van", keeper=tech.pk)
    assert van.keeper == tech

    for stranger in (other_staff, 10**30, -1, "1; DROP", 0):
        errors = _errors(lambda k=stranger: catalog.warehouse_create(
            actor=staff, name="Auto Bartka", kind="van", keeper=k))
        assert errors == {"keeper": ["Choose a staff member of this operator."]}
    assert not Warehouse.objects.filter(name="Auto Bartka").exists()


def test_every_wrong_value_is_named_at_once_and_nothing_saved(in_tenant, staff):
    errors = _errors(lambda: catalog.warehouse_create(actor=staff, name=" \t", kind="garage",
                                                      keeper="x"))

    assert set(errors) == {"name", "kind", "keeper"}
    assert not Warehouse.objects.exists() and not ActionLog.objects.exists()


def test_a_name_is_one_per_tenant_whatever_its_case(in_tenant, staff, other_tenant,
                                                    other_staff):
    a_warehouse(staff, "Magazyn")
    errors = _errors(lambda: a_warehouse(staff, "MAGAZYN"))
    assert errors == {"name": ["A warehouse of this name exists."]}
    with tenant_context(other_tenant):  # another operator may have its own
        assert a_warehouse(other_staff, "Magazyn").tenant == other_tenant


def test_names_keep_quotes_and_backslashes_and_refuse_line_breaks(in_tenant, staff):
    odd = 'Magazyn "B" \\ 50% %(x)s'
    assert a_warehouse(staff, odd).name == odd
    assert "name" in _errors(lambda: a_warehouse(staff, "Magazyn\nC"))
    assert "name" in _errors(lambda: a_warehouse(staff, "x" * 101))


def test_a_warehouse_is_renamed_and_the_change_logged(in_tenant, staff):
    warehouse = a_warehouse(staff, "Magazyn")
    a_warehouse(staff, "Oddział Radom", kind="branch")

    catalog.warehouse_update(actor=staff, warehouse=warehouse, name="Magazyn Kielce")

    entry = ActionLog.objects.get(kind="warehouse.change")
    assert entry.changes == {"name": ["Magazyn", "Magazyn Kielce"]}
    errors = _errors(lambda: catalog.warehouse_update(actor=staff, warehouse=warehouse,
                                                      name="oddział radom"))
    assert errors == {"name": ["A warehouse of this name exists."]}
    warehouse.refresh_from_db()
    assert warehouse.name == "Magazyn Kielce"


def test_an_update_without_changes_logs_nothing(in_tenant, staff):
    warehouse = a_warehouse(staff)
    catalog.warehouse_update(actor=staff, warehouse=warehouse, name=warehouse.name)
    assert not ActionLog.objects.filter(kind="warehouse.change").exists()


def test_a_keeper_is_set_and_cleared(in_tenant, staff, tenant):
    tech = make_staff(tenant, "tomek", role=Role.TECHNICIAN)
    van = a_warehouse(staff, "Auto", kind="van")
    van = catalog.warehouse_update(actor=staff, warehouse=van, keeper=tech)
    assert van.keeper == tech
    van = catalog.warehouse_update(actor=staff, warehouse=van, name="Auto 2")
    assert van.keeper == tech  # left out: stays
    van = catalog.warehouse_update(actor=staff, warehouse=van, keeper=None)
    assert van.keeper is None


def test_an_empty_warehouse_is_deactivated_and_activated_again(in_tenant, staff):
    warehouse = a_warehouse(staff)

    catalog.warehouse_deactivate(actor=staff, warehouse=warehouse)
    warehouse.refresh_from_db()
    assert not warehouse.active
    entry = ActionLog.objects.get(kind="warehouse.change")
    assert entry.message == "Warehouse %(w)s deactivated"
    catalog.warehouse_update(actor=staff, warehouse=warehouse, active=True)
    warehouse.refresh_from_db()
    assert warehouse.active


@pytest.mark.parametrize("stock", ["serial", "level"])
def test_a_warehouse_holding_stock_is_not_deactivated(in_tenant, staff, stock):
    warehouse = a_warehouse(staff)
    if stock == "serial":
        a_serial(product=a_product(staff), warehouse=warehouse)
    else:
        a_level(product=a_product(staff, "Kabel UTP", kind="cable"), warehouse=warehouse)

    errors = _errors(lambda: catalog.warehouse_deactivate(actor=staff, warehouse=warehouse))

    assert "still holds stock" in errors["active"][0]
    warehouse.refresh_from_db()
    assert warehouse.active


def test_a_warehouse_whose_stock_is_used_up_is_deactivated(in_tenant, staff):
    warehouse = a_warehouse(staff)
    a_level(product=a_product(staff, "Kabel UTP", kind="cable"), warehouse=warehouse,
            quantity="0")
    assert not catalog.warehouse_deactivate(actor=staff, warehouse=warehouse).active


def test_an_unused_warehouse_is_deleted_a_used_one_refused(in_tenant, staff):
    mistake = a_warehouse(staff, "Pomyłka")
    catalog.warehouse_delete(actor=staff, warehouse=mistake)
    assert not Warehouse.objects.filter(name="Pomyłka").exists()
    assert ActionLog.objects.filter(kind="warehouse.delete").exists()

    used = a_warehouse(staff)
    a_receipt(warehouse=used, supplier=a_supplier(staff))
    refusal = catalog.warehouse_delete_refusal(used)
    assert "deactivate it instead" in refusal
    with pytest.raises(ValidationError, match="deactivate it instead"):
        catalog.warehouse_delete(actor=staff, warehouse=used)
    assert Warehouse.objects.filter(pk=used.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_warehouse_added_twice_at_once_is_added_once(tenant, staff):
    barrier, results = threading.Barrier(2), []

    def add():
        try:
            # a thread's language is its own: the English the tests read, as the fixture's
            with tenant_context(tenant), translation.override("en"):
                barrier.wait(5)
                results.append(a_warehouse(staff, "Magazyn").pk)
        except ValidationError as exc:
            results.append(exc.message_dict)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(results) == 2
    assert {"name": ["A warehouse of this name exists."]} in results
    with tenant_context(tenant):
        assert Warehouse.objects.count() == 1
        assert ActionLog.objects.filter(kind="warehouse.add").count() == 1


# --------------------------------------------------------------------------- suppliers

def test_a_supplier_keeps_its_nip_as_ten_digits_and_its_phone_in_e164(in_tenant, staff):
    supplier = a_supplier(staff, tax_id="PL 526-025-02-74", phone="601 234 567",
                          email="zamowienia@dasan.pl", address="ul. Prosta 1, Warszawa")

    assert supplier.tax_id == "5260250274" and supplier.phone == "+48601234567"
    assert ActionLog.objects.get(kind="supplier.add").changes["tax_id"] == [None,
                                                                             "5260250274"]


def test_a_supplier_from_abroad_has_no_nip(in_tenant, staff):
    assert a_supplier(staff, "Shenzhen Optics").tax_id == ""


@pytest.mark.parametrize("nip", ["5260250275", "123", "PL-ABC", "0000000000"])
def test_a_wrong_nip_is_refused(in_tenant, staff, nip):
    errors = _errors(lambda: a_supplier(staff, tax_id=nip))
    assert list(errors) == ["tax_id"] and "NIP" in errors["tax_id"][0]
    assert not Supplier.objects.exists()


def test_a_suppliers_wrong_values_are_named_together(in_tenant, staff):
    errors = _errors(lambda: a_supplier(staff, name="", email="nie-email", phone="12",
                                        address="a\x00b"))
    assert set(errors) == {"name", "email", "phone", "address"}


def test_a_supplier_is_changed_and_a_value_cleared(in_tenant, staff):
    supplier = a_supplier(staff, email="a@b.pl")
    supplier = catalog.supplier_update(actor=staff, supplier=supplier, email="",
                                       tax_id="5260250274")
    assert supplier.email == "" and supplier.tax_id == "5260250274"
    assert ActionLog.objects.get(kind="supplier.change").changes == {
        "tax_id": ["", "5260250274"], "email": ["a@b.pl", ""]}


def test_a_supplier_named_by_a_receipt_is_not_deleted(in_tenant, staff):
    supplier = a_supplier(staff)
    a_receipt(warehouse=a_warehouse(staff), supplier=supplier)

    with pytest.raises(ValidationError, match="Receipts \\(PZ\\) name this supplier"):
        catalog.supplier_delete(actor=staff, supplier=supplier)
    assert Supplier.objects.filter(pk=supplier.pk).exists()

    unused = a_supplier(staff, "Inny")
    catalog.supplier_delete(actor=staff, supplier=unused)
    assert not Supplier.objects.filter(pk=unused.pk).exists()


# --------------------------------------------------------------------------- products

@pytest.mark.parametrize("kind,serial,unit,features", [
    ("ont", True, "szt.", ["mac", "gpon_serial"]),
    ("router", True, "szt.", ["mac"]),
    ("stb", True, "szt.", ["mac"]),
    ("switch", True, "szt.", []),
    ("cable", False, "m", []),
    ("consumable", False, "szt.", []),
    ("other", False, "szt.", []),
])
def test_each_kind_has_its_defaults(in_tenant, staff, kind, serial, unit, features):
    product = a_product(staff, f"Produkt {kind}", kind=kind)
    assert (product.serial_tracked, product.unit, product.features) == (serial, unit, features)
    assert product.vat_rate == "23" and product.default_price == D("0.00")


def test_a_product_is_added_with_what_was_given(in_tenant, staff):
    product = a_product(staff, "Router TP-Link Archer", kind="router", producer="TP-Link",
                        model="Archer C6", vat_rate="8", default_price="149,99",
                        features=["firmware", "mac", "mac"])

    assert product.features == ["mac", "firmware"]  # once each, in the declared order
    assert product.default_price == D("149.99") and product.vat_rate == "8"
    changes = ActionLog.objects.get(kind="product.add").changes
    assert changes["default_price"] == [None, "149.99"] and changes["kind"] == [None, "router"]


def test_a_counted_ont_has_no_features_unless_refused(in_tenant, staff):
    assert a_product(staff, "ONT na sztuki", serial_tracked=False).features == []
    errors = _errors(lambda: a_product(staff, "ONT X", serial_tracked=False,
                                       features=["mac"]))
    assert list(errors) == ["features"]


@pytest.mark.parametrize("price,expected", [
    ("0", D("0.00")), ("12,5", D("12.50")), (" 1 234,56 ", D("1234.56")), ("7.00", D("7.00")),
    (12, D("12.00")), (D("0.10"), D("0.10")), ("999999999999.99", D("999999999999.99")),
])
def test_prices_as_typed_are_read(in_tenant, staff, price, expected):
    assert a_product(staff, default_price=price).default_price == expected


@pytest.mark.parametrize("price,message", [
    ("1e3", "is not an amount"), ("NaN", "is not an amount"), ("Infinity", "is not an amount"),
    ("-1", "may not be negative"), ("-0,01", "may not be negative"),
    (D("-1"), "may not be negative"), (D("NaN"), "Not an amount"),
    ("1.234", "At most 2 decimal places"), (D("0.001"), "At most 2 decimal places"),
    ("", "is not an amount"), ("12,50 zł", "is not an amount"), ("1,2,3", "is not an amount"),
    (0.1, "Not an amount"), (True, "Not an amount"),
    ("1000000000000", "At most"),
])
def test_prices_that_are_not_one_are_refused(in_tenant, staff, price, message):
    errors = _errors(lambda: a_product(staff, default_price=price))
    assert list(errors) == ["default_price"] and message in errors["default_price"][0]
    assert not Product.objects.exists()


@given(st.text(max_size=20))
@settings(max_examples=200, deadline=None)
def test_a_price_read_from_any_text_is_a_non_negative_amount_in_grosze(text):
    try:
        amount = catalog.price_clean(text)
    except ValidationError:
        return
    assert amount >= 0 and amount.as_tuple().exponent == -2 and amount <= catalog.PRICE_MAX


def test_vat_rates_are_finances(in_tenant, staff):
    assert set(catalog.VAT_RATE_CHOICES) == {"23", "8", "5", "0", "zw", "np"}
    assert a_product(staff, vat_rate="zw").vat_rate == "zw"
    errors = _errors(lambda: a_product(staff, "Y", vat_rate="22"))
    assert errors["vat_rate"] == ["Choose a VAT rate: 23, 8, 5, 0, zw, np."]


def test_unknown_kinds_and_features_are_refused(in_tenant, staff):
    errors = _errors(lambda: a_product(staff, kind="modem", features=["imei"]))
    assert set(errors) == {"kind", "features"}
    errors = _errors(lambda: a_product(staff, features="mac"))
    assert errors == {"features": ["A list of features."]}


def test_a_product_without_stock_switches_to_counted_and_loses_its_features(in_tenant, staff):
    product = a_product(staff)
    product = catalog.product_update(actor=staff, product=product, serial_tracked=False)
    assert (product.serial_tracked, product.features) == (False, [])
    product = catalog.product_update(actor=staff, product=product, serial_tracked=True)
    assert product.features == ["mac", "gpon_serial"]


@pytest.mark.parametrize("stock", ["serial", "level", "line"])
def test_how_a_product_is_kept_is_fixed_once_stock_exists(in_tenant, staff, stock):
    warehouse = a_warehouse(staff)
    product = a_product(staff)
    if stock == "serial":
        a_serial(product=product, warehouse=warehouse)
    elif stock == "level":
        product = catalog.product_update(actor=staff, product=product, serial_tracked=False)
        a_level(product=product, warehouse=warehouse)
    else:
        document = a_receipt(warehouse=warehouse, supplier=a_supplier(staff))
        StockDocumentLine.objects.create(document=document, product=product, quantity=1)
    before = product.serial_tracked

    errors = _errors(lambda: catalog.product_update(actor=staff, product=product,
                                                    serial_tracked=not before,
                                                    name="Nowa nazwa"))

    assert list(errors) == ["serial_tracked"] and "cannot change" in errors["serial_tracked"][0]
    product.refresh_from_db()
    assert (product.serial_tracked, product.name) == (before, "ONT Dasan H660GM")
    # the rest may still change
    catalog.product_update(actor=staff, product=product, default_price="99", name="Nowa")
    product.refresh_from_db()
    assert (product.default_price, product.name) == (D("99.00"), "Nowa")


def test_a_product_change_is_logged_with_its_changes_in_words(in_tenant, staff):
    from core.actionlog import render_changes

    product = a_product(staff, default_price="10")
    catalog.product_update(actor=staff, product=product, default_price="10.00",
                           features=["gpon_serial", "mac", "firmware"], vat_rate="8")
    entry = ActionLog.objects.get(kind="product.change")
    assert entry.changes == {
        "vat_rate": ["23", "8"],
        "features": [["mac", "gpon_serial"], ["mac", "gpon_serial", "firmware"]]}
    rows = {row.label: (row.before, row.after) for row in render_changes(entry.kind,
                                                                         entry.changes)}
    assert rows == {"VAT rate": ("23", "8"),
                    "Features": ("MAC address, GPON serial",
                                 "MAC address, GPON serial, firmware")}


def test_a_product_with_stock_is_deactivated_but_not_deleted(in_tenant, staff):
    warehouse = a_warehouse(staff)
    product = a_product(staff)
    a_serial(product=product, warehouse=warehouse)

    with pytest.raises(ValidationError, match="deactivate it instead"):
        catalog.product_delete(actor=staff, product=product)
    product = catalog.product_deactivate(actor=staff, product=product)
    assert not product.active
    assert ActionLog.objects.get(kind="product.change").message == "Product %(p)s deactivated"

    unused = a_product(staff, "Pomyłka", kind="cable")
    catalog.product_delete(actor=staff, product=unused)
    assert not Product.objects.filter(pk=unused.pk).exists()
