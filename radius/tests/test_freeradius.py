"""A real FreeRADIUS (the shipped deploy/freeradius files) asking a live Abonent.

Driven with radclient the way a NAS would: Access-Requests (PAP, CHAP, MS-CHAP) and
Accounting-Requests on loopback ports; FreeRADIUS installed as the README says.
"""

import pytest

from radius.models import AuthEvent, RadiusSession, SessionSample
from radius.services import login_create, login_disable, nas_create, pool_create
from radius.tests.freeradius import radclient, radtest

pytestmark = [pytest.mark.radius, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def nas(in_tenant, staff):
    return nas_create(actor=staff, name="BRAS 1", ip="127.0.0.1", secret="testing123",
                      kind="mikrotik")


@pytest.fixture
def pool(in_tenant, staff):
    return pool_create(actor=staff, name="CGNAT", network="100.64.0.0/24",
                       range_start="100.64.0.10", range_end="100.64.0.20",
                       gateway="100.64.0.1")


@pytest.fixture
def alice(customer, staff, pool, nas):
    return login_create(actor=staff, customer=customer, login="alice", password="p%{User-Name}",
                        pool=pool, nases=[nas],
                        attributes=[("Mikrotik-Rate-Limit", ":=", "10M/20M"),
                                    ("Mikrotik-Address-List", "+=", "subscribers"),
                                    ("Mikrotik-Address-List", "+=", "plan-10M")])


def auth(server, **attributes):
    return radclient(server, "auth", {"NAS-IP-Address": "127.0.0.1", **attributes})


def test_pap_accept_carries_the_address_and_extra_attributes(radius_server, alice):
    reply = auth(radius_server, **{"User-Name": "alice", "User-Password": "p%{User-Name}"})

    assert reply.code == "Access-Accept", reply.output
    assert reply.get("Framed-IP-Address") == ["100.64.0.10"]
    assert reply.get("Mikrotik-Rate-Limit") == ["10M/20M"]
    assert reply.get("Mikrotik-Address-List") == ["subscribers", "plan-10M"]
    event = AuthEvent.objects.get()
    assert (event.login, event.result) == (alice, "accept")


def test_chap_accept(radius_server, alice):
    reply = auth(radius_server, **{"User-Name": "alice", "CHAP-Password": "p%{User-Name}"})

    assert reply.code == "Access-Accept", reply.output
    assert reply.get("Framed-IP-Address") == ["100.64.0.10"]
    # The challenge was the request authenticator: authorize could not tell, post-auth
    # logged the accept — once.
    event = AuthEvent.objects.get()
    assert (event.login, event.result) == (alice, "accept")


def test_chap_with_its_challenge_is_logged_by_authorize_once(radius_server, alice):
    reply = auth(radius_server, **{"User-Name": "alice", "CHAP-Password": "p%{User-Name}",
                                   "CHAP-Challenge": "0x00112233445566778899aabbccddeeff"})

    assert reply.code == "Access-Accept", reply.output
    event = AuthEvent.objects.get()
    assert (event.login, event.result) == (alice, "accept")


def test_radtest_mschap_accept_and_reject(radius_server, alice):
    # radtest -t mschap sends MS-CHAPv1; v1 and v2 computed by hand: test_access.py.
    assert radtest(radius_server, "alice", "p%{User-Name}", method="mschap").code == \
        "Access-Accept"
    assert radtest(radius_server, "alice", "wrong", method="mschap").code == "Access-Reject"


def test_password_is_not_expanded_by_freeradius(radius_server, alice):
    # With xlat the stored "p%{User-Name}" would become "palice" and let that in.
    reply = auth(radius_server, **{"User-Name": "alice", "User-Password": "palice"})

    assert reply.code == "Access-Reject"


def test_wrong_password_is_rejected_and_logged_with_the_reason(radius_server, alice):
    reply = auth(radius_server, **{"User-Name": "alice", "User-Password": "guess"})

    assert reply.code == "Access-Reject"
    assert reply.get("Framed-IP-Address") == []
    event = AuthEvent.objects.get()
    assert (event.login, event.result, event.reason_code) == (alice, "reject",
                                                              "wrong_password")


def test_unknown_login_is_rejected(radius_server, alice):
    reply = auth(radius_server, **{"User-Name": "mallory", "User-Password": "p%{User-Name}"})

    assert reply.code == "Access-Reject"
    assert AuthEvent.objects.get().result == "reject"


def test_disabled_login_is_rejected_with_a_reply_message(radius_server, alice, staff):
    login_disable(actor=staff, login=alice, reason="Unpaid invoices")

    reply = auth(radius_server, **{"User-Name": "alice", "User-Password": "p%{User-Name}"})

    assert reply.code == "Access-Reject"
    assert reply.get("Reply-Message") == ["Unpaid invoices"]


def test_another_tenants_key_never_authorizes_this_tenants_login(
        start_freeradius, alice, other_radius_key):
    server_b = start_freeradius(other_radius_key)

    reply = auth(server_b, **{"User-Name": "alice", "User-Password": "p%{User-Name}"})

    assert reply.code == "Access-Reject"
    assert reply.get("Framed-IP-Address") == []


def test_backend_down_rejects_and_withholds_the_accounting_response(
        start_freeradius, radius_key, alice):
    from radius.tests.freeradius import closed_tcp_port

    server = start_freeradius(radius_key, url=f"http://127.0.0.1:{closed_tcp_port()}")

    reply = auth(server, **{"User-Name": "alice", "User-Password": "p%{User-Name}"})
    assert reply.code == "Access-Reject"

    reply = radclient(server, "acct", {
        "User-Name": "alice", "NAS-IP-Address": "127.0.0.1", "Acct-Status-Type": "Start",
        "Acct-Session-Id": "81a00001"}, timeout=1, retries=1)
    assert reply.code is None, reply.output  # no Accounting-Response: the NAS retries
    assert "No reply from server" in reply.output


def acct(server, status, **attributes):
    reply = radclient(server, "acct", {
        "User-Name": "alice", "NAS-IP-Address": "127.0.0.1", "Acct-Session-Id": "81a00003",
        "Framed-IP-Address": "100.64.0.10", "Calling-Station-Id": "AA:BB:CC:DD:EE:FF",
        "Acct-Status-Type": status, **attributes})
    assert reply.code == "Accounting-Response", reply.output
    return reply


def test_accounting_start_interim_stop_make_a_session_with_samples(radius_server, alice):
    acct(radius_server, "Start", **{"Acct-Session-Time": 0})
    session = RadiusSession.objects.get()
    assert (session.login, session.stopped_at, session.framed_ip) == (alice, None,
                                                                      "100.64.0.10")

    acct(radius_server, "Interim-Update", **{
        "Acct-Session-Time": 300, "Acct-Input-Octets": 1000, "Acct-Output-Octets": 500,
        "Acct-Output-Gigawords": 1})
    # A late retransmission of an older interim: counters go backwards, no sample.
    acct(radius_server, "Interim-Update", **{
        "Acct-Session-Time": 200, "Acct-Input-Octets": 10, "Acct-Output-Octets": 10})
    acct(radius_server, "Stop", **{
        "Acct-Session-Time": 600, "Acct-Input-Octets": 3000, "Acct-Output-Octets": 1500,
        "Acct-Output-Gigawords": 1, "Acct-Terminate-Cause": "User-Request"})

    session.refresh_from_db()
    assert session.stopped_at is not None
    assert session.terminate_cause == "User-Request"
    assert (session.session_time, session.input_bytes, session.output_bytes) == \
        (600, 3000, 2**32 + 1500)
    samples = list(SessionSample.objects.values_list("seconds", "input_bytes",
                                                     "output_bytes"))
    assert samples == [(300, 1000, 2**32 + 500), (300, 2000, 1000)]


def test_accounting_on_closes_the_nas_sessions(radius_server, alice):
    acct(radius_server, "Start")

    reply = radclient(radius_server, "acct", {"NAS-IP-Address": "127.0.0.1",
                                              "Acct-Status-Type": "Accounting-On",
                                              "Acct-Session-Id": "0"})

    assert reply.code == "Accounting-Response", reply.output
    assert RadiusSession.objects.get().stopped_at is not None


def test_a_nas_without_nas_ip_address_is_known_by_the_packets_source(radius_server, alice):
    reply = radclient(radius_server, "acct", {
        "User-Name": "alice", "NAS-Identifier": "bras-1", "Acct-Status-Type": "Start",
        "Acct-Session-Id": "81a00009"})

    assert reply.code == "Accounting-Response", reply.output
    session = RadiusSession.objects.get()
    assert (session.nas_ip, session.nas.name) == ("127.0.0.1", "BRAS 1")


@pytest.fixture
def on_tariff(customer, staff, pool, nas):
    """"bob" on a 20/5 Mbit/s tariff, through the MikroTik NAS."""
    from datetime import timedelta

    from django.utils import timezone

    from finance import billing

    tariff = billing.tariff_create(actor=staff, name="Internet 20/5", net_price="50.00",
                                   vat_rate="23", download_kbps=20000, upload_kbps=5000)
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                                            start_date=timezone.localdate() - timedelta(days=1))
    return login_create(actor=staff, customer=customer, login="bob", password="pw",
                        pool=pool, nases=[nas], subscription=subscription)


