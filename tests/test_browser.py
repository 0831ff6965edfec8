"""The customer card in real headless Chromium: search, edit a phone, pin an annotation."""

import os

import pytest

from conftest import make_staff, staff_browser_login
from core.models import Tenant
from core.tenancy import tenant_context

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are
# still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.mark.browser
def test_staff_edits_phone_and_pins_annotation(transactional_db, live_server, browser_page,
                                               settings, tmp_path):
    from customers import services

    settings.MEDIA_ROOT = tmp_path
    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        customer = services.customer_create(actor=staff, first_name="Jan",
                                            last_name="Kowalski", status="connected")
        services.customer_create(actor=staff, first_name="Ewa", last_name="Nowak")
        services.phone_add(actor=staff, customer=customer, number="601234567")
        services.address_add(actor=staff, customer=customer, kind="residence",
                             street="Długa", building_no="5", postal_code="00-950",
                             city="Warszawa")
        note = services.annotation_add(actor=staff, customer=customer,
                                       text="Klucz u sąsiada")
    page = browser_page
    expect = sync_api.expect

    staff_browser_login(page, f"{live_server.url}/login/")
    expect(page.locator("h1")).to_contain_text("The day's work")

    # The search box of the menu, on every page, opens the customer list.
    page.fill("#nav-search-q", "owals")
    page.press("#nav-search-q", "Enter")
    expect(page.locator("h1")).to_have_text("Customers")
    rows = page.locator("#customer-list tbody tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name="Jan Kowalski").click()
    expect(page.locator("h1")).to_have_text("Jan Kowalski")

    # Edit the phone on its page; back on the card the new number shows.
    page.locator("#phones").get_by_role("link", name="edit").click()
    page.fill("#id_number", "602 345 678")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#phones .phone-number")).to_have_text("+48 602 345 678")

    # Add a phone in place (htmx): the section and the action log update without a reload.
    page.locator("#section-data summary", has_text="Add phone").click()
    page.fill("#phone_add_number", "603 000 111")
    page.locator("#section-data form[hx-post$='/phones/add/'] button[type=submit]").click()
    expect(page.locator("#phones")).to_contain_text("+48 603 000 111")
    page.locator("[data-card-tab=akcje]").click()  # the action log's tab
    expect(page.locator("#action-log")).to_contain_text("Phone +48603000111 added")

    # Pin the annotation: it moves above the card's sections.
    expect(page.locator("#pinned-annotations")).to_have_count(0)
    page.locator("[data-card-tab=adnotacje]").click()
    page.locator(f"#annotation-{note.pk}").get_by_role("button", name="Pin").click()
    pinned = page.locator("#pinned-annotations")
    expect(pinned).to_contain_text("Klucz u sąsiada")
    # Both measured at once: the redirect to #adnotacje scrolls smoothly.
    assert page.evaluate("""() => {
        const top = (id) => document.getElementById(id).getBoundingClientRect().top;
        return top("pinned-annotations") < top("section-annotations");
    }""")

    page.locator("[data-card-tab=akcje]").click()
    log = page.locator("#action-log")
    expect(log).to_contain_text("Phone +48602345678 changed")
    expect(log).to_contain_text("+48602345678")
    expect(log).to_contain_text("Annotation pinned: ")
    page.screenshot(path="/tmp/card.png", full_page=True)


@pytest.mark.browser
def test_barcode_reader_approves_documents_at_the_station(transactional_db, live_server,
                                                          browser_page, settings, tmp_path):
    """A USB reader types each code and Enter: one line per code, the input keeps focus."""
    from customers import services as customer_services
    from documents import services

    settings.MEDIA_ROOT = tmp_path
    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        customer = customer_services.customer_create(actor=staff, first_name="Jan",
                                                     last_name="Kowalski")
        services.document_template_create(actor=staff, document_type="contract",
                                          name="Umowa", body="<p>{{ document.number }}</p>",
                                          is_default=True)
        first, second = (services.document_issue(actor=staff, customer=customer,
                                                 document_type="contract") for _ in range(2))
    page = browser_page
    expect = sync_api.expect

    staff_browser_login(page, f"{live_server.url}/login/?next=/documents/approve/")
    expect(page.locator("h1")).to_have_text("Approve documents")
    code_input = page.locator("#approve-code")
    expect(code_input).to_be_focused()

    # As fast as a reader: no waiting between the codes.
    for code in (first.code, "ABN999999999", second.code):
        page.keyboard.type(code)
        page.keyboard.press("Enter")

    lines = page.locator("#approve-results li")
    expect(lines).to_have_count(3)
    # The newest line is on top.
    expect(lines.nth(0)).to_contain_text(second.number)
    expect(lines.nth(1)).to_contain_text("Unknown code “ABN999999999”")
    expect(lines.nth(2)).to_contain_text(first.number)
    expect(page.locator("#approve-results li.list-group-item-success")).to_have_count(2)
    expect(page.locator("#approve-results li.list-group-item-danger")).to_have_count(1)
    expect(page.locator("#approve-results")).to_contain_text("Jan Kowalski")
    expect(code_input).to_have_value("")
    expect(code_input).to_be_focused()
    with tenant_context(tenant):
        first.refresh_from_db()
        second.refresh_from_db()
    assert first.status == second.status == "approved"
    page.screenshot(path="/tmp/approve.png", full_page=True)


@pytest.mark.browser
def test_computers_section_reloads_and_opens_the_login_window(transactional_db, live_server,
                                                              browser_page):
    """The card's "Komputery" loads by htmx; info, force reload, then the login's window."""
    from customers import services
    from radius import services as radius_services

    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        customer = services.customer_create(actor=staff, first_name="Jan",
                                            last_name="Kowalski", status="connected")
        login = radius_services.login_create(actor=staff, customer=customer, login="jan-pc",
                                             password="tajne-haslo1", ip="192.0.2.5")
    page = browser_page
    expect = sync_api.expect

    staff_browser_login(page, f"{live_server.url}/login/")
    page.goto(f"{live_server.url}/customers/{customer.pk}/#komputery")

    row = page.locator(f"#login-{login.pk}")
    expect(row).to_contain_text("192.0.2.5")
    expect(row.locator("code", has_text="tajne-haslo1")).to_be_hidden()
    row.locator("details.password summary").click()
    expect(row.locator("code", has_text="tajne-haslo1")).to_be_visible()

    row.get_by_role("button", name="Additional information").click()
    expect(page.locator(f"#login-info-{login.pk}")).to_contain_text("PPPoE")

    row.get_by_role("button", name="Force settings reload").click()
    section = page.locator("#section-computers")
    expect(section).to_contain_text("Reload of jan-pc: no active session.")
    page.locator("[data-card-tab=akcje]").click()
    expect(page.locator("#action-log")).to_contain_text(
        "Settings of login jan-pc not reloaded: no active session.")
    page.locator("[data-card-tab=komputery]").click()

    page.locator(f"#login-{login.pk}").get_by_role("link", name="jan-pc").click()
    expect(page.locator("h1")).to_have_text("Login jan-pc")
    page.get_by_role("link", name="Statistics").click()
    expect(page.locator("svg.traffic-download")).to_be_visible()
    page.get_by_role("link", name="Parameters in the database").click()
    expect(page.locator("table.radius-params")).to_contain_text("Framed-IP-Address")


@pytest.mark.browser
def test_staff_sets_panel_credentials_and_unlocks_then_the_customer_logs_in(
        transactional_db, live_server, browser_page):
    """"Set login / password" on the card saves in place (it was a 500), a locked panel
    login is lifted from the card, and the customer then logs in to the panel."""
    from customers import services

    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        customer = services.customer_create(actor=staff, first_name="Jan",
                                            last_name="Kowalski", status="connected")
    page = browser_page
    expect = sync_api.expect

    staff_browser_login(page, f"{live_server.url}/login/")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")

    panel = page.locator("#panel")
    expect(panel).to_contain_text("The customer has no panel account yet.")
    page.locator("#section-data summary", has_text="Set login / password").click()
    page.fill("#panel_credentials_login", "jan.k")
    page.fill("#panel_credentials_password", "Haslo-Startowe-1")
    page.locator("#section-data form[hx-post$='/panel/credentials/'] button[type=submit]").click()
    expect(panel).to_contain_text("jan.k")
    page.locator("[data-card-tab=akcje]").click()
    expect(page.locator("#action-log")).to_contain_text("Panel account created")
    page.locator("[data-card-tab=dane]").click()

    with tenant_context(tenant):
        for _ in range(5):
            services.panel_authenticate(login="jan.k", secret="zgaduje")
    page.reload()
    expect(page.locator("#panel-locked")).to_be_visible()
    page.get_by_role("button", name="Unlock panel login").click()
    expect(page.locator("#panel-locked")).to_have_count(0)
    page.locator("[data-card-tab=akcje]").click()
    expect(page.locator("#action-log")).to_contain_text("Panel login unlocked")

    page.goto(f"{live_server.url}/panel/login/")
    page.fill("#id_login", "jan.k")
    page.fill("#id_secret", "Haslo-Startowe-1")
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.locator("body")).to_contain_text("Jan Kowalski")
    expect(page).to_have_url(f"{live_server.url}/panel/")
