"""PZ: equipment received from a supplier — serials as scanned, MACs as printed on the box,
counted cable — and every document's shared rules: numbers, dates, the other tenant's
ids, the same form sent twice."""

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from core.models import ActionLog
from core.services import tenant_setting_set
from core.tenancy import tenant_context
from warehouse import services
from warehouse.models import ItemMove, StockDocument, StockDocumentLine, StockItem, StockLevel
from warehouse.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(in_tenant):
    return factories.Stock()


def _receipt(staff, stock, lines, **extra):
    return services.receipt_post(actor=staff, supplier=stock.supplier, warehouse=stock.main,
                                 lines=lines, **extra)


def _nothing_written():
    assert not StockDocument.objects.exists()
    assert not StockItem.objects.exists()
    assert not StockLevel.objects.exclude(quantity=0).exists()


def test_receipt_brings_serials_and_cable_into_the_warehouse(stock, staff):
    pz = _receipt(staff, stock, [
        {"product": stock.ont.pk, "unit_price": "149,99", "serials": [
            {"serial": " dsnw 0001a ", "mac": "00-1A-2B-3C-4D-5E",
             "gpon_serial": "44534e5712345678"},
            {"serial": "DSNW0002A", "mac": "001a.2b3c.4d5f"}]},
        {"product": stock.cable.pk, "quantity": "305,5"},
    ], supplier_document="FV 12/03/2026")
    year = timezone.localdate().year
    assert pz.number == f"PZ/{year}/1" and pz.kind == "PZ"
    first, second = StockItem.objects.order_by("serial")
    assert (first.serial, first.mac, first.gpon_serial) == (
        "DSNW0001A", "00:1a:2b:3c:4d:5e", "DSNW12345678")
    assert (second.mac, second.gpon_serial) == ("00:1a:2b:3c:4d:5f", "")
    assert {(i.state, i.warehouse_id, i.purchase_price) for i in (first, second)} == {
        ("in_stock", stock.main.pk, Decimal("149.99"))}
    assert StockLevel.objects.get(product=stock.cable).quantity == Decimal("305.5")
    lines = list(pz.lines.order_by("id"))
    assert [(line.item_id, line.quantity, line.unit_price) for line in lines] == [
        (first.pk, 1, Decimal("149.99")), (second.pk, 1, Decimal("149.99")),
        (None, Decimal("305.5"), Decimal("1.20"))]  # the cable at its default price
    assert ItemMove.objects.filter(document=pz, to_warehouse=stock.main,
                                   from_warehouse=None).count() == 2
    entry = ActionLog.objects.get(kind="stockdocument.pz")
    assert "DSNW0001A" in str(entry.params) and entry.customer_id is None


@pytest.mark.parametrize("typed", ["AA-BB-CC-DD-EE-02", "aabb.ccdd.ee02", "AABBCCDDEE02",
                                   "aa:bb:cc:dd:ee:02", " AA:BB:CC:DD:EE:02 "])
def test_a_mac_is_kept_in_one_form_whatever_was_typed(typed):
    assert services.mac_clean(typed) == "aa:bb:cc:dd:ee:02"


@pytest.mark.parametrize("typed", ["AA-BB-CC-DD-EE", "01:00:5e:00:00:01", "00:00:00:00:00:00",
                                   "gg:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:fff"])
def test_a_bad_mac_is_refused(typed):
    with pytest.raises(ValidationError):
        services.mac_clean(typed)


@pytest.mark.parametrize("typed", ["", "   ", "ŻÓŁW123", "-ABC1", "A" * 65, "AB\\C1", "AB'C1",
                                   'AB"C1', "AB%{N}1", "AB;rm -rf", "١٢٣"])
def test_a_serial_the_database_would_refuse_is_refused_first(stock, staff, typed):
    with pytest.raises(ValidationError) as err:
        _receipt(staff, stock, [{"product": stock.ont.pk, "serials": [typed]}])
    assert "Line 1:" in err.value.message_dict["lines"][0]
    _nothing_written()


def test_a_serial_is_normalized_as_scanned():
    assert services.serial_clean("  ab c-1/2.x_9 ") == "ABC-1/2.X_9"


@pytest.mark.parametrize(("typed", "kept"), [("hwtc1a2b3c4d", "HWTC1A2B3C4D"),
                                             ("48575443 1A2B3C4D", "HWTC1A2B3C4D"),
                                             ("", "")])
def test_a_gpon_serial_in_vendor_or_hex_form(typed, kept):
    assert services.gpon_serial_clean(typed) == kept


