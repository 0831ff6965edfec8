"""A bulk send as staff do it, in real Chromium: choose, preview and dry run, send, the
progress bar full; the template editor's preview through htmx; no CSP violation."""

import os

import pytest

from conftest import chromium_page, make_staff, staff_browser_login
from core.models import Tenant
from core.tenancy import tenant_context
from messaging.models import Gateway, Message

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page():
    with chromium_page() as page:
        page.console = []
        page.on("console", lambda message: page.console.append(message.text))
        yield page


@pytest.mark.browser
def test_bulk_send_from_choice_to_a_full_progress_bar(transactional_db, live_server, page):
    from customers import services as customer_services
    from messaging import templates_admin

    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        for channel in ("sms", "email"):
            Gateway.objects.create(channel=channel, kind="bulktest", dlr_secret="s")
        template = templates_admin.message_template_create(
            actor=staff, channel="sms", name="Saldo",
            body="{{ customer.name }}: saldo {{ balance.amount }} zł")
        for i in range(4):
            c = customer_services.customer_create(actor=staff, first_name="Zofia",
                                                  last_name=f"Łęcka{i}", status="connected")
            customer_services.phone_add(actor=staff, customer=c, number=f"+48600{i:06d}")
    staff_browser_login(page, f"{live_server.url}/login/?next=/messaging/bulk/new/")
    page.select_option("#id_template", str(template.pk))
    page.click("#bulk-check")
    assert page.locator(".bulk-sample").count() == 3
    assert "Zofia Łęcka0: saldo 0,00 zł" in page.locator("#bulk-samples").inner_text()
    assert "4 messages would be sent" in page.locator("#bulk-plan").inner_text()
    page.click("#bulk-send")
    page.wait_for_selector("#bulk-progress .progress-bar.bg-success")
    assert "4 of 4 messages queued" in page.locator("#bulk-progress").inner_text()
    width = page.locator("#bulk-progress .progress-bar").evaluate("e => e.style.width")
    assert width == "100%"
    assert Message.all_tenants.count() == 4

    page.goto(f"{live_server.url}/messaging/templates/{template.pk}/")
    page.fill("#id_body", "Dzień dobry {{ customer.first_name }}")
    page.click("#template-preview-button")
    page.wait_for_selector("#template-preview-result")
    preview = page.locator("#template-preview").inner_text()
    assert "Dzień dobry Jan" in preview and "UCS-2" in preview
    assert not [t for t in page.console if "Content Security Policy" in t], page.console
