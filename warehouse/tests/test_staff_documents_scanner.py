"""The scanner field of a new document in Debian's Chromium (scan.js): serials read one
after another become lines in order without sending the form, the same serial twice is
refused on the spot, Enter in a line's MAC field posts nothing, a serial not in the chosen
warehouse turns red, and "Post" posts — with no script or style the policy refuses; then
the issued ONT on the customer's card with its WZ among the documents, and its return as
faulty from the card (the ZW among the documents too)."""

import os

import pytest

from conftest import make_staff, staff_browser_login
from core.models import Tenant
from core.tenancy import tenant_context

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _policy_watch(page) -> list[str]:
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    return refused


@pytest.mark.browser
def test_three_onts_scanned_in_one_issued_seen_on_the_card_and_returned_faulty(
        transactional_db, live_server, browser_page, monkeypatch):
    # the ORM beside Playwright's loop in this thread (another test's monkeypatch may have
    # taken the module's setting away when it ended)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    from customers.services import customer_create
    from warehouse.models import StockDocument, StockItem
    from warehouse.tests import factories

    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        stock = factories.Stock()
        factories.receive(staff, warehouse=stock.van, product=stock.ont, serials=["VAN1"])
        customer = customer_create(actor=staff, first_name="Jan", last_name="Kowalski",
                                   status="connected")
    page, expect = browser_page, sync_api.expect
    refused = _policy_watch(page)
    staff_browser_login(page, f"{live_server.url}/login/?next=/warehouse/documents/new/pz/")
    expect(page.locator("#scan")).to_be_focused()
    page.select_option("#doc_supplier", label="Dasan Polska")
    page.select_option("#doc_warehouse", label="Magazyn główny")
    page.select_option("#scan-product", label="ONT Dasan H660GM")
    scan = page.locator("#scan")
    # a reader types fast: three serials, each ended by Enter, before any answer is in
    for serial in ("hwtc0001", "HWTC0002", "HWTC0003"):
        scan.focus()
        page.keyboard.type(serial + "\n")
    rows = page.locator("#lines tbody tr.line")
    expect(rows).to_have_count(3)
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.serial)") == [
        "HWTC0001", "HWTC0002", "HWTC0003"]
    expect(scan).to_be_focused()
    page.keyboard.type("HWTC 0002\n")
    expect(page.locator("#scan-feedback")).to_contain_text("HWTC0002 is already on the list.")
    expect(rows).to_have_count(3)
    # a MAC read into the first line's field, Enter and all: nothing is posted
    mac = rows.nth(0).locator("[data-field=mac]")
    mac.fill("AA-BB-CC-DD-EE-FF")
    mac.press("Enter")
    expect(scan).to_be_focused()
    assert page.url.endswith("/warehouse/documents/new/pz/")
    page.locator("#post-document").click()
    expect(page.locator("#document-title")).to_contain_text("PZ")
    with tenant_context(tenant):
        assert StockDocument.objects.filter(kind="PZ").count() == 2  # VAN1's and this one
        assert StockItem.objects.get(serial="HWTC0001").mac == "aa:bb:cc:dd:ee:ff"

    page.goto(f"{live_server.url}/warehouse/documents/new/wz/")
    page.select_option("#doc_warehouse", label="Magazyn główny")
    page.locator("#customer-q").fill("kowal")
    pick = page.locator(f"[data-customer-pick='{customer.pk}']")
    expect(pick).to_be_visible()
    pick.click()
    expect(page.locator("#customer-chosen")).to_contain_text("Kowalski")
    expect(page.locator("#doc_address")).to_be_attached()
    page.locator("#scan").focus()
    page.keyboard.type("VAN1\n")
    red = page.locator("#lines tbody tr.line.table-danger")
    expect(red).to_have_count(1)
    expect(page.locator("#scan-feedback")).to_contain_text("Van Tomka")
    red.locator("[data-line-remove]").click()
    page.keyboard.type("HWTC0002\n")
    expect(page.locator("#lines tbody tr.line")).to_have_count(1)
    page.locator("#post-document").click()
    expect(page.locator("#document-title")).to_contain_text("WZ")
    with tenant_context(tenant):
        item = StockItem.objects.get(serial="HWTC0002")
        assert item.state == "issued" and item.customer_id == customer.pk
        wz = StockDocument.objects.get(kind="WZ")

    # on the customer's card: the ONT among the equipment, its WZ among the documents
    page.goto(f"{live_server.url}/customers/{customer.pk}/#sprzet")
    equipment = page.locator(f"#equipment-{item.pk}")
    expect(equipment).to_contain_text("HWTC0002")
    expect(equipment).to_contain_text(wz.number)
    page.goto(f"{live_server.url}/customers/{customer.pk}/#dokumenty")
    expect(page.locator("#section-documents")).to_contain_text(wz.number)

    # and back to the warehouse as faulty, from the card ("Zwrot na magazyn")
    page.goto(f"{live_server.url}/customers/{customer.pk}/#sprzet")
    page.locator("#section-equipment").get_by_role(
        "button", name="Return to the warehouse").click()
    returning = page.locator("#equipment-return")
    expect(returning).to_be_visible()
    returning.locator("select[name=warehouse]").select_option(label="Magazyn główny")
    returning.locator(f"select[name=state_{item.pk}]").select_option("faulty")
    returning.get_by_role("button", name="Return (ZW)").click()
    # a ZW posts, settles and renders the section again: on a loaded CI machine more than
    # the default 5 s
    expect(page.locator(f"#equipment-{item.pk}")).to_have_count(0, timeout=20_000)
    with tenant_context(tenant):
        item.refresh_from_db()
        assert (item.state, item.condition, item.customer_id) == ("in_stock", "faulty", None)
        assert item.warehouse.name == "Magazyn główny"
        zw = StockDocument.objects.get(kind="ZW")
    page.goto(f"{live_server.url}/customers/{customer.pk}/#dokumenty")
    expect(page.locator("#section-documents")).to_contain_text(zw.number)
    assert refused == []
