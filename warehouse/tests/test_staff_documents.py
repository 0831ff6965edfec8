"""The stock documents' staff pages as staff use them: each kind posted through its page
(the lines as the scanner page sends them), a refusal shown with the lines kept, the same
form sent twice posting once, the scanner's row for a serial, the document's page and PDF,
the list's filters and queries, permissions and another tenant's ids."""

import json
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_staff
from core.models import TenantSetting
from core.roles import Role
from core.tenancy import tenant_context
from customers.services import address_add, customer_create
from warehouse import services
from warehouse.models import StockDocument, StockItem, StockLevel
from warehouse.tests import factories

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


def _line(**row) -> str:
    return json.dumps(row)


def _post(client, kind: str, data: dict, rows=(), token=None):
    return client.post(reverse(f"warehouse:document_new_{kind}"), {
        "request_token": str(token or uuid.uuid4()), **data,
        "line": [_line(**row) for row in rows]})


def _posted(response) -> StockDocument:
    assert response.status_code == 302, _html(response)[-3000:]
    return StockDocument.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_a_pallet_of_a_thousand_serials_posts_from_the_page(staff_client, stock):
    """One field per scanned line: Django's default limit (1,000 fields) would refuse it."""
    rows = [{"product": stock.ont.pk, "serial": f"PAL{n:05d}"} for n in range(1200)]
    response = _post(staff_client, "pz", {"supplier": stock.supplier.pk,
                                          "warehouse": stock.main.pk}, rows)
    assert _posted(response).lines.count() == 1200


@pytest.fixture
def stock(in_tenant, staff):
    TenantSetting.objects.create(key="finance.seller_name", value="Sieć Alfa sp. z o.o.")
    return factories.Stock()


@pytest.fixture
def received(stock, staff):
    """Three ONTs and an STB in the main store, one ONT in the van, 30 m of cable."""
    factories.receive(staff, warehouse=stock.main, product=stock.ont,
                      serials=[{"serial": "ONT1", "mac": "00:11:22:33:44:01"}, "ONT2", "ONT3"])
    factories.receive(staff, warehouse=stock.main, product=stock.stb, serials=["STB1"])
    factories.receive(staff, warehouse=stock.van, product=stock.ont, serials=["VAN1"])
    factories.receive(staff, warehouse=stock.main, product=stock.cable, quantity=30)
    return stock


# --------------------------------------------------------------------------- each kind

def test_a_pz_of_three_scanned_serials_receives_them(staff_client, stock):
    response = _post(staff_client, "pz", {
        "supplier": stock.supplier.pk, "warehouse": stock.main.pk,
        "supplier_document": "FV/12/2026"}, [
        {"serial": "hwtc 0001", "product": str(stock.ont.pk), "mac": "AA-BB-CC-DD-EE-FF",
         "gpon_serial": "HWTC1A2B3C4D", "unit_price": "149,99"},
        {"serial": "HWTC0002", "product": str(stock.ont.pk)},
        {"serial": "HWTC0003", "product": str(stock.ont.pk)},
        {"product": str(stock.cable.pk), "quantity": "25,5"}])
    pz = _posted(response)
    assert pz.kind == "PZ" and pz.supplier_document == "FV/12/2026"
    first = StockItem.objects.get(serial="HWTC0001")
    assert first.mac == "aa:bb:cc:dd:ee:ff" and first.gpon_serial == "HWTC1A2B3C4D"
    assert first.purchase_price == Decimal("149.99") and first.warehouse_id == stock.main.pk
    assert StockItem.objects.get(serial="HWTC0002").purchase_price == Decimal("150.00")
    assert StockLevel.objects.get(product=stock.cable).quantity == Decimal("25.5")
    page = _html(staff_client.get(response["Location"]))
    assert f"PZ {pz.number} posted." in page and "aa:bb:cc:dd:ee:ff" in page


