"""The OLT pages and an ONT's page as staff use them, against the loopback OLT peers
(an asyncssh CLI per vendor, Debian's snmpd): OLTs listed, added and edited with their
secrets never shown back, "test connection" logging in for real, the host key forgotten,
ONT profiles set or refused; an ONT registered, refused, timed out, read, reset and
removed from its page with every dialogue shown; who may do what; another tenant's ids
as 404s."""

import socket

import lxml.html
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from finance.billing import subscription_add, tariff_create
from warehouse import ont
from warehouse.models import Olt, OntAction, OntProfile, StockItem

from .conftest import PASSWORD, a_profile, an_issued_ont, an_olt
from .tcp_listeners import HTTP, SSH_NONSENSE, free_port, listening

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("olt_settings")]

HTMX = {"HX-Request": "true"}
# What the Huawei peer receives for a registration at 0/1/0, ONT 5, profile LP-100M /
# SP-1ETH, VLAN 100 (after netmiko's session preparation).
HUAWEI_REGISTER = [
    "config", "interface gpon 0/1",
    "ont add 0 5 sn-auth 48575443C0FFEE01 omci ont-lineprofile-name LP-100M "
    "ont-srvprofile-name SP-1ETH",
    "quit",
    "service-port vlan 100 gpon 0/1/0 ont 5 gemport 1 multi-service user-vlan 100 "
    "tag-transform translate",
    "return"]


def _client(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


def _texts(response, xpath) -> list[str]:
    return [" ".join(e.text_content().split())
            for e in lxml.html.fromstring(_html(response)).xpath(xpath)]


def _cells(response, xpath) -> list[list[str]]:
    return [[" ".join(cell.text_content().split()) for cell in row]
            for row in lxml.html.fromstring(_html(response)).xpath(xpath)]


def _messages(response) -> list[str]:
    return _texts(response, '//div[contains(@class, "alert")]')


@pytest.fixture
def operator(tenant):
    """Sees OLTs and ONT actions, changes nothing of them (core/roles.py)."""
    return _client(make_staff(tenant, "olek", role=Role.OPERATOR))


@pytest.fixture
def technician(tenant):
    """Registers and resets ONTs; OLTs are the administrator's."""
    return _client(make_staff(tenant, "tomek", role=Role.TECHNICIAN))


@pytest.fixture
def accountant(tenant):
    return _client(make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT))


@pytest.fixture
def huawei(in_tenant, staff, huawei_peer):
    """The Huawei peer as the tenant's OLT, with a default profile."""
    olt = an_olt(staff, huawei_peer, name="OLT Centrala")
    a_profile(staff, olt, line="LP-100M", service="SP-1ETH", vlan=100)
    return olt


@pytest.fixture
def item(in_tenant, staff, customer):
    return an_issued_ont(staff, customer, gpon_serial="HWTCC0FFEE01")


def _olt_values(peer, **extra) -> dict:
    return {"name": "OLT Wschód", "vendor": peer.vendor, "host": "127.0.0.1",
            "ssh_port": str(peer.port), "username": peer.username, "password": PASSWORD,
            "enable_password": "", "snmp_port": "161", "snmp_community": "", **extra}


# --------------------------------------------------------------------------- OLTs

def test_an_olt_is_added_and_its_secrets_never_come_back(staff_client, in_tenant,
                                                         huawei_peer):
    response = staff_client.post(reverse("warehouse:olt_add"), _olt_values(
        huawei_peer, enable_password="en-Secret1", snmp_community="c0mm-Secret"))

    assert response.status_code == 302 and response["Location"] == reverse("warehouse:olts")
    olt = Olt.objects.get()
    assert (olt.name, olt.vendor, olt.host, olt.ssh_port, olt.active) == (
        "OLT Wschód", "huawei", "127.0.0.1", huawei_peer.port, True)
    assert (olt.password, olt.enable_password, olt.snmp_community) == (
        PASSWORD, "en-Secret1", "c0mm-Secret")
    for url in (reverse("warehouse:olts"), reverse("warehouse:olt_edit", args=[olt.pk])):
        html = _html(staff_client.get(url))
        assert "OLT Wschód" in html
        for secret in (PASSWORD, "en-Secret1", "c0mm-Secret"):
            assert secret not in html, (url, secret)
    assert ActionLog.objects.filter(kind="olt.add").count() == 1


