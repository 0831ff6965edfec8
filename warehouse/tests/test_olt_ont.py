"""The ONT services against the loopback OLT peers (SSH, each vendor's CLI): the exact
commands the OLT received, the recorded actions, failures taken back, timeouts, dropped
sessions, host keys, and what is refused before any connection."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from core.actionlog import render_text
from core.models import ActionLog
from core.tenancy import tenant_context
from warehouse import ont
from warehouse.models import Olt, OntAction, OntProfile, StockDocument, StockItem

from .conftest import PASSWORD, a_profile, an_issued_ont, an_olt
from .tcp_listeners import HTTP, SSH_NONSENSE, free_port, listening

pytestmark = pytest.mark.usefixtures("olt_settings")

# What netmiko types before our commands (its session preparation, then ``enable``), and
# after them (the log-out), per vendor.
PRELUDE = {
    "huawei": ["undo smart", "enable", "infoswitch cli OFF", "disable", "scroll", "enable"],
    "zte": ["terminal length 0"],
    "dasan": ["terminal length 0", "enable"],
}
LOGOUT = {"huawei": ["quit", "y"], "zte": ["exit"], "dasan": ["exit"]}
PORTS = {"huawei": "0/1/0", "zte": "1/2/1", "dasan": "0/0/1"}
PROFILES = {"huawei": ("LP-100M", "SP-1ETH"), "zte": ("UP-100M", "SRV-INET"),
            "dasan": ("FTTH-100M", "SRV")}
SERIALS = {"huawei": "HWTCC0FFEE01", "zte": "ZTEGC0FFEE01", "dasan": "DSNW1A2B3C4D"}
MODELS = {"huawei": "HG8245H", "zte": "ZTE-F660", "dasan": "H640GW"}


def sessions(peer) -> list[list[str]]:
    """The lines typed in each session, without netmiko's prelude and log-out."""
    prelude, logout = PRELUDE[peer.vendor], LOGOUT[peer.vendor]
    found: list[list[str]] = []
    for line in (line for line in peer.received if line):
        if line == prelude[0]:  # never one of our commands: a new session
            found.append([])
        if found:
            found[-1].append(line)
    result = []
    for session in found:
        assert session[:len(prelude)] == prelude, session
        session = session[len(prelude):]
        if session[-len(logout):] == logout:
            session = session[:-len(logout)]
        elif session and session[-1] == logout[0] and len(logout) > 1:
            session = session[:-1]  # the log-out's question not yet answered
        result.append(session)
    return result


@pytest.fixture
def peers(huawei_peer, zte_peer, dasan_peer):
    return {"huawei": huawei_peer, "zte": zte_peer, "dasan": dasan_peer}


def setup_ont(vendor, peers, staff, customer, **olt_extra):
    peer = peers[vendor]
    olt = an_olt(staff, peer, **olt_extra)
    line, service = PROFILES[vendor]
    a_profile(staff, olt, line=line, service=service, vlan=100)
    item = an_issued_ont(staff, customer, gpon_serial=SERIALS[vendor], model=MODELS[vendor])
    return peer, olt, item


def register(staff, item, olt, vendor, ont_id=5):
    return ont.ont_register(actor=staff, item=item, olt=olt, port=PORTS[vendor], ont_id=ont_id)


# --------------------------------------------------------------------------- happy paths

EXPECTED_REGISTER = {
    "huawei": [
        "config", "interface gpon 0/1",
        "ont add 0 5 sn-auth 48575443C0FFEE01 omci ont-lineprofile-name LP-100M "
        "ont-srvprofile-name SP-1ETH",
        "quit",
        "service-port vlan 100 gpon 0/1/0 ont 5 gemport 1 multi-service user-vlan 100 "
        "tag-transform translate",
        "return"],
    "zte": [
        "configure terminal", "interface gpon-olt_1/2/1", "onu 5 type ZTE-F660 sn ZTEGC0FFEE01",
        "exit", "interface gpon-onu_1/2/1:5", "tcont 1 profile UP-100M", "gemport 1 tcont 1",
        "service-port 1 vport 1 user-vlan 100 vlan 100", "exit",
        "pon-onu-mng gpon-onu_1/2/1:5", "service SRV-INET gemport 1 vlan 100",
        "vlan port eth_0/1 mode tag vlan 100", "exit", "end"],
    "dasan": [
        "configure terminal", "gpon", "gpon-olt 1", "onu add 5 DSNW1A2B3C4D",
        "onu-profile 5 FTTH-100M", "end"],
}


