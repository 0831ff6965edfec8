"""The warehouse's test servers: an SSH peer per OLT vendor (``oltpeer.py``) and Debian's
``snmpd`` answering the vendors' ONT OIDs through a ``pass`` program (``snmp_pass.py``),
each started once per test session on loopback, on a free port, and stopped at its end.
A test gets them clean (``huawei_peer`` …, ``snmp_state``)."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from .oltpeer import OltPeer

HERE = Path(__file__).resolve().parent
SNMP_COMMUNITY = "abonent-ro"
# The subtrees the pass program answers: HUAWEI-XPON-MIB's ONT tables, ZXGPON's.
SNMP_SUBTREES = (".1.3.6.1.4.1.2011.6.128.1.1.2", ".1.3.6.1.4.1.3902.1012.3")


@pytest.fixture
def olt_settings(settings):
    """Loopback OLTs allowed (the peers live there) and short timeouts."""
    settings.PEER_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WAREHOUSE_OLT_CONNECT_TIMEOUT = 5
    settings.WAREHOUSE_OLT_COMMAND_TIMEOUT = 2
    settings.WAREHOUSE_OLT_SNMP_TIMEOUT = 1
    settings.WAREHOUSE_OLT_SNMP_RETRIES = 0
    return settings


@pytest.fixture(scope="session")
def olt_peers():
    peers = {vendor: OltPeer(vendor).start() for vendor in ("huawei", "zte", "dasan")}
    yield peers
    for peer in peers.values():
        peer.stop()


def _peer(olt_peers, vendor):
    peer = olt_peers[vendor]
    peer.reset()
    yield peer
    peer.reset()


@pytest.fixture
def huawei_peer(olt_peers):
    yield from _peer(olt_peers, "huawei")


@pytest.fixture
def zte_peer(olt_peers):
    yield from _peer(olt_peers, "zte")


@pytest.fixture
def dasan_peer(olt_peers):
    yield from _peer(olt_peers, "dasan")


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SnmpAgent:
    """The running snmpd: its port, community and the state file its pass program reads
    (``set({oid: (type, value)})``)."""

    def __init__(self, port: int, state_path: Path):
        self.port, self.state_path = port, state_path
        self.community = SNMP_COMMUNITY

    def set(self, values: dict) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({oid.strip("."): list(v) for oid, v in values.items()}))
        os.replace(tmp, self.state_path)

    def clear(self) -> None:
        self.set({})


def _snmpd_binary() -> str:
    found = shutil.which("snmpd") or ("/usr/sbin/snmpd" if os.access("/usr/sbin/snmpd", os.X_OK)
                                      else None)
    if not found:
        pytest.fail("Debian's snmpd is not installed: the ONT status tests need it "
                    "(apt-get install snmpd, or scripts/test-deps.sh as root)")
    return found


@pytest.fixture(scope="session")
def snmpd():
    binary = _snmpd_binary()
    work = Path(tempfile.mkdtemp(prefix="abonent-snmpd-"))
    state = work / "state.json"
    state.write_text("{}")
    port = _free_udp_port()
    program = f"{sys.executable} {HERE / 'snmp_pass.py'} {state}"
    config = work / "snmpd.conf"
    config.write_text("\n".join([
        f"agentAddress udp:127.0.0.1:{port}",
        f"rocommunity {SNMP_COMMUNITY} 127.0.0.1",
        *(f"pass {subtree} {program}" for subtree in SNMP_SUBTREES),
        "",
    ]))
    env = {**os.environ, "MIBS": "", "MIBDIRS": str(work), "SNMP_PERSISTENT_DIR": str(work)}
    log = work / "snmpd.log"
    process = subprocess.Popen(
        [binary, "-f", "-C", "-c", str(config), "-Lf", str(log), "-p", str(work / "pid")],
        env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    agent = SnmpAgent(port, state)
    try:
        _wait_for_snmpd(agent, process, log)
        yield agent
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def _wait_for_snmpd(agent: SnmpAgent, process, log: Path) -> None:
    from warehouse.olt import snmp

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"snmpd exited at start: {log.read_text()[-2000:] if log.exists() else ''}")
        try:
            snmp.get(address="127.0.0.1", port=agent.port, community=agent.community,
                     oids={"uptime": "1.3.6.1.2.1.1.3.0"}, timeout=0.5, retries=0)
            return
        except snmp.SnmpError:
            time.sleep(0.1)
    pytest.fail(f"snmpd did not answer on 127.0.0.1:{agent.port}")


@pytest.fixture
def snmp_state(snmpd):
    snmpd.clear()
    yield snmpd
    snmpd.clear()


# --------------------------------------------------------------------------- ONT state

PASSWORD = "olt-pass"


def an_olt(actor, peer, *, name=None, snmp=None, community="", **extra):
    """An OLT of the active tenant that is ``peer`` (and ``snmp``'s agent for status)."""
    from warehouse.ont import olt_create

    return olt_create(actor=actor, name=name or f"OLT {peer.vendor}", vendor=peer.vendor,
                      host="127.0.0.1", ssh_port=peer.port, username=peer.username,
                      password=PASSWORD, snmp_port=snmp.port if snmp else 161,
                      snmp_community=community, **extra)


def an_issued_ont(actor, customer, *, gpon_serial="HWTCC0FFEE01", model="HG8245H",
                  serial=None):
    """An ONT received by a PZ and issued to ``customer`` by a WZ, as the product does."""
    from warehouse.models import StockItem

    from .factories import ProductFactory, WarehouseFactory, issue, receive, serial_next

    store = WarehouseFactory()
    product = ProductFactory(model=model)
    serial = serial or serial_next("ONT")
    receive(actor, warehouse=store, product=product,
            serials=[{"serial": serial, "gpon_serial": gpon_serial}])
    issue(actor, warehouse=store, customer=customer, serials=[serial])
    return StockItem.objects.get(serial=serial)


def a_profile(actor, olt, *, line, service, vlan=100, tariff=None):
    from warehouse.ont import ont_profile_set

    return ont_profile_set(actor=actor, olt=olt, tariff=tariff, line_profile=line,
                           service_profile=service, vlan=vlan)
