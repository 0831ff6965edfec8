"""The nodes stage of the LMS import: pools, NAS and RADIUS logins from a real LMS database."""

import pytest

from core.crypto import decrypt
from core.tenancy import tenant_context
from lmsimport.models import ImportRun, LmsMap
from lmsimport.runner import import_run
from lmsimport.stages import customers, nodes
from lmsimport.tests.generator import SESSIONTYPE_DHCP, LmsWriter, scenario_small
from radius.models import IpPool, Login, Nas

pytestmark = pytest.mark.django_db

STAGES = [("customers", customers.run), ("nodes", nodes.run)]


@pytest.fixture
def lms(lms_db):
    """The small scenario; ``.writer`` adds more rows (its connection stays open)."""
    with lms_db.connect() as conn:
        lms_db.writer = LmsWriter(conn)
        lms_db.made = scenario_small(lms_db.writer)
        yield lms_db


def run_import(lms, tenant):
    return import_run(tenant=tenant, dsn=lms.dsn, stages=STAGES)


def counts(run, kind):
    stage = next(s for s in run.report["stages"] if s["name"] == "nodes")
    return stage["counts"][kind]


def problems(run):
    stage = next(s for s in run.report["stages"] if s["name"] == "nodes")
    return stage["problems"]


def login_of(tenant, node_id):
    with tenant_context(tenant):
        return Login.objects.get(pk=LmsMap.objects.get(kind="node", lms_id=node_id)
                                 .abonent_id)


def snapshot(tenant):
    with tenant_context(tenant):
        return {
            "pools": sorted(IpPool.objects.values_list("id", "name", "network", "range_start",
                                                       "range_end", "gateway")),
            "nas": sorted(Nas.objects.values_list("id", "name", "ip", "kind")),
            "logins": sorted(Login.objects.values_list(
                "id", "customer_id", "login", "auth_type", "mac", "ip", "pool_id", "block",
                "updated_at")),
            "passwords": sorted((x.pk, x.password) for x in Login.objects.all()),
        }


def sql(lms, query, params=()):
    with lms.connect() as conn:
        conn.execute(query, params)


def test_networks_nas_and_nodes_are_imported(lms, tenant):
    made = lms.made
    run = run_import(lms, tenant)
    assert run.status == ImportRun.Status.DONE
    with tenant_context(tenant):
        pools = {p.name: p for p in IpPool.objects.all()}
        assert pools["LAN-KLIENCI"].network == "10.10.0.0/24"
        assert (pools["LAN-KLIENCI"].range_start, pools["LAN-KLIENCI"].range_end) == (
            "10.10.0.1", "10.10.0.254")
        assert pools["LAN-KLIENCI"].gateway == "10.10.0.1"
        nas = Nas.objects.get()
        assert (nas.name, nas.ip, nas.kind, nas.secret) == ("BRAS-1", "10.10.0.1", "mikrotik",
                                                            "radius-secret")
    kowalski_node = made["ids"]["nodes"][1]
    login = login_of(tenant, kowalski_node)
    cid = made["customers"]["paid_in_full"]
    assert (login.login, login.password) == (f"klient{cid}", f"haslo{cid}")
    assert login.auth_type == Login.AuthType.PPPOE
    assert login.ip == "10.10.0.10" and login.pool.name == "LAN-KLIENCI"
    assert login.mac == f"00:1A:2B:3C:4D:{cid:02X}"
    assert login.block == Login.Block.NONE
    assert login.customer.number == cid
    assert login.installation_address is not None
    assert login.radius_snapshot  # FreeRADIUS can authorise it without a refresh
    # the password is encrypted at rest
    with tenant_context(tenant):
        from django.db import connection
        with connection.cursor() as cursor:
            cursor.execute("SELECT password FROM radius_login WHERE id = %s", [login.pk])
            stored = cursor.fetchone()[0]
    assert stored != login.password and decrypt(stored) == login.password


def test_blocked_dhcp_node_with_two_macs_and_a_public_ip(lms, tenant):
    company = lms.made["customers"]["partly_paid"]
    run = run_import(lms, tenant)
    with tenant_context(tenant):
        login = Login.objects.get(login=f"node{company}b")
    assert login.auth_type == Login.AuthType.DHCP
    assert login.block == Login.Block.STAFF
    assert login.mac == "00:1A:2B:3C:4E:01"
    assert login.ip == "10.10.0.50"
    messages = [p["message"] for p in problems(run) if p["lms_id"] == login_lms_id(tenant,
                                                                                   login)]
    assert any("00:1A:2B:3C:4E:02" in m for m in messages)
    assert any("192.0.2.50" in m for m in messages)
    assert any("warning" in m for m in messages)


def login_lms_id(tenant, login):
    with tenant_context(tenant):
        return LmsMap.objects.get(kind="node", abonent_id=login.pk).lms_id