def test_a_wz_of_a_received_serial_issues_it_with_its_address(staff_client, received,
                                                              customer, staff):
    address = address_add(actor=staff, customer=customer, kind="installation", street="Polna",
                          building_no="7", postal_code="05-500", city="Piaseczno")
    response = _post(staff_client, "wz", {
        "warehouse": received.main.pk, "customer": customer.pk, "address": address.pk,
        "settlement": "sale"}, [{"serial": "ONT1", "unit_price": "199"},
                                {"product": str(received.cable.pk), "quantity": "10"}])
    wz = _posted(response)
    assert wz.customer_id == customer.pk and wz.address_id == address.pk
    assert wz.invoice is not None and wz.settlement == "sale"
    item = StockItem.objects.get(serial="ONT1")
    assert item.state == "issued" and item.customer_id == customer.pk
    page = _html(staff_client.get(response["Location"]))
    assert reverse("customers:card", args=[customer.pk]) in page
    assert reverse("finance:document", args=[wz.invoice_id]) in page
    assert wz.invoice.number in page and "Polna 7" in page


def test_a_wz_sends_only_the_chosen_settlements_own_field(staff_client, received, customer,
                                                          staff):
    from finance.billing import tariff_create

    tariff = tariff_create(actor=staff, name="Dzierżawa ONT", net_price="5.00", vat_rate="23")
    # a tariff chosen, then the settlement changed to none: the tariff is not sent
    wz = _posted(_post(staff_client, "wz", {
        "warehouse": received.main.pk, "customer": customer.pk, "settlement": "none",
        "lease_tariff": tariff.pk, "deposit": "50"}, [{"serial": "ONT2"}]))
    assert wz.settlement == "none" and wz.subscription_id is None and wz.invoice_id is None
    lease = _posted(_post(staff_client, "wz", {
        "warehouse": received.main.pk, "customer": customer.pk, "settlement": "lease",
        "lease_tariff": tariff.pk}, [{"serial": "ONT3"}]))
    assert lease.subscription.tariff_id == tariff.pk


def test_a_zw_returns_a_faulty_serial(staff_client, received, customer, staff):
    factories.issue(staff, warehouse=received.main, customer=customer, serials=["ONT1"])
    response = _post(staff_client, "zw", {"customer": customer.pk,
                                          "warehouse": received.van.pk},
                     [{"serial": "ont1", "state": "faulty"}])
    zw = _posted(response)
    item = StockItem.objects.get(serial="ONT1")
    assert zw.kind == "ZW" and item.state == "in_stock" and item.condition == "faulty"
    assert item.warehouse_id == received.van.pk and item.customer_id is None
    page = _html(staff_client.get(response["Location"]))
    assert ">faulty<" in page


def test_a_zw_of_a_deposit_says_it_is_not_refunded(staff_client, received, customer, staff):
    factories.issue(staff, warehouse=received.main, customer=customer, serials=["ONT1"],
                    settlement="deposit", deposit="100")
    response = _post(staff_client, "zw", {"customer": customer.pk,
                                          "warehouse": received.main.pk}, [{"serial": "ONT1"}])
    _posted(response)
    page = _html(staff_client.get(response["Location"]))
    assert "took a deposit of" in page and "refund it by a KW" in page


def test_an_mm_moves_serials_and_cable_to_the_van(staff_client, received):
    mm = _posted(_post(staff_client, "mm", {
        "warehouse": received.main.pk, "target_warehouse": received.van.pk},
        [{"serial": "ONT2"}, {"product": str(received.cable.pk), "quantity": "5"}]))
    assert mm.target_warehouse_id == received.van.pk
    assert StockItem.objects.get(serial="ONT2").warehouse_id == received.van.pk
    assert StockLevel.objects.get(warehouse=received.van, product=received.cable
                                  ).quantity == Decimal("5")


def test_an_rw_scraps_a_serial_and_uses_cable(staff_client, received):
    rw = _posted(_post(staff_client, "rw", {"warehouse": received.main.pk}, [
        {"serial": "ONT3", "scrap": "1"}, {"serial": "ONT2"},
        {"product": str(received.cable.pk), "quantity": "2"}]))
    assert StockItem.objects.get(serial="ONT3").state == "scrapped"
    assert StockItem.objects.get(serial="ONT2").state == "used"
    assert [line.return_state for line in rw.lines.order_by("id")] == ["scrap", "", ""]
    page = _html(staff_client.get(reverse("warehouse:document", args=[rw.pk])))
    assert ">to scrap<" in page and ">internal use<" in page