def test_the_list_shows_vendor_address_state_and_registered_onts(
        staff_client, staff, huawei, item, huawei_peer):
    ont.ont_register(actor=staff, item=item, olt=huawei, port="0/1/0", ont_id=5)
    ont.olt_create(actor=staff, name="OLT Zapas", vendor="zte", host="10.20.0.2",
                   username="admin", password="x", active=False)

    rows = _texts(staff_client.get(reverse("warehouse:olts")), '//tr[starts-with(@id, "olt-")]')

    assert rows[0].startswith(f"OLT Centrala Huawei (MA5600/MA5800) 127.0.0.1:{huawei_peer.port} "
                              "abonent 1 ")
    assert rows[1].startswith("OLT Zapas inactive ZTE (C300/C320) 10.20.0.2:22 admin 0 ")


def test_olt_list_query_count(staff_client, staff, in_tenant, django_assert_num_queries):
    for n in range(10):
        ont.olt_create(actor=staff, name=f"OLT {n}", vendor="dasan", host=f"10.0.0.{n + 1}",
                       username="admin", password="x")
    # session, user, membership with the role (permissions); the OLTs with their ONT counts;
    # the session saved (savepoint, update, release) — whatever the number of OLTs.
    with django_assert_num_queries(7):
        response = staff_client.get(reverse("warehouse:olts"))
    assert "OLT 9" in _html(response)


def test_a_wrong_value_is_named_next_to_its_field(staff_client, in_tenant, huawei_peer):
    response = staff_client.post(reverse("warehouse:olt_add"), _olt_values(
        huawei_peer, host="169.254.169.254", username="ad min", ssh_port="70000"))
    assert response.status_code == 400
    errors = _texts(response, '//div[contains(@class, "invalid-feedback")]')
    assert "A user name has no spaces." in errors
    assert "A port is a number from 1 to 65535." in errors
    assert any("the OLT" in e for e in errors), errors  # the address refused (netguard)
    assert not Olt.objects.exists()


def test_an_empty_secret_keeps_it_and_a_box_clears_it(staff_client, staff, in_tenant,
                                                      huawei_peer):
    olt = an_olt(staff, huawei_peer, enable_password="en-1", community="public-ro")
    edit = reverse("warehouse:olt_edit", args=[olt.pk])
    values = _olt_values(huawei_peer, name="OLT Nowa nazwa", password="", enable_password="",
                         snmp_community="", active="on")

    assert staff_client.post(edit, values).status_code == 302
    olt.refresh_from_db()
    assert (olt.name, olt.password, olt.enable_password, olt.snmp_community) == (
        "OLT Nowa nazwa", PASSWORD, "en-1", "public-ro")

    staff_client.post(edit, {**values, "clear_enable_password": "on",
                             "snmp_community": "private-ro"})
    olt.refresh_from_db()
    assert (olt.password, olt.enable_password, olt.snmp_community) == (
        PASSWORD, "", "private-ro")
    change = ActionLog.objects.filter(kind="olt.change").latest("id")
    assert "private-ro" not in str(change.changes) and "en-1" not in str(change.changes)


def test_a_new_address_wants_the_password_again(staff_client, staff, in_tenant, huawei_peer):
    olt = an_olt(staff, huawei_peer)
    response = staff_client.post(reverse("warehouse:olt_edit", args=[olt.pk]), _olt_values(
        huawei_peer, host="10.1.1.1", password="", active="on"))
    assert response.status_code == 400
    assert "The OLT's address changed: type its password again." in _texts(
        response, '//div[contains(@class, "invalid-feedback")]')
    olt.refresh_from_db()
    assert olt.host == "127.0.0.1"


def test_test_connection_logs_in_and_types_nothing_else(staff_client, staff, in_tenant,
                                                        huawei_peer):
    olt = an_olt(staff, huawei_peer)

    response = staff_client.post(reverse("warehouse:olt_check", args=[olt.pk]), headers=HTMX)

    assert response.status_code == 200
    text = " ".join(_texts(response, "//span"))
    assert text.startswith("✓ SSH: logged in to 127.0.0.1 port")
    assert "into the enable mode" in text
    assert "showed the host key ssh-ed25519 (SHA256:" in text
    # netmiko's session preparation, enable and the log-out: no command of ours
    assert [line for line in huawei_peer.received if line] == [
        "undo smart", "enable", "infoswitch cli OFF", "disable", "scroll", "enable",
        "quit", "y"]
    olt.refresh_from_db()
    assert olt.host_key == ""  # a check writes nothing
    assert not OntAction.objects.exists()


def test_test_connection_shows_a_refused_login(staff_client, staff, in_tenant, huawei_peer):
    olt = an_olt(staff, huawei_peer)
    huawei_peer.password = "changed"
    try:
        response = staff_client.post(reverse("warehouse:olt_check", args=[olt.pk]),
                                     follow=True)
    finally:
        huawei_peer.password = PASSWORD
    assert response.redirect_chain[-1][0] == reverse("warehouse:olts")
    assert "OLT huawei: SSH: The OLT refused the user name or password." in " ".join(
        _messages(response))


