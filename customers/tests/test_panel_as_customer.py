"""The customer panel block of the card: a generated password shown once, the PIN's state,
and "Zaloguj do panelu jako klient" — staff open the panel as the customer, read-only
unless an administrator allows changes, marked by a banner, logged at start and end; the
staff login stays."""

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_KEY
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.urls import reverse
from django.utils import translation

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from customers import services
from customers.models import PanelAccount

PASSWORD = "Haslo-Klienta-2026"
HOME_URL = reverse("panel:home")
PANEL_PASSWORD_URL = reverse("panel:password_change")
END_URL = reverse("panel:as_customer_end")
CUSTOMERS_URL = reverse("customers:list")


def as_customer_url(customer) -> str:
    return reverse("customers:panel_as_customer", args=[customer.pk])


def card_data(client, customer) -> str:
    url = reverse("customers:card", args=[customer.pk])
    return client.get(url, {"sekcja": "dane"}).content.decode()


def log_of(tenant, kind) -> list[ActionLog]:
    with tenant_context(tenant):
        return list(ActionLog.objects.filter(kind=kind).order_by("pk"))


@pytest.fixture
def account(in_tenant, staff, customer):
    return services.panel_credentials_set(actor=staff, customer=customer, login="jkowalski",
                                          password=PASSWORD)


