"""A walk through the whole customer card in headless Chromium, in English and in Polish:
the summary header's figures, every section tab (each loads its section and names it in
the address), a deep link to ``#historia``, the back button, and a sidebar action that
opens its form in a section."""

import os
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import formats, timezone, translation

from conftest import make_staff, staff_browser_login
from core.models import Tenant
from core.tenancy import tenant_context

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are
# still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

sync_api = pytest.importorskip("playwright.sync_api")

OLDEST_DUE = date(2025, 10, 31)


def _busy_customer():
    """ISP "alfa", staff "anna", Jan Kowalski at home with two overdue invoices (161.50 of
    them overdue after a partial payment), one login online and one blocked by staff."""
    from customers import services
    from finance import services as finance
    from radius.services import (
        Accounting,
        accounting_record,
        login_block,
        login_create,
        nas_create,
    )

    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    today = timezone.localdate()
    with tenant_context(tenant):
        customer = services.customer_create(actor=staff, first_name="Jan",
                                            last_name="Kowalski", status="connected")
        home = services.address_add(actor=staff, customer=customer, kind="residence",
                                    street="Długa", building_no="5", postal_code="00-950",
                                    city="Warszawa")
        invoices = [finance.invoice_issue(
            actor=staff, customer=customer, issue_date=due - timedelta(days=14), due_date=due,
            lines=[{"name": "Abonament", "quantity": Decimal(1), "net_unit_price": Decimal(net),
                    "vat_rate": "23"}])
            for net, due in (("100.00", OLDEST_DUE), ("50.00", today - timedelta(days=3)))]
        finance.bank_transfer_record(actor=staff, customer=customer, amount=Decimal("23.00"),
                                     booking_date=today, title="wpłata")
        nas = nas_create(actor=staff, name="BRAS-1", ip="127.0.0.1", secret="s3cret",
                         kind="mikrotik")
        online = login_create(actor=staff, customer=customer, login="jan-pc",
                              password="haslo-pc1", installation_address=home)
        blocked = login_create(actor=staff, customer=customer, login="jan-tv",
                               password="haslo-tv1", installation_address=home)
        login_block(actor=staff, login=blocked, reason="Kradzież sprzętu")
        accounting_record(Accounting(
            status="Start", nas_ip=nas.ip, event_at=timezone.now(), username=online.login,
            unique_id="u-1", acct_session_id="s-1", framed_ip=None, session_time=0,
            input_bytes=0, output_bytes=0))
    return customer, invoices, online, blocked


@pytest.mark.browser
def test_walk_through_the_whole_card_in_both_languages(transactional_db, live_server,
                                                       browser_page):
    customer, invoices, online, blocked = _busy_customer()
    page = browser_page
    expect = sync_api.expect
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    card = f"{live_server.url}/customers/{customer.pk}/"
    staff_browser_login(page, f"{live_server.url}/login/?next=/customers/{customer.pk}/")

    for language, words in (("en", {"online": "1 of 2 online", "history": "Transaction history",
                                    "letter": "Generate a letter"}),
                            ("pl", {"online": "online", "history": "Historia transakcji",
                                    "letter": "Wygeneruj pismo"})):
        page.context.add_cookies([{"name": "django_language", "value": language,
                                   "url": live_server.url}])
        with translation.override(language):
            overdue = formats.number_format(Decimal("161.50"), 2, use_l10n=True)
            oldest = formats.date_format(OLDEST_DUE, "SHORT_DATE_FORMAT")
        page.goto(card)

        # The header answers at a glance.
        expect(page.locator("#customer-name")).to_have_text("Jan Kowalski")
        expect(page.locator("#summary-address")).to_contain_text("Długa 5, 00-950 Warszawa")
        expect(page.locator(".summary-overdue")).to_contain_text(overdue)
        expect(page.locator(".summary-oldest-due")).to_contain_text(oldest)
        expect(page.locator("#summary-logins")).to_contain_text(words["online"])
        expect(page.locator(f"#summary-login-{online.pk} .login-online")).to_be_visible()
        expect(page.locator(f"#summary-login-{blocked.pk}")).to_contain_text("Kradzież sprzętu")
        expect(page.locator("#section-data")).to_be_visible()
        expect(page.locator("#section-history")).to_have_count(0)  # not rendered

        # Every tab loads its section in place of the last and names it in the address.
        tabs = page.locator("#card-tabs [data-card-tab]:not([hidden])")
        assert tabs.count() >= 10
        for i in range(tabs.count()):
            tab = tabs.nth(i)
            key, slug = tab.get_attribute("data-section-key"), tab.get_attribute("data-card-tab")
            tab.click()
            section = page.locator(f"#card-pane #section-{key}")
            expect(section).to_be_visible()
            expect(section.locator(".spinner-border")).to_have_count(0)  # loaded, not waiting
            expect(page.locator("#card-pane .card-section")).to_have_count(1)
            expect(tab).to_have_attribute("aria-current", "page")
            assert page.url.endswith(f"#{slug}"), (page.url, slug)
            expect(page.locator("#card-actions")).to_be_visible()  # the sidebar beside each

        # "Loginy/Hasła": one tab, a switch between Komputery and Telefony in the section.
        logins = page.locator("#card-tabs [data-category-head]")
        logins.click()
        expect(page.locator("#card-pane #section-computers")).to_be_visible()
        switch = page.locator("#card-pane .card-category-switch [data-card-tab=telefony]")
        switch.click()
        expect(page.locator("#card-pane #section-phones")).to_be_visible()
        expect(page.locator("#card-pane .card-category-switch [data-card-tab=telefony]")) \
            .to_have_attribute("aria-current", "true")
        expect(logins).to_have_attribute("aria-current", "page")
        assert page.url.endswith("#telefony")
        page.locator("#card-pane .card-category-switch [data-card-tab=komputery]").click()
        expect(page.locator("#card-pane #section-computers")).to_be_visible()

        # The addresses tab shows the logins installed at the address.
        page.locator("[data-card-tab=adresy]").click()
        expect(page.locator("#section-addresses .address-tag")).to_have_count(2)
        expect(page.locator("#section-addresses")).to_contain_text(f"#{online.pk} jan-pc")

        # Back goes to the tab before.
        page.go_back()
        expect(page.locator("#card-pane #section-computers")).to_be_visible()
        page.go_back()
        expect(page.locator("#card-pane #section-phones")).to_be_visible()

        # A deep link opens the history.
        page.goto(f"{card}#historia")
        history = page.locator("#card-pane #section-history")
        expect(history).to_contain_text(words["history"])
        for invoice in invoices:
            expect(history).to_contain_text(invoice.number)
        expect(page.locator("[data-card-tab=historia]")).to_have_class(re.compile("active"))

        # "Wygeneruj pismo" in the sidebar opens the documents with the letter form unfolded.
        page.locator("#card-action-letter").click()
        expect(page.locator("#card-pane #section-documents")).to_be_visible()
        expect(page.locator("#document-letter")).to_be_visible()
        assert page.url.endswith("#dokumenty")
        expect(page.locator("#card-action-letter")).to_have_text(words["letter"])

    assert not errors, errors