def test_an_inw_books_the_serials_not_scanned_as_lost_and_sets_the_count(staff_client,
                                                                        received):
    inw = _posted(_post(staff_client, "inw", {"warehouse": received.main.pk}, [
        {"serial": "ONT1"}, {"serial": "ONT2"}, {"serial": "STB1"},
        {"product": str(received.cable.pk), "quantity": "0"}]))
    assert StockItem.objects.get(serial="ONT3").state == "lost"
    assert StockLevel.objects.get(warehouse=received.main, product=received.cable
                                  ).quantity == 0
    page = _html(staff_client.get(reverse("warehouse:document", args=[inw.pk])))
    assert "ONT3" in page and "lost" in page


def test_an_inw_refuses_a_serial_that_is_elsewhere_and_keeps_the_scan(staff_client,
                                                                     received):
    response = _post(staff_client, "inw", {"warehouse": received.main.pk},
                     [{"serial": "ONT1"}, {"serial": "VAN1"}])
    assert response.status_code == 400
    html = _html(response)
    errors = html.split('id="line-errors"')[1].split("</div>\n")[0]
    assert "VAN1 is in the warehouse Van Tomka" in errors
    assert 'data-serial="VAN1"' in html and "table-danger" in html
    assert StockItem.objects.get(serial="ONT2").state == "in_stock"


def test_an_inw_of_some_products_counts_only_them(staff_client, received):
    _posted(_post(staff_client, "inw", {"warehouse": received.main.pk,
                                        "products": [received.stb.pk]}, [{"serial": "STB1"}]))
    assert StockItem.objects.get(serial="ONT3").state == "in_stock"


# --------------------------------------------------------------------------- refusals, twice

def test_a_refusal_is_shown_with_the_lines_kept_and_nothing_posted(staff_client, received,
                                                                   customer):
    token = uuid.uuid4()
    response = _post(staff_client, "wz", {"warehouse": received.main.pk,
                                          "customer": customer.pk},
                     [{"serial": "ONT1", "unit_price": "99"}, {"serial": "VAN1"},
                      {"product": str(received.cable.pk), "quantity": "12,5"}], token=token)
    assert response.status_code == 400
    html = _html(response)
    assert 'id="line-errors"' in html
    assert "Line 2: The serial VAN1 is not in the warehouse Magazyn główny" in html
    # every line is still there, as typed, VAN1 in red with where it is
    assert 'data-serial="ONT1"' in html and 'data-serial="VAN1"' in html
    assert 'value="99"' in html and 'value="12,5"' in html
    assert "in the warehouse Van Tomka" in html and "table-danger" in html
    # the customer stays chosen, the token too (nothing was posted with it)
    assert f'value="{customer.pk}"' in html and str(token) in html
    assert not StockDocument.objects.filter(kind="WZ").exists()
    assert StockItem.objects.get(serial="ONT1").state == "in_stock"


def test_a_header_refusal_is_shown_on_its_field(staff_client, received):
    response = _post(staff_client, "mm", {"warehouse": received.main.pk,
                                          "target_warehouse": received.main.pk},
                     [{"serial": "ONT1"}])
    assert response.status_code == 400
    assert "Choose another warehouse to move to." in _html(response)
    response = _post(staff_client, "pz", {"warehouse": received.main.pk},
                     [{"serial": "X1", "product": str(received.ont.pk)}])
    assert "Choose the supplier." in _html(response)
    response = _post(staff_client, "wz", {"warehouse": received.main.pk}, [{"serial": "ONT1"}])
    picker = _html(response).split('id="customer-picker"')[1].split("</div>\n    <div")[0]
    assert "Choose the customer." in picker


def test_an_empty_document_is_refused(staff_client, received):
    response = _post(staff_client, "rw", {"warehouse": received.main.pk})
    assert response.status_code == 400
    assert "A document needs at least one line." in _html(response)


