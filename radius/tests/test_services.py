import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from core.models import ActionLog, TenantSetting
from core.tenancy import tenant_context
from customers.services import address_add, customer_create
from radius.models import Login, Nas
from radius.services import (
    login_create,
    login_update,
    nas_create,
    nas_update,
    pool_create,
)


@pytest.fixture
def pool(in_tenant, staff):
    return pool_create(actor=staff, name="Klienci", network="10.20.0.0/29",
                       range_start="10.20.0.0", range_end="10.20.0.7", gateway="10.20.0.1")


def errors_of(call, **kwargs) -> dict:
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    return error.value.message_dict


# --------------------------------------------------------------------------- NAS

def test_nas_secret_is_encrypted_at_rest_and_read_back(in_tenant, staff):
    nas = nas_create(actor=staff, name="BRAS", ip="192.0.2.1", secret="s3cr3t-NAS",
                     kind="mikrotik")

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM radius_nas WHERE id = %s", [nas.pk])
        stored = cursor.fetchone()[0]
    assert "s3cr3t-NAS" not in stored
    assert Nas.objects.get(pk=nas.pk).secret == "s3cr3t-NAS"
    assert Nas.objects.get(pk=nas.pk).coa_port == 3799


def test_nas_validation_speaks_plainly(in_tenant, staff):
    nas_create(actor=staff, name="BRAS", ip="192.0.2.1", secret="x")

    assert errors_of(nas_create, actor=staff, name="BRAS", ip="192.0.2.2", secret="x") == {
        "name": ["A NAS with this name already exists."]}
    assert errors_of(nas_create, actor=staff, name="B2", ip="192.0.2.300", secret="x",
                     kind="nokia") == {"ip": ["“192.0.2.300” is not an IP address."],
                                       "kind": ["Unknown NAS type."]}


def test_nas_secret_change_is_logged_without_the_secret(in_tenant, staff):
    nas = nas_create(actor=staff, name="BRAS", ip="192.0.2.1", secret="old-secret")

    nas_update(actor=staff, nas=nas, secret="new-secret", coa_port=1700)

    entry = ActionLog.objects.filter(kind="nas.update").get()
    assert "secret was changed" in entry.text
    assert "new-secret" not in str(entry.changes) + str(entry.params) + entry.text
    assert entry.changes == {"coa_port": ["3799", "1700"]}


# --------------------------------------------------------------------------- pools

def test_pool_range_must_lie_in_its_network(in_tenant, staff):
    assert errors_of(pool_create, actor=staff, name="P", network="10.0.0.0/24",
                     range_start="10.0.0.10", range_end="10.0.1.5") == {
        "range_start": ["The range must lie inside 10.0.0.0/24."]}
    assert "network" in errors_of(pool_create, actor=staff, name="P", network="10.0.0.5/24",
                                  range_start="10.0.0.10", range_end="10.0.0.20")
    assert errors_of(pool_create, actor=staff, name="P", network="10.0.0.0/24",
                     range_start="10.0.0.10", range_end="10.0.0.20",
                     ipv6_prefix="2001:db8::/40", ipv6_prefix_length=72) == {
        "ipv6_prefix": ["The delegated prefix length must be between the network's length "
                        "and 64."]}


# --------------------------------------------------------------------------- logins

def test_login_gets_the_first_free_address_skipping_network_and_gateway(
        customer, staff, pool):
    first = login_create(actor=staff, customer=customer, login="a1", password="pw", pool=pool)
    second = login_create(actor=staff, customer=customer, login="a2", password="pw", pool=pool)

    assert (first.ip, second.ip) == ("10.20.0.2", "10.20.0.3")


def test_pool_exhausted(customer, staff, pool):
    for n in range(5):  # .2 … .6; .0 network, .1 gateway, .7 broadcast
        login_create(actor=staff, customer=customer, login=f"a{n}", password="pw", pool=pool)

    assert errors_of(login_create, actor=staff, customer=customer, login="late",
                     password="pw", pool=pool) == {
        "pool": ["No free address is left in pool Klienci."]}