@pytest.mark.parametrize("vendor", ["huawei", "zte", "dasan"])
def test_register_sends_the_vendors_commands_and_records_them(vendor, peers, staff, customer):
    peer, olt, item = setup_ont(vendor, peers, staff, customer)

    record = register(staff, item, olt, vendor)

    assert sessions(peer) == [EXPECTED_REGISTER[vendor]]
    assert record.outcome == OntAction.Outcome.OK
    assert record.action == OntAction.Action.REGISTER
    assert record.commands.splitlines() == EXPECTED_REGISTER[vendor]
    assert record.created_by == staff
    assert "VLAN 100" in record.message
    item.refresh_from_db()
    assert (item.olt, item.olt_port, item.ont_id) == (olt, PORTS[vendor], 5)
    assert peer.onts[(PORTS[vendor], 5)]["sn"] == SERIALS[vendor]
    # The OLT's host key, first seen now, is kept.
    olt.refresh_from_db()
    assert olt.host_key.endswith(peer.host_key_line)
    entry = ActionLog.objects.get(kind="ont.register")
    assert entry.customer == customer
    assert render_text(entry.message, entry.params).startswith(
        f"ONT {item.serial} on the OLT {olt.name}: register — done")


def test_the_answer_keeps_what_the_olt_said(peers, staff, customer):
    peer, olt, item = setup_ont("huawei", peers, staff, customer)
    record = register(staff, item, olt, "huawei")
    assert "> ont add 0 5 sn-auth 48575443C0FFEE01" in record.answer
    assert "Number of ONTs that can be added: 1, success: 1" in record.answer


def test_huawei_session_preparation_is_netmikos(peers, staff, customer):
    peer, olt, item = setup_ont("huawei", peers, staff, customer)
    register(staff, item, olt, "huawei")
    typed = [line for line in peer.received if line]
    assert typed[:len(PRELUDE["huawei"])] == PRELUDE["huawei"]
    assert typed[len(PRELUDE["huawei"])] == "config"


EXPECTED_PROFILE = {
    "huawei": [
        "config", "interface gpon 0/1",
        "ont modify 0 5 ont-lineprofile-name LP-300M ont-srvprofile-name SP-4ETH", "quit",
        "undo service-port port 0/1/0 ont 5", "y",
        "service-port vlan 200 gpon 0/1/0 ont 5 gemport 1 multi-service user-vlan 200 "
        "tag-transform translate", "return"],
    "zte": [
        "configure terminal", "interface gpon-onu_1/2/1:5", "tcont 1 profile UP-300M",
        "gemport 1 tcont 1", "service-port 1 vport 1 user-vlan 200 vlan 200", "exit",
        "pon-onu-mng gpon-onu_1/2/1:5", "service SRV-IPTV gemport 1 vlan 200",
        "vlan port eth_0/1 mode tag vlan 200", "exit", "end"],
    "dasan": ["configure terminal", "gpon", "gpon-olt 1", "onu-profile 5 FTTH-300M", "end"],
}
NEW_PROFILES = {"huawei": ("LP-300M", "SP-4ETH"), "zte": ("UP-300M", "SRV-IPTV"),
                "dasan": ("FTTH-300M", "SRV")}


@pytest.mark.parametrize("vendor", ["huawei", "zte", "dasan"])
def test_profile_of_the_customers_tariff(vendor, peers, staff, customer):
    from finance.billing import subscription_add, tariff_create

    peer, olt, item = setup_ont(vendor, peers, staff, customer)
    register(staff, item, olt, vendor)
    tariff = tariff_create(actor=staff, name="Światłowód 300", net_price="80.00", vat_rate="23")
    subscription_add(actor=staff, customer=customer, tariff=tariff,
                     start_date=datetime.date(2020, 1, 1))
    # the ONT's own lease, started later by its WZ: the device's rent, not the service
    lease = subscription_add(actor=staff, customer=customer, start_date=datetime.date(2021, 1, 1),
                             tariff=tariff_create(actor=staff, name="Dzierżawa ONT",
                                                  net_price="5.00", vat_rate="23"))
    wz = item.issue_document
    StockDocument.objects.filter(pk=wz.pk).update(settlement="lease", subscription=lease)
    line, service = NEW_PROFILES[vendor]
    a_profile(staff, olt, line=line, service=service, vlan=200, tariff=tariff)
    peer.received.clear()

    record = ont.ont_profile_apply(actor=staff, item=item)

    assert record.outcome == OntAction.Outcome.OK, record.message
    assert sessions(peer) == [EXPECTED_PROFILE[vendor]]
    assert record.action == OntAction.Action.PROFILE
    assert "VLAN 200" in record.message


