"""OLTs, ONT profiles and ONT actions in /api/v1/warehouse/ as a program sees them,
against the loopback OLT peers: secrets written and never answered, profiles set or
refused by field, actions sent to the Huawei peer and answered with the recorded
``OntAction`` (done, refused by the device, timed out), roles refused with a 403,
another tenant's ids as 404s, the lists' filters and query counts."""

import pytest

from conftest import make_staff, token_client
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from finance.billing import tariff_create
from warehouse import ont
from warehouse.models import Olt, OntAction, OntProfile, StockItem

from .conftest import PASSWORD, a_profile, an_issued_ont, an_olt

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("olt_settings")]

API = "/api/v1/warehouse/"
SECRETS = ("password", "enable_password", "snmp_community")
HUAWEI_REGISTER = [
    "config", "interface gpon 0/1",
    "ont add 0 5 sn-auth 48575443C0FFEE01 omci ont-lineprofile-name LP-100M "
    "ont-srvprofile-name SP-1ETH",
    "quit",
    "service-port vlan 100 gpon 0/1/0 ont 5 gemport 1 multi-service user-vlan 100 "
    "tag-transform translate",
    "return"]


@pytest.fixture
def accountant(tenant):
    """Reads OLTs and ONT actions, sends nothing (core/roles.py)."""
    return token_client(make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT), tenant)


@pytest.fixture
def technician(tenant):
    return token_client(make_staff(tenant, "technik", role=Role.TECHNICIAN), tenant)


@pytest.fixture
def huawei(in_tenant, staff, huawei_peer):
    olt = an_olt(staff, huawei_peer, name="OLT Centrala")
    a_profile(staff, olt, line="LP-100M", service="SP-1ETH", vlan=100)
    return olt


@pytest.fixture
def item(in_tenant, staff, customer):
    return an_issued_ont(staff, customer, gpon_serial="HWTCC0FFEE01")


@pytest.fixture
def theirs(other_tenant, other_staff, huawei_peer):
    """Tenant B's OLT (the same peer), profile, tariff and registered ONT."""
    from customers.services import customer_create

    with tenant_context(other_tenant):
        customer = customer_create(actor=other_staff, first_name="Ewa", last_name="Nowak",
                                   status="connected")
        olt = an_olt(other_staff, huawei_peer, name="OLT Beta")
        profile = a_profile(other_staff, olt, line="LP-100M", service="SP-1ETH")
        item = an_issued_ont(other_staff, customer, gpon_serial="HWTC0000BEEF")
        ont.ont_register(actor=other_staff, item=item, olt=olt, port="0/1/0", ont_id=9)
        tariff = tariff_create(actor=other_staff, name="TaryfaBeta", net_price="1.00",
                               vat_rate="23")
    huawei_peer.reset()
    return {"olt": olt, "profile": profile, "item": item, "tariff": tariff}