def test_a_damaged_line_is_told_and_nothing_posted(staff_client, received):
    response = staff_client.post(reverse("warehouse:document_new_rw"), {
        "request_token": str(uuid.uuid4()), "warehouse": received.main.pk,
        "line": ["{not json", _line(serial="ONT1"), '["ONT2"]']})
    assert response.status_code == 400
    assert "2 line(s) came damaged" in _html(response)
    assert not StockDocument.objects.filter(kind="RW").exists()


def test_an_expired_form_without_its_token_posts_nothing(staff_client, received):
    response = staff_client.post(reverse("warehouse:document_new_rw"), {
        "warehouse": received.main.pk, "line": [_line(serial="ONT1")]})
    assert response.status_code == 400
    assert "The form has expired: open it again." in _html(response)
    assert not StockDocument.objects.filter(kind="RW").exists()


def test_the_same_form_sent_twice_posts_one_document(staff_client, stock):
    token = uuid.uuid4()
    data = {"supplier": stock.supplier.pk, "warehouse": stock.main.pk}
    rows = [{"serial": "DUP1", "product": str(stock.ont.pk)}]
    first = _posted(_post(staff_client, "pz", data, rows, token=token))
    second = _posted(_post(staff_client, "pz", data, rows, token=token))
    assert first.pk == second.pk
    assert StockDocument.objects.filter(kind="PZ").count() == 1
    assert StockItem.objects.filter(serial="DUP1").count() == 1


def test_a_serial_left_in_the_scanner_field_becomes_a_line_not_a_document(staff_client,
                                                                          received):
    """Without its script the page still never posts on the reader's Enter."""
    response = _post(staff_client, "rw", {"warehouse": received.main.pk, "scan": " ont2 "},
                     [{"serial": "ONT1"}])
    assert response.status_code == 200
    html = _html(response)
    assert 'data-serial="ONT1"' in html and 'data-serial="ONT2"' in html
    assert not StockDocument.objects.filter(kind="RW").exists()
    again = _post(staff_client, "rw", {"warehouse": received.main.pk, "scan": "ONT1"},
                  [{"serial": "ONT1"}])
    assert "ONT1 is already on the list." in _html(again)


# --------------------------------------------------------------------------- the scanner's rows

def _row(client, **params):
    return client.get(reverse("warehouse:document_line"), params)


def test_a_scanned_pz_serial_comes_with_its_products_feature_fields(staff_client, stock):
    response = _row(staff_client, kind="PZ", serial=" hwtc 0009 ", product=stock.ont.pk,
                    warehouse=stock.main.pk)
    html = _html(response)
    assert response.status_code == 200 and 'data-serial="HWTC0009"' in html
    assert 'data-field="mac"' in html and 'data-field="gpon_serial"' in html
    assert 'data-field="firmware"' not in html
    stb = _html(_row(staff_client, kind="PZ", serial="K1", product=stock.stb.pk))
    assert 'data-field="mac"' in stb and 'data-field="gpon_serial"' not in stb


def test_a_scanned_pz_serial_needs_its_product_and_a_known_one_is_red(staff_client, received):
    response = _row(staff_client, kind="PZ", serial="NEW1")
    assert response.status_code == 422
    assert "Choose the product you are receiving first." in _html(response)
    html = _html(_row(staff_client, kind="PZ", serial="ONT1", product=received.ont.pk))
    assert "table-danger" in html and "Already known: in the warehouse Magazyn główny" in html


def test_a_scanned_serial_not_in_the_chosen_warehouse_is_red_with_where_it_is(
        staff_client, received):
    html = _html(_row(staff_client, kind="WZ", serial="VAN1", warehouse=received.main.pk))
    assert "table-danger" in html and "it is in the warehouse Van Tomka" in html
    assert "ONT Dasan H660GM" in html
    fine = _html(_row(staff_client, kind="MM", serial="ONT1", warehouse=received.main.pk))
    assert "table-danger" not in fine and "in the warehouse Magazyn główny" in fine
    unknown = _html(_row(staff_client, kind="RW", serial="NOPE1", warehouse=received.main.pk))
    assert "table-danger" in unknown and "is not known" in unknown