def test_typed_address_outside_the_pool_is_refused(customer, staff, pool):
    assert errors_of(login_create, actor=staff, customer=customer, login="a", password="pw",
                     pool=pool, ip="10.20.1.5") == {
        "ip": ["10.20.1.5 is outside pool Klienci (10.20.0.0-10.20.0.7)."]}


def test_an_address_is_never_given_twice_in_the_tenant(customer, staff, pool):
    login_create(actor=staff, customer=customer, login="static", password="pw",
                 ip="10.20.0.2")

    assert errors_of(login_create, actor=staff, customer=customer, login="b", password="pw",
                     ip="10.20.0.2") == {
        "ip": ["This IP address is already given to another login."]}
    # The pool skips the address typed by hand.
    assert login_create(actor=staff, customer=customer, login="c", password="pw",
                        pool=pool).ip == "10.20.0.3"


def test_the_same_address_in_two_tenants_is_fine(customer, staff, other_tenant, other_staff):
    login_create(actor=staff, customer=customer, login="a", password="pw", ip="10.0.0.2")
    with tenant_context(other_tenant):
        other = customer_create(actor=other_staff, last_name="Nowak")
        assert login_create(actor=other_staff, customer=other, login="a", password="pw",
                            ip="10.0.0.2").ip == "10.0.0.2"


def test_duplicate_login_and_bad_mac(customer, staff):
    login_create(actor=staff, customer=customer, login="jan", password="pw")

    assert errors_of(login_create, actor=staff, customer=customer, login="jan",
                     password="pw") == {"login": ["This login is already taken."]}
    assert errors_of(login_create, actor=staff, customer=customer, login="dev",
                     auth_type="dhcp", mac="00:11:22:33:44") == {
        "mac": ["“00:11:22:33:44” is not a valid MAC address."]}
    assert errors_of(login_create, actor=staff, customer=customer, login="dev",
                     auth_type="dhcp") == {
        "mac": ["DHCP authorization needs the device's MAC address."]}
    assert errors_of(login_create, actor=staff, customer=customer, login="dev",
                     auth_type="dhcp", mac="01:00:5e:00:00:01") == {
        "mac": ["“01:00:5e:00:00:01” is a multicast or empty MAC address, not a device."]}


def test_mac_is_normalised_and_unique(customer, staff):
    login = login_create(actor=staff, customer=customer, login="tv", auth_type="dhcp",
                         mac="aabb.ccdd.ee00")

    assert login.mac == "AA:BB:CC:DD:EE:00"
    assert errors_of(login_create, actor=staff, customer=customer, login="tv2",
                     auth_type="dhcp", mac="aa-bb-cc-dd-ee-00") == {
        "mac": ["This MAC address is already used by another login."]}


def test_login_and_password_are_generated_from_the_tenant_patterns(customer, staff, tenant):
    TenantSetting.objects.create(key="computer.login_pattern", value="{C}-{N:3}")
    TenantSetting.objects.create(key="computer.password_pattern", value="pw-{D:6}")

    first = login_create(actor=staff, customer=customer)
    second = login_create(actor=staff, customer=customer)

    assert (first.login, second.login) == (f"{customer.number}-001", f"{customer.number}-002")
    assert re.fullmatch(r"pw-\d{6}", first.password)
    assert first.password != second.password or first.password.startswith("pw-")


def test_password_is_encrypted_at_rest(customer, staff):
    login = login_create(actor=staff, customer=customer, login="jan", password="Tajne-123")

    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM radius_login WHERE id = %s", [login.pk])
        assert "Tajne-123" not in cursor.fetchone()[0]
    assert Login.objects.get(pk=login.pk).password == "Tajne-123"