EXPECTED_RESET = {
    "huawei": ["config", "interface gpon 0/1", "ont reset 0 5", "y", "return"],
    "zte": ["configure terminal", "pon-onu-mng gpon-onu_1/2/1:5", "reboot", "exit", "end"],
    "dasan": ["configure terminal", "gpon", "gpon-olt 1", "onu reset 5", "end"],
}


@pytest.mark.parametrize("vendor", ["huawei", "zte", "dasan"])
def test_reset(vendor, peers, staff, customer):
    peer, olt, item = setup_ont(vendor, peers, staff, customer)
    register(staff, item, olt, vendor)
    peer.received.clear()

    record = ont.ont_reset(actor=staff, item=item)

    assert record.outcome == OntAction.Outcome.OK, record.message
    assert sessions(peer) == [EXPECTED_RESET[vendor]]
    assert peer.resets == [(PORTS[vendor], 5)]
    assert ActionLog.objects.filter(kind="ont.reset", customer=customer).count() == 1


EXPECTED_STATUS = {
    "huawei": ["config", "interface gpon 0/1", "display ont info 0 5",
               "display ont optical-info 0 5", "return"],
    "zte": ["show gpon onu detail-info gpon-onu_1/2/1:5",
            "show pon power attenuation gpon-onu_1/2/1:5"],
    "dasan": ["show onu info 1 5", "show onu ddm 1 5"],
}
POWER = {"huawei": "-21.50", "zte": "-20.334", "dasan": "-19.87"}


@pytest.mark.parametrize("vendor", ["huawei", "zte", "dasan"])
def test_status_over_the_cli_without_a_community(vendor, peers, staff, customer):
    peer, olt, item = setup_ont(vendor, peers, staff, customer)
    register(staff, item, olt, vendor)
    peer.received.clear()

    record = ont.ont_status(actor=staff, item=item)

    assert record.outcome == OntAction.Outcome.OK, record.message
    assert sessions(peer) == [EXPECTED_STATUS[vendor]]
    assert record.reading["online"] is True
    assert record.reading["source"] == "cli"
    assert record.reading["rx_power_dbm"] == POWER[vendor]
    assert f"receiving {POWER[vendor]} dBm" in record.message


@pytest.mark.parametrize("vendor", ["huawei", "zte", "dasan"])
def test_status_of_an_offline_ont_has_no_power(vendor, peers, staff, customer):
    peer, olt, item = setup_ont(vendor, peers, staff, customer)
    register(staff, item, olt, vendor)
    peer.onts[(PORTS[vendor], 5)]["online"] = False

    record = ont.ont_status(actor=staff, item=item)

    assert record.outcome == OntAction.Outcome.OK, record.message
    assert record.reading["online"] is False
    assert record.reading["rx_power_dbm"] is None
    assert "optical power not available" in record.message


EXPECTED_REMOVE = {
    "huawei": ["config", "undo service-port port 0/1/0 ont 5", "y", "interface gpon 0/1",
               "ont delete 0 5", "return"],
    "zte": ["configure terminal", "interface gpon-olt_1/2/1", "no onu 5", "exit", "end"],
    "dasan": ["configure terminal", "gpon", "gpon-olt 1", "no onu add 5", "end"],
}


@pytest.mark.parametrize("vendor", ["huawei", "zte", "dasan"])
def test_remove_clears_the_place(vendor, peers, staff, customer):
    peer, olt, item = setup_ont(vendor, peers, staff, customer)
    register(staff, item, olt, vendor)
    peer.received.clear()

    record = ont.ont_remove(actor=staff, item=item)

    assert record.outcome == OntAction.Outcome.OK, record.message
    assert sessions(peer) == [EXPECTED_REMOVE[vendor]]
    assert peer.onts == {}
    item.refresh_from_db()
    assert (item.olt, item.olt_port, item.ont_id) == (None, "", None)


# --------------------------------------------------------------------------- refusals

