"""ONT status over SNMP: Debian's snmpd on loopback answers the vendors' OIDs through
the pass program (``snmp_pass.py``) from what the test writes; the CLI is the fallback."""

import pytest

from warehouse import ont
from warehouse.models import OntAction

from .conftest import a_profile, an_issued_ont, an_olt

pytestmark = pytest.mark.usefixtures("olt_settings")

HUAWEI_RX = "1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4.4194312192.5"
HUAWEI_RUN = "1.3.6.1.4.1.2011.6.128.1.1.2.46.1.15.4194312192.5"
ZTE_RX = "1.3.6.1.4.1.3902.1012.3.50.12.1.1.10.268566784.5.1"
ZTE_PHASE = "1.3.6.1.4.1.3902.1012.3.28.2.1.4.268566784.5"


def registered(peer, snmp_state, staff, customer, *, port, line, service, gpon, model,
               community=None):
    olt = an_olt(staff, peer, snmp=snmp_state,
                 community=snmp_state.community if community is None else community)
    a_profile(staff, olt, line=line, service=service)
    item = an_issued_ont(staff, customer, gpon_serial=gpon, model=model)
    record = ont.ont_register(actor=staff, item=item, olt=olt, port=port, ont_id=5)
    assert record.outcome == "ok", record.message
    peer.received.clear()
    return item


@pytest.fixture
def huawei_ont(huawei_peer, snmp_state, staff, customer):
    return registered(huawei_peer, snmp_state, staff, customer, port="0/1/0",
                      line="LP-100M", service="SP-1ETH", gpon="HWTCC0FFEE01", model="HG8245H")


def test_huawei_power_in_hundredths_of_dbm(huawei_ont, huawei_peer, snmp_state, staff):
    snmp_state.set({HUAWEI_RX: ("integer", -2150), HUAWEI_RUN: ("integer", 1)})

    record = ont.ont_status(actor=staff, item=huawei_ont)

    assert record.outcome == OntAction.Outcome.OK
    assert record.reading == {"source": "snmp", "online": True, "state": "online",
                              "rx_power_dbm": "-21.50"}
    assert record.message == "online, receiving -21.50 dBm"
    assert record.commands.splitlines() == [f"SNMP GET {HUAWEI_RX}", f"SNMP GET {HUAWEI_RUN}"]
    assert f"{HUAWEI_RX} = -2150" in record.answer
    assert huawei_peer.received == []  # no SSH session at all


def test_huawei_no_value_is_shown_as_not_available(huawei_ont, snmp_state, staff):
    snmp_state.set({HUAWEI_RX: ("integer", 2147483647), HUAWEI_RUN: ("integer", 2)})

    record = ont.ont_status(actor=staff, item=huawei_ont)

    assert record.reading["rx_power_dbm"] is None
    assert record.reading["online"] is False
    assert record.message == "offline, optical power not available"


def test_an_oid_the_agent_lacks_reads_as_unknown(huawei_ont, snmp_state, staff):
    snmp_state.set({HUAWEI_RUN: ("integer", 1)})

    record = ont.ont_status(actor=staff, item=huawei_ont)

    assert record.reading["source"] == "snmp"
    assert record.reading["rx_power_dbm"] is None
    assert record.reading["online"] is True


def test_zte_raw_power(zte_peer, snmp_state, staff, customer):
    item = registered(zte_peer, snmp_state, staff, customer, port="1/2/1",
                      line="UP-100M", service="SRV-INET", gpon="ZTEGC0FFEE01",
                      model="ZTE-F660")
    snmp_state.set({ZTE_RX: ("integer", 4500), ZTE_PHASE: ("integer", 3)})

    record = ont.ont_status(actor=staff, item=item)

    assert record.reading == {"source": "snmp", "online": True, "state": "working",
                              "rx_power_dbm": "-21.000"}


def test_zte_los(zte_peer, snmp_state, staff, customer):
    item = registered(zte_peer, snmp_state, staff, customer, port="1/2/1",
                      line="UP-100M", service="SRV-INET", gpon="ZTEGC0FFEE01",
                      model="ZTE-F660")
    snmp_state.set({ZTE_RX: ("integer", 65535), ZTE_PHASE: ("integer", 1)})

    record = ont.ont_status(actor=staff, item=item)

    assert record.reading["online"] is False
    assert record.message == "offline (LOS), optical power not available"


def test_a_wrong_community_falls_back_to_the_cli(huawei_peer, snmp_state, staff, customer):
    item = registered(huawei_peer, snmp_state, staff, customer, port="0/1/0",
                      line="LP-100M", service="SP-1ETH", gpon="HWTCC0FFEE01",
                      model="HG8245H", community="wrong-community")
    snmp_state.set({HUAWEI_RX: ("integer", -1000), HUAWEI_RUN: ("integer", 1)})

    record = ont.ont_status(actor=staff, item=item)

    assert record.outcome == OntAction.Outcome.OK
    assert record.reading["source"] == "cli"
    assert record.reading["rx_power_dbm"] == "-21.50"  # what the CLI said, not SNMP's -10
    assert record.message.startswith("The OLT did not answer SNMP within 1 s. Read over SSH:")
    assert record.commands.splitlines()[0] == f"SNMP GET {HUAWEI_RX}"
    assert "display ont optical-info 0 5" in record.commands
    assert "display ont optical-info 0 5" in huawei_peer.received


def test_dasan_has_no_oids_and_reads_over_the_cli(dasan_peer, snmp_state, staff, customer):
    item = registered(dasan_peer, snmp_state, staff, customer, port="0/0/1",
                      line="FTTH-100M", service="SRV", gpon="DSNW1A2B3C4D", model="H640GW")

    record = ont.ont_status(actor=staff, item=item)

    assert record.reading["source"] == "cli"
    assert "SNMP" not in record.commands
    assert record.message == "online (Active), receiving -19.87 dBm"


def test_an_agent_without_the_onts_values_falls_back_to_the_cli(huawei_ont, snmp_state,
                                                                 staff):
    record = ont.ont_status(actor=staff, item=huawei_ont)

    assert record.reading["source"] == "cli"
    assert record.message == ("The OLT's SNMP agent has no values for this ONT. Read over "
                              "SSH: online, receiving -21.50 dBm")


def test_snmp_and_ssh_both_silent_is_recorded_as_timeout(huawei_ont, huawei_peer, snmp_state,
                                                        staff):
    from warehouse.models import Olt

    Olt.objects.update(snmp_port=1)  # nothing answers there
    huawei_peer.hang_on = r"^display ont info"

    record = ont.ont_status(actor=staff, item=huawei_ont)

    assert record.outcome == OntAction.Outcome.TIMEOUT
    assert record.reading is None
    assert "SNMP" in record.message and "No answer to “display ont info 0 5”" in record.message
