"""Actions that existed only in the API, now on the card and the login's window: the
temporary speed, the staff block of a login and of a customer (with a confirmation when
a session is online), deleting a login, a NAS, a pool and a customer's folder, and the
pool a new login is offered. The UI and the API call the same services: both are tried."""

import datetime
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from conftest import make_staff, staff_browser_login
from core.models import ActionLog
from core.roles import Role
from customers import services as customer_services
from customers.models import Folder
from customers.tests.factories import png_bytes
from radius.models import IpPool, Login, LoginReload, Nas, RadiusSession
from radius.services import (
    Accounting,
    accounting_record,
    login_create,
    nas_create,
    pool_create,
)


@pytest.fixture
def pool(in_tenant, staff):
    return pool_create(actor=staff, name="Klienci", network="10.20.0.0/29",
                       range_start="10.20.0.2", range_end="10.20.0.6", gateway="10.20.0.1")


@pytest.fixture
def nas(in_tenant, staff):
    return nas_create(actor=staff, name="BRAS-1", ip="127.0.0.1", secret="s3cret",
                      kind="mikrotik")


@pytest.fixture
def login(staff, customer, pool, nas):
    return login_create(actor=staff, customer=customer, login="jan-pc", password="haslo-123",
                        pool=pool, nases=[nas])


def go_online(login, nas):
    accounting_record(Accounting(
        status="Start", nas_ip=nas.ip, event_at=timezone.now(), username=login.login,
        unique_id=f"u-{login.pk}", acct_session_id=f"s-{login.pk}", framed_ip=login.ip))


