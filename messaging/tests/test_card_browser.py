"""The card's SMS counter in real headless Chromium: the count follows what is typed, with
the same rule as messaging/sms.py; the send refreshes the history in place."""

import os
import re

import pytest

from conftest import make_staff, staff_browser_login
from core.models import Tenant
from core.tenancy import tenant_context
from messaging import sms
from messaging.models import MessageTemplate

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are
# still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

sync_api = pytest.importorskip("playwright.sync_api")


def counted(page) -> dict:
    return page.evaluate("""() => {
        const out = document.getElementById("message_sms_counter");
        return {text: out.textContent, encoding: out.dataset.encoding,
                parts: Number(out.dataset.parts), units: Number(out.dataset.units)};
    }""")


@pytest.mark.browser
def test_sms_counter_follows_the_text_and_the_send_refreshes_the_history(
        transactional_db, live_server, browser_page):
    from customers import services

    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        customer = services.customer_create(actor=staff, first_name="Jan",
                                            last_name="Kowalski", status="connected")
        services.phone_add(actor=staff, customer=customer, number="600 100 200")
        services.email_add(actor=staff, customer=customer, address="jan@example.com")
        template = MessageTemplate.objects.create(
            channel="email", name="Powitanie", subject="Witamy, {{ customer.name }}",
            body="Dzień dobry {{ customer.first_name }}!")
    page = browser_page
    expect = sync_api.expect
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    staff_browser_login(page, f"{live_server.url}/login/")
    page.goto(f"{live_server.url}/customers/{customer.pk}/#wiadomosci")
    body = page.locator("#message_sms_body")
    expect(body).to_be_visible()
    counter = page.locator("#message_sms_counter")

    body.fill("Dzien dobry")
    expect(counter).to_have_text("characters: 11, parts: 1, GSM-7; 149 left in this part")
    # An extension character counts two.
    body.fill("a{b}")
    expect(counter).to_contain_text("characters: 6, parts: 1, GSM-7")
    # One Polish letter: the whole text goes as UCS-2.
    body.press_sequentially(" ą")
    expect(counter).to_contain_text("characters: 6, parts: 1, UCS-2")
    # 71 UCS-2 characters: two parts of 67.
    text = "Zażółć gęślą jaźń. " * 3 + "ąęść ółńżź zwł"
    body.fill(text)
    expect(counter).to_contain_text("UCS-2")
    assert counted(page)["parts"] == sms.segments(text).parts == 2
    assert counted(page)["units"] == sms.segments(text).units
    # The same rule as the server on the edges: 160 GSM-7 is one part, 161 two; an emoji
    # takes two units.
    for sample in ("x" * 160, "x" * 161, "€" * 80, "€" * 81, "😀" * 35, "😀" * 36, "\n" * 3):
        body.fill(sample)
        got = counted(page)
        want = sms.segments(sample)
        assert (got["encoding"], got["units"], got["parts"]) == (
            want.encoding, want.units, want.parts), sample

    body.fill("Awaria usunięta")
    page.locator("#message-sms button[type=submit]").click()
    expect(page.locator("#sms-history")).to_contain_text("Awaria usunięta")
    expect(page.locator("#section-messages")).to_contain_text("SMS to +48600100200 queued.")
    # The section came back by htmx: the counter still counts.
    page.locator("#message_sms_body").fill("ą")
    expect(page.locator("#message_sms_counter")).to_contain_text("UCS-2")

    page.locator("#section-messages").screenshot(path="/tmp/h3_sms_tab.png")
    # The e-mail tab, Bootstrap's: shown without a reload.
    page.locator("#messages-tab-email").click()
    expect(page.locator("#messages-email")).to_have_class(re.compile(r"\bshow\b"))
    # Choosing a template fills the subject and the text for this customer (htmx).
    page.select_option("#message_email_template", str(template.pk))
    expect(page.locator("#message_email_subject")).to_have_value("Witamy, Jan Kowalski")
    expect(page.locator("#message_email_body")).to_have_value("Dzień dobry Jan!")
    page.fill("#message_email_body", "Dzień dobry Jan! Zmienione.")
    page.locator("#message-email").get_by_role("button", name="Send e-mail").click()
    expect(page.locator("#email-history")).to_contain_text("Witamy, Jan Kowalski")
    expect(page.locator("#messages-email")).to_have_class(re.compile(r"\bshow\b"))
    page.locator("#email-history .message-preview-link").first.click()
    expect(page.locator("#email-preview")).to_contain_text("Dzień dobry Jan! Zmienione.")
    page.locator("#section-messages").screenshot(path="/tmp/h3_email_tab.png")
    assert not [e for e in errors if "Content Security Policy" in e], errors