@pytest.mark.parametrize("typed", ["HWTC1A2B3C4", "HWTC1A2B3C4G", "HW'C1A2B3C4D", "x" * 40])
def test_a_bad_gpon_serial_is_refused(typed):
    with pytest.raises(ValidationError):
        services.gpon_serial_clean(typed)


def test_a_serial_already_known_is_refused_saying_where_it_is(stock, staff, customer):
    factories.receive(staff, warehouse=stock.van, product=stock.ont, serials=["VAN1"])
    factories.receive(staff, warehouse=stock.main, product=stock.ont, serials=["CUST1"])
    factories.issue(staff, warehouse=stock.main, customer=customer, serials=["CUST1"])
    factories.receive(staff, warehouse=stock.main, product=stock.ont, serials=["SCRAP1"])
    services.internal_post(actor=staff, warehouse=stock.main,
                           lines=[{"serial": "SCRAP1", "scrap": True}])
    before = StockDocument.objects.count()
    with pytest.raises(ValidationError) as err:
        _receipt(staff, stock, [{"product": stock.ont.pk,
                                 "serials": ["van1", "CUST1", "SCRAP1", "NEW1"]}])
    messages = err.value.message_dict["lines"]
    assert "The serial VAN1 is already known: in the warehouse Van Tomka." in messages
    assert "The serial CUST1 is already known: at the customer 1 Jan Kowalski." in messages
    assert "The serial SCRAP1 is already known: scrapped." in messages
    assert StockDocument.objects.count() == before
    assert not StockItem.objects.filter(serial="NEW1").exists()


def test_one_serial_twice_in_a_document_is_refused(stock, staff):
    with pytest.raises(ValidationError) as err:
        _receipt(staff, stock, [{"product": stock.ont.pk, "serials": ["abc 1"]},
                                {"product": stock.stb.pk, "serials": ["ABC1"]}])
    assert err.value.message_dict["lines"] == [
        "Line 2: the serial ABC1 is already on line 1 of this document."]
    _nothing_written()


def test_one_mac_for_two_serials_or_a_known_mac_is_refused(stock, staff):
    factories.receive(staff, warehouse=stock.main, product=stock.stb,
                      serials=[{"serial": "STB1", "mac": "00:11:22:33:44:55"}])
    with pytest.raises(ValidationError) as err:
        _receipt(staff, stock, [{"product": stock.stb.pk, "serials": [
            {"serial": "STB2", "mac": "00-11-22-33-44-66"},
            {"serial": "STB3", "mac": "001122334466"},
            {"serial": "STB4", "mac": "001122334455"}]}])
    messages = " ".join(err.value.message_dict["lines"])
    assert "00:11:22:33:44:66 is given for both STB2 and STB3" in messages
    assert "The MAC address 00:11:22:33:44:55 is already known (serial STB1)" in messages
    assert StockItem.objects.count() == 1


def test_a_feature_the_product_does_not_carry_is_refused(stock, staff):
    with pytest.raises(ValidationError) as err:
        _receipt(staff, stock, [{"product": stock.stb.pk, "serials": [
            {"serial": "STB9", "gpon_serial": "HWTC1A2B3C4D"}]}])
    assert "carries no GPON serial (serial STB9)" in err.value.message_dict["lines"][0]


def test_counted_and_serial_products_each_take_their_own_line(stock, staff):
    with pytest.raises(ValidationError) as err:
        _receipt(staff, stock, [{"product": stock.ont.pk, "quantity": 3},
                                {"product": stock.cable.pk, "serials": ["C1"]},
                                {"product": stock.ont.pk, "serials": []}])
    assert err.value.message_dict["lines"] == [
        "Line 1: scan the serials of ONT Dasan H660GM.",
        "Line 2: Kabel UTP kat. 5e is counted, not tracked by serial: give its quantity.",
        "Line 3: scan the serials of ONT Dasan H660GM."]


@pytest.mark.parametrize(("quantity", "says"), [
    ("0", "above zero"), ("-5", "above zero"), ("0.0001", "3 decimal places"),
    ("NaN", "not a quantity"), ("Infinity", "not a quantity"), ("1e3x", "not a quantity"),
    ("1e3", "not a quantity"),  # no exponents: a typo, not a thousand metres
    ("1000000000", "too large"), (None, "Give the quantity"), (True, "Give the quantity")])