def test_a_scanned_serial_for_a_return_must_be_at_that_customer(staff_client, received,
                                                                customer, staff):
    factories.issue(staff, warehouse=received.main, customer=customer, serials=["ONT1"])
    html = _html(_row(staff_client, kind="ZW", serial="ONT1", customer=customer.pk,
                      state="faulty"))
    assert "table-danger" not in html and 'value="faulty" selected' in html
    other = customer_create(actor=staff, first_name="Ewa", last_name="Nowak")
    html = _html(_row(staff_client, kind="ZW", serial="ONT1", customer=other.pk))
    assert "table-danger" in html and "not at this customer" in html


def test_a_line_that_is_no_serial_is_refused_on_the_spot(staff_client, received):
    for serial in ("ą-1", "-X", "A" * 65, 'X"><script>'):
        response = _row(staff_client, kind="WZ", serial=serial, warehouse=received.main.pk)
        # plain text, shown by scan.js as text, never as markup
        assert response.status_code == 422
        assert response["Content-Type"].startswith("text/plain")
    response = _row(staff_client, kind="TT", serial="ONT1")
    assert response.status_code == 422


def test_a_counted_product_is_added_with_its_quantity(staff_client, received):
    html = _html(_row(staff_client, kind="MM", product=received.cable.pk, quantity="3,5",
                      warehouse=received.main.pk))
    assert f'data-counted="{received.cable.pk}"' in html and 'value="3,5"' in html
    refused = _row(staff_client, kind="MM", product=received.ont.pk, quantity="1")
    assert refused.status_code == 422 and "scan its serials" in _html(refused)


def test_the_rows_turn_red_when_the_warehouse_changes(staff_client, received):
    response = staff_client.post(reverse("warehouse:document_lines"), {
        "kind": "WZ", "warehouse": received.van.pk,
        "line": [_line(serial="ONT1", unit_price="5"), _line(serial="VAN1")]})
    html = _html(response)
    rows = html.split("<tr")[1:]
    assert "table-danger" in rows[0] and "table-danger" not in rows[1]
    assert 'value="5"' in rows[0]


def test_the_customer_picker_finds_by_name_and_number(staff_client, customer):
    html = _html(staff_client.get(reverse("warehouse:customer_pick"), {"q": "kowal"}))
    assert f'data-customer-pick="{customer.pk}"' in html and "Kowalski" in html
    html = _html(staff_client.get(reverse("warehouse:customer_pick"), {"q": str(customer.number)}))
    assert f'data-customer-pick="{customer.pk}"' in html
    assert "No customer matches." in _html(staff_client.get(
        reverse("warehouse:customer_pick"), {"q": "zzzzzz"}))


def test_the_chosen_customer_brings_addresses_or_equipment(staff_client, received, customer,
                                                           staff):
    address_add(actor=staff, customer=customer, kind="installation", street="Polna",
                building_no="7", postal_code="05-500", city="Piaseczno")
    html = _html(staff_client.get(reverse("warehouse:customer_parts"),
                                  {"kind": "WZ", "customer": customer.pk}))
    assert "Polna 7" in html and 'name="address"' in html
    factories.issue(staff, warehouse=received.main, customer=customer, serials=["ONT1"])
    html = _html(staff_client.get(reverse("warehouse:customer_parts"),
                                  {"kind": "ZW", "customer": customer.pk}))
    assert 'data-scan-value="ONT1"' in html


def test_the_card_link_presets_the_customer(staff_client, received, customer):
    html = _html(staff_client.get(reverse("warehouse:document_new_wz"),
                                  {"customer": customer.pk, "warehouse": received.main.pk}))
    assert reverse("customers:card", args=[customer.pk]) in html
    assert f'<option value="{received.main.pk}" selected>' in html


@pytest.mark.parametrize("kind", ["pz", "wz", "zw", "mm", "rw", "inw"])
def test_every_kinds_page_has_the_scanner_the_lines_and_the_button(staff_client, stock, kind):
    response = staff_client.get(reverse(f"warehouse:document_new_{kind}"))
    assert response.status_code == 200
    html = _html(response)
    for mark in ('id="scan"', 'id="lines"', 'id="post-document"', 'name="request_token"',
                 "warehouse/scan.js"):
        assert mark in html
    assert "<script>" not in html  # the policy runs no inline script


# --------------------------------------------------------------------------- the document