def test_a_mikrotik_nas_gets_the_tariff_speed(radius_server, on_tariff):
    reply = auth(radius_server, **{"User-Name": "bob", "User-Password": "pw"})

    assert reply.code == "Access-Accept", reply.output
    assert reply.get("Mikrotik-Rate-Limit") == ["5000k/20000k"]
    assert reply.get("WISPr-Bandwidth-Max-Down") == []


def test_a_blocked_login_gets_the_block_profile_instead_of_the_speed(radius_server, on_tariff,
                                                                     staff):
    from radius.services import login_block

    login_block(actor=staff, login=on_tariff, reason="Abuse")

    reply = auth(radius_server, **{"User-Name": "bob", "User-Password": "pw"})

    assert reply.code == "Access-Accept", reply.output
    assert reply.get("Mikrotik-Address-List") == ["blocked"]
    assert reply.get("Mikrotik-Rate-Limit") == []
    assert reply.get("Framed-IP-Address") == ["100.64.0.10"]


def test_freeradius_accepts_the_speed_attributes_of_every_nas_type(radius_server, on_tariff,
                                                                  nas, staff):
    from radius.services import nas_update

    expected = {
        "cisco": ("Cisco-AVPair", 2),
        "juniper": ("ERX-Egress-Policy-Name", 1),
        "accel-ppp": ("Filter-Id", 1),
        "generic": ("WISPr-Bandwidth-Max-Down", 1),
    }
    for kind, (attribute, count) in expected.items():
        nas_update(actor=staff, nas=nas, kind=kind)

        reply = auth(radius_server, **{"User-Name": "bob", "User-Password": "pw"})

        assert reply.code == "Access-Accept", reply.output
        assert len(reply.get(attribute)) == count, (kind, reply.attributes)
        assert reply.get("Mikrotik-Rate-Limit") == []


