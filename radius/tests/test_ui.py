"""Staff pages of the RADIUS app: the card's "Komputery", the login's window, NAS, pools."""

import base64
import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from finance.billing import subscription_add, tariff_create
from radius.models import Login, LoginPhoto, Nas
from radius.services import (
    Accounting,
    accounting_record,
    login_create,
    login_update,
    nas_create,
    pool_create,
)
from radius.ui.card import computers_section_context

# A 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
    "rkJggg==")


@pytest.fixture
def pool(in_tenant, staff):
    return pool_create(actor=staff, name="Klienci", network="10.20.0.0/29",
                       range_start="10.20.0.0", range_end="10.20.0.7", gateway="10.20.0.1")


@pytest.fixture
def nas(in_tenant, staff):
    return nas_create(actor=staff, name="BRAS-1", ip="127.0.0.1", secret="old-secret",
                      kind="mikrotik")


@pytest.fixture
def subscription(staff, customer):
    tariff = tariff_create(actor=staff, name="Internet 300", net_price=Decimal("50.00"),
                           vat_rate="23", download_kbps=300000, upload_kbps=50000)
    return subscription_add(actor=staff, customer=customer, tariff=tariff,
                            start_date=datetime.date(2026, 1, 1))


def start_session(login, nas, *, at=None, session_time=0, down=0, up=0, status="Start"):
    accounting_record(Accounting(
        status=status, nas_ip=nas.ip, event_at=at or timezone.now(), username=login.login,
        unique_id=f"u-{login.pk}", acct_session_id=f"s-{login.pk}", framed_ip=login.ip,
        session_time=session_time, input_bytes=up, output_bytes=down))