def test_a_quantity_must_be_a_positive_number(stock, staff, quantity, says):
    with pytest.raises(ValidationError) as err:
        _receipt(staff, stock, [{"product": stock.cable.pk, "quantity": quantity}])
    assert says in err.value.message_dict["lines"][0]
    _nothing_written()


@pytest.mark.parametrize(("price", "says"), [
    ("-1", "may not be negative"), ("+5", "is not an amount"), ("1.005", "2 decimal"),
    ("1e3", "is not an amount"), (1.5, "Not an amount")])
def test_a_price_with_a_sign_or_too_many_decimals_is_refused(stock, staff, price, says):
    with pytest.raises(ValidationError) as err:
        _receipt(staff, stock, [{"product": stock.cable.pk, "quantity": 1,
                                 "unit_price": price}])
    assert says in err.value.message_dict["lines"][0]
    _nothing_written()


def test_an_inactive_product_or_warehouse_takes_nothing_in(stock, staff):
    stock.ont.active = False
    stock.ont.save()
    with pytest.raises(ValidationError) as err:
        _receipt(staff, stock, [{"product": stock.ont.pk, "serials": ["X1"]}])
    assert "is not active" in err.value.message_dict["lines"][0]
    stock.main.active = False
    stock.main.save()
    with pytest.raises(ValidationError) as err:
        _receipt(staff, stock, [{"product": stock.cable.pk, "quantity": 1}])
    assert err.value.message_dict["warehouse"] == ["The warehouse Magazyn główny is not active."]


def test_another_tenants_rows_are_not_found(stock, staff, customer, other_tenant):
    with tenant_context(other_tenant):
        theirs = factories.Stock()
        from customers.services import customer_create

        their_customer = customer_create(actor=None, first_name="Obcy", last_name="Klient")
    cases = [
        (lambda: services.receipt_post(actor=staff, supplier=theirs.supplier,
                                       warehouse=stock.main,
                                       lines=[{"product": stock.cable.pk, "quantity": 1}]),
         "supplier", "No such supplier."),
        (lambda: services.receipt_post(actor=staff, supplier=stock.supplier.pk,
                                       warehouse=theirs.main.pk,
                                       lines=[{"product": stock.cable.pk, "quantity": 1}]),
         "warehouse", "No such warehouse."),
        (lambda: services.receipt_post(actor=staff, supplier=stock.supplier,
                                       warehouse=stock.main,
                                       lines=[{"product": theirs.cable.pk, "quantity": 1}]),
         "lines", "Line 1: no such product."),
        (lambda: services.issue_post(actor=staff, warehouse=stock.main,
                                     customer=their_customer.pk, lines=["X1"]),
         "customer", "No such customer."),
        (lambda: services.move_post(actor=staff, warehouse=stock.main,
                                    target_warehouse=theirs.van, lines=["X1"]),
         "target_warehouse", "No such warehouse."),
    ]
    for call, field, message in cases:
        with pytest.raises(ValidationError) as err:
            call()
        assert err.value.message_dict[field] == [message]
    with tenant_context(other_tenant):
        assert not StockDocument.objects.exists()
    assert not StockDocument.objects.exists()


@pytest.mark.parametrize("day", [date(1900, 1, 1), date(9999, 12, 31), "1900-01-01",
                                 "9999-12-31", "2026-02-30", "yesterday"])
def test_a_far_or_impossible_date_is_refused_clearly(stock, staff, day):
    with pytest.raises(ValidationError) as err:
        _receipt(staff, stock, [{"product": stock.cable.pk, "quantity": 1}], issued_on=day)
    message = err.value.message_dict["issued_on"][0]
    assert "outside" in message or message == "Not a date."
    _nothing_written()


def test_dates_within_the_tenants_window_are_accepted(stock, staff):
    today = timezone.localdate()
    first, last = services.date_range()
    assert first <= today - timedelta(days=4 * 365) and last >= today + timedelta(days=300)
    pz = _receipt(staff, stock, [{"product": stock.cable.pk, "quantity": 1}], issued_on=first)
    assert pz.issued_on == first
    tenant_setting_set(actor=staff, key="warehouse.date_months_back", raw_value="0")
    with pytest.raises(ValidationError):
        _receipt(staff, stock, [{"product": stock.cable.pk, "quantity": 1}],
                 issued_on=today.replace(day=1) - timedelta(days=1))