def client_of(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


@pytest.fixture
def operator(tenant):
    return make_staff(tenant, "olek", role=Role.OPERATOR)


# --------------------------------------------------------------------------- password, PIN


def test_generated_password_is_shown_once_and_opens_the_panel(staff_client, customer,
                                                             account, tenant):
    url = reverse("customers:panel_password_generate", args=[customer.pk])
    response = staff_client.post(url, follow=True)
    message, = [str(m) for m in response.context["messages"]]
    password = message.split(": ")[1].split(".")[0]
    assert len(password) == 12 and "will not be shown again" in message
    assert password not in card_data(staff_client, customer)
    panel = Client()
    assert panel.post(reverse("panel:login"), {"login": "jkowalski", "secret": PASSWORD}
                      ).status_code == 200  # the old one works no more
    response = panel.post(reverse("panel:login"), {"login": "jkowalski", "secret": password})
    assert response.status_code == 302 and response["Location"] == HOME_URL
    entry, = log_of(tenant, "panel.password_generated")
    with translation.override("en"):
        assert entry.text == "Random panel password generated"
    with translation.override("pl"):
        assert entry.text == "Wygenerowano losowe hasło do panelu"
    assert entry.actor_user is not None
    assert password not in str(entry.changes)


def test_no_password_without_a_panel_login(staff_client, customer):
    url = reverse("customers:panel_password_generate", args=[customer.pk])
    response = staff_client.post(url, follow=True)
    assert "Set the panel login first." in response.content.decode()
    assert not PanelAccount.all_tenants.exists()


def test_card_says_whether_a_pin_is_active_and_until_when(staff_client, staff, customer,
                                                          account):
    assert "none active" in card_data(staff_client, customer)
    with tenant_context(customer.tenant):
        services.panel_pin_generate(actor=staff, customer=customer)
    html = card_data(staff_client, customer)
    pin = html[html.index('id="panel-pin"'):]
    pin = pin[:pin.index("</dd>")]
    assert "active" in pin and "valid until" in pin
    assert "Log in to the panel as the customer" in html


# --------------------------------------------------------------------------- as the customer


def test_staff_views_the_panel_as_the_customer_read_only(staff_client, customer, account,
                                                         tenant):
    response = staff_client.post(as_customer_url(customer))
    assert response.status_code == 302 and response["Location"] == HOME_URL
    response = staff_client.get(HOME_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Staff member Anna Testowy is viewing the panel as the customer" in html
    assert "Read-only" in html and customer.display_name in html
    # The staff login is the same session, still logged in.
    assert staff_client.get(CUSTOMERS_URL).status_code == 200
    entry, = log_of(tenant, "panel.as_customer_start")
    assert entry.customer_id == customer.pk and entry.actor_user.username == "anna"
    assert entry.text == ("Anna Testowy opened the customer panel as the customer, "
                          "read-only")


def test_a_change_is_refused_while_read_only(staff_client, customer, account):
    staff_client.post(as_customer_url(customer))
    before = PanelAccount.all_tenants.get().password_hash
    response = staff_client.post(PANEL_PASSWORD_URL, {
        "current_password": PASSWORD, "new_password": "Nowe-Haslo-2026",
        "new_password_again": "Nowe-Haslo-2026"})
    assert response.status_code == 403
    assert "Nothing was changed" in response.content.decode()
    assert PanelAccount.all_tenants.get().password_hash == before


def test_end_returns_to_the_card_and_is_logged(staff_client, customer, account, tenant):
    staff_client.post(as_customer_url(customer))
    response = staff_client.post(END_URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:card", args=[customer.pk])
    assert AUTH_KEY in staff_client.session
    response = staff_client.get(HOME_URL)
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("panel:login"))
    entry, = log_of(tenant, "panel.as_customer_end")
    assert entry.text == "Anna Testowy stopped viewing the customer panel as the customer"


def test_the_panels_logout_ends_it_and_keeps_the_staff_login(staff_client, customer,
                                                             account, tenant):
    staff_client.post(as_customer_url(customer))
    staff_client.post(reverse("panel:logout"))
    assert staff_client.get(HOME_URL).status_code == 302
    assert staff_client.get(CUSTOMERS_URL).status_code == 200
    assert len(log_of(tenant, "panel.as_customer_end")) == 1


def test_staff_logout_ends_it(staff_client, customer, account, tenant):
    staff_client.post(as_customer_url(customer))
    staff_client.post(reverse("logout"))
    assert staff_client.get(HOME_URL).status_code == 302
    assert len(log_of(tenant, "panel.as_customer_end")) == 1


def test_it_ends_when_the_staff_user_loses_the_permission(staff_client, staff, customer,
                                                          account, tenant):
    staff_client.post(as_customer_url(customer))
    from core.models import Membership

    Membership.objects.filter(user=staff).update(role=Role.ACCOUNTANT)
    assert staff_client.get(HOME_URL).status_code == 302


def test_an_admin_may_allow_changes(staff_client, customer, account, tenant):
    staff_client.post(as_customer_url(customer), {"allow_changes": "1"})
    assert "Changes are allowed" in staff_client.get(HOME_URL).content.decode()
    response = staff_client.post(PANEL_PASSWORD_URL, {
        "current_password": PASSWORD, "new_password": "Nowe-Haslo-2026",
        "new_password_again": "Nowe-Haslo-2026"})
    assert response.status_code == 302
    assert check_password("Nowe-Haslo-2026", PanelAccount.all_tenants.get().password_hash)
    entry, = log_of(tenant, "panel.as_customer_start")
    assert "with changes allowed" in entry.text


def test_an_operator_views_read_only_but_may_not_allow_changes(operator, customer, account,
                                                               tenant):
    client = client_of(operator)
    assert client.post(as_customer_url(customer), {"allow_changes": "1"}).status_code == 403
    assert not log_of(tenant, "panel.as_customer_start")
    assert client.post(as_customer_url(customer)).status_code == 302
    assert client.get(HOME_URL).status_code == 200


def test_roles_without_the_permission_get_a_403(tenant, customer, account):
    client = client_of(make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT))
    assert client.post(as_customer_url(customer)).status_code == 403
    assert client.get(HOME_URL).status_code == 302  # no panel session was opened


def test_a_customer_without_a_panel_login(staff_client, customer, tenant):
    response = staff_client.post(as_customer_url(customer), follow=True)
    assert "Set the panel login first." in response.content.decode()
    assert not log_of(tenant, "panel.as_customer_start")


def test_another_tenants_customer_is_a_404(customer, account, other_staff):
    client = client_of(other_staff)
    assert client.post(as_customer_url(customer)).status_code == 404
    assert client.get(HOME_URL).status_code == 302


def test_the_banner_in_polish(staff_client, customer, account):
    staff_client.post(as_customer_url(customer))
    html = staff_client.get(HOME_URL, headers={"accept-language": "pl"}).content.decode()
    assert 'id="panel-staff-banner"' in html and "Zakończ" in html
    with translation.override("pl"):
        assert 'lang="pl"' in html


# --------------------------------------------------------------------------- Chromium

@pytest.mark.browser
def test_in_chromium_staff_open_the_panel_as_the_customer_and_end(transactional_db,
                                                                  live_server, browser_page):
    import os

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sync_api = pytest.importorskip("playwright.sync_api")
    from conftest import staff_browser_login
    from core.models import Tenant

    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        customer = services.customer_create(actor=staff, first_name="Jan",
                                            last_name="Kowalski", status="connected")
        services.panel_credentials_set(actor=staff, customer=customer, login="jkowalski",
                                       password=PASSWORD)
    page, expect = browser_page, sync_api.expect
    staff_browser_login(page, f"{live_server.url}/login/?next=/customers/{customer.pk}/"
                              f"?sekcja=dane")
    with page.expect_popup() as popup:
        page.get_by_role("button", name="Log in to the panel as the customer").click()
    panel = popup.value
    expect(panel.locator("#panel-staff-banner")).to_contain_text(
        "Staff member Anna Testowy is viewing the panel as the customer")
    expect(panel.locator("#panel-customer-name")).to_have_text("Jan Kowalski")
    panel.locator("#panel-staff-end").click()
    expect(panel.locator("h1").first).to_contain_text("Kowalski")
    assert f"/customers/{customer.pk}/" in panel.url
    assert len(log_of(tenant, "panel.as_customer_start")) == 1
    assert len(log_of(tenant, "panel.as_customer_end")) == 1