def test_refused_at_the_second_command_is_taken_back_and_recorded(peers, staff, customer):
    peer, olt, item = setup_ont("huawei", peers, staff, customer)
    peer.vlans.discard(100)  # the service port's VLAN is not on the OLT

    record = register(staff, item, olt, "huawei")

    assert record.outcome == OntAction.Outcome.FAILED
    assert "Failure: The VLAN does not exist" in record.message
    assert "Applied before it: “ont add 0 5 sn-auth 48575443C0FFEE01" in record.message
    assert "Taken back: “ont delete 0 5”." in record.message
    first, undo = sessions(peer)
    # stopped at the refused service port; netmiko's log-out leaves config mode first
    assert first == [*EXPECTED_REGISTER["huawei"][:-1], "return"]
    # Only what the OLT accepted is taken back: the ONT (the service port never was).
    assert undo == ["config", "interface gpon 0/1", "ont delete 0 5", "quit", "return"]
    assert peer.onts == {}
    taken_back = OntAction.objects.get(item=item, action=OntAction.Action.REMOVE)
    assert taken_back.outcome == OntAction.Outcome.OK
    assert "ont delete 0 5" in taken_back.commands
    item.refresh_from_db()
    assert item.olt is None  # the place is free again: nothing is left on the OLT
    assert ActionLog.objects.filter(kind="ont.register", customer=customer).count() == 1
    assert ActionLog.objects.filter(kind="ont.remove", customer=customer).count() == 1


def test_a_serial_the_olt_already_has_is_refused_with_nothing_to_take_back(
        peers, staff, customer):
    peer, olt, item = setup_ont("huawei", peers, staff, customer)
    peer.onts[("0/1/0", 9)] = {"sn": "HWTCC0FFEE01", "online": True, "rx": "-20.00"}

    record = register(staff, item, olt, "huawei")

    assert record.outcome == OntAction.Outcome.FAILED
    assert "Failure: SN already exists" in record.message
    assert "Nothing was applied before it." in record.message
    assert "Nothing to take back." in record.message
    assert len(sessions(peer)) == 1
    assert not OntAction.objects.filter(action=OntAction.Action.REMOVE).exists()
    item.refresh_from_db()
    assert item.olt is None


def test_zte_unknown_profile_takes_the_onu_back(peers, staff, customer):
    peer, olt, item = setup_ont("zte", peers, staff, customer)
    peer.profiles.discard("UP-100M")

    record = register(staff, item, olt, "zte")

    assert record.outcome == OntAction.Outcome.FAILED
    assert "%Code 32312-GPONSRV : The T-CONT profile does not exist." in record.message
    assert sessions(peer)[1] == ["configure terminal", "interface gpon-olt_1/2/1", "no onu 5",
                                 "exit", "end"]
    assert peer.onts == {}


def test_dasan_unknown_profile_takes_the_onu_back(peers, staff, customer):
    peer, olt, item = setup_ont("dasan", peers, staff, customer)
    peer.profiles.discard("FTTH-100M")

    record = register(staff, item, olt, "dasan")

    assert record.outcome == OntAction.Outcome.FAILED
    assert "% ONU profile FTTH-100M does not exist." in record.message
    assert sessions(peer)[1] == ["configure terminal", "gpon", "gpon-olt 1", "no onu add 5",
                                 "exit", "exit", "end"]
    assert peer.onts == {}


def test_a_failed_take_back_keeps_the_place_and_says_so(peers, staff, customer):
    peer, olt, item = setup_ont("huawei", peers, staff, customer)
    peer.vlans.discard(100)
    peer.drop_on = r"^ont delete"  # the take-back session breaks too

    record = register(staff, item, olt, "huawei")

    assert record.outcome == OntAction.Outcome.FAILED
    assert "Taking it back failed too" in record.message
    assert OntAction.objects.get(action=OntAction.Action.REMOVE).outcome == "error"
    item.refresh_from_db()
    assert (item.olt, item.ont_id) == (olt, 5)  # still there: staff must check it


def test_a_hanging_olt_is_a_timeout_and_what_may_have_arrived_is_taken_back(
        peers, staff, customer):
    peer, olt, item = setup_ont("huawei", peers, staff, customer)
    peer.hang_on = r"^service-port"

    record = register(staff, item, olt, "huawei")

    assert record.outcome == OntAction.Outcome.TIMEOUT
    assert "No answer to “service-port vlan 100" in record.message
    assert record.commands.splitlines()[-1].startswith("service-port vlan 100")
    peer.hang_on = None
    undo = OntAction.objects.get(action=OntAction.Action.REMOVE)
    assert undo.outcome == OntAction.Outcome.OK
    assert peer.onts == {}


