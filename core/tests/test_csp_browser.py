"""The pages satisfy the Content-Security-Policy (config/settings.py) in real Chromium: no
inline script or style, no eval. In development the policy is report-only, which Chromium
reports exactly as it would refuse it."""

import os
from datetime import date
from decimal import Decimal

import pytest

from conftest import chromium_page, make_staff, staff_browser_login
from core.models import Tenant
from core.tenancy import tenant_context

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

sync_api = pytest.importorskip("playwright.sync_api")

# Every violation of every page, handed to the test (an init script is the browser's, not
# the page's: the policy does not apply to it).
LISTEN = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.reportCsp(location.pathname + ": " + e.violatedDirective + " " +
                   (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


@pytest.fixture
def page():
    with chromium_page() as page:
        page.reported, page.console = [], []
        page.context.expose_function("reportCsp", lambda text: page.reported.append(text))
        page.context.add_init_script(LISTEN)
        page.on("console", lambda message: page.console.append(message.text))
        yield page


def violations(page) -> list[str]:
    logged = [text for text in page.console if "Content Security Policy" in text]
    return page.reported + logged


@pytest.mark.browser
def test_card_and_staff_pages_log_no_csp_violation(transactional_db, live_server, page):
    from customers import services
    from documents import services as document_services
    from finance import services as finance_services
    from radius import services as radius_services

    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        customer = services.customer_create(actor=staff, first_name="Jan",
                                            last_name="Kowalski", status="connected")
        services.phone_add(actor=staff, customer=customer, number="601234567")
        services.address_add(actor=staff, customer=customer, kind="residence",
                             street="Długa", building_no="5", postal_code="00-950",
                             city="Warszawa")
        services.annotation_add(actor=staff, customer=customer, text="Klucz u sąsiada",
                                pinned=True)
        login = radius_services.login_create(actor=staff, customer=customer, login="jan-pc",
                                             password="tajne-haslo1", ip="192.0.2.5")
        invoice = finance_services.invoice_issue(
            actor=staff, customer=customer, issue_date=date(2026, 3, 1),
            due_date=date(2026, 3, 15),
            lines=[{"name": "Abonament", "quantity": Decimal(1),
                    "net_unit_price": Decimal("100.00"), "vat_rate": "23"}])
        document_services.document_template_create(
            actor=staff, document_type="contract", name="Umowa",
            body="<p>{{ document.number }}</p>", is_default=True)
    expect = sync_api.expect

    staff_browser_login(page, f"{live_server.url}/login/")
    expect(page.locator("h1")).to_contain_text("The day's work")

    response = page.goto(f"{live_server.url}/customers/{customer.pk}/?full=1")
    assert "script-src 'self'" in response.headers["content-security-policy-report-only"]
    expect(page.locator("h1")).to_have_text("Jan Kowalski")
    # htmx at work: the tenant menu loads, a history row shows its links on a click (the
    # trigger filter that needed eval is now abonent.js), an annotation is added in place.
    page.locator("#tenant-dropdown").click()
    expect(page.locator("[aria-labelledby=tenant-dropdown]")).to_contain_text("Sieć Alfa")
    page.keyboard.press("Escape")
    page.locator(f"#history-row-{invoice.pk} td").nth(1).click()
    expect(page.locator("#history-links")).not_to_be_empty()
    expect(page.locator(f"#login-{login.pk}")).to_contain_text("192.0.2.5")
    annotations = page.locator("#section-annotations")
    annotations.locator("textarea[name=text]").fill("Drugi klucz w skrzynce")
    annotations.locator("button[type=submit]").first.click()
    expect(page.locator("#section-annotations")).to_contain_text("Drugi klucz w skrzynce")

    # The API's Swagger UI has its own, looser policy (core/csp.py); the customer panel last.
    for url in ("/api/docs/", "/admin/login/", "/customers/", "/documents/approve/",
                "/settings/", "/settings/api-tokens/", "/finance/billing/",
                "/panel/login/?isp=alfa"):
        page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state("networkidle")

    assert violations(page) == [], "\n".join(violations(page))

    # The listener hears a violation when there is one: the test above can fail.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_timeout(300)
    assert any("style-src" in text for text in violations(page))