def test_the_document_page_shows_the_header_lines_and_moves(staff_client, received, customer,
                                                            staff):
    wz = factories.issue(staff, warehouse=received.main, customer=customer,
                         serials=["ONT1", "ONT2"], quantities=[(received.cable, "12.5")],
                         note="Montaż <b>na strychu</b>")
    services.return_post(actor=staff, customer=customer, warehouse=received.main,
                         lines=["ONT2"])
    html = _html(staff_client.get(reverse("warehouse:document", args=[wz.pk])))
    assert wz.number in html and "Magazyn główny" in html
    assert "00:11:22:33:44:01" in html and "12.5 m" in html
    assert "&lt;b&gt;na strychu&lt;/b&gt;" in html
    lines = html.split('id="document-lines"')[1].split("</table>")[0]
    ont1, ont2 = lines.split('id="line-')[1:3]
    assert "at the customer" in ont1 and "returned" in ont2
    assert reverse("warehouse:item", args=[StockItem.objects.get(serial="ONT1").pk]) in html


def test_the_document_page_reads_in_a_fixed_number_of_queries(staff_client, received,
                                                              customer, staff,
                                                              django_assert_num_queries):
    wz = factories.issue(staff, warehouse=received.main, customer=customer,
                         serials=["ONT1", "ONT2", "ONT3", "STB1"],
                         quantities=[(received.cable, "3")])
    url = reverse("warehouse:document", args=[wz.pk])
    staff_client.get(url)  # the session settled (its first save)
    # session, user, membership with the role; the document with its parties, its lines with
    # their products and serials, its moves with their serials.
    with django_assert_num_queries(6):
        staff_client.get(url)