def test_a_dropped_session_is_an_error(peers, staff, customer):
    peer, olt, item = setup_ont("zte", peers, staff, customer)
    register(staff, item, olt, "zte")
    peer.drop_on = r"^reboot"

    record = ont.ont_reset(actor=staff, item=item)

    assert record.outcome == OntAction.Outcome.ERROR
    assert "closed the connection" in record.message
    assert record.commands.splitlines()[-1] == "reboot"


def test_a_changed_host_key_is_refused_before_the_password(peers, staff, customer):
    import asyncssh

    peer, olt, item = setup_ont("huawei", peers, staff, customer)
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode()
    Olt.objects.filter(pk=olt.pk).update(host_key=" ".join(other.split()[:2]))

    record = register(staff, item, olt, "huawei")

    assert record.outcome == OntAction.Outcome.ERROR
    assert "host key" in record.message
    assert peer.logins == []
    assert peer.received == []
    olt.refresh_from_db()
    assert olt.host_key == " ".join(other.split()[:2])  # never replaced silently
    item.refresh_from_db()
    assert item.olt is None


def test_the_kept_host_key_is_used_again(peers, staff, customer):
    peer, olt, item = setup_ont("dasan", peers, staff, customer)
    register(staff, item, olt, "dasan")
    olt.refresh_from_db()
    kept = olt.host_key

    assert ont.ont_reset(actor=staff, item=item).outcome == "ok"
    olt.refresh_from_db()
    assert olt.host_key == kept
    assert peer.logins == ["abonent", "abonent"]


def test_wrong_password_is_an_error(peers, staff, customer):
    peer, olt, item = setup_ont("zte", peers, staff, customer)
    peer.password = "changed"
    try:
        record = register(staff, item, olt, "zte")
    finally:
        peer.password = PASSWORD
    assert record.outcome == OntAction.Outcome.ERROR
    assert "user name or password" in record.message


def test_enable_password_is_typed_at_its_prompt(peers, staff, customer):
    peer = peers["dasan"]
    peer.enable_password = "en-secret"
    try:
        _peer, olt, item = setup_ont("dasan", peers, staff, customer,
                                     enable_password="en-secret")
        record = register(staff, item, olt, "dasan")
    finally:
        peer.enable_password = ""
    assert record.outcome == "ok", record.message
    typed = [line for line in peer.received if line]
    assert typed[:3] == ["terminal length 0", "enable", "en-secret"]
    # typed, never kept: not in what the action records, nor in the action log
    from core.models import ActionLog

    assert "en-secret" not in record.commands + record.answer + record.message
    assert not any("en-secret" in str(e.params) + str(e.changes) + e.text
                   for e in ActionLog.objects.all())


def test_a_wrong_enable_password_is_an_error(peers, staff, customer):
    peer = peers["dasan"]
    peer.enable_password = "en-secret"
    try:
        _peer, olt, item = setup_ont("dasan", peers, staff, customer, enable_password="wrong")
        record = register(staff, item, olt, "dasan")
    finally:
        peer.enable_password = ""
    assert record.outcome == OntAction.Outcome.ERROR
    assert "enable mode" in record.message
    assert "onu add 5 DSNW1A2B3C4D" not in peer.received
    item.refresh_from_db()
    assert item.olt is None


NO_SSH = ("No SSH service answered at {host} port {port} (check the address, the port and "
          "the firewall).")


def test_whatever_kept_an_ssh_server_from_answering_is_recorded_alike(peers, staff, customer,
                                                                      settings):
    """A refused port, a silent one, a web server, nonsense after an SSH banner: one text
    and one outcome in the history, which operators read and which must not tell a
    tenant's staff what listens where."""
    settings.WAREHOUSE_OLT_CONNECT_TIMEOUT = 1  # how long the silent port is waited for
    _peer, olt, item = setup_ont("huawei", peers, staff, customer)
    port = free_port()
    ont.olt_update(actor=staff, olt=olt, ssh_port=port, password=PASSWORD)

    records = [register(staff, item, olt, "huawei")]
    for says in (b"", HTTP, SSH_NONSENSE):
        with listening(port, says=says):
            records.append(register(staff, item, olt, "huawei"))

    expected = NO_SSH.format(host="127.0.0.1", port=port) + " Nothing to take back."
    assert [(r.outcome, r.message, r.commands, r.answer) for r in records] == [
        (OntAction.Outcome.ERROR, expected, "", "")] * 4
    logged = [e.params for e in ActionLog.objects.filter(kind="ont.register")]
    assert len({str(p) for p in logged}) == 1 and expected in str(logged[0])
    item.refresh_from_db()
    assert item.olt is None  # the place given back each time