NO_SSH = ("No SSH service answered at {host} port {port} (check the address, the port and "
          "the firewall).")


def test_test_connection_says_the_same_whatever_kept_ssh_from_answering(
        staff_client, staff, in_tenant, huawei_peer, settings):
    """An OLT's address and port are typed by a tenant's staff: "refused", "timed out"
    and "not SSH" told apart would make the button a port scanner over the platform."""
    settings.WAREHOUSE_OLT_CONNECT_TIMEOUT = 1  # how long the silent port is waited for
    olt = an_olt(staff, huawei_peer)
    port = free_port()
    ont.olt_update(actor=staff, olt=olt, ssh_port=port, password=PASSWORD)
    url = reverse("warehouse:olt_check", args=[olt.pk])

    def check() -> str:
        return " ".join(_texts(staff_client.post(url, headers=HTMX), "//span"))

    refused = check()
    with listening(port):  # accepts, never speaks: a timeout
        silent = check()
    with listening(port, says=HTTP):  # a web server
        web = check()
    with listening(port, says=SSH_NONSENSE):  # an SSH banner, then nonsense
        broken = check()

    expected = "✗ SSH: " + NO_SSH.format(host="127.0.0.1", port=port)
    assert refused == silent == web == broken == expected
    # a name that resolved when saved and no longer does: the same words
    Olt.objects.filter(pk=olt.pk).update(host="olt.invalid")
    assert check() == "✗ SSH: " + NO_SSH.format(host="olt.invalid", port=port)
    # once an SSH server answered, what it refused is said: the login here
    ont.olt_update(actor=staff, olt=olt, host="127.0.0.1", ssh_port=huawei_peer.port,
                   password="wrong-pass")
    wrong_password = check()
    assert wrong_password == "✗ SSH: The OLT refused the user name or password."
    assert huawei_peer.logins == ["abonent"]


def test_the_ont_history_tells_no_more_than_the_check(technician, staff, huawei, item):
    port = free_port()
    ont.olt_update(actor=staff, olt=huawei, ssh_port=port, password=PASSWORD)

    response = technician.post(reverse("warehouse:ont_register", args=[item.pk]),
                               {"olt": str(huawei.pk), "port": "0/1/0", "ont_id": "5"},
                               follow=True)

    expected = NO_SSH.format(host="127.0.0.1", port=port)
    assert f"connection error — register: {expected} Nothing to take back." in " ".join(
        _messages(response))
    row = _texts(response, '//tr[contains(@class, "ont-action")]')[0]
    assert f"register connection error {expected}" in row
    assert "refused" not in row.lower() and "timed out" not in row.lower()