def test_installation_address_is_inherited(customer, staff):
    residence = address_add(actor=staff, customer=customer, kind="residence",
                            building_no="1", postal_code="00-001", city="Warszawa")
    assert login_create(actor=staff, customer=customer, login="a",
                        password="pw").installation_address == residence

    installation = address_add(actor=staff, customer=customer, kind="installation",
                               building_no="7", postal_code="00-002", city="Warszawa")
    assert login_create(actor=staff, customer=customer, login="b",
                        password="pw").installation_address == installation


def test_extra_attributes_are_checked(customer, staff):
    assert errors_of(login_create, actor=staff, customer=customer, login="a", password="pw",
                     attributes=[("control:Auth-Type", ":=", "Accept")]) == {
        "attributes": ["“control:Auth-Type” is not a RADIUS attribute name."]}
    assert errors_of(login_create, actor=staff, customer=customer, login="a", password="pw",
                     attributes=[("Framed-IP-Address", ":=", "1.2.3.4")]) == {
        "attributes": ["Framed-IP-Address is set by Abonent itself."]}


def test_update_refreshes_what_the_login_sends_and_logs_it(customer, staff, pool):
    login = login_create(actor=staff, customer=customer, login="jan", password="pw",
                         pool=pool, attributes=[("Session-Timeout", ":=", "3600")])
    assert login.radius_snapshot["reply"]["reply:Framed-IP-Address"]["value"] == ["10.20.0.2"]

    login_update(actor=staff, login=login, ip="10.20.0.6", password="new",
                 attributes=[("Mikrotik-Rate-Limit", ":=", "10M/20M")])

    stored = Login.objects.get(pk=login.pk).radius_snapshot["reply"]
    assert stored["reply:Framed-IP-Address"]["value"] == ["10.20.0.6"]
    assert stored["reply:Mikrotik-Rate-Limit"]["value"] == ["10M/20M"]
    assert "reply:Session-Timeout" not in stored
    entry = ActionLog.objects.filter(kind="login.update").get()
    assert entry.changes["ip"] == ["10.20.0.2", "10.20.0.6"]
    assert entry.changes["password"] == ["***", "***"]
    assert "new" not in str(entry.changes["attributes"]).replace("10M/20M", "")


# --------------------------------------------------------------------------- concurrency

@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_never_share_an_address(tenant, staff):
    with tenant_context(tenant):
        customer = customer_create(actor=staff, last_name="Kowalski")
        pool = pool_create(actor=staff, name="P", network="10.30.0.0/24",
                           range_start="10.30.0.10", range_end="10.30.0.200")
    results, failures = [], []
    barrier = threading.Barrier(8)

    def create(n):
        try:
            with tenant_context(tenant):
                barrier.wait()
                for k in range(3):
                    results.append(login_create(actor=staff, customer=customer,
                                                login=f"t{n}-{k}", password="pw",
                                                pool=pool).ip)
        except Exception as e:  # reported below
            failures.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not failures
    assert len(results) == 24
    assert sorted(results) == sorted(set(results))
    assert set(results) == {f"10.30.0.{n}" for n in range(10, 34)}


# --------------------------------------------------------------------------- accounting upkeep

def _start(username, unique_id, at):
    from radius.services import Accounting, accounting_record

    accounting_record(Accounting(status="Start", nas_ip="192.0.2.1", event_at=at,
                                 username=username, unique_id=unique_id,
                                 acct_session_id=unique_id))


def test_sessions_without_accounting_for_too_long_are_closed(customer, staff):
    from datetime import timedelta

    from django.utils import timezone

    from radius.models import RadiusSession
    from radius.services import sessions_close_stale

    now = timezone.now()
    _start("a", "old", now - timedelta(minutes=30))
    _start("b", "fresh", now - timedelta(minutes=5))

    assert sessions_close_stale(now=now) == 1

    old = RadiusSession.objects.get(unique_id="old")
    assert (old.stopped_at, old.terminate_cause) == (old.updated_at, "Stale")
    assert RadiusSession.objects.get(unique_id="fresh").stopped_at is None


