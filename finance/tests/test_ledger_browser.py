"""The transaction history in real headless Chromium: an invoice by hand, a KP ticking it."""

import os

import pytest

from conftest import make_staff, staff_browser_login
from core.models import Tenant
from core.tenancy import tenant_context

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are
# still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

sync_api = pytest.importorskip("playwright.sync_api")


def _customer_with_cash_register():
    """Staff "anna" of ISP "alfa", customer Jan Kowalski and a cash register."""
    from customers import services as customer_services
    from finance import services

    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        customer = customer_services.customer_create(actor=staff, first_name="Jan",
                                                     last_name="Kowalski", status="connected")
        services.cash_register_create(actor=staff, name="Kasa główna", symbol="main")
    return tenant, staff, customer


def _log_in(page, live_server, next_path: str) -> None:
    staff_browser_login(page, f"{live_server.url}/login/?next={next_path}")


@pytest.mark.browser
def test_invoice_by_hand_then_kp_ticked_in_the_history_settles_it(
        transactional_db, live_server, browser_page):

    tenant, staff, customer = _customer_with_cash_register()
    page = browser_page
    expect = sync_api.expect

    _log_in(page, live_server, f"/customers/{customer.pk}/?sekcja=historia")
    expect(page.locator("h1")).to_have_text("Jan Kowalski")
    history = page.locator("#section-history")
    expect(history).to_contain_text("No transactions.")

    # An invoice by hand: two lines at two VAT rates.
    history.get_by_role("link", name="Invoice", exact=True).click()
    expect(page.locator("h1")).to_have_text("New invoice")
    page.fill("input[name=lines-0-name]", "Abonament internet")
    page.fill("input[name=lines-0-net_unit_price]", "100,00")
    page.fill("input[name=lines-1-name]", "Instalacja")
    page.fill("input[name=lines-1-quantity]", "2")
    page.fill("input[name=lines-1-net_unit_price]", "10")
    page.select_option("select[name=lines-1-vat_rate]", "8")
    page.get_by_role("button", name="Issue").click()

    expect(page.locator(".alert-success")).to_contain_text("PLN\xa0144.60")
    row = page.locator("#history tbody tr.history-row").first
    expect(row.locator(".history-status")).to_have_text("unsettled")
    expect(history.locator(".history-balance")).to_have_text("PLN\xa0-144.60")

    # Tick it in the history and take a KP for it.
    row.locator("input[name=invoices]").check()
    page.locator("#history-kp-button").click()
    expect(page.locator("h1")).to_have_text("New KP")
    expect(page.locator("input[name=invoices]:checked")).to_have_count(1)
    page.get_by_role("button", name="Issue").click()

    expect(page.locator(".alert-success")).to_contain_text("KP KP/MAIN/")
    invoice_row = page.locator("#history tbody tr.history-row",
                               has=page.locator("a.history-number", has_text="FV/"))
    expect(invoice_row.locator(".history-status")).to_have_text("settled")
    expect(history.locator(".history-balance")).to_have_text("PLN\xa00.00")

    # A click on the invoice's row shows what paid it (htmx).
    invoice_row.locator("td").nth(2).click()
    expect(page.locator("#history-links .links-paid-by")).to_contain_text("KP/MAIN/")
    expect(page.locator("#history-links .links-paid-by")).to_contain_text("PLN\xa0144.60")

    # The type filter (htmx) leaves the invoice alone.
    page.select_option("#history-kind", "invoice")
    expect(page.locator("#history tbody tr.history-row")).to_have_count(1)
    page.screenshot(path="/tmp/ledger.png", full_page=True)


@pytest.mark.browser
def test_kp_add_position_button_gives_as_many_rows_as_needed(
        transactional_db, live_server, browser_page):
    from finance.models import CashPosition, FinanceDocument, Kind

    tenant, staff, customer = _customer_with_cash_register()
    page = browser_page
    expect = sync_api.expect

    _log_in(page, live_server, f"/finance/customers/{customer.pk}/kp/new/")
    expect(page.locator("h1")).to_have_text("New KP")
    rows = page.locator("#kp-positions tbody tr.position-row")
    expect(rows).to_have_count(3)

    add = page.get_by_role("button", name="Add a position")
    add.click()
    add.click()
    expect(rows).to_have_count(5)
    expect(rows.nth(4).locator("td").first).to_have_text("5")
    expect(page.locator("input[name=positions-4-name]")).to_be_focused()
    five = [("Instalacja", "150"), ("Router Wi-Fi", "89,99"), ("Kabel 20 m", "25.50"),
            ("Gniazdko RJ45", "12"), ("Dojazd", "30")]
    for index, (name, amount) in enumerate(five):
        page.fill(f"input[name=positions-{index}-name]", name)
        page.fill(f"input[name=positions-{index}-amount]", amount)
    page.get_by_role("button", name="Issue").click()

    expect(page.locator(".alert-success")).to_contain_text("PLN\xa0307.49")
    with tenant_context(tenant):
        kp = FinanceDocument.objects.get(kind=Kind.KP)
        assert list(CashPosition.objects.filter(document=kp).order_by("position")
                    .values_list("name", flat=True)) == [name for name, _a in five]