def test_a_name_that_no_longer_resolves_is_told_as_no_answer(peers, staff, customer):
    """SNMP and SSH alike: which names the platform's resolver knows is not told."""
    peer, olt, item = setup_ont("huawei", peers, staff, customer, community="abonent-ro")
    register(staff, item, olt, "huawei")
    # it resolved when saved (the service checks that) and does not now
    Olt.objects.filter(pk=olt.pk).update(host="olt.invalid")

    record = ont.ont_status(actor=staff, item=item)

    assert record.outcome == OntAction.Outcome.ERROR
    assert record.message == ("The OLT did not answer SNMP within 1 s. "
                              + NO_SSH.format(host="olt.invalid", port=peer.port))


def test_an_olt_address_is_resolved_and_checked_when_connecting(in_tenant, staff, settings):
    """None for a name that does not resolve (told as an OLT that does not answer); a
    refusal naming the OLT, not the address, for a name that now resolves to one the
    platform may not reach."""
    settings.PEER_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    olt = ont.olt_create(actor=staff, name="OLT lo", vendor="huawei", host="localhost",
                         username="admin", password="x")
    assert ont.olt_address(olt) in ("127.0.0.1", "::1")
    settings.PEER_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationError) as refused:
        ont.olt_address(olt)
    assert "the OLT" in refused.value.messages[0]
    assert "127.0.0.1" not in refused.value.messages[0]
    olt.host = "olt.invalid"
    assert ont.olt_address(olt) is None


# --------------------------------------------------------------------------- before connecting

def test_a_model_that_would_inject_is_refused_before_connecting(peers, staff, customer):
    peer, olt, item = setup_ont("zte", peers, staff, customer)
    item.product.model = "ZTE-F660\nno onu 1"
    item.product.save()
    with pytest.raises(ValidationError):
        register(staff, item, olt, "zte")
    assert peer.logins == []
    item.refresh_from_db()
    assert item.olt is None


@pytest.mark.parametrize("port", ["0/1/0\nreboot", "0/1/0;reboot", "0/1/0 ", "0/1"])
def test_a_port_that_would_inject_is_refused_before_connecting(peers, staff, customer, port):
    peer, olt, item = setup_ont("huawei", peers, staff, customer)
    with pytest.raises(ValidationError):
        ont.ont_register(actor=staff, item=item, olt=olt, port=port, ont_id=5)
    assert peer.logins == []


def test_a_profile_name_that_would_inject_is_refused(peers, staff, customer):
    peer, olt, _item = setup_ont("huawei", peers, staff, customer)
    for bad in ("LP\nreboot", "LP;reboot", "LP 1"):
        with pytest.raises(ValidationError):
            a_profile(staff, olt, line=bad, service="SP-1ETH")
    assert peer.logins == []


def test_a_place_taken_by_another_ont_is_refused_before_connecting(peers, staff, customer):
    peer, olt, first = setup_ont("huawei", peers, staff, customer)
    register(staff, first, olt, "huawei")
    second = an_issued_ont(staff, customer, gpon_serial="HWTC00000002")
    logins = list(peer.logins)

    with pytest.raises(ValidationError, match=r"ONT 5 on port 0/1/0 of the OLT .* is taken"):
        register(staff, second, olt, "huawei")
    assert peer.logins == logins


def test_an_ont_registered_elsewhere_must_be_removed_first(peers, staff, customer):
    peer, olt, item = setup_ont("huawei", peers, staff, customer)
    register(staff, item, olt, "huawei")
    with pytest.raises(ValidationError, match="remove it there first"):
        register(staff, item, olt, "huawei", ont_id=6)


def test_only_an_issued_ont_with_a_gpon_serial_is_registered(peers, staff, customer):
    from .factories import StbFactory, WarehouseFactory, receive

    peer, olt, item = setup_ont("huawei", peers, staff, customer)
    store = WarehouseFactory()
    stb = StbFactory()
    receive(staff, warehouse=store, product=stb, serials=["STB0001"])
    with pytest.raises(ValidationError, match="not an ONT"):
        register(staff, StockItem.objects.get(serial="STB0001"), olt, "huawei")
    StockItem.objects.filter(pk=item.pk).update(gpon_serial="")
    with pytest.raises(ValidationError, match="no GPON serial"):
        register(staff, item, olt, "huawei")
    assert peer.logins == []