def _refused(response, field) -> list[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"], body
    return body["errors"][field]


# --------------------------------------------------------------------------- OLTs

def test_an_olt_is_created_and_its_secrets_are_never_answered(api_client, in_tenant,
                                                               huawei_peer):
    response = api_client.post(f"{API}olts/", {
        "name": "OLT Wschód", "vendor": "huawei", "host": "127.0.0.1",
        "ssh_port": huawei_peer.port, "username": "abonent", "password": PASSWORD,
        "enable_password": "en-Secret1", "snmp_community": "c0mm-Secret"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert not set(SECRETS) & set(body)
    assert (body["name"], body["vendor"], body["host"], body["ssh_port"], body["active"],
            body["has_enable_password"], body["has_snmp_community"],
            body["host_key_fingerprint"], body["onts_registered"]) == (
        "OLT Wschód", "huawei", "127.0.0.1", huawei_peer.port, True, True, True, "", 0)
    olt = Olt.objects.get()
    assert (olt.password, olt.enable_password, olt.snmp_community) == (
        PASSWORD, "en-Secret1", "c0mm-Secret")
    for url in (f"{API}olts/", f"{API}olts/{olt.pk}/"):
        text = api_client.get(url).content.decode()
        for secret in (PASSWORD, "en-Secret1", "c0mm-Secret"):
            assert secret not in text


@pytest.mark.parametrize("field,value", [
    ("host", "169.254.169.254"), ("username", "ad min"), ("ssh_port", 0),
    ("vendor", "nokia"), ("enable_password", "en\nreboot"), ("name", "OLT\nX")])
def test_an_olts_wrong_value_is_a_400_on_its_field(api_client, in_tenant, field, value):
    values = {"name": "OLT", "vendor": "zte", "host": "10.0.0.2", "username": "admin",
              "password": "x", field: value}
    _refused(api_client.post(f"{API}olts/", values, format="json"), field)
    assert not Olt.objects.exists()


def test_patch_keeps_what_is_left_out_and_forgets_the_host_key(api_client, staff, huawei,
                                                               item):
    ont.ont_register(actor=staff, item=item, olt=huawei, port="0/1/0", ont_id=5)
    url = f"{API}olts/{huawei.pk}/"
    assert api_client.get(url).json()["host_key_fingerprint"].startswith("SHA256:")

    response = api_client.patch(url, {"name": "OLT Centrala 2", "password": "",
                                      "snmp_community": "public-ro"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["name"], body["has_snmp_community"], body["onts_registered"]) == (
        "OLT Centrala 2", True, 1)
    huawei.refresh_from_db()
    assert (huawei.password, huawei.snmp_community) == (PASSWORD, "public-ro")

    assert "type its password again" in _refused(
        api_client.patch(url, {"host": "10.9.9.9"}, format="json"), "password")[0]
    response = api_client.patch(url, {"forget_host_key": True}, format="json")
    assert response.json()["host_key_fingerprint"] == ""
    assert ActionLog.objects.filter(kind="olt.change").latest("id").changes["host_key"] == [
        "•••", ""]


def test_olts_list_only_the_tenants_own_in_few_queries(api_client, staff, in_tenant, theirs,
                                                       django_assert_num_queries):
    for n in range(6):
        ont.olt_create(actor=staff, name=f"OLT {n}", vendor="dasan", host=f"10.0.0.{n + 1}",
                       username="admin", password="x", active=n % 2 == 0)
    # token, membership, last use, role; the count, the page (ONTs counted)
    with django_assert_num_queries(6):
        body = api_client.get(f"{API}olts/", {"active": "true"}).json()
    assert [o["name"] for o in body["results"]] == ["OLT 0", "OLT 2", "OLT 4"]
    assert [o["name"] for o in api_client.get(f"{API}olts/", {"search": "olt 5"}).json()[
        "results"]] == ["OLT 5"]
    assert "OLT Beta" not in api_client.get(f"{API}olts/").content.decode()


def test_another_tenants_olt_and_its_profiles_are_404s(api_client, in_tenant, theirs):
    olt, profile = theirs["olt"], theirs["profile"]
    assert api_client.get(f"{API}olts/{olt.pk}/").status_code == 404
    assert api_client.patch(f"{API}olts/{olt.pk}/", {"name": "Hacked"},
                            format="json").status_code == 404
    base = f"{API}olts/{olt.pk}/profiles/"
    assert api_client.get(base).status_code == 404
    assert api_client.post(base, {"line_profile": "X", "service_profile": "X", "vlan": 5},
                           format="json").status_code == 404
    assert api_client.put(f"{base}{profile.pk}/", {"line_profile": "X",
                                                   "service_profile": "X", "vlan": 5},
                          format="json").status_code == 404
    assert api_client.delete(f"{base}{profile.pk}/").status_code == 404
    with tenant_context(theirs["olt"].tenant):
        assert Olt.objects.get(pk=olt.pk).name == "OLT Beta"
        assert OntProfile.objects.get(pk=profile.pk).line_profile == "LP-100M"


# --------------------------------------------------------------------------- profiles

def test_profiles_are_set_per_tariff_changed_and_listed(api_client, staff, huawei,
                                                        django_assert_num_queries):
    tariff = tariff_create(actor=staff, name="Światłowód 300", net_price="80.00",
                           vat_rate="23")
    base = f"{API}olts/{huawei.pk}/profiles/"

    response = api_client.post(base, {"tariff": tariff.pk, "line_profile": "LP-300M",
                                      "service_profile": "SP-4ETH", "vlan": 200},
                               format="json")
    assert response.status_code == 200, response.json()
    created = response.json()
    assert (created["tariff"], created["tariff_name"], created["vlan"]) == (
        tariff.pk, "Światłowód 300", 200)
    again = api_client.post(base, {"tariff": tariff.pk, "line_profile": "LP-500M",
                                   "service_profile": "SP-4ETH", "vlan": 201}, format="json")
    assert again.json()["id"] == created["id"] and again.json()["line_profile"] == "LP-500M"
    default = OntProfile.objects.get(tariff__isnull=True)
    response = api_client.put(f"{base}{default.pk}/", {"line_profile": "LP-50M",
                                                       "service_profile": "SP-1ETH",
                                                       "vlan": 101}, format="json")
    assert response.status_code == 200 and response.json()["tariff"] is None

    # token, membership, last use, role; the OLT; the count, the page (tariffs joined)
    with django_assert_num_queries(7):
        body = api_client.get(base).json()
    assert [(p["tariff_name"], p["line_profile"], p["vlan"]) for p in body["results"]] == [
        ("", "LP-50M", 101), ("Światłowód 300", "LP-500M", 201)]


def test_a_profile_is_deleted_logged_and_the_default_serves_its_tariff(
        api_client, staff, huawei, item, customer, huawei_peer):
    from finance.billing import subscription_add

    tariff = tariff_create(actor=staff, name="Światłowód 300", net_price="80.00",
                           vat_rate="23")
    subscription_add(actor=staff, customer=customer, tariff=tariff,
                     start_date=item.created_at.date())
    profile = a_profile(staff, huawei, line="LP-300M", service="SP-4ETH", vlan=200,
                        tariff=tariff)
    base = f"{API}olts/{huawei.pk}/profiles/"

    response = api_client.delete(f"{base}{profile.pk}/")

    assert response.status_code == 204
    assert [p["tariff_name"] for p in api_client.get(base).json()["results"]] == [""]
    entry = ActionLog.objects.filter(kind="olt.change").latest("id")
    assert entry.text == "OLT OLT Centrala: ONT profile for Światłowód 300 deleted"
    assert api_client.delete(f"{base}{profile.pk}/").status_code == 404
    # the tariff's customer now gets the OLT's default
    response = api_client.post(_ont(item, "register"), {"olt": huawei.pk, "port": "0/1/0",
                                                        "ont_id": 5}, format="json")
    assert response.status_code == 201
    assert response.json()["message"] == ("Registered at 0/1/0 as ONT 5: line profile "
                                          "LP-100M, service profile SP-1ETH, VLAN 100.")


def test_a_profile_of_another_olt_is_a_404_under_this_one(api_client, staff, huawei,
                                                          huawei_peer):
    other = an_olt(staff, huawei_peer, name="OLT Zapas")
    profile = a_profile(staff, other, line="LP-Z", service="SP-Z")
    assert api_client.delete(f"{API}olts/{huawei.pk}/profiles/{profile.pk}/").status_code \
        == 404
    assert OntProfile.objects.filter(pk=profile.pk).exists()


@pytest.mark.parametrize("field,value", [
    ("line_profile", "LP 100M"), ("line_profile", "LP;reboot"),
    ("service_profile", "SP\nreboot"), ("service_profile", " SP"), ("vlan", 4095),
    ("vlan", 0)])
def test_a_profile_that_would_cross_badly_into_the_cli_is_a_400(api_client, huawei, field,
                                                                value):
    values = {"tariff": None, "line_profile": "LP-1", "service_profile": "SP-1", "vlan": 300,
              field: value}
    _refused(api_client.post(f"{API}olts/{huawei.pk}/profiles/", values, format="json"),
             field)
    assert OntProfile.objects.get().line_profile == "LP-100M"


def test_another_tenants_tariff_is_a_400(api_client, huawei, theirs):
    _refused(api_client.post(f"{API}olts/{huawei.pk}/profiles/", {
        "tariff": theirs["tariff"].pk, "line_profile": "LP-1", "service_profile": "SP-1",
        "vlan": 300}, format="json"), "tariff")


# --------------------------------------------------------------------------- ONT actions

def _ont(item, action) -> str:
    return f"{API}items/{item.pk}/ont/{action}/"


def test_an_ont_is_registered_read_reset_and_removed(technician, huawei, item, huawei_peer):
    response = technician.post(_ont(item, "register"), {
        "olt": huawei.pk, "port": "0/1/0", "ont_id": 5}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["action"], body["outcome"], body["item"], body["item_serial"],
            body["olt_name"], body["created_by_name"]) == (
        "register", "ok", item.pk, item.serial, "OLT Centrala", "Technik Testowy")
    assert body["commands"].splitlines() == HUAWEI_REGISTER
    assert "Number of ONTs that can be added: 1, success: 1" in body["answer"]
    assert body["reading"] is None
    typed = [line for line in huawei_peer.received if line]
    assert typed[6:6 + len(HUAWEI_REGISTER)] == HUAWEI_REGISTER
    item.refresh_from_db()
    assert (item.olt, item.olt_port, item.ont_id) == (huawei, "0/1/0", 5)

    body = technician.post(_ont(item, "status")).json()
    assert (body["outcome"], body["reading"]) == ("ok", {
        "source": "cli", "online": True, "state": "online", "rx_power_dbm": "-21.50"})
    assert body["message"] == "online, receiving -21.50 dBm"

    assert technician.post(_ont(item, "reset")).json()["outcome"] == "ok"
    assert huawei_peer.resets == [("0/1/0", 5)]
    assert technician.post(_ont(item, "profile")).json()["outcome"] == "ok"
    body = technician.post(_ont(item, "remove")).json()
    assert (body["action"], body["outcome"]) == ("remove", "ok")
    item.refresh_from_db()
    assert item.olt is None and huawei_peer.onts == {}


def test_a_refusal_by_the_olt_is_recorded_as_failed(api_client, huawei, item, huawei_peer):
    huawei_peer.vlans.discard(100)

    response = api_client.post(_ont(item, "register"), {
        "olt": huawei.pk, "port": "0/1/0", "ont_id": 5}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["outcome"] == "failed"
    assert "Failure: The VLAN does not exist" in body["message"]
    assert "Taken back: “ont delete 0 5”." in body["message"]
    listed = api_client.get(f"{API}ont-actions/", {"item": item.pk}).json()["results"]
    assert [(a["action"], a["outcome"]) for a in listed] == [
        ("remove", "ok"), ("register", "failed")]


def test_a_silent_olt_is_recorded_as_a_timeout(api_client, staff, huawei, item, huawei_peer):
    ont.ont_register(actor=staff, item=item, olt=huawei, port="0/1/0", ont_id=5)
    huawei_peer.hang_on = r"^ont reset"

    body = api_client.post(_ont(item, "reset")).json()

    assert body["outcome"] == "timeout"
    assert body["message"].startswith("No answer to “ont reset 0 5” within 2 s.")
    assert body["commands"].splitlines()[-1] == "ont reset 0 5"


def test_refused_before_connecting_is_a_400(api_client, staff, in_tenant, huawei_peer, item):
    bare = an_olt(staff, huawei_peer, name="OLT bez profili")
    url = _ont(item, "register")
    response = api_client.post(url, {"olt": bare.pk, "port": "0/1/0", "ont_id": 5},
                               format="json")
    assert response.status_code == 400
    assert "has no default ONT profile" in response.json()["detail"]
    a_profile(staff, bare, line="LP-100M", service="SP-1ETH")
    for port in ("0/1/0;reboot", "0/1/0\nreboot", "0/1/0 "):
        response = api_client.post(url, {"olt": bare.pk, "port": port, "ont_id": 5},
                                   format="json")
        assert response.status_code == 400 and "is not an OLT port" in response.json()[
            "detail"], port
    response = api_client.post(_ont(item, "status"))
    assert response.status_code == 400 and "is not registered" in response.json()["detail"]
    assert huawei_peer.logins == []
    assert not OntAction.objects.exists()


def test_the_accountant_reads_but_sends_nothing(accountant, staff, huawei, item, huawei_peer):
    ont.ont_register(actor=staff, item=item, olt=huawei, port="0/1/0", ont_id=5)
    logins = list(huawei_peer.logins)
    for action in ("register", "profile", "reset", "status", "remove"):
        response = accountant.post(_ont(item, action), {"olt": huawei.pk, "port": "0/1/0",
                                                        "ont_id": 5}, format="json")
        assert response.status_code == 403, action
    assert accountant.post(f"{API}olts/", {"name": "X"}, format="json").status_code == 403
    assert accountant.patch(f"{API}olts/{huawei.pk}/", {"name": "X"},
                            format="json").status_code == 403
    assert accountant.post(f"{API}olts/{huawei.pk}/profiles/", {
        "line_profile": "X", "service_profile": "X", "vlan": 5},
        format="json").status_code == 403
    default = OntProfile.objects.get()
    assert accountant.delete(f"{API}olts/{huawei.pk}/profiles/{default.pk}/").status_code \
        == 403
    assert huawei_peer.logins == logins
    assert accountant.get(f"{API}olts/").status_code == 200
    assert accountant.get(f"{API}olts/{huawei.pk}/profiles/").status_code == 200
    assert accountant.get(f"{API}ont-actions/").json()["count"] == 1
    assert OntAction.objects.count() == 1


def test_the_technician_acts_but_does_not_change_olts(technician, huawei):
    assert technician.get(f"{API}olts/").status_code == 200
    assert technician.patch(f"{API}olts/{huawei.pk}/", {"name": "X"},
                            format="json").status_code == 403
    assert technician.post(f"{API}olts/{huawei.pk}/profiles/", {
        "line_profile": "X", "service_profile": "X", "vlan": 5},
        format="json").status_code == 403
    default = OntProfile.objects.get()
    assert technician.delete(f"{API}olts/{huawei.pk}/profiles/{default.pk}/").status_code \
        == 403
    assert OntProfile.objects.get().line_profile == "LP-100M"


def test_another_tenants_ont_is_a_404_and_their_olt_a_400(api_client, huawei, item, theirs,
                                                         huawei_peer):
    for action in ("register", "profile", "reset", "status", "remove"):
        response = api_client.post(_ont(theirs["item"], action), {
            "olt": huawei.pk, "port": "0/1/0", "ont_id": 5}, format="json")
        assert response.status_code == 404, action
    _refused(api_client.post(_ont(item, "register"), {
        "olt": theirs["olt"].pk, "port": "0/1/0", "ont_id": 5}, format="json"), "olt")
    assert huawei_peer.logins == []
    with tenant_context(theirs["olt"].tenant):
        action = OntAction.objects.get(item=theirs["item"])
        assert StockItem.objects.get(pk=theirs["item"].pk).ont_id == 9
    assert api_client.get(f"{API}ont-actions/{action.pk}/").status_code == 404
    assert api_client.get(f"{API}ont-actions/").json()["count"] == 0


def test_ont_actions_are_filtered_and_listed_in_few_queries(
        api_client, staff, huawei, item, customer, django_assert_num_queries):
    ont.ont_register(actor=staff, item=item, olt=huawei, port="0/1/0", ont_id=5)
    ont.ont_status(actor=staff, item=item)
    other = an_issued_ont(staff, customer, gpon_serial="HWTC00000002")
    ont.ont_register(actor=staff, item=other, olt=huawei, port="0/1/0", ont_id=6)
    ont.ont_reset(actor=staff, item=other)

    # token, membership, last use, role; the count, the page (item, OLT, author joined)
    with django_assert_num_queries(6):
        body = api_client.get(f"{API}ont-actions/").json()
    assert [(a["item_serial"], a["action"]) for a in body["results"]] == [
        (other.serial, "reset"), (other.serial, "register"), (item.serial, "status"),
        (item.serial, "register")]
    assert [a["action"] for a in api_client.get(f"{API}ont-actions/", {
        "item": item.pk}).json()["results"]] == ["status", "register"]
    assert [a["item"] for a in api_client.get(f"{API}ont-actions/", {
        "action": "reset", "olt": huawei.pk, "outcome": "ok"}).json()["results"]] == [other.pk]
    assert api_client.get(f"{API}ont-actions/", {"outcome": "timeout"}).json()["count"] == 0
    assert api_client.get(f"{API}ont-actions/", {"action": "dance"}).status_code == 400