def section_html(client, customer) -> str:
    response = client.get(reverse("customers:section", args=[customer.pk, "computers"]),
                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def logged(kind) -> list[ActionLog]:
    return list(ActionLog.objects.filter(kind=kind).order_by("id"))


def future(days=2) -> datetime.datetime:
    return (timezone.localtime() + timedelta(days=days)).replace(hour=18, minute=0, second=0,
                                                                 microsecond=0)


# --------------------------------------------------------------------------- temporary speed

def test_temporary_speed_set_in_the_window_is_shown_on_the_card_in_each_language(
        staff_client, login, customer):
    until = future()
    response = staff_client.post(reverse("radius:login_temp_speed", args=[login.pk]), {
        "download_kbps": "50000", "upload_kbps": "10000",
        "until": until.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    login.refresh_from_db()
    assert (login.temp_download_kbps, login.temp_upload_kbps) == (50000, 10000)
    assert login.temp_speed_until == until
    html = section_html(staff_client, customer)
    text = " ".join(html.split())
    assert "temporary speed ↓ 50 Mbit/s ↑ 10 Mbit/s until" in text and "18:00" in text
    polish = staff_client.get(reverse("customers:section", args=[customer.pk, "computers"]),
                              headers={"HX-Request": "true", "Accept-Language": "pl"})
    assert f"{until:%d.%m.%Y} 18:00" in polish.content.decode()
    with translation.override("pl"):
        [entry] = logged("login.temp_speed")
        assert "jan-pc" in entry.text and "50000" in entry.text


def test_temporary_speed_in_the_past_is_refused_with_nothing_changed(staff_client, login):
    past = timezone.localtime() - timedelta(hours=1)
    response = staff_client.post(reverse("radius:login_temp_speed", args=[login.pk]), {
        "download_kbps": "50000", "upload_kbps": "10000",
        "until": past.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 400
    assert "must be in the future" in response.content.decode()
    login.refresh_from_db()
    assert login.temp_speed_until is None and not logged("login.temp_speed")


def test_temporary_speed_cleared_from_the_card_and_the_api_agree(staff_client, api_client,
                                                                 login, customer):
    until = future()
    api = api_client.post(f"/api/v1/radius/logins/{login.pk}/temp-speed/", {
        "download_kbps": 50000, "upload_kbps": 10000, "until": until.isoformat()},
        format="json")
    assert api.status_code == 200, api.content
    assert api.json()["temp_download_kbps"] == 50000
    assert "temporary speed" in section_html(staff_client, customer)
    response = staff_client.post(reverse("radius:login_temp_speed_clear", args=[login.pk]),
                                 {"back": "card"})
    assert response.status_code == 302 and "komputery" in response["Location"]
    login.refresh_from_db()
    assert login.temp_speed_until is None and login.temp_download_kbps is None
    assert "temporary speed" not in section_html(staff_client, customer)
    assert len(logged("login.temp_speed")) == 2


# --------------------------------------------------------------------------- blocks

def test_block_of_an_offline_login_needs_a_reason_and_shows_it_on_the_card(
        staff_client, login, customer):
    url = reverse("radius:login_block", args=[login.pk])
    refused = staff_client.post(url, {"reason": "  "})
    assert refused.status_code == 400
    login.refresh_from_db()
    assert login.block == Login.Block.NONE

    response = staff_client.post(url, {"reason": "Kradzież sygnału", "back": "card"})
    assert response.status_code == 302
    login.refresh_from_db()
    assert (login.block, login.block_reason) == (Login.Block.STAFF, "Kradzież sygnału")
    html = section_html(staff_client, customer)
    # Shown as text on the card, not only in a tooltip.
    assert '<div class="block-reason">reason: Kradzież sygnału</div>' in html
    window = staff_client.get(reverse("radius:login", args=[login.pk])).content.decode()
    assert "Kradzież sygnału" in window and "block profile" in window
    [entry] = logged("login.block")
    assert "Kradzież sygnału" in entry.text


def test_block_of_an_online_login_asks_to_confirm_first(staff_client, login, nas):
    go_online(login, nas)
    url = reverse("radius:login_block", args=[login.pk])
    page = staff_client.post(url, {"reason": "Awaria"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Jan Kowalski is online" in text and "on NAS BRAS-1" in text
    assert 'name="confirmed" value="True"' in text and "Awaria" in text
    login.refresh_from_db()
    assert login.block == Login.Block.NONE and not LoginReload.objects.exists()

    done = staff_client.post(url, {"reason": "Awaria", "confirmed": "True"})
    assert done.status_code == 302
    login.refresh_from_db()
    assert login.block == Login.Block.STAFF
    # The running session gets the block profile after commit.
    assert LoginReload.objects.filter(login=login, status="queued").count() == 1


def test_block_page_says_who_is_online_before_anything_is_typed(staff_client, login, nas):
    go_online(login, nas)
    page = staff_client.get(reverse("radius:login_block", args=[login.pk]))
    assert page.status_code == 200
    assert "Jan Kowalski is online" in page.content.decode()


def test_staff_unblock_from_the_window_and_the_api_agree(staff_client, api_client, staff,
                                                         login):
    api = api_client.post(f"/api/v1/radius/logins/{login.pk}/block/", {"reason": "Test"},
                          format="json")
    assert api.status_code == 200 and api.json()["block"] == "staff"
    response = staff_client.post(reverse("radius:login_unblock", args=[login.pk]))
    assert response.status_code == 302
    login.refresh_from_db()
    assert login.block == Login.Block.NONE and login.block_reason == ""
    assert [e.kind for e in logged("login.block") + logged("login.unblock")] == [
        "login.block", "login.unblock"]


def test_debt_block_is_not_lifted_by_staff_and_says_why(staff_client, login):
    Login.objects.filter(pk=login.pk).update(block=Login.Block.DEBT,
                                             block_reason="Unpaid invoices past due")
    response = staff_client.post(reverse("radius:login_unblock", args=[login.pk]), follow=True)
    assert "unblocked when the debt is paid" in response.content.decode()
    login.refresh_from_db()
    assert login.block == Login.Block.DEBT


def test_customer_block_confirms_online_sessions_then_blocks_every_login(
        staff_client, staff, customer, login, nas, pool):
    other = login_create(actor=staff, customer=customer, login="jan-tv", password="haslo-456",
                         pool=pool)
    go_online(login, nas)
    url = reverse("radius:customer_block", args=[customer.pk])
    page = staff_client.post(url, {"reason": "Rozwiązanie umowy"})
    assert page.status_code == 200 and "jan-pc" in page.content.decode()
    assert not Login.objects.filter(block=Login.Block.STAFF).exists()
    staff_client.post(url, {"reason": "Rozwiązanie umowy", "confirmed": "True"})
    assert set(Login.objects.filter(block=Login.Block.STAFF).values_list("pk", flat=True)) \
        == {login.pk, other.pk}
    card = staff_client.get(reverse("customers:card", args=[customer.pk])).content.decode()
    assert reverse("radius:customer_block", args=[customer.pk]) in card  # the sidebar
    staff_client.post(reverse("radius:customer_unblock", args=[customer.pk]))
    assert not Login.objects.exclude(block=Login.Block.NONE).exists()


def test_customer_block_through_the_api_is_the_cards_block(api_client, other_api_client,
                                                            staff, customer, login, pool):
    login_create(actor=staff, customer=customer, login="jan-tv", password="haslo-456",
                 pool=pool)
    foreign = other_api_client.post("/api/v1/radius/logins/customer-block/", {
        "customer": customer.pk, "reason": "Obcy"}, format="json")
    assert foreign.status_code == 400 and not Login.objects.exclude(block="").exists()
    assert api_client.post("/api/v1/radius/logins/customer-block/", {
        "customer": customer.pk, "reason": " "}, format="json").status_code == 400
    api = api_client.post("/api/v1/radius/logins/customer-block/", {
        "customer": customer.pk, "reason": "Rozwiązanie umowy"}, format="json")
    assert api.status_code == 200 and api.json() == {"count": 2}
    assert set(Login.objects.values_list("block", "block_reason")) == {
        ("staff", "Rozwiązanie umowy")}
    [entry] = logged("login.block")
    assert entry.customer_id == customer.pk and "Rozwiązanie umowy" in entry.text
    api = api_client.post("/api/v1/radius/logins/customer-unblock/",
                          {"customer": customer.pk}, format="json")
    assert api.json() == {"count": 2} and not Login.objects.exclude(block="").exists()


def test_disable_of_an_online_login_asks_to_confirm(staff_client, login, nas):
    go_online(login, nas)
    url = reverse("radius:login_disable", args=[login.pk])
    page = staff_client.post(url, {"reason": "Zaległości"})
    assert page.status_code == 200 and "disconnects the running session" in \
        page.content.decode()
    login.refresh_from_db()
    assert login.enabled
    done = staff_client.post(url, {"reason": "Zaległości", "confirmed": "True",
                                   "back": "card"})
    assert done.status_code == 302 and "komputery" in done["Location"]
    login.refresh_from_db()
    assert not login.enabled and login.disabled_reason == "Zaległości"
    assert "Zaległości" in section_html(staff_client, login.customer)
    assert LoginReload.objects.get(login=login).disconnect


# --------------------------------------------------------------------------- deletions

def test_login_deleted_keeps_its_connection_history(staff_client, staff, login, nas):
    go_online(login, nas)
    RadiusSession.objects.update(stopped_at=timezone.now())
    url = reverse("radius:login_delete", args=[login.pk])
    assert "connection history is kept" in staff_client.get(url).content.decode()
    response = staff_client.post(url)
    assert response.status_code == 302
    assert not Login.objects.filter(pk=login.pk).exists()
    session = RadiusSession.objects.get()
    assert session.login_id is None and session.username == "jan-pc"
    [entry] = logged("login.delete")
    assert entry.customer_id == login.customer_id and "jan-pc" in entry.text


def test_online_login_is_not_deleted_in_the_ui_nor_the_api(staff_client, api_client, login,
                                                           nas):
    go_online(login, nas)
    page = staff_client.get(reverse("radius:login_delete", args=[login.pk])).content.decode()
    assert "is online (NAS BRAS-1" in page and ">Delete</button>" not in page
    refused = staff_client.post(reverse("radius:login_delete", args=[login.pk]))
    assert refused.status_code == 400
    api = api_client.delete(f"/api/v1/radius/logins/{login.pk}/")
    assert api.status_code == 400
    assert api.json()["code"] == "invalid" and "disable it first" in api.json()["detail"]
    assert Login.objects.filter(pk=login.pk).exists() and not logged("login.delete")


def test_nas_in_use_is_refused_naming_its_logins_then_deleted_when_free(
        staff_client, api_client, staff, customer, nas, login):
    url = reverse("radius:nas_delete", args=[nas.pk])
    page = staff_client.get(url).content.decode()
    assert "NAS “BRAS-1” is used by 1 login: jan-pc" in page
    api = api_client.delete(f"/api/v1/radius/nas/{nas.pk}/")
    assert api.status_code == 400 and "jan-pc" in api.json()["detail"]
    login.nases.clear()
    assert api_client.delete(f"/api/v1/radius/nas/{nas.pk}/").status_code == 204
    assert not Nas.objects.exists()
    [entry] = logged("nas.delete")
    assert "BRAS-1" in entry.text


def test_nas_refusal_names_a_few_logins_and_counts_the_rest(staff, customer, nas,
                                                            staff_client):
    for n in range(7):
        login_create(actor=staff, customer=customer, login=f"user-{n}", password="haslo-123",
                     nases=[nas])
    page = staff_client.get(reverse("radius:nas_delete", args=[nas.pk])).content.decode()
    assert "used by 7 logins: user-0, user-1, user-2, user-3, user-4 and 2 more" in page


def test_nas_deleted_from_the_list_page(staff_client, in_tenant, staff):
    nas = nas_create(actor=staff, name="Stary", ip="192.0.2.50", secret="x")
    assert reverse("radius:nas_delete", args=[nas.pk]) in \
        staff_client.get(reverse("radius:nas_list")).content.decode()
    response = staff_client.post(reverse("radius:nas_delete", args=[nas.pk]))
    assert response.status_code == 302 and not Nas.objects.filter(pk=nas.pk).exists()


def test_pool_in_use_is_refused_then_deleted_when_free(staff_client, api_client, staff,
                                                       login, pool):
    refused = staff_client.post(reverse("radius:pool_delete", args=[pool.pk]))
    assert refused.status_code == 400
    assert "Pool “Klienci” is used by 1 login: jan-pc" in refused.content.decode()
    assert api_client.delete(f"/api/v1/radius/pools/{pool.pk}/").status_code == 400
    from radius.services import login_update

    login_update(actor=staff, login=login, pool=None, ip=None)
    response = staff_client.post(reverse("radius:pool_delete", args=[pool.pk]))
    assert response.status_code == 302 and not IpPool.objects.exists()
    assert len(logged("pool.delete")) == 1


def test_folder_with_scans_is_refused_naming_them_then_removed_empty(
        staff_client, api_client, staff, customer):
    folder = customer_services.folder_create(actor=staff, customer=customer, name="Umowy")
    scan = customer_services.scan_add(
        actor=staff, customer=customer, folder=folder,
        uploaded_file=SimpleUploadedFile("umowa-2026.png", png_bytes()))
    url = reverse("customers:folder_remove", args=[customer.pk, folder.pk])
    response = staff_client.post(url, follow=True)
    assert "Folder “Umowy” holds 1 scan: umowa-2026.png" in response.content.decode()
    api_url = f"/api/v1/customers/{customer.pk}/folders/{folder.pk}/"
    api = api_client.delete(api_url)
    assert api.status_code == 400 and "umowa-2026.png" in api.json()["detail"]
    customer_services.scan_remove(actor=staff, scan=scan)
    assert api_client.delete(api_url).status_code == 204
    assert not Folder.objects.exists()
    [entry] = logged("folder.remove")
    assert "Umowy" in entry.text and entry.customer_id == customer.pk


def test_folder_removed_from_the_card(staff_client, staff, customer):
    folder = customer_services.folder_create(actor=staff, customer=customer, name="Puste")
    card = staff_client.get(reverse("customers:section", args=[customer.pk, "data"]),
                            headers={"HX-Request": "true"}).content.decode()
    url = reverse("customers:folder_remove", args=[customer.pk, folder.pk])
    assert url in card
    response = staff_client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Folder removed." in response.content.decode()
    assert not Folder.objects.exists()


# --------------------------------------------------------------------------- rights, tenants

def test_operator_may_block_but_not_delete(client, tenant, login):
    operator = make_staff(tenant, "olga", role=Role.OPERATOR)
    client.force_login(operator)
    assert client.get(reverse("radius:login_block", args=[login.pk])).status_code == 200
    assert client.post(reverse("radius:login_delete", args=[login.pk])).status_code == 403
    assert Login.objects.filter(pk=login.pk).exists()


def test_other_tenants_staff_gets_404_and_changes_nothing(client, other_staff, login, nas,
                                                          pool, customer):
    client.force_login(other_staff)
    for name, args in (("login_block", [login.pk]), ("login_unblock", [login.pk]),
                       ("login_temp_speed", [login.pk]), ("login_delete", [login.pk]),
                       ("login_temp_speed_clear", [login.pk]),
                       ("customer_block", [customer.pk]), ("customer_unblock", [customer.pk]),
                       ("nas_delete", [nas.pk]), ("pool_delete", [pool.pk])):
        response = client.post(reverse(f"radius:{name}", args=args),
                               {"reason": "x", "confirmed": "True"})
        assert response.status_code == 404, name
    login.refresh_from_db()
    assert login.block == Login.Block.NONE
    assert Nas.objects.exists() and IpPool.objects.exists()


# --------------------------------------------------------------------------- new login

def test_new_login_form_offers_the_first_pool_with_a_free_address(staff_client, staff,
                                                                  customer, in_tenant):
    full = pool_create(actor=staff, name="A-pełna", network="10.30.0.0/30",
                       range_start="10.30.0.1", range_end="10.30.0.2")
    roomy = pool_create(actor=staff, name="B-wolna", network="10.31.0.0/24",
                        range_start="10.31.0.10", range_end="10.31.0.20")
    pool_create(actor=staff, name="C-też-wolna", network="10.32.0.0/24",
                range_start="10.32.0.10", range_end="10.32.0.20")
    for n in range(2):
        login_create(actor=staff, customer=customer, login=f"full-{n}", password="haslo-123",
                     pool=full)
    page = staff_client.get(reverse("radius:login_add", args=[customer.pk])).content.decode()
    assert f'<option value="{roomy.pk}" selected>' in page
    # Saved as offered: the login gets the pool's first free address.
    response = staff_client.post(reverse("radius:login_add", args=[customer.pk]), {
        "auth_type": "pppoe", "pool": str(roomy.pk), "attr-TOTAL_FORMS": "0",
        "attr-INITIAL_FORMS": "0"})
    assert response.status_code == 302
    assert Login.objects.get(pool=roomy).ip == "10.31.0.10"


def test_new_login_form_offers_no_pool_when_every_pool_is_full(staff_client, staff, customer,
                                                               in_tenant):
    full = pool_create(actor=staff, name="Mała", network="10.30.0.0/30",
                       range_start="10.30.0.1", range_end="10.30.0.2")
    for n in range(2):
        login_create(actor=staff, customer=customer, login=f"full-{n}", password="haslo-123",
                     pool=full)
    page = staff_client.get(reverse("radius:login_add", args=[customer.pk])).content.decode()
    assert f'<option value="{full.pk}" selected>' not in page
    assert '<option value="" selected>' in page


# --------------------------------------------------------------------------- Chromium

@pytest.mark.browser
def test_block_and_temporary_speed_from_the_card_in_chromium(transactional_db, live_server,
                                                             browser_page, monkeypatch):
    """The card's "Actions" menu: the block page names the online session before the
    reason is typed, the card then shows the reason as text; the temporary speed too."""
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from core.models import Tenant
    from core.tenancy import tenant_context
    from customers.services import customer_create

    tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
    staff = make_staff(tenant, "anna")
    with tenant_context(tenant):
        customer = customer_create(actor=staff, first_name="Jan", last_name="Kowalski",
                                   status="connected")
        nas = nas_create(actor=staff, name="BRAS-1", ip="192.0.2.1", secret="s3cret")
        login = login_create(actor=staff, customer=customer, login="jan-pc",
                             password="haslo-123")
        go_online(login, nas)
    page, expect = browser_page, sync_api.expect
    card = reverse("customers:card", args=[customer.pk]) + "?sekcja=komputery"
    staff_browser_login(page, f"{live_server.url}/login/?next={card}")
    row = page.locator(f"#login-{login.pk}")
    row.get_by_role("button", name="Actions").click()
    row.get_by_role("link", name="Block…").click()
    expect(page.locator(".online-warning")).to_contain_text("Jan Kowalski is online")
    expect(page.locator(".online-warning")).to_contain_text("on NAS BRAS-1")
    page.fill("#block_reason", "Kradzież sygnału")
    page.get_by_role("button", name="Confirm the block").click()
    expect(page.locator(f"#login-{login.pk} .block-reason")).to_have_text(
        "reason: Kradzież sygnału")

    row = page.locator(f"#login-{login.pk}")
    row.get_by_role("button", name="Actions").click()
    row.get_by_role("link", name="Temporary speed…").click()
    page.fill("#speed_download_kbps", "50000")
    page.fill("#speed_upload_kbps", "10000")
    page.fill("#speed_until", "2030-12-05T18:00")
    page.get_by_role("button", name="Set the temporary speed").click()
    expect(page.locator(f"#login-{login.pk} .temp-speed")).to_contain_text(
        "temporary speed ↓ 50 Mbit/s ↑ 10 Mbit/s until")
    login.refresh_from_db()
    assert login.block == "staff" and login.temp_download_kbps == 50000