def test_the_pdf_is_named_by_the_number(staff_client, received, customer, staff):
    wz = factories.issue(staff, warehouse=received.main, customer=customer, serials=["ONT1"])
    response = staff_client.get(reverse("warehouse:document_pdf", args=[wz.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "/" in wz.number  # the default pattern, e.g. WZ/1/2026
    expected = wz.number.replace("/", "_") + ".pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{expected}"'


# --------------------------------------------------------------------------- the list

@pytest.fixture
def documents(received, customer, staff):
    other = customer_create(actor=staff, first_name="Ewa", last_name="Nowak")
    wz = factories.issue(staff, warehouse=received.main, customer=customer, serials=["ONT1"])
    wz2 = factories.issue(staff, warehouse=received.van, customer=other, serials=["VAN1"])
    mm = services.move_post(actor=staff, warehouse=received.main,
                            target_warehouse=received.van, lines=["ONT2"])
    return {"wz": wz, "wz2": wz2, "mm": mm}


def _numbers(response) -> list[str]:
    html = _html(response).split('id="document-list"')[1]
    return [part.split("</a>")[0].split(">")[-1] for part in html.split('id="document-')[1:]]


def test_the_list_filters_by_kind_warehouse_customer_and_serial(staff_client, documents,
                                                                 customer):
    url = reverse("warehouse:documents")
    wz, wz2, mm = documents["wz"], documents["wz2"], documents["mm"]
    assert _numbers(staff_client.get(url, {"kind": "WZ"})) == [wz2.number, wz.number]
    van = documents["wz2"].warehouse_id
    by_van = _numbers(staff_client.get(url, {"warehouse": van, "kind": "WZ"}))
    assert by_van == [wz2.number]
    assert mm.number in _numbers(staff_client.get(url, {"warehouse": van}))  # MM's target
    by_serial = _numbers(staff_client.get(url, {"q": " ont1 "}))  # as a reader types it
    assert wz.number in by_serial and wz2.number not in by_serial and mm.number not in by_serial
    assert _numbers(staff_client.get(url, {"customer": customer.pk})) == [wz.number]
    assert _numbers(staff_client.get(url, {"q": mm.number})) == [mm.number]


def test_the_list_filters_by_dates_and_ignores_what_is_no_filter(staff_client, documents):
    url = reverse("warehouse:documents")
    assert _numbers(staff_client.get(url, {"date_from": "2999-01-01"})) == []
    assert _numbers(staff_client.get(url, {"date_to": "1990-01-01"})) == []
    everything = _numbers(staff_client.get(url))
    for junk in ({"kind": "XX"}, {"warehouse": "abc"}, {"date_from": "2026-02-30"},
                 {"page": "-1"}, {"page": "99999999999999999999"}):
        response = staff_client.get(url, junk)
        assert response.status_code == 200
    assert _numbers(staff_client.get(url, {"kind": "XX"})) == everything


def test_the_list_is_paged(staff_client, received, staff):
    for _n in range(55):
        services.move_post(actor=staff, warehouse=received.main, target_warehouse=received.van,
                           lines=[{"product": received.cable.pk, "quantity": "0.1"}])
    url = reverse("warehouse:documents")
    first = staff_client.get(url, {"kind": "MM"})
    assert len(_numbers(first)) == 50 and "?page=2&amp;kind=MM" in _html(first)
    assert len(_numbers(staff_client.get(url, {"kind": "MM", "page": 2}))) == 5


def test_the_list_reads_in_a_fixed_number_of_queries(staff_client, documents,
                                                     django_assert_num_queries):
    url = reverse("warehouse:documents")
    staff_client.get(url)  # the session settled (its first save)
    # session, user, membership with the role; the warehouses of the filter; the page of
    # documents with their parties and line counts — whatever the number of documents.
    with django_assert_num_queries(5):
        response = staff_client.get(url, {"q": "ONT"})
    assert response.status_code == 200


# --------------------------------------------------------------------------- who may

@pytest.fixture
def accountant(tenant):
    return _client(make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT))


def test_an_accountant_sees_the_documents_but_posts_none(accountant, documents):
    wz = documents["wz"]
    assert accountant.get(reverse("warehouse:documents")).status_code == 200
    assert accountant.get(reverse("warehouse:document", args=[wz.pk])).status_code == 200
    html = _html(accountant.get(reverse("warehouse:documents")))
    assert 'id="document-new-pz"' not in html
    for kind in ("pz", "wz", "zw", "mm", "rw", "inw"):
        url = reverse(f"warehouse:document_new_{kind}")
        assert accountant.get(url).status_code == 403
        assert accountant.post(url, {}).status_code == 403
    assert accountant.get(reverse("warehouse:document_line"),
                          {"kind": "WZ", "serial": "ONT1"}).status_code == 403
    assert accountant.get(reverse("warehouse:customer_pick"), {"q": "x"}).status_code == 403


def test_a_technician_posts_documents(tenant, received):
    technician = _client(make_staff(tenant, "tomek", role=Role.TECHNICIAN))
    mm = _posted(_post(technician, "mm", {"warehouse": received.main.pk,
                                          "target_warehouse": received.van.pk},
                       [{"serial": "ONT3"}]))
    assert mm.created_by.username == "tomek"


def test_another_tenants_document_is_a_404(other_tenant, other_staff, documents):
    client = _client(other_staff)
    wz = documents["wz"]
    for name in ("warehouse:document", "warehouse:document_pdf"):
        assert client.get(reverse(name, args=[wz.pk])).status_code == 404
    html = _html(client.get(reverse("warehouse:documents")))
    assert wz.number not in html
    # nor can its customer or serials be reached from the scanner
    row = _html(client.get(reverse("warehouse:document_line"),
                           {"kind": "WZ", "serial": "ONT2", "warehouse": wz.warehouse_id}))
    assert "Magazyn główny" not in row and "Not known" in row
    parts = _html(client.get(reverse("warehouse:customer_parts"),
                             {"kind": "ZW", "customer": wz.customer_id}))
    assert "ONT1" not in parts
    assert "Kowalski" not in _html(client.get(reverse("warehouse:customer_pick"),
                                              {"q": "Kowalski"}))


def test_another_tenants_warehouse_cannot_be_posted_to(other_tenant, other_staff, received):
    client = _client(other_staff)
    with tenant_context(other_tenant):
        factories.SupplierFactory(name="Beta")
    response = _post(client, "rw", {"warehouse": received.main.pk}, [{"serial": "ONT1"}])
    assert response.status_code == 400
    assert StockItem.objects.get(serial="ONT1").state == "in_stock"