def test_an_ont_in_stock_is_not_registered(peers, staff, customer):
    from .factories import ProductFactory, WarehouseFactory, receive

    peer, olt, _item = setup_ont("huawei", peers, staff, customer)
    receive(staff, warehouse=WarehouseFactory(), product=ProductFactory(),
            serials=[{"serial": "ONTSTOCK1", "gpon_serial": "HWTC0000ABCD"}])
    with pytest.raises(ValidationError, match="not at a customer"):
        register(staff, StockItem.objects.get(serial="ONTSTOCK1"), olt, "huawei")


def test_without_a_profile_for_the_tariff_or_a_default_the_refusal_is_clear(
        peers, staff, customer):
    peer = peers["huawei"]
    olt = an_olt(staff, peer)
    item = an_issued_ont(staff, customer)
    with pytest.raises(ValidationError, match="no default ONT profile"):
        register(staff, item, olt, "huawei")
    assert peer.logins == []


def test_an_inactive_olt_is_not_used(peers, staff, customer):
    peer, olt, item = setup_ont("huawei", peers, staff, customer)
    ont.olt_update(actor=staff, olt=olt, active=False)
    with pytest.raises(ValidationError, match="not active"):
        register(staff, item, olt, "huawei")


def test_another_tenants_olt_and_item_are_not_found(peers, staff, customer, other_tenant,
                                                    other_staff):
    peer, olt, item = setup_ont("huawei", peers, staff, customer)
    with tenant_context(other_tenant):
        from customers.services import customer_create

        other_customer = customer_create(actor=other_staff, first_name="Ewa",
                                         last_name="Nowak", status="connected")
        other_olt = an_olt(other_staff, peer, name="OLT Beta")
        other_item = an_issued_ont(other_staff, other_customer, gpon_serial="HWTC0000BEEF")
    with pytest.raises(Olt.DoesNotExist):
        ont.olt_get(pk=other_olt.pk)
    with pytest.raises(Olt.DoesNotExist):
        register(staff, item, other_olt, "huawei")
    with pytest.raises(StockItem.DoesNotExist):
        register(staff, other_item, olt, "huawei")
    with pytest.raises(StockItem.DoesNotExist):
        ont.ont_status(actor=staff, item=other_item)
    assert peer.logins == []


# --------------------------------------------------------------------------- OLTs

def test_loopback_is_refused_unless_allowed(in_tenant, staff, settings):
    settings.PEER_ALLOWED_NETWORKS = []
    for host in ("127.0.0.1", "localhost", "169.254.169.254", "::1", "0.0.0.0"):
        with pytest.raises(ValidationError) as refused:
            ont.olt_create(actor=staff, name=f"OLT {host}", vendor="huawei", host=host,
                           username="admin", password="x")
        assert "host" in refused.value.message_dict
    settings.PEER_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert ont.olt_create(actor=staff, name="OLT lo", vendor="huawei", host="127.0.0.1",
                          username="admin", password="x").host == "127.0.0.1"


@pytest.mark.parametrize("host", ["127.1", "2130706433", "10.0.0.999", "olt_1.example",
                                  "-olt.example", "olt..example"])
def test_an_address_in_disguise_or_a_bad_name_is_refused(in_tenant, staff, host):
    """``127.1`` and ``2130706433`` are 127.0.0.1 to a resolver: no host's names (the
    platform's one host-name rule, ``core.netguard.hostname_valid``)."""
    with pytest.raises(ValidationError) as refused:
        ont.olt_create(actor=staff, name="OLT X", vendor="huawei", host=host,
                       username="admin", password="x")
    assert refused.value.message_dict["host"] == [
        f"“{host}” is neither an IP address nor a host name."]


def test_private_addresses_are_allowed_and_secrets_kept_encrypted(in_tenant, staff):
    olt = ont.olt_create(actor=staff, name="OLT Centrala", vendor="zte", host="10.20.0.2",
                         username="abonent", password="p@ss w0rd", enable_password="zxr10",
                         snmp_community="c0mmunity")
    with connection.cursor() as cursor:
        cursor.execute("SELECT password, enable_password, snmp_community FROM "
                       "warehouse_olt WHERE id = %s", [olt.pk])
        stored = cursor.fetchone()
    assert "p@ss" not in stored[0] and "zxr10" not in stored[1]
    olt = Olt.objects.get(pk=olt.pk)
    assert (olt.password, olt.enable_password, olt.snmp_community) == (
        "p@ss w0rd", "zxr10", "c0mmunity")
    entry = ActionLog.objects.get(kind="olt.add")
    assert "p@ss" not in str(entry.changes) and "c0mmunity" not in str(entry.changes)