def test_clients_conf_from_abonent_lets_the_nas_in(start_freeradius, radius_key, customer,
                                                   staff, tmp_path):
    from django.core.management import call_command

    from core.models import Tenant
    from core.tenancy import current_tenant

    secret = "Se'cr\\et\"9"  # quotes and a backslash, as typed on a NAS
    nas = nas_create(actor=staff, name="BRAS Wschód", ip="127.0.0.1", secret=secret,
                     kind="mikrotik")
    login_create(actor=staff, customer=customer, login="bob", password="pw-bob", nases=[nas])
    out = tmp_path / "clients.conf"
    slug = Tenant.objects.get(pk=current_tenant().pk).slug
    with out.open("w") as stream:
        call_command("radius_clients_conf", slug, stdout=stream)

    server = start_freeradius(radius_key, clients=out.read_text())
    ok = radclient(server, "auth", {"NAS-IP-Address": "127.0.0.1", "User-Name": "bob",
                                    "User-Password": "pw-bob"}, secret=secret)
    wrong = radclient(server, "auth", {"NAS-IP-Address": "127.0.0.1", "User-Name": "bob",
                                       "User-Password": "pw-bob"}, retries=1, timeout=1)

    assert ok.code == "Access-Accept", ok.output
    assert wrong.code is None  # the test's own secret is no longer a client's
