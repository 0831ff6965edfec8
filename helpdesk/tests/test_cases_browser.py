"""Chromium: the operator's path through the helpdesk, as the issue states it.

The operator opens the customer's card, adds a TOK conversation on a topic whose script
shows ("Script"); the topic's routing rule creates a case in the second-line queue with
its mandatory field empty; a second-line technician takes it and returns it to the
creator for the missing data; the creator finds it in "My cases" and completes it; the
technician takes it again, resolves and closes it; the customer sees it closed in the
panel's "Tickets"."""

import os

import pytest
from django.urls import reverse

from conftest import make_staff, staff_browser_login
from core.models import Tenant
from core.roles import Role
from core.tenancy import tenant_context
from helpdesk.models import (
    Case,
    CaseJournal,
    CaseSource,
    CaseStatus,
    FieldKind,
    Interaction,
    JournalKind,
    RoutingAction,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

sync_api = pytest.importorskip("playwright.sync_api")

PASSWORD = "s3cret-pass"
PANEL_PASSWORD = "Haslo-Bardzo-Tajne-1"
SCRIPT = "<p>Zapytaj o <b>diody</b> routera i numer seryjny ONT.</p>"


@pytest.fixture(autouse=True)
def _async_unsafe():
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _setup():
    """The tenant's helpdesk, built through the services: two queues with their members, a
    case type with a mandatory field, a topic tree with a script, the routing rule of the
    "Awaria" subtree, and a customer with a panel login."""
    from customers import services as customer_services
    from helpdesk.services import cases as case_services
    from helpdesk.services import routing as routing_services
    from helpdesk.services import tok as tok_services

    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    admin = make_staff(tenant, "anna")
    olga = make_staff(tenant, "olga", role=Role.OPERATOR)
    tomek = make_staff(tenant, "tomek", role=Role.TECHNICIAN)
    with tenant_context(tenant):
        case_services.queue_save(actor=admin, name="Pierwsza linia", members=[olga])
        second = case_services.queue_save(actor=admin, name="Druga linia", members=[tomek])
        fault = case_services.case_type_save(actor=admin, name="Awaria łącza",
                                             default_queue=second, panel_visible=True)
        case_services.case_field_save(actor=admin, case_type=fault, key="ont_serial",
                                      label="ONT serial number", kind=FieldKind.TEXT,
                                      required=True)
        reason = tok_services.topic_create(actor=admin, name="Awaria")
        no_net = tok_services.topic_create(actor=admin, name="Brak internetu", parent=reason,
                                           script=SCRIPT)
        tok_services.topic_create(actor=admin, name="Sprzedaż")
        rule = routing_services.routing_rule_create(
            actor=admin, name="Awarie do drugiej linii", topic=reason,
            action=RoutingAction.CASE, case_type=fault, case_queue=second)
        customer = customer_services.customer_create(
            actor=admin, first_name="Jan", last_name="Kowalski", status="connected")
        customer_services.panel_credentials_set(actor=admin, customer=customer,
                                                login="jan.k", password=PANEL_PASSWORD)
    return {"tenant": tenant, "olga": olga, "tomek": tomek, "second": second,
            "fault": fault, "no_net": no_net, "rule": rule, "customer": customer}


def _forget_session(page) -> None:
    """Leave the page first (its scripts' requests could set a fresh CSRF cookie after the
    cookies are cleared), then drop the cookies."""
    page.goto("about:blank")
    page.context.clear_cookies()


def _log_in_as(page, live_server, username: str) -> None:
    """A fresh session (the cookies of the previous person dropped), then the login page."""
    _forget_session(page)
    staff_browser_login(page, f"{live_server.url}/login/", username=username,
                        password=PASSWORD)
    sync_api.expect(page.locator("#id_username")).to_have_count(0)


def _duplicate_ids(page) -> list[str]:
    """Ids used twice on the page (a label of one form would act on another's field)."""
    return page.evaluate("""() => {
        const seen = new Set(), twice = new Set();
        for (const el of document.querySelectorAll("[id]")) {
            (seen.has(el.id) ? twice : seen).add(el.id);
        }
        return [...twice];
    }""")


def _case_of(interaction_pk: int) -> Case:
    return Case.all_tenants.select_related("queue", "created_by").get(
        interaction_id=interaction_pk)


def test_operator_path_from_the_card_to_the_closed_ticket_in_the_panel(
        live_server, browser_page):
    state = _setup()
    customer, no_net = state["customer"], state["no_net"]
    page = browser_page
    expect = sync_api.expect
    errors = []  # script errors and failed requests (the browser's own favicon aside)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and
            not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
            and not r.url.endswith("/favicon.ico") else None)

    # 1. The first-line operator opens the card and adds a TOK conversation.
    _log_in_as(page, live_server, "olga")
    page.goto(f"{live_server.url}{reverse('customers:card', args=[customer.pk])}")
    expect(page.locator("h1")).to_contain_text("Jan Kowalski")
    page.get_by_role("link", name="Add a TOK conversation").click()
    expect(page.locator("h1")).to_have_text("Add a TOK conversation")
    script = page.locator("#tok-script")
    expect(script).to_contain_text("Choose a topic to see its script.")

    page.select_option("#tok_topic", str(no_net.pk))
    page.locator("#tok-script-button").click()  # "Skrypt"
    expect(script).to_contain_text("Zapytaj o diody routera i numer seryjny ONT.")
    expect(script.locator("b")).to_have_text("diody")
    expect(page.locator("#tok_script_version")).not_to_have_value("")
    expect(page.locator("#routing-preview")).to_contain_text("Awarie do drugiej linii")
    assert _duplicate_ids(page) == []
    page.fill("#tok_text", "Brak internetu od rana, dioda LOS świeci na czerwono.")
    page.fill("#tok_number", "601 234 567")
    page.locator("#tok-form").get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("The conversation was recorded.")

    with tenant_context(state["tenant"]):
        interaction = Interaction.objects.get(customer=customer)
        assert interaction.topic_id == no_net.pk
        assert interaction.script is not None and interaction.script.version == 1
        assert interaction.routing_rule_id == state["rule"].pk
        assert interaction.routing_action == RoutingAction.CASE
    case = _case_of(interaction.pk)
    assert case.queue_id == state["second"].pk and case.source == CaseSource.ROUTING
    assert case.created_by == state["olga"] and case.customer_id == customer.pk
    assert case.owner_id is None and case.status == CaseStatus.NEW
    assert not case.data.get("ont_serial")  # routing made it without the mandatory field
    # The interaction's page links to the case it created.
    case_url = reverse("helpdesk:case_detail", kwargs={"case_id": case.pk})
    expect(page.locator(f"a[href='{case_url}']").first).to_be_visible()

    # 2. The second-line technician finds it in the queue, takes it, returns it.
    _log_in_as(page, live_server, "tomek")
    page.goto(f"{live_server.url}"
              f"{reverse('helpdesk:queue_detail', kwargs={'queue_id': state['second'].pk})}")
    page.locator(f"tr[data-case='{case.number}']").get_by_role(
        "link", name=f"#{case.number}").click()
    expect(page.locator("#case-title")).to_contain_text(f"#{case.number}")
    assert _duplicate_ids(page) == []
    page.locator("#case-take").click()
    expect(page.locator("#case-owner")).to_have_text("Tomek Testowy")
    expect(page.locator("#case-status")).to_have_text("in progress")
    page.locator("#case-return-form textarea, #case-return-form input[name=reason]").fill(
        "Brak numeru seryjnego ONT.")
    page.locator("#case-return-form").get_by_role("button", name="Return").click()
    expect(page.locator("#case-returned")).to_contain_text("Brak numeru seryjnego ONT.")
    expect(page.locator("#case-owner")).to_have_text("Olga Testowy")
    expect(page.locator("#case-take")).to_have_count(0)

    # 3. The creator sees it in "My cases", returned, and completes the missing field.
    _log_in_as(page, live_server, "olga")
    page.goto(f"{live_server.url}{reverse('helpdesk:my_cases')}")
    row = page.locator(f"table.my-created tr[data-case='{case.number}']")
    expect(row).to_contain_text("returned")
    row.get_by_role("link", name=f"#{case.number}").click()
    page.locator("#case-complete").click()
    expect(page.locator("#case-complete-form")).to_be_visible()
    page.get_by_label("ONT serial number").fill("ZTEG12345678")
    page.locator("#case-complete-form").get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Case completed and back in its queue.")
    expect(page.locator("#case-returned")).to_have_count(0)
    expect(page.locator(".case-field[data-key=ont_serial]")).to_have_text("ZTEG12345678")
    expect(page.locator("#case-owner")).to_have_text("—")

    # 4. The technician takes it again, resolves and closes it.
    _log_in_as(page, live_server, "tomek")
    page.goto(f"{live_server.url}{case_url}")
    page.locator("#case-take").click()
    expect(page.locator("#case-owner")).to_have_text("Tomek Testowy")
    status_form = page.locator("#case-status-form")
    status_form.locator("select[name=status]").select_option("resolved")
    status_form.get_by_role("button", name="Change the status").click()
    expect(page.locator("#case-status")).to_have_text("resolved")
    status_form.locator("select[name=status]").select_option("closed")
    status_form.get_by_role("button", name="Change the status").click()
    expect(page.locator("#case-status")).to_have_text("closed")

    case = _case_of(interaction.pk)
    assert case.status == CaseStatus.CLOSED and case.data["ont_serial"] == "ZTEG12345678"
    kinds = list(CaseJournal.all_tenants.filter(case=case).order_by("created_at", "pk")
                 .values_list("kind", flat=True))
    assert kinds == [JournalKind.CREATED, JournalKind.TAKEN, JournalKind.RETURNED,
                     JournalKind.COMPLETED, JournalKind.TAKEN, JournalKind.STATUS,
                     JournalKind.STATUS]

    # 5. The customer logs in to the panel and sees the ticket closed in "Tickets".
    _forget_session(page)
    page.goto(f"{live_server.url}{reverse('panel:login')}")
    page.fill("#id_login", "jan.k")
    page.fill("#id_secret", PANEL_PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('panel:home')}")
    page.locator("#panel-menu-tickets").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('panel:tickets')}")
    ticket = page.locator(f"#panel-ticket-{case.pk}")
    expect(ticket).to_contain_text(str(case.number))
    expect(ticket.locator(".ticket-status")).to_have_text("closed")
    assert errors == []
