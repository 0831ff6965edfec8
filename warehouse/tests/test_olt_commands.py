"""What each vendor's builders send and how its answers read, without a network: the
values that would cross into a CLI are refused before any step exists."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from warehouse.olt import VENDORS, Profile, Step
from warehouse.olt.huawei import if_index, serial_hex
from warehouse.olt.zte import onu_index
from warehouse.tests.snmp_pass import answer

HUAWEI, ZTE, DASAN = VENDORS["huawei"], VENDORS["zte"], VENDORS["dasan"]


def commands(steps):
    return [s.command for s in steps]


@pytest.mark.parametrize("command", [
    "ont add 0 5\nont delete 0 4", "ont reset 0 5; reboot", "display ont info 0 5\r",
    "ont add 0 5 \x1b[A", "onu add 1 ZTEGC0FFEE01\u2028", "", "x" * 251])
def test_a_step_is_one_printable_line_without_semicolons(command):
    with pytest.raises(ValidationError):
        Step(command)


@pytest.mark.parametrize("line,service,vlan", [
    ("LP-100M\nreboot", "SP", 100), ("LP", "SP;reboot", 100), ("LP", "SP 1", 100),
    ("", "SP", 100), ("LP", "S" * 65, 100), ("LP", "SP", 0), ("LP", "SP", 4095),
    ("LP", "SP", "100"), ("LP", "SP", True), ("LP", "ŚP", 100)])
def test_profile_values_that_would_inject_are_refused(line, service, vlan):
    with pytest.raises(ValidationError):
        Profile(line, service, vlan)


@pytest.mark.parametrize("port,ont_id", [
    ("0/1/0\n", 5), ("0/1/0;", 5), (" 0/1/0", 5), ("0/1", 5), ("0/1/0/1", 5), ("a/1/0", 5),
    ("0/1/0", 128), ("0/1/0", -1), ("0/1/0", "5"), ("0/1/0", True), ("０/1/0", 5)])
def test_ports_and_ont_ids_outside_the_vendors_range_are_refused(port, ont_id):
    with pytest.raises(ValidationError):
        HUAWEI.place(port, ont_id)


def test_zte_counts_from_one_and_dasan_takes_gpon_olt_n():
    assert ZTE.place("1/2/1", 128).ont_id == 128
    for port, ont_id in (("0/2/1", 5), ("1/2/1", 0), ("1/2/1", 129)):
        with pytest.raises(ValidationError):
            ZTE.place(port, ont_id)
    assert DASAN.place("0/0/3", 1).port == 3
    with pytest.raises(ValidationError):
        DASAN.place("0/1/3", 1)


def test_huawei_register_commands():
    place = HUAWEI.place("0/1/0", 5)
    steps = HUAWEI.register(place, "HWTCC0FFEE01", Profile("LP-100M", "SP-1ETH", 100))
    assert commands(steps) == [
        "config",
        "interface gpon 0/1",
        "ont add 0 5 sn-auth 48575443C0FFEE01 omci ont-lineprofile-name LP-100M "
        "ont-srvprofile-name SP-1ETH",
        "quit",
        "service-port vlan 100 gpon 0/1/0 ont 5 gemport 1 multi-service user-vlan 100 "
        "tag-transform translate",
        "return"]
    # The undo of both changes: the service ports first, then the ONT.
    assert commands(HUAWEI.undo([s for s in steps if s.changes])) == [
        "config", "undo service-port port 0/1/0 ont 5", "interface gpon 0/1",
        "ont delete 0 5", "quit", "return"]


def test_zte_register_needs_the_onu_type_and_checks_it():
    place = ZTE.place("1/2/1", 5)
    profile = Profile("UP-100M", "SRV-INET", 200)
    with pytest.raises(ValidationError, match="type"):
        ZTE.register(place, "ZTEGC0FFEE01", profile, onu_type="")
    with pytest.raises(ValidationError):
        ZTE.register(place, "ZTEGC0FFEE01", profile, onu_type="ZTE-F660\nreboot")
    steps = ZTE.register(place, "ZTEGC0FFEE01", profile, onu_type="ZTE-F660")
    assert commands(steps)[:4] == ["configure terminal", "interface gpon-olt_1/2/1",
                                   "onu 5 type ZTE-F660 sn ZTEGC0FFEE01", "exit"]
    assert "service-port 1 vport 1 user-vlan 200 vlan 200" in commands(steps)
    assert "service SRV-INET gemport 1 vlan 200" in commands(steps)


def test_serial_in_huawei_hex_form_keeps_the_vendor_letters_as_ascii():
    assert serial_hex("HWTCC0FFEE01") == "48575443C0FFEE01"
    assert serial_hex("ZTEG00000000") == "5A54454700000000"


def test_snmp_indexes_of_the_gpon_ports():
    assert if_index(HUAWEI.place("0/0/0", 0)) == 4194304000
    assert if_index(HUAWEI.place("0/1/0", 0)) == 4194312192
    assert if_index(HUAWEI.place("0/0/1", 0)) == 4194304256
    assert if_index(HUAWEI.place("1/0/0", 0)) is None  # frame 1: read over the CLI
    assert HUAWEI.snmp_oids(HUAWEI.place("1/0/0", 0)) is None
    assert onu_index(ZTE.place("1/2/1", 1)) == 268566784
    assert onu_index(ZTE.place("1/1/1", 1)) == 268501248
    assert ZTE.snmp_oids(ZTE.place("1/2/1", 7))["rx"].endswith(".268566784.7.1")
    assert DASAN.snmp_oids(DASAN.place("0/0/1", 1)) is None


@pytest.mark.parametrize("raw,dbm", [(-2150, Decimal("-21.50")), (0, Decimal("0.00")),
                                     (-5, Decimal("-0.05")), (-3001, Decimal("-30.01")),
                                     (2147483647, None), (None, None), ("x", None)])
def test_huawei_snmp_power_in_hundredths_of_dbm(raw, dbm):
    reading = HUAWEI.snmp_read({"rx": raw, "run": 1})
    assert reading.rx_dbm == dbm
    assert reading.online is True


def test_huawei_snmp_run_state():
    assert HUAWEI.snmp_read({"rx": None, "run": 2}).online is False
    assert HUAWEI.snmp_read({"rx": None, "run": 7}).online is None


@pytest.mark.parametrize("raw,dbm", [(4500, Decimal("-21.000")), (1, Decimal("-29.998")),
                                     (15000, Decimal("0.000")), (0, None), (65535, None)])
def test_zte_snmp_power_is_raw_times_0_002_minus_30(raw, dbm):
    reading = ZTE.snmp_read({"rx": raw, "phase": 3})
    assert reading.rx_dbm == dbm
    assert reading.online is True and reading.state == "working"


def test_zte_phase_states_other_than_working_are_offline():
    assert ZTE.snmp_read({"rx": 0, "phase": 1}).state == "LOS"
    assert ZTE.snmp_read({"rx": 0, "phase": 1}).online is False
    assert ZTE.snmp_read({"rx": 0, "phase": None}).online is None


@pytest.mark.parametrize("vendor,output,error", [
    (HUAWEI, "  Failure: SN already exists\n", "Failure: SN already exists"),
    (HUAWEI, "                  ^\n  % Unknown command, the error locates at '^'\n",
     "% Unknown command, the error locates at '^'"),
    (HUAWEI, "  Number of ONTs that can be added: 1, success: 1\n", ""),
    (ZTE, "%Info 20272: Enter configuration commands, one per line.", ""),
    (ZTE, "%Code 32310-GPONSRV : The ONU does not exist.",
     "%Code 32310-GPONSRV : The ONU does not exist."),
    (ZTE, "   ^\n%Error 20200: Invalid input detected at '^' marker.",
     "%Error 20200: Invalid input detected at '^' marker."),
    (ZTE, "% Invalid input detected at '^' marker.", "% Invalid input detected at '^' marker."),
    (DASAN, "% ONU 5 already exists.", "% ONU 5 already exists."),
    (DASAN, "", "")])
def test_error_lines_of_each_vendor(vendor, output, error):
    assert vendor.error_in(output) == error


def test_a_tolerated_error_is_no_failure():
    step = Step("undo service-port port 0/1/0 ont 5", tolerate="No service virtual port")
    assert HUAWEI.error_in("  Failure: No service virtual port can be operated", step) == ""


def test_cli_readings():
    huawei = HUAWEI.status_read([
        "  Run state               : offline\n", "  Failure: The ONT is not online\n"])
    assert (huawei.online, huawei.rx_dbm) == (False, None)
    zte = ZTE.status_read(["  Phase state:         working\n",
                           " down    Tx :5.369(dbm)        Rx:-16.676(dbm)      22.045(dB)"])
    assert (zte.online, zte.rx_dbm) == (True, Decimal("-16.676"))
    zte_los = ZTE.status_read(["  Phase state:         LOS\n",
                               " down    Tx :5.369(dbm)        Rx:N/A               N/A"])
    assert (zte_los.online, zte_los.rx_dbm) == (False, None)


def test_the_pass_program_answers_get_and_getnext_in_oid_order():
    state = {"1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4.4194312192.10": ["integer", -1900],
             "1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4.4194312192.9": ["integer", -2150]}
    prefix = ".1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4.4194312192"
    assert answer(state, "-g", prefix + ".9") == f"{prefix}.9\ninteger\n-2150\n"
    assert answer(state, "-g", prefix + ".1") == ""
    # 9 comes before 10 (numbers, not text)
    assert answer(state, "-n", prefix).startswith(f"{prefix}.9\n")
    assert answer(state, "-n", prefix + ".9").startswith(f"{prefix}.10\n")
    assert answer(state, "-n", prefix + ".10") == ""
    assert answer(state, "-s", prefix + ".9") == "not-writable\n"