def test_numbers_follow_the_tenants_pattern_and_skip_numbers_in_use(stock, staff):
    tenant_setting_set(actor=staff, key="warehouse.pz_number_pattern",
                       raw_value="PZ-{YY}/{MM}/{N:3}")
    day = timezone.localdate()
    taken = f"PZ-{day:%y}/{day:%m}/002"
    StockDocument.objects.create(kind="PZ", number=taken, issued_on=day, warehouse=stock.main,
                                 supplier=stock.supplier)  # imported from the old system
    numbers = [_receipt(staff, stock, [{"product": stock.cable.pk, "quantity": 1}]).number
               for _i in range(2)]
    assert numbers == [f"PZ-{day:%y}/{day:%m}/001", f"PZ-{day:%y}/{day:%m}/003"]
    # the other kinds keep their own series
    assert services.internal_post(actor=staff, warehouse=stock.main, lines=[
        {"product": stock.cable.pk, "quantity": 1}]).number == f"RW/{day.year}/1"


@pytest.mark.parametrize("pattern", ["PZ/{N}/{MM}", "PZ/{YYYY}", "PZ/{X}/{N}"])
def test_a_pattern_whose_numbers_would_repeat_is_refused(in_tenant, staff, pattern):
    with pytest.raises(ValidationError):
        tenant_setting_set(actor=staff, key="warehouse.pz_number_pattern", raw_value=pattern)


def test_the_same_form_sent_twice_posts_one_document(stock, staff):
    token = uuid.uuid4()
    lines = [{"product": stock.ont.pk, "serials": ["TWICE1"]}]
    first = _receipt(staff, stock, lines, request_token=token)
    again = _receipt(staff, stock, lines, request_token=token)
    assert again.pk == first.pk
    assert StockDocument.objects.count() == 1 and StockItem.objects.count() == 1
    with pytest.raises(ValidationError) as err:  # the token of a PZ on an RW form
        services.internal_post(actor=staff, warehouse=stock.main, lines=["TWICE1"],
                               request_token=token)
    assert "already used for another document" in err.value.messages[0]


def test_a_refused_document_leaves_its_number_free(stock, staff):
    with pytest.raises(ValidationError):
        _receipt(staff, stock, [{"product": stock.ont.pk, "serials": ["A1"]},
                                {"product": stock.ont.pk, "serials": ["A1"]}])
    pz = _receipt(staff, stock, [{"product": stock.ont.pk, "serials": ["A1"]}])
    assert pz.number.endswith("/1")
    assert StockDocumentLine.objects.count() == 1


def test_lines_that_are_not_lines_are_refused(stock, staff):
    for lines in (None, [], "SERIAL", {"product": 1}):
        with pytest.raises(ValidationError) as err:
            _receipt(staff, stock, lines)
        assert err.value.message_dict["lines"] == ["A document needs at least one line."]
    with pytest.raises(ValidationError) as err:
        _receipt(staff, stock, [{"product": stock.cable.pk, "quantity": 1, "colour": "red"}])
    assert err.value.message_dict["lines"] == ["Line 1: unknown field colour."]


def test_a_pallet_is_logged_by_its_first_serials(stock, staff):
    _receipt(staff, stock, [{"product": stock.ont.pk,
                             "serials": [f"PAL{i:04d}" for i in range(60)]}])
    items = ActionLog.objects.get(kind="stockdocument.pz").params["items"]
    assert len(items) == 51 and items[-1] == "… (+10)"
    assert StockItem.objects.count() == 60


# --------------------------------------------------------------------------- properties

@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_whatever_is_scanned_is_refused_or_fits_the_database(text):
    """The database's own checks (serial, MAC, GPON serial) never see a value the checks
    here let through: a scan is refused with a message, never an IntegrityError."""
    for clean, form in ((services.serial_clean, r"[A-Z0-9][A-Z0-9._/-]{0,63}"),
                        (services.mac_clean, r"(|[0-9a-f]{2}(:[0-9a-f]{2}){5})"),
                        (services.gpon_serial_clean, r"(|[A-Z0-9]{4}[0-9A-F]{8})")):
        try:
            value = clean(text)
        except ValidationError:
            continue
        assert re.fullmatch(form, value), (clean.__name__, text, value)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[0-9A-Fa-f]{12}", fullmatch=True))
def test_every_notation_of_one_mac_is_kept_alike(digits):
    if int(digits[:2], 16) & 1 or int(digits, 16) == 0:
        return  # multicast or empty: not a device
    pairs = [digits[i:i + 2] for i in range(0, 12, 2)]
    forms = [digits, ":".join(pairs), "-".join(pairs).upper(),
             ".".join(digits[i:i + 4] for i in range(0, 12, 4))]
    assert {services.mac_clean(form) for form in forms} == {":".join(pairs).lower()}