def test_test_connection_of_a_replaced_olt_refuses_its_new_key(staff_client, staff,
                                                               in_tenant, huawei_peer):
    olt = an_olt(staff, huawei_peer)
    Olt.objects.filter(pk=olt.pk).update(
        host_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGkgYW0gbm90IHRoZSBvbHQncyBrZXkgYXQgYWxs")
    text = _html(staff_client.post(reverse("warehouse:olt_check", args=[olt.pk]),
                                   headers=HTMX))
    assert "✗" in text and "host key is not the one it showed before" in text
    assert huawei_peer.logins == []  # refused before the password


def test_test_connection_asks_snmp_when_the_olt_has_a_community(staff_client, staff,
                                                                in_tenant, dasan_peer,
                                                                snmp_state):
    olt = an_olt(staff, dasan_peer, snmp=snmp_state, community=snmp_state.community)
    text = _html(staff_client.post(reverse("warehouse:olt_check", args=[olt.pk]),
                                   headers=HTMX))
    assert "✓" in text and f"SNMP: answers on port {snmp_state.port} (up " in text

    # A wrong community and a port nothing listens on: UDP, so alike — and told alike.
    udp_port = free_port(socket.SOCK_DGRAM)
    seen = []
    for change in ({"snmp_community": "wrong-community"}, {"snmp_port": udp_port}):
        ont.olt_update(actor=staff, olt=olt, **change)
        text = " ".join(_texts(staff_client.post(reverse("warehouse:olt_check", args=[olt.pk]),
                                                 headers=HTMX), "//span"))
        assert text.startswith("✗ SSH: logged in")
        seen.append(text.split(" SNMP: ")[1])
    assert seen == [
        f"no answer at 127.0.0.1 port {port} (check the address, the port, the community "
        "and the firewall)." for port in (snmp_state.port, udp_port)]


def test_the_host_key_is_forgotten_for_a_replaced_olt(staff_client, staff, huawei, item,
                                                      huawei_peer):
    ont.ont_register(actor=staff, item=item, olt=huawei, port="0/1/0", ont_id=5)
    huawei.refresh_from_db()
    assert huawei.host_key
    edit = _html(staff_client.get(reverse("warehouse:olt_edit", args=[huawei.pk])))
    assert "Kept: <code>SHA256:" in edit
    url = reverse("warehouse:olt_forget_host_key", args=[huawei.pk])
    assert "Forget the SSH host key kept for OLT Centrala (SHA256:" in _html(
        staff_client.get(url))

    response = staff_client.post(url)

    assert response.status_code == 302
    huawei.refresh_from_db()
    assert huawei.host_key == ""
    entry = ActionLog.objects.filter(kind="olt.change").latest("id")
    assert entry.changes["host_key"] == ["•••", ""]
    # nothing left to forget
    assert "No host key is kept for OLT Centrala." in _html(staff_client.get(url))


# --------------------------------------------------------------------------- profiles

def test_profiles_are_set_per_tariff_and_changed(staff_client, staff, in_tenant, huawei):
    tariff = tariff_create(actor=staff, name="Światłowód 300", net_price="80.00",
                           vat_rate="23")
    url = reverse("warehouse:olt_profiles", args=[huawei.pk])

    response = staff_client.post(url, {"tariff": str(tariff.pk), "line_profile": "LP-300M",
                                       "service_profile": "SP-4ETH", "vlan": "200"})
    assert response.status_code == 302
    staff_client.post(url, {"tariff": "", "line_profile": "LP-50M",
                            "service_profile": "SP-1ETH", "vlan": "101"})

    rows = _cells(staff_client.get(url), '//tr[starts-with(@id, "profile-")]')
    assert rows == [["any other tariff (default)", "LP-50M", "SP-1ETH", "101", "Delete"],
                    ["Światłowód 300", "LP-300M", "SP-4ETH", "200", "Delete"]]
    assert OntProfile.objects.count() == 2


@pytest.mark.parametrize("field,value,message", [
    ("line_profile", "LP 100M", "is not a profile name an OLT takes"),
    ("line_profile", "LP;reboot", "is not a profile name an OLT takes"),
    ("service_profile", "SP\nreboot", "is not a profile name an OLT takes"),
    ("service_profile", " SP-1ETH", "is not a profile name an OLT takes"),
    ("line_profile", "L" * 65, "is not a profile name an OLT takes"),
    ("vlan", "4095", "A VLAN is a number from 1 to 4094."),
    ("vlan", "0", "A VLAN is a number from 1 to 4094."),
])
def test_a_profile_that_would_cross_badly_into_the_cli_is_refused(
        staff_client, huawei, field, value, message):
    url = reverse("warehouse:olt_profiles", args=[huawei.pk])
    values = {"tariff": "", "line_profile": "LP-1", "service_profile": "SP-1", "vlan": "300",
              field: value}
    response = staff_client.post(url, values)
    assert response.status_code == 400
    assert any(message in e for e in _texts(response, '//div[contains(@class, "invalid")]'))
    assert OntProfile.objects.get().line_profile == "LP-100M"  # the default unchanged


def test_another_tenants_tariff_is_not_a_choice(staff_client, huawei, other_tenant,
                                                other_staff):
    with tenant_context(other_tenant):
        theirs = tariff_create(actor=other_staff, name="TaryfaBeta", net_price="1.00",
                               vat_rate="23")
    url = reverse("warehouse:olt_profiles", args=[huawei.pk])
    assert "TaryfaBeta" not in _html(staff_client.get(url))
    response = staff_client.post(url, {"tariff": str(theirs.pk), "line_profile": "LP-1",
                                       "service_profile": "SP-1", "vlan": "300"})
    assert response.status_code == 400
    assert OntProfile.objects.count() == 1


def _tariff_profile(staff, olt, name="Światłowód 300"):
    tariff = tariff_create(actor=staff, name=name, net_price="80.00", vat_rate="23")
    return tariff, a_profile(staff, olt, line="LP-300M", service="SP-4ETH", vlan=200,
                             tariff=tariff)


def test_a_profile_is_deleted_after_a_question_and_logged(staff_client, staff, huawei):
    tariff, profile = _tariff_profile(staff, huawei)
    page = reverse("warehouse:olt_profiles", args=[huawei.pk])
    delete = reverse("warehouse:olt_profile_delete", args=[huawei.pk, profile.pk])
    form = lxml.html.fromstring(_html(staff_client.get(page))).xpath(
        f'//tr[@id="profile-{profile.pk}"]//form[@action="{delete}"]')[0]
    assert form.get("data-confirm") == (
        "Delete the ONT profile for Światłowód 300? Its customers' ONTs then get the OLT's "
        "default profile when registered or applied again.")
    assert staff_client.get(delete).status_code == 405  # a link followed deletes nothing

    response = staff_client.post(delete, follow=True)

    assert response.redirect_chain[-1][0] == page
    assert "ONT profile for Światłowód 300 deleted." in _messages(response)
    assert _cells(response, '//tr[starts-with(@id, "profile-")]') == [
        ["any other tariff (default)", "LP-100M", "SP-1ETH", "100", "Delete"]]
    entry = ActionLog.objects.filter(kind="olt.change").latest("id")
    assert entry.text == "OLT OLT Centrala: ONT profile for Światłowód 300 deleted"
    assert entry.changes == {"line_profile": ["LP-300M", None],
                             "service_profile": ["SP-4ETH", None], "vlan": [200, None]}
    assert staff_client.post(delete).status_code == 404  # gone: twice is a 404


def test_after_its_profile_is_deleted_a_tariff_gets_the_default_then_a_refusal(
        staff_client, technician, staff, huawei, item, customer, huawei_peer):
    tariff, profile = _tariff_profile(staff, huawei)
    subscription_add(actor=staff, customer=customer, tariff=tariff,
                     start_date=item.created_at.date())
    staff_client.post(reverse("warehouse:olt_profile_delete", args=[huawei.pk, profile.pk]))
    register = reverse("warehouse:ont_register", args=[item.pk])
    values = {"olt": str(huawei.pk), "port": "0/1/0", "ont_id": "5"}

    response = technician.post(register, values, follow=True)

    assert any("register: Registered at 0/1/0 as ONT 5: line profile LP-100M, service "
               "profile SP-1ETH, VLAN 100." in m for m in _messages(response))
    ont.ont_remove(actor=staff, item=item)
    default = OntProfile.objects.get(tariff__isnull=True)
    staff_client.post(reverse("warehouse:olt_profile_delete", args=[huawei.pk, default.pk]))
    logins = len(huawei_peer.logins)

    response = technician.post(register, values)

    assert response.status_code == 400
    assert ("The OLT OLT Centrala has no ONT profile for the tariff Światłowód 300 and no "
            "default one: add one.") in " ".join(_texts(response, '//div[@role="alert"]'))
    assert len(huawei_peer.logins) == logins  # refused before connecting
    assert "No ONT profiles yet" in _html(staff_client.get(
        reverse("warehouse:olt_profiles", args=[huawei.pk])))


def test_a_profile_of_another_olt_or_tenant_is_a_404_and_stays(
        staff_client, staff, huawei, huawei_peer, other_tenant, other_staff):
    with tenant_context(other_tenant):
        their_olt = an_olt(other_staff, huawei_peer, name="OLT Beta")
        theirs = a_profile(other_staff, their_olt, line="LP-B", service="SP-B")
    second = an_olt(staff, huawei_peer, name="OLT Zapas")
    ours_elsewhere = a_profile(staff, second, line="LP-Z", service="SP-Z")
    logged = ActionLog.all_tenants.count()
    for olt_pk, profile_pk in ((huawei.pk, theirs.pk), (their_olt.pk, theirs.pk),
                               (huawei.pk, ours_elsewhere.pk), (huawei.pk, 0)):
        url = reverse("warehouse:olt_profile_delete", args=[olt_pk, profile_pk])
        assert staff_client.post(url).status_code == 404, url
    assert OntProfile.objects.count() == 2
    with tenant_context(other_tenant):
        assert OntProfile.objects.get(pk=theirs.pk).line_profile == "LP-B"
    assert ActionLog.all_tenants.count() == logged


def test_who_may_not_change_the_olt_deletes_no_profile(operator, technician, huawei):
    profile = OntProfile.objects.get()
    page = reverse("warehouse:olt_profiles", args=[huawei.pk])
    delete = reverse("warehouse:olt_profile_delete", args=[huawei.pk, profile.pk])
    assert delete not in _html(operator.get(page))
    for client in (operator, technician):
        assert client.post(delete).status_code == 403
    assert OntProfile.objects.get().line_profile == "LP-100M"


# --------------------------------------------------------------------------- who may

def test_operator_sees_olts_and_profiles_but_changes_nothing(operator, staff, huawei):
    html = _html(operator.get(reverse("warehouse:olts")))
    assert "OLT Centrala" in html and 'id="olt-add"' not in html
    assert reverse("warehouse:olt_edit", args=[huawei.pk]) not in html
    profiles = reverse("warehouse:olt_profiles", args=[huawei.pk])
    assert 'id="profile-form"' not in _html(operator.get(profiles))
    for url in (reverse("warehouse:olt_add"),
                reverse("warehouse:olt_edit", args=[huawei.pk]),
                reverse("warehouse:olt_forget_host_key", args=[huawei.pk]),
                reverse("warehouse:olt_check", args=[huawei.pk]), profiles):
        assert operator.post(url, {"name": "X", "line_profile": "X", "service_profile": "X",
                                   "vlan": "1"}).status_code == 403, url
    assert OntProfile.objects.get().line_profile == "LP-100M"
    assert Olt.objects.get().name == "OLT Centrala"


def test_the_menu_offers_olts_to_who_may_see_them(staff_client, operator, in_tenant):
    assert 'id="menu-warehouse-olts"' in _html(staff_client.get(reverse("warehouse:stock")))
    assert 'id="menu-warehouse-olts"' in _html(operator.get(reverse("warehouse:stock")))


def test_other_tenants_olts_and_onts_are_404s(staff_client, staff, huawei, item, other_tenant,
                                              other_staff, huawei_peer):
    from customers.services import customer_create

    with tenant_context(other_tenant):
        their_customer = customer_create(actor=other_staff, first_name="Ewa",
                                         last_name="Nowak", status="connected")
        their_olt = an_olt(other_staff, huawei_peer, name="OLT Beta")
        their_item = an_issued_ont(other_staff, their_customer, gpon_serial="HWTC0000BEEF")
    for name in ("olt_edit", "olt_check", "olt_forget_host_key", "olt_profiles"):
        url = reverse(f"warehouse:{name}", args=[their_olt.pk])
        assert staff_client.get(url).status_code in (404, 405), url
        assert staff_client.post(url, {"name": "Hacked", "line_profile": "X",
                                       "service_profile": "X", "vlan": "1"}).status_code \
            == 404, url
    for name in ("ont", "ont_register", "ont_profile", "ont_reset", "ont_status",
                 "ont_remove"):
        url = reverse(f"warehouse:{name}", args=[their_item.pk])
        assert staff_client.post(url, {"olt": str(huawei.pk), "port": "0/1/0",
                                       "ont_id": "5"}).status_code in (404, 405), url
    assert staff_client.get(reverse("warehouse:ont", args=[their_item.pk])).status_code == 404
    # their OLT is no choice for ours
    response = staff_client.post(reverse("warehouse:ont_register", args=[item.pk]),
                                 {"olt": str(their_olt.pk), "port": "0/1/0", "ont_id": "5"})
    assert response.status_code == 400
    assert "OLT Beta" not in _html(staff_client.get(reverse("warehouse:olts")))
    assert huawei_peer.logins == []
    with tenant_context(other_tenant):
        assert Olt.objects.get(pk=their_olt.pk).name == "OLT Beta"


# --------------------------------------------------------------------------- an ONT's page

def test_an_ont_is_registered_from_its_page_and_the_dialogue_shown(
        technician, staff, huawei, item, huawei_peer):
    page = reverse("warehouse:ont", args=[item.pk])
    html = _html(technician.get(page))
    assert "not registered" in html and 'id="ont-register-form"' in html

    response = technician.post(reverse("warehouse:ont_register", args=[item.pk]),
                               {"olt": str(huawei.pk), "port": "0/1/0", "ont_id": "5"},
                               follow=True)

    assert response.redirect_chain[-1][0] == page
    assert any("register: Registered at 0/1/0 as ONT 5: line profile LP-100M, service "
               "profile SP-1ETH, VLAN 100." in m for m in _messages(response))
    assert _texts(response, '//dd[@id="ont-place"]') == ["OLT Centrala, port 0/1/0, ONT 5"]
    record = OntAction.objects.get()
    assert record.commands.splitlines() == HUAWEI_REGISTER
    assert record.created_by.username == "tomek"
    # the peer got exactly these lines after netmiko's prelude
    typed = [line for line in huawei_peer.received if line]
    assert typed[6:6 + len(HUAWEI_REGISTER)] == HUAWEI_REGISTER
    row = _texts(response, f'//tr[@id="ont-action-{record.pk}"]')[0]
    assert "Tomek Testowy OLT Centrala register done" in row
    assert _texts(response, "//pre[contains(@class, 'ont-commands')]") == [
        " ".join(" ".join(HUAWEI_REGISTER).split())]
    answer = _texts(response, "//pre[contains(@class, 'ont-answer')]")[0]
    assert "Number of ONTs that can be added: 1, success: 1" in answer
    # registered: the actions instead of the form
    assert 'id="ont-register-form"' not in _html(response) and 'id="ont-reset"' in _html(
        response)


def test_a_refusal_by_the_olt_is_shown_as_failed(technician, huawei, item, huawei_peer):
    huawei_peer.vlans.discard(100)  # the service port's VLAN is not on the OLT

    response = technician.post(reverse("warehouse:ont_register", args=[item.pk]),
                               {"olt": str(huawei.pk), "port": "0/1/0", "ont_id": "5"},
                               follow=True)

    message = " ".join(_messages(response))
    assert "refused by the device — register: The OLT refused “service-port vlan 100" in message
    assert "Failure: The VLAN does not exist" in message
    assert "Taken back: “ont delete 0 5”." in message
    rows = _texts(response, '//tr[contains(@class, "ont-action")]')
    # newest first: the take-back (a remove), then the refused registration
    assert "remove from the OLT done Taking back the failed registration." in rows[0]
    assert "register refused by the device" in rows[1]
    assert _texts(response, '//dd[@id="ont-place"]') == ["not registered"]


def test_a_silent_olt_is_shown_as_a_timeout(technician, staff, huawei, item, huawei_peer):
    ont.ont_register(actor=staff, item=item, olt=huawei, port="0/1/0", ont_id=5)
    huawei_peer.hang_on = r"^display ont info"

    response = technician.post(reverse("warehouse:ont_status", args=[item.pk]), follow=True)

    assert "no answer — read status: No answer to “display ont info 0 5” within 2 s." in \
        " ".join(_messages(response))
    record = OntAction.objects.filter(action="status").get()
    assert record.outcome == "timeout"
    row = _texts(response, f'//tr[@id="ont-action-{record.pk}"]')[0]
    assert "read status no answer No answer to “display ont info 0 5”" in row


def test_status_reset_profile_and_remove_from_the_page(technician, staff, huawei, item,
                                                       huawei_peer, customer):
    ont.ont_register(actor=staff, item=item, olt=huawei, port="0/1/0", ont_id=5)

    response = technician.post(reverse("warehouse:ont_status", args=[item.pk]), follow=True)
    assert "read status: online, receiving -21.50 dBm" in " ".join(_messages(response))
    assert _texts(response, '//div[@class="ont-reading"]') == [
        "Reading: online, receiving -21.50 dBm"]

    response = technician.post(reverse("warehouse:ont_reset", args=[item.pk]), follow=True)
    assert "reset: The OLT restarts the ONT." in " ".join(_messages(response))
    assert huawei_peer.resets == [("0/1/0", 5)]

    tariff = tariff_create(actor=staff, name="Światłowód 300", net_price="80.00",
                           vat_rate="23")
    subscription_add(actor=staff, customer=customer, tariff=tariff,
                     start_date=item.created_at.date())
    a_profile(staff, huawei, line="LP-300M", service="SP-4ETH", vlan=200, tariff=tariff)
    response = technician.post(reverse("warehouse:ont_profile", args=[item.pk]), follow=True)
    assert "Line profile LP-300M, service profile SP-4ETH, VLAN 200 set." in " ".join(
        _messages(response))

    response = technician.post(reverse("warehouse:ont_remove", args=[item.pk]), follow=True)
    assert "Removed from 0/1/0, ONT 5." in " ".join(_messages(response))
    assert _texts(response, '//dd[@id="ont-place"]') == ["not registered"]
    assert huawei_peer.onts == {}
    assert list(OntAction.objects.values_list("action", flat=True)) == [
        "remove", "profile", "reset", "status", "register"]


def test_a_refusal_before_connecting_is_shown_and_nothing_sent(technician, staff, in_tenant,
                                                               huawei_peer, item):
    bare = an_olt(staff, huawei_peer, name="OLT bez profili")
    url = reverse("warehouse:ont_register", args=[item.pk])

    response = technician.post(url, {"olt": str(bare.pk), "port": "0/1/0", "ont_id": "5"})
    assert response.status_code == 400
    assert "has no default ONT profile" in " ".join(_texts(response, '//div[@role="alert"]'))

    a_profile(staff, bare, line="LP-100M", service="SP-1ETH")
    for port in ("0/1/0;reboot", "0/1/0\nreboot", "0/1"):
        response = technician.post(url, {"olt": str(bare.pk), "port": port, "ont_id": "5"})
        assert response.status_code == 400, port
        assert "is not an OLT port" in _html(response), port
    response = technician.post(reverse("warehouse:ont_reset", args=[item.pk]), follow=True)
    assert "is not registered on an OLT." in " ".join(_messages(response))
    assert huawei_peer.logins == []
    assert not OntAction.objects.exists()
    item.refresh_from_db()
    assert item.olt is None


def test_an_item_that_is_no_ont_says_so_and_is_not_acted_on(staff_client, staff, in_tenant,
                                                             huawei_peer):
    from .factories import StbFactory, WarehouseFactory, receive

    receive(staff, warehouse=WarehouseFactory(), product=StbFactory(), serials=["STB0001"])
    stb = StockItem.objects.get(serial="STB0001")
    response = staff_client.get(reverse("warehouse:ont", args=[stb.pk]))
    assert _texts(response, '//div[@id="ont-not-ont"]') == [
        "S/N STB0001 is a STB decoder, not an ONT: it has no place on an OLT."]
    assert 'id="ont-actions"' not in _html(response)
    response = staff_client.post(reverse("warehouse:ont_reset", args=[stb.pk]), follow=True)
    assert "STB0001 is a STB decoder, not an ONT." in " ".join(_messages(response))
    assert huawei_peer.logins == [] and not OntAction.objects.exists()


def test_who_may_see_and_who_may_act(accountant, operator, technician, staff, huawei, item,
                                     huawei_peer):
    page = reverse("warehouse:ont", args=[item.pk])
    for client in (accountant, operator):
        html = _html(client.get(page))
        assert "Actions on the OLT" in html and 'id="ont-register-form"' not in html
        for name in ("ont_register", "ont_status", "ont_reset", "ont_profile", "ont_remove"):
            url = reverse(f"warehouse:{name}", args=[item.pk])
            assert client.post(url, {"olt": str(huawei.pk), "port": "0/1/0",
                                     "ont_id": "5"}).status_code == 403, url
    assert huawei_peer.logins == []
    assert technician.get(reverse("warehouse:olts")).status_code == 200
    assert technician.get(reverse("warehouse:olt_add")).status_code == 403


def test_the_history_is_paged_newest_first(staff_client, staff, huawei, item,
                                           django_assert_num_queries):
    # Recorded actions as the services leave them (the dialogues themselves are tested
    # above): 25 status reads.
    StockItem.objects.filter(pk=item.pk).update(olt=huawei, olt_port="0/1/0", ont_id=5)
    for n in range(25):
        OntAction.objects.create(item=item, olt=huawei, action="status", outcome="ok",
                                 commands=f"display ont info 0 {n}", answer="",
                                 message=f"read {n:02d}", created_by=staff,
                                 reading={"source": "cli", "online": True, "state": "online",
                                          "rx_power_dbm": "-20.10"})
    page = reverse("warehouse:ont", args=[item.pk])
    # session, user, membership with the role; the item (product and place joined), its
    # customer and its OLT (each by its key: selectors.item_get); the page of actions (OLT
    # and author joined); the session saved (savepoint, update, release). Registered: no
    # OLTs are read for the register form.
    with django_assert_num_queries(10):
        first = staff_client.get(page)
    rows = _texts(first, '//tr[contains(@class, "ont-action")]')
    assert len(rows) == 20 and "read 24" in rows[0] and "read 05" in rows[19]
    second = staff_client.get(page, {"page": 2})
    rows = _texts(second, '//tr[contains(@class, "ont-action")]')
    assert len(rows) == 5 and "read 04" in rows[0] and "read 00" in rows[4]


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_the_olt_is_talked_to(tenant, staff, olt_peers,
                                                           olt_settings, monkeypatch):
    """The SSH dialogue runs outside any transaction: a slow OLT holds no locks."""
    from customers.services import customer_create
    from warehouse.olt import ssh

    peer = olt_peers["huawei"]
    peer.reset()
    with tenant_context(tenant):
        customer = customer_create(actor=staff, first_name="Jan", last_name="Kowalski",
                                   status="connected")
        olt = an_olt(staff, peer)
        a_profile(staff, olt, line="LP-100M", service="SP-1ETH")
        item = an_issued_ont(staff, customer)
    seen = []
    real_run = ssh.run

    def run(**kwargs):
        seen.append(connection.in_atomic_block)
        return real_run(**kwargs)

    monkeypatch.setattr(ssh, "run", run)
    client = _client(staff)
    response = client.post(reverse("warehouse:ont_register", args=[item.pk]),
                           {"olt": str(olt.pk), "port": "0/1/0", "ont_id": "5"})
    response = client.post(reverse("warehouse:olt_check", args=[olt.pk]), headers=HTMX)
    assert response.status_code == 200
    assert seen == [False, False]
    peer.reset()