def test_second_run_changes_nothing(lms, tenant):
    run_import(lms, tenant)
    before = snapshot(tenant)
    second = run_import(lms, tenant)
    assert snapshot(tenant) == before
    assert counts(second, "node")["created"] == counts(second, "node")["updated"] == 0
    assert counts(second, "network")["unchanged"] == 2
    assert counts(second, "nas")["unchanged"] == 1


def test_changes_in_lms_are_updated(lms, tenant):
    node = lms.made["ids"]["nodes"][1]
    run_import(lms, tenant)
    weird = 'a\\b"c\'d'
    sql(lms, "UPDATE nodes SET passwd = %s, ipaddr = %s, access = 0 WHERE id = %s",
        [weird, int.from_bytes(bytes([10, 10, 0, 99]), "big"), node])
    run = run_import(lms, tenant)
    assert counts(run, "node")["updated"] == 1
    login = login_of(tenant, node)
    assert login.password == weird
    assert login.ip == "10.10.0.99"
    assert login.block == Login.Block.STAFF
    sql(lms, "DELETE FROM nodes WHERE id = %s", [node])
    run = run_import(lms, tenant)
    assert counts(run, "node")["deleted"] == 1
    with tenant_context(tenant):
        assert not Login.objects.filter(pk=login.pk).exists()


def test_ip_outside_networks_duplicate_mac_and_login_are_reported(lms, tenant):
    made = lms.made
    owner = made["customers"]["paid_in_full"]
    w, lan = lms.writer, made["ids"]["networks"][0]
    stray = w.node(owner, "stray", lan, "172.16.5.5", login="stray")
    dup_mac = w.node(owner, "dupmac", lan, "10.10.0.77", login="dupmac",
                     macs=[f"00:1A:2B:3C:4D:{owner:02X}"], authtype=SESSIONTYPE_DHCP)
    dup_login = w.node(owner, "duplogin", lan, "10.10.0.78", login=f"klient{owner}")
    run = run_import(lms, tenant)
    by_id = {}
    for p in problems(run):
        by_id.setdefault(p["lms_id"], []).append(p)
    assert by_id[stray][0]["action"] == "flagged"
    login = login_of(tenant, stray)
    assert login.ip is None and login.pool is None
    assert {p["action"] for p in by_id[dup_mac]} == {"flagged", "skipped"}
    assert by_id[dup_login][0]["action"] == "skipped"
    with tenant_context(tenant):
        assert not LmsMap.objects.filter(kind="node", lms_id__in=[dup_mac, dup_login]).exists()
        assert Login.objects.filter(login=f"klient{owner}").count() == 1


def test_node_without_password_gets_one_kept_across_runs(lms, tenant):
    owner = lms.made["customers"]["paid_in_full"]
    node = lms.writer.node(owner, "nopass", lms.made["ids"]["networks"][0], "10.10.0.90",
                           login="nopass", passwd="")
    run_import(lms, tenant)
    first = login_of(tenant, node).password
    assert first
    sql(lms, "UPDATE nodes SET access = 0 WHERE id = %s", [node])
    run_import(lms, tenant)
    login = login_of(tenant, node)
    assert login.password == first and login.block == Login.Block.STAFF


def test_another_tenant_is_untouched(lms, tenant, other_tenant):
    before = snapshot(other_tenant)
    run_import(lms, tenant)
    assert snapshot(other_tenant) == before
    with tenant_context(other_tenant):
        assert not Login.objects.exists()


def test_node_of_a_customer_not_imported_is_skipped(lms, tenant):
    w = lms.writer
    supplier = w.customer("Hurtownia Kabli", "", type=2)
    node = w.node(supplier, "dostawca", lms.made["ids"]["networks"][0], "10.10.0.91",
                  login="dostawca", passwd="x")
    run = run_import(lms, tenant)
    assert [p["action"] for p in problems(run) if p["lms_id"] == node] == ["skipped"]
    with tenant_context(tenant):
        assert not Login.objects.filter(login="dostawca").exists()
        # the address it had stays free for the next node
        assert not Login.objects.filter(ip="10.10.0.91").exists()


def test_invalid_password_is_skipped_with_the_validators_reason(lms, tenant):
    owner = lms.made["customers"]["paid_in_full"]
    node = lms.writer.node(owner, "spacja", lms.made["ids"]["networks"][0], "10.10.0.92",
                           login="spacja", passwd=" haslo ")
    run = run_import(lms, tenant)
    [problem] = [p for p in problems(run) if p["lms_id"] == node]
    assert problem["action"] == "skipped" and "password" in problem["message"].lower()


def test_two_nas_nodes_of_one_device_get_two_names(lms, tenant):
    made = lms.made
    device = made["ids"]["netdevices"][0]
    lms.writer.node(None, "bras1b", made["ids"]["networks"][0], "10.10.0.2",
                    netdev=device, nas=1)
    run_import(lms, tenant)
    with tenant_context(tenant):
        assert sorted(Nas.objects.values_list("name", "ip")) == [
            ("BRAS-1", "10.10.0.1"), ("BRAS-1 (bras1b)", "10.10.0.2")]
    again = run_import(lms, tenant)
    assert counts(again, "nas")["unchanged"] == 2