def test_samples_older_than_the_retention_are_pruned(customer, staff):
    from datetime import timedelta

    from django.utils import timezone

    from radius.models import SessionSample
    from radius.services import Accounting, accounting_record, samples_prune

    now = timezone.now()
    _start("a", "s1", now - timedelta(days=500))
    for at, seconds in ((now - timedelta(days=500) + timedelta(minutes=5), 300),
                        (now, 300 + 500 * 86400)):
        accounting_record(Accounting(status="Interim-Update", nas_ip="192.0.2.1",
                                     event_at=at, username="a", unique_id="s1",
                                     session_time=seconds, input_bytes=seconds,
                                     output_bytes=seconds))
    assert SessionSample.objects.count() == 2

    assert samples_prune(now=now) == 1
    assert SessionSample.objects.get().at == now


def test_a_start_opens_one_session_with_its_login_and_nas(customer, staff):
    from datetime import timedelta

    from django.utils import timezone

    from radius.models import RadiusSession
    from radius.services import Accounting, accounting_record, login_create, nas_create

    nas = nas_create(actor=staff, name="BRAS", ip="192.0.2.1", secret="s3cret")
    pppoe = login_create(actor=staff, customer=customer, login="ppp", password="pw-123456")
    tv = login_create(actor=staff, customer=customer, login="tv", auth_type="dhcp",
                      mac="aa:bb:cc:dd:ee:02")
    at = timezone.now()
    for _ in range(2):  # the NAS retransmits: still one session
        accounting_record(Accounting(
            status="Start", nas_ip="192.0.2.1", event_at=at, username="ppp",
            unique_id="u-ppp", acct_session_id="81a0", framed_ip="100.64.0.7",
            calling_station_id="aa-bb", session_time=60))
    accounting_record(Accounting(status="Start", nas_ip="192.0.2.9", event_at=at,
                                 username="AA-BB-CC-DD-EE-02", unique_id="u-tv"))

    session = RadiusSession.objects.get(unique_id="u-ppp")
    assert (session.login, session.nas, session.acct_session_id) == (pppoe, nas, "81a0")
    assert (str(session.framed_ip), session.calling_station_id) == ("100.64.0.7", "aa-bb")
    assert session.started_at == at - timedelta(seconds=60) == session.updated_at
    assert session.stopped_at is None and session.input_bytes == 0
    other = RadiusSession.objects.get(unique_id="u-tv")
    assert (other.login, other.nas) == (tv, None)  # a NAS Abonent does not know
    assert RadiusSession.objects.count() == 2


def test_an_interim_after_the_stop_changes_nothing_and_backwards_counters_add_no_sample(
        customer, staff):
    from datetime import timedelta

    from django.utils import timezone

    from radius.models import RadiusSession, SessionSample
    from radius.services import Accounting, accounting_record

    at = timezone.now() - timedelta(hours=1)

    def packet(status, minutes, octets):
        accounting_record(Accounting(status=status, nas_ip="192.0.2.1",
                                     event_at=at + timedelta(minutes=minutes), username="a",
                                     unique_id="s-9", session_time=minutes * 60,
                                     input_bytes=octets, output_bytes=octets * 10))

    packet("Start", 0, 0)
    packet("Interim-Update", 5, 1000)
    packet("Interim-Update", 10, 500)  # counters went backwards (a NAS bug): no sample
    packet("Stop", 15, 3000)
    packet("Interim-Update", 12, 2000)  # overtaken by the Stop

    session = RadiusSession.objects.get(unique_id="s-9")
    assert session.stopped_at == at + timedelta(minutes=15)
    assert (session.input_bytes, session.output_bytes, session.session_time) == (
        3000, 30000, 900)
    assert list(SessionSample.objects.order_by("at").values_list(
        "seconds", "input_bytes", "output_bytes")) == [(300, 1000, 10000), (300, 2000, 20000)]