@pytest.mark.parametrize("field,value", [
    ("enable_password", "en\nreboot"), ("username", "ad min"), ("vendor", "nokia"),
    ("ssh_port", 0), ("ssh_port", "70000"), ("host", "olt;rm"), ("host", "")])
def test_olt_values_are_checked(in_tenant, staff, field, value):
    values = {"name": "OLT", "vendor": "huawei", "host": "10.0.0.2", "username": "admin",
              "password": "x", field: value}
    with pytest.raises(ValidationError) as refused:
        ont.olt_create(actor=staff, **values)
    assert field in refused.value.message_dict


def test_a_new_address_forgets_the_host_key_and_needs_the_password(in_tenant, staff):
    olt = ont.olt_create(actor=staff, name="OLT", vendor="huawei", host="10.0.0.2",
                         username="admin", password="x")
    Olt.objects.filter(pk=olt.pk).update(host_key="10.0.0.2 ssh-ed25519 AAAA")
    with pytest.raises(ValidationError) as refused:
        ont.olt_update(actor=staff, olt=olt, host="10.0.0.3")
    assert "password" in refused.value.message_dict
    olt = ont.olt_update(actor=staff, olt=olt, host="10.0.0.3", password="y")
    assert olt.host_key == ""
    entry = ActionLog.objects.filter(kind="olt.change").latest("id")
    assert entry.changes["password"] == ["•••", "•••"]


def test_a_profile_is_deleted_only_in_its_own_tenant(in_tenant, staff, other_tenant,
                                                    other_staff, peers):
    with tenant_context(other_tenant):
        theirs = a_profile(other_staff, an_olt(other_staff, peers["huawei"]), line="LP-B",
                           service="SP-B")
    olt = an_olt(staff, peers["huawei"])
    ours = a_profile(staff, olt, line="LP-A", service="SP-A")

    with pytest.raises(OntProfile.DoesNotExist):
        ont.ont_profile_delete(actor=staff, profile=theirs)
    ont.ont_profile_delete(actor=staff, profile=ours)

    assert not OntProfile.objects.exists()
    with tenant_context(other_tenant):
        assert OntProfile.objects.get().line_profile == "LP-B"
    with pytest.raises(ValidationError, match="has no default ONT profile"):
        ont.ont_profile_for(olt=olt, customer=None)


# --------------------------------------------------------------------------- at once

@pytest.mark.django_db(transaction=True)
def test_the_same_place_asked_twice_at_once_is_registered_once(
        olt_peers, tenant, staff, olt_settings):
    from customers.services import customer_create

    peer = olt_peers["huawei"]
    peer.reset()
    with tenant_context(tenant):
        customer = customer_create(actor=staff, first_name="Jan", last_name="Kowalski",
                                   status="connected")
        olt = an_olt(staff, peer)
        a_profile(staff, olt, line="LP-100M", service="SP-1ETH")
        items = [an_issued_ont(staff, customer, gpon_serial=f"HWTC0000000{n}")
                 for n in (1, 2)]
    outcomes, barrier = [], threading.Barrier(2)

    def attempt(item):
        # a thread's language is its own: the English the tests read, as the fixture's
        with tenant_context(tenant), translation.override("en"):
            barrier.wait()
            try:
                outcomes.append(register(staff, item, olt, "huawei").outcome)
            except ValidationError as exc:
                outcomes.append(exc.messages[0])
            finally:
                connection.close()

    threads = [threading.Thread(target=attempt, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(outcomes, key=len)[0] == "ok"
    assert "is taken" in sorted(outcomes, key=len)[1]
    with tenant_context(tenant):
        assert StockItem.objects.filter(olt=olt, ont_id=5).count() == 1
    assert len(peer.onts) == 1
    peer.reset()




def test_no_prompt_after_the_login_is_told_as_such(peers, staff, customer):
    """Once an SSH server let us in, what fails is said as it is — not as no SSH service."""
    peer, olt, item = setup_ont("huawei", peers, staff, customer)
    # the first line of netmiko's session preparation: no prompt comes back (a hang_on
    # would do too, in netmiko's own 50 s)
    peer.drop_on = r"^undo smart"

    record = register(staff, item, olt, "huawei")

    assert (record.outcome, record.message) == (
        OntAction.Outcome.ERROR, "Logged in, but the OLT's prompt was not recognised (is the "
        "vendor right?). Nothing to take back.")
    assert peer.logins == ["abonent"]