def section_html(client, customer) -> str:
    """The "Komputery" section as htmx loads it into the card."""
    response = client.get(reverse("customers:section", args=[customer.pk, "computers"]),
                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


# --------------------------------------------------------------------------- the card

def test_card_loads_computers_lazily_and_lists_session_and_tariff(staff_client, staff, customer,
                                                                  pool, nas, subscription):
    online = login_create(actor=staff, customer=customer, pool=pool, login="jan-pc",
                          password="tajne-haslo1", mac="00:11:22:33:44:55")
    login_create(actor=staff, customer=customer, login="jan-tv", password="tajne-haslo2")
    login_update(actor=staff, login=online, subscription=subscription)
    start_session(online, nas, session_time=3600, down=5 * 1024**2, up=1024**2,
                  status="Interim-Update")

    card = staff_client.get(reverse("customers:card", args=[customer.pk])).content.decode()
    # Not rendered with the card: its tab loads it by htmx (customers/tests/test_card.py).
    assert 'data-section-key="computers"' in card and 'id="login-' not in card
    section = section_html(staff_client, customer)

    row = section.split(f'id="login-{online.pk}"')[1].split("</tr>")[0]
    assert "jan-pc" in row and "10.20.0.2" in row and "00:11:22:33:44:55" in row
    assert "online" in row and "BRAS-1" in row and "5.0\xa0MB" in row
    assert '<td class="tariff">Internet 300</td>' in row
    assert "tajne-haslo1" in row.split('<details class="password">')[1]  # behind a click
    other = section.split("jan-tv")[1].split("</tr>")[0]
    assert "offline" in other and '<td class="tariff">–</td>' in other


def test_section_runs_the_same_queries_for_one_and_three_logins(rf, staff, customer, pool, nas,
                                                                django_assert_num_queries):
    request = rf.get("/")
    request.user = staff
    first = login_create(actor=staff, customer=customer, pool=pool)
    start_session(first, nas)
    # The logins with tariffs and pools, their open sessions, when each was last seen.
    with django_assert_num_queries(3):
        computers_section_context(customer, request)
    for _ in range(2):
        start_session(login_create(actor=staff, customer=customer, pool=pool), nas)
    with django_assert_num_queries(3):
        context = computers_section_context(customer, request)
    assert all(login.open_session for login in context["computers"])


def test_add_form_generates_login_and_takes_the_first_free_ip(staff_client, customer, pool, nas):
    response = staff_client.post(reverse("radius:login_add", args=[customer.pk]), {
        "auth_type": "pppoe", "login": "", "password": "", "pool": pool.pk, "ip": "",
        "nases": [nas.pk], "attr-TOTAL_FORMS": 2, "attr-INITIAL_FORMS": 0,
        "attr-0-attribute": "Mikrotik-Address-List", "attr-0-op": ":=",
        "attr-0-value": "klienci", "attr-1-attribute": "", "attr-1-op": ":=",
        "attr-1-value": ""})

    assert response.status_code == 302
    login = Login.objects.get(customer=customer)
    assert login.login == "k00001" and len(login.password) == 10
    assert login.ip == "10.20.0.2"  # .0 is the network, .1 the gateway
    assert [n.pk for n in login.nases.all()] == [nas.pk]
    assert login.radius_snapshot["reply"]["reply:Mikrotik-Address-List"]["value"] == ["klienci"]
    section = section_html(staff_client, customer)
    assert "k00001" in section and "10.20.0.2" in section


def test_add_form_puts_the_login_on_the_chosen_subscription(staff_client, customer,
                                                            subscription):
    staff_client.post(reverse("radius:login_add", args=[customer.pk]), {
        "auth_type": "pppoe", "subscription": subscription.pk, "attr-TOTAL_FORMS": 0,
        "attr-INITIAL_FORMS": 0})

    assert Login.objects.get(customer=customer).subscription == subscription
    assert "Internet 300" in section_html(staff_client, customer)


def test_dhcp_without_mac_shows_the_error_and_writes_nothing(staff_client, customer, pool):
    response = staff_client.post(reverse("radius:login_add", args=[customer.pk]), {
        "auth_type": "dhcp", "mac": "", "pool": pool.pk, "attr-TOTAL_FORMS": 0,
        "attr-INITIAL_FORMS": 0})

    assert response.status_code == 400
    page = response.content.decode()
    assert "DHCP authorization needs the device&#x27;s MAC address." in page
    assert 'name="mac" maxlength="17" class="form-control form-control-sm is-invalid"' in page
    assert not Login.objects.exists()


def test_other_tenants_login_is_404(client, other_staff, other_tenant, staff, customer):
    login = login_create(actor=staff, customer=customer)
    client.force_login(other_staff)

    for name in ("radius:login", "radius:login_info"):
        assert client.get(reverse(name, args=[login.pk])).status_code == 404
    assert client.post(reverse("radius:login_reload", args=[login.pk])).status_code == 404
    assert client.get(reverse("radius:login_add", args=[customer.pk])).status_code == 404


def test_force_reload_without_session_records_no_active_session(staff_client, staff, customer):
    login = login_create(actor=staff, customer=customer)

    response = staff_client.post(reverse("radius:login_reload", args=[login.pk]),
                                 headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert f"Reload of {login.login}: no active session." in response.content.decode()
    login.refresh_from_db()
    assert login.reload_status == Login.ReloadStatus.NO_SESSION
    assert login.reload_at is not None
    assert ActionLog.objects.filter(kind="login.reload", customer=customer).exists()
    assert '<td class="reload"><span' in response.content.decode()  # the section, updated


def test_additional_information_shows_speed_and_pings_the_nas(staff_client, staff, customer,
                                                              nas):
    login = login_create(actor=staff, customer=customer, ip="192.0.2.5")
    now = timezone.now()
    start_session(login, nas, at=now - timedelta(seconds=60))
    # 7.5 MB down and 1.25 MB up in 60 s: 1 Mbit/s and … 166.7 kbit/s.
    start_session(login, nas, at=now, session_time=60, down=7_500_000, up=1_250_000,
                  status="Interim-Update")

    info = staff_client.get(reverse("radius:login_info", args=[login.pk])).content.decode()
    assert "PPPoE" in info and "BRAS-1" in info
    assert "↓ 1.0 Mbit/s ↑ 166.7 kbit/s" in info
    ping = staff_client.get(reverse("radius:login_ping_nas", args=[login.pk])).content.decode()
    assert "reachable</span> 127.0.0.1:" in ping and " ms" in ping
    # The client's address from the session: TEST-NET-1, which no host ever answers from.
    ping = staff_client.get(reverse("radius:login_ping_client", args=[login.pk])).content
    assert b"unreachable</span> 192.0.2.5" in ping


# --------------------------------------------------------------------------- the window

def test_charts_draw_svg_bars_from_samples(staff_client, staff, customer, nas):
    login = login_create(actor=staff, customer=customer, ip="10.99.0.5")
    now = timezone.now()
    start_session(login, nas, at=now - timedelta(hours=3))
    start_session(login, nas, at=now - timedelta(hours=2), session_time=3600,
                  down=3_600_000_000, up=360_000_000, status="Interim-Update")
    start_session(login, nas, at=now, session_time=3 * 3600, down=3_600_000_000 + 450_000_000,
                  up=360_000_000 + 45_000_000, status="Interim-Update")

    page = staff_client.get(reverse("radius:login", args=[login.pk]),
                            {"tab": "stats", "period": "day"}).content.decode()

    download = page.split('class="traffic-chart traffic-download')[1].split("</svg>")[0]
    bars = download.split('<rect class="bar bar-download"')[1:]
    assert len(bars) == 2
    assert "8.0 Mbit/s on average" in download  # 3.6 GB in an hour
    heights = sorted(float(bar.split('height="')[1].split('"')[0]) for bar in bars)
    assert heights[1] == 146.0 and heights[0] == pytest.approx(146.0 * 0.5 / 8, abs=0.1)
    assert page.count('<rect class="bar bar-upload"') == 2
    polish = staff_client.get(reverse("radius:login", args=[login.pk]),
                              {"tab": "stats", "period": "day"},
                              headers={"accept-language": "pl"}).content.decode()
    assert 'height="146.0"' in polish  # SVG numbers never take the decimal comma
    week = staff_client.get(reverse("radius:login", args=[login.pk]),
                            {"tab": "stats", "period": "week"}).content.decode()
    days = {timezone.localdate(now - timedelta(hours=2)), timezone.localdate(now)}
    assert week.count('<rect class="bar bar-download"') == len(days)  # by day


def test_window_tabs_show_session_history_and_parameters(staff_client, staff, customer, nas):
    login = login_create(actor=staff, customer=customer, ip="10.99.0.5", password="tajne-haslo",
                         attributes=[("Mikrotik-Address-List", ":=", "klienci")])
    start_session(login, nas)
    url = reverse("radius:login", args=[login.pk])

    session = staff_client.get(url, {"tab": "session"}).content.decode()
    assert "BRAS-1" in session and f"s-{login.pk}" in session
    history = staff_client.get(url, {"tab": "history"}).content.decode()
    sessions = history.split('class="table table-sm small sessions"')[1].split("</table>")[0]
    assert sessions.count("<tr>") == 2 and "BRAS-1" in sessions
    params = staff_client.get(url, {"tab": "params"}).content.decode()
    assert "Framed-IP-Address" in params and "10.99.0.5" in params
    assert "Mikrotik-Address-List" in params and "Cleartext-Password" in params
    assert "tajne-haslo" not in params


def test_edit_changes_pool_and_notes(staff_client, staff, customer, pool):
    login = login_create(actor=staff, customer=customer, login="jan-pc")
    form = staff_client.get(reverse("radius:login", args=[login.pk])).content.decode()
    assert 'name="login" value="jan-pc"' in form and 'name="attr-TOTAL_FORMS"' in form
    response = staff_client.post(reverse("radius:login_edit", args=[login.pk]), {
        "auth_type": "pppoe", "login": "jan-pc", "password": "", "pool": pool.pk, "ip": "",
        "attr-TOTAL_FORMS": 0, "attr-INITIAL_FORMS": 0})
    assert response.status_code == 302
    login.refresh_from_db()
    assert login.ip == "10.20.0.2" and login.pool == pool

    staff_client.post(reverse("radius:login_notes", args=[login.pk]),
                      {"notes": "Antena na dachu"})
    login.refresh_from_db()
    assert login.notes == "Antena na dachu"


def test_ip_reservation_toggles(staff_client, staff, customer, pool):
    login = login_create(actor=staff, customer=customer, pool=pool)
    staff_client.post(reverse("radius:login_reservation", args=[login.pk]))
    login.refresh_from_db()
    assert login.ip_reserved
    staff_client.post(reverse("radius:login_reservation", args=[login.pk]))
    login.refresh_from_db()
    assert not login.ip_reserved


def test_photo_upload_checks_content_not_name(staff_client, staff, customer):
    login = login_create(actor=staff, customer=customer)
    url = reverse("radius:photo_add", args=[login.pk])

    refused = staff_client.post(url, {"file": SimpleUploadedFile(
        "dach.jpg", b"MZ\x90\x00 not an image at all", content_type="image/jpeg")})
    assert refused.status_code == 400
    assert "Only JPG and PNG photos are accepted" in refused.content.decode()
    assert not LoginPhoto.objects.exists()

    staff_client.post(url, {"file": SimpleUploadedFile("dach.jpg", PNG,
                                                       content_type="image/jpeg"),
                            "description": "Antena"})
    photo = LoginPhoto.objects.get()
    assert photo.image.name.endswith("dach.png")
    shown = staff_client.get(reverse("radius:photo", args=[login.pk, photo.pk]))
    assert shown["Content-Type"] == "image/png"
    assert b"".join(shown.streaming_content) == PNG
    assert ActionLog.objects.filter(kind="login.photo_add").exists()

    staff_client.post(reverse("radius:photo_remove", args=[login.pk, photo.pk]))
    assert not LoginPhoto.objects.exists()


def test_disable_and_enable_from_the_window(staff_client, staff, customer):
    login = login_create(actor=staff, customer=customer)
    staff_client.post(reverse("radius:login_disable", args=[login.pk]), {"reason": "Zaległości"})
    login.refresh_from_db()
    assert not login.enabled and login.disabled_reason == "Zaległości"
    staff_client.post(reverse("radius:login_enable", args=[login.pk]))
    login.refresh_from_db()
    assert login.enabled


# --------------------------------------------------------------------------- network

def test_nas_edit_with_empty_secret_keeps_the_secret(staff_client, nas):
    url = reverse("radius:nas_edit", args=[nas.pk])
    page = staff_client.get(url).content.decode()
    assert "old-secret" not in page

    response = staff_client.post(url, {"name": "BRAS-2", "ip": "127.0.0.1", "secret": "",
                                       "kind": "mikrotik", "coa_port": 1700})

    assert response.status_code == 302
    nas = Nas.objects.get(pk=nas.pk)
    assert (nas.name, nas.coa_port, nas.secret) == ("BRAS-2", 1700, "old-secret")
    staff_client.post(url, {"name": "BRAS-2", "ip": "127.0.0.1", "secret": "new-secret",
                            "kind": "mikrotik", "coa_port": 1700})
    assert Nas.objects.get(pk=nas.pk).secret == "new-secret"
    assert "new-secret" not in staff_client.get(reverse("radius:nas_list")).content.decode()


def test_nas_added_on_the_list_page(staff_client, in_tenant):
    response = staff_client.post(reverse("radius:nas_list"), {
        "name": "BRAS-1", "ip": "192.0.2.1", "secret": "s3cret", "kind": "cisco",
        "coa_port": 3799})
    assert response.status_code == 302
    assert Nas.objects.get().kind == "cisco"
    refused = staff_client.post(reverse("radius:nas_list"), {
        "name": "BRAS-1", "ip": "192.0.2.2", "secret": "x", "kind": "cisco", "coa_port": 3799})
    assert refused.status_code == 400
    assert "A NAS with this name already exists." in refused.content.decode()


def test_pool_list_shows_usage_and_detail_lists_logins(staff_client, staff, customer, pool):
    login_create(actor=staff, customer=customer, pool=pool, login="jan-pc")
    login_create(actor=staff, customer=customer, pool=pool, login="jan-tv")

    listing = staff_client.get(reverse("radius:pool_list")).content.decode()
    # 10.20.0.0-7 without the network, broadcast and gateway addresses.
    assert '<td class="text-end usage">2 / 5</td>' in listing
    detail = staff_client.get(reverse("radius:pool_detail", args=[pool.pk])).content.decode()
    assert "jan-pc" in detail and "10.20.0.3" in detail

    response = staff_client.post(reverse("radius:pool_list"), {
        "name": "Biuro", "network": "100.64.0.0/24", "range_start": "100.64.0.10",
        "range_end": "100.64.0.20", "gateway": "100.64.0.1"})
    assert response.status_code == 302
    assert "Biuro" in staff_client.get(reverse("radius:pool_list")).content.decode()


# --------------------------------------------------------------------------- permissions

def test_user_without_view_permission_is_refused(client, tenant, staff, customer):
    login = login_create(actor=staff, customer=customer)
    accountant = make_staff(tenant, "celina", role=Role.ACCOUNTANT)
    client.force_login(accountant)

    assert client.get(reverse("radius:login", args=[login.pk])).status_code == 403
    assert client.get(reverse("radius:nas_list")).status_code == 403
    assert client.get(reverse("radius:pool_list")).status_code == 403
    assert client.get(reverse("customers:section", args=[customer.pk, "computers"]),
                      headers={"HX-Request": "true"}).status_code == 404
    card = client.get(reverse("customers:card", args=[customer.pk])).content.decode()
    assert "section-computers" not in card and "network-dropdown" not in card


def test_operator_sees_but_cannot_change_nas(client, tenant, nas):
    client.force_login(make_staff(tenant, "olga", role=Role.OPERATOR))

    page = client.get(reverse("radius:nas_list")).content.decode()
    assert "BRAS-1" in page and "Add a NAS" not in page
    assert client.get(reverse("radius:nas_edit", args=[nas.pk])).status_code == 403
    assert client.post(reverse("radius:nas_list"), {"name": "X"}).status_code == 403


def test_other_tenants_nas_and_pool_are_404(client, other_staff, nas, pool):
    client.force_login(other_staff)
    assert client.get(reverse("radius:nas_edit", args=[nas.pk])).status_code == 404
    assert client.get(reverse("radius:pool_detail", args=[pool.pk])).status_code == 404
    assert "BRAS-1" not in client.get(reverse("radius:nas_list")).content.decode()
