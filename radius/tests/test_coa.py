"""Forced reload: CoA and Disconnect to a real RADIUS peer (FreeRADIUS acting as the NAS).

The reloads are queued rows sent by a worker; here the worker runs in the test's thread
(``inline_reloads``, ``reloads_run``). The background workers: test_reload_queue.py."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from core.models import ActionLog
from finance import billing
from radius.models import Login, LoginReload
from radius.services import (
    Accounting,
    accounting_record,
    login_create,
    login_disable,
    login_reload,
    login_reload_attempt,
    login_update,
    nas_create,
)
from radius.tests.conftest import reloads_run
from radius.tests.freeradius import SECRET

pytestmark = [pytest.mark.radius, pytest.mark.usefixtures("inline_reloads")]


def reload_now(*, actor, login) -> str:
    """The staff's "force reload", then the worker's sending: the login's outcome."""
    assert login_reload(actor=actor, login=login) in ("queued", "no_session")
    reloads_run()
    login.refresh_from_db()
    return login.reload_status


def nas_for(peer, *, secret=SECRET, kind="mikrotik"):
    return dict(name="BRAS 1", ip="127.0.0.1", secret=secret, kind=kind,
                coa_port=peer.auth_port)


@pytest.fixture
def online(customer, staff):
    """Log "alice" in: a login with attributes and an open session on the NAS."""

    def make(peer, *, session_id="81a00003", **nas):
        bras = nas_create(actor=staff, **{**nas_for(peer), **nas})
        alice = login_create(actor=staff, customer=customer, login="alice", password="pw",
                             ip="100.64.0.10",
                             attributes=[("Mikrotik-Rate-Limit", ":=", "10M/20M")])
        accounting_record(Accounting(
            status="Start", nas_ip=bras.ip, event_at=datetime.now(UTC), username="alice",
            unique_id="u-1", acct_session_id=session_id, framed_ip="100.64.0.10"))
        return alice

    return make


def test_force_reload_sends_the_attributes_by_coa_and_records_the_ack(coa_peer, online, staff):
    alice = online(coa_peer)

    assert reload_now(actor=staff, login=alice) == "ack"

    log = coa_peer.output()
    assert "Received CoA-Request" in log
    assert 'Mikrotik-Rate-Limit = "10M/20M"' in log
    alice.refresh_from_db()
    assert alice.reload_status == Login.ReloadStatus.ACK
    assert alice.reload_detail == "CoA BRAS 1: applied by the NAS"
    assert ActionLog.objects.filter(kind="login.reload", customer=alice.customer).exists()


def test_unknown_session_is_a_nak_with_its_error_cause(coa_peer, online, staff):
    alice = online(coa_peer, session_id="gone")

    assert reload_now(actor=staff, login=alice) == "nak"

    alice.refresh_from_db()
    assert alice.reload_detail == \
        "CoA BRAS 1: refused by the NAS (Session-Context-Not-Found)"


def test_wrong_secret_is_a_timeout(coa_peer, online, staff):
    alice = online(coa_peer, secret="not-the-secret")

    assert reload_now(actor=staff, login=alice) == "timeout"
    assert "invalid Request Authenticator" in coa_peer.output()


def test_no_open_session_nothing_is_sent(coa_peer, customer, staff):
    alice = login_create(actor=staff, customer=customer, login="alice", password="pw")

    assert reload_now(actor=staff, login=alice) == "no_session"
    assert "Received" not in coa_peer.output()


def test_new_address_disconnects_the_session_after_commit(
        coa_peer, online, staff, django_capture_on_commit_callbacks):
    alice = online(coa_peer)

    with django_capture_on_commit_callbacks(execute=True):
        login_update(actor=staff, login=alice, ip="100.64.0.11")

    assert "Received Disconnect-Request" in coa_peer.output()
    alice.refresh_from_db()
    assert alice.reload_status == Login.ReloadStatus.ACK
    assert alice.reload_detail.startswith("Disconnect BRAS 1")


def test_disabling_a_login_disconnects_it(coa_peer, online, staff,
                                          django_capture_on_commit_callbacks):
    alice = online(coa_peer)

    with django_capture_on_commit_callbacks(execute=True):
        login_disable(actor=staff, login=alice, reason="Unpaid")

    assert "Received Disconnect-Request" in coa_peer.output()


def test_a_speed_change_is_pushed_by_coa(coa_peer, online, staff,
                                         django_capture_on_commit_callbacks):
    alice = online(coa_peer)

    with django_capture_on_commit_callbacks(execute=True):
        login_update(actor=staff, login=alice,
                     attributes=[("Mikrotik-Rate-Limit", ":=", "20M/40M")])

    assert 'Mikrotik-Rate-Limit = "20M/40M"' in coa_peer.output()


def test_periodic_reload_reaches_every_online_login(coa_peer, online, customer, staff,
                                                   django_capture_on_commit_callbacks):
    from core.models import TenantSetting
    from radius.services import logins_reload_periodic

    alice = online(coa_peer)
    bob = login_create(actor=staff, customer=customer, login="bob", password="pw")
    accounting_record(Accounting(
        status="Start", nas_ip="127.0.0.1", event_at=datetime.now(UTC), username="bob",
        unique_id="u-2", acct_session_id="81a00004"))
    TenantSetting.objects.create(key="computer.reload_every_minutes", value=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert logins_reload_periodic(minute=7) == 2

    assert coa_peer.output().count("Received CoA-Request") == 2
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.reload_status, bob.reload_status) == ("ack", "nak")
    # An ACK of the regular refresh is not worth an action-log entry; a NAK is.
    assert list(ActionLog.objects.filter(kind="login.reload").values_list(
        "customer", flat=True)) == [customer.pk]
    assert "bob" in ActionLog.objects.get(kind="login.reload").text


def test_the_coa_carries_the_tariff_speed_in_the_nas_vendors_form(
        coa_peer, customer, staff):
    tariff = billing.tariff_create(actor=staff, name="Internet 20/5", net_price="50.00",
                                   vat_rate="23", download_kbps=20000, upload_kbps=5000)
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                                            start_date=timezone.localdate() - timedelta(days=1))
    nas_create(actor=staff, **nas_for(coa_peer, kind="accel-ppp"))
    alice = login_create(actor=staff, customer=customer, login="alice", password="pw",
                         ip="100.64.0.10", subscription=subscription)
    accounting_record(Accounting(
        status="Start", nas_ip="127.0.0.1", event_at=datetime.now(UTC), username="alice",
        unique_id="u-1", acct_session_id="81a00003", framed_ip="100.64.0.10"))

    assert reload_now(actor=staff, login=alice) == "ack"

    log = coa_peer.output()
    assert 'Filter-Id = "20000/5000"' in log
    assert "Mikrotik-Rate-Limit" not in log


def test_a_nas_that_does_not_answer_is_tried_again_later_and_later(
        coa_peer, online, staff, settings):
    alice = online(coa_peer, secret="not-the-secret")
    settings.RADIUS_COA_RETRY_DELAYS = [30, 60]

    assert login_reload(actor=staff, login=alice) == "queued"
    reload = LoginReload.objects.get()
    # Each try waits for the NAS once, then says how long until the next.
    assert login_reload_attempt(reload_id=reload.pk) == 30
    assert login_reload_attempt(reload_id=reload.pk) == 60
    reload.refresh_from_db()
    assert (reload.status, reload.tries) == ("queued", 2)
    assert login_reload_attempt(reload_id=reload.pk) is None  # the last: given up

    reload.refresh_from_db()
    alice.refresh_from_db()
    assert (reload.status, reload.tries) == ("timeout", 3)
    assert alice.reload_status == Login.ReloadStatus.TIMEOUT
    assert alice.reload_detail == "CoA BRAS 1: the NAS did not answer (3 tries)"
    assert ActionLog.objects.filter(kind="login.reload").latest("id").text == (
        "Settings of login alice reloaded: CoA BRAS 1: the NAS did not answer (3 tries)")
    assert coa_peer.output().count("invalid Request Authenticator") == 3
    assert login_reload_attempt(reload_id=reload.pk) is None  # delivered twice: no resend


def _requests_since(peer, mark: int) -> list[str]:
    import re

    return re.findall(r"Received (CoA|Disconnect)-Request", peer.output()[mark:])


def test_lifting_a_block_takes_it_off_the_live_session_on_every_nas_type(
        coa_peer, customer, staff, django_capture_on_commit_callbacks):
    """A CoA cannot take an attribute away: the block profile's address list (and, when
    blocking, the speed) would stay on the session. Whatever the NAS type, a reload that
    removes an attribute is a Disconnect; the session comes back with the new reply."""
    from radius.models import NasKind
    from radius.services import login_block, login_unblock, nas_update

    tariff = billing.tariff_create(actor=staff, name="Internet 20/5", net_price="50.00",
                                   vat_rate="23", download_kbps=20000, upload_kbps=5000)
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                                            start_date=timezone.localdate() - timedelta(days=1))
    nas = nas_create(actor=staff, **nas_for(coa_peer))
    alice = login_create(actor=staff, customer=customer, login="alice", password="pw",
                         ip="100.64.0.10", subscription=subscription)
    accounting_record(Accounting(
        status="Start", nas_ip="127.0.0.1", event_at=datetime.now(UTC), username="alice",
        unique_id="u-1", acct_session_id="81a00003", framed_ip="100.64.0.10"))
    for kind in NasKind.values:
        nas_update(actor=staff, nas=nas, kind=kind)
        mark = len(coa_peer.output())
        with django_capture_on_commit_callbacks(execute=True):
            login_block(actor=staff, login=alice, reason="Abuse")
        with django_capture_on_commit_callbacks(execute=True):
            login_unblock(actor=staff, login=alice)

        assert _requests_since(coa_peer, mark) == ["Disconnect", "Disconnect"], kind
        alice.refresh_from_db()
        assert alice.reload_status == Login.ReloadStatus.ACK
        assert alice.reload_detail.startswith("Disconnect BRAS 1"), kind


def test_a_change_that_removes_nothing_stays_a_coa(
        coa_peer, customer, staff, django_capture_on_commit_callbacks):
    """Juniper with a block profile that replaces the policy: the speed's policy names
    come back by CoA on unblocking (nothing removed), blocking drops the egress policy
    (Disconnect); a MikroTik speed change is a CoA."""
    from core.models import TenantSetting
    from radius.services import login_block, login_unblock, nas_update

    TenantSetting.objects.create(key="computer.block_attributes",
                                 value="ERX-Ingress-Policy-Name := blocked")
    tariff = billing.tariff_create(actor=staff, name="Internet 20/5", net_price="50.00",
                                   vat_rate="23", download_kbps=20000, upload_kbps=5000)
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                                            start_date=timezone.localdate() - timedelta(days=1))
    nas = nas_create(actor=staff, **nas_for(coa_peer, kind="juniper"))
    alice = login_create(actor=staff, customer=customer, login="alice", password="pw",
                         ip="100.64.0.10", subscription=subscription)
    accounting_record(Accounting(
        status="Start", nas_ip="127.0.0.1", event_at=datetime.now(UTC), username="alice",
        unique_id="u-1", acct_session_id="81a00003", framed_ip="100.64.0.10"))

    with django_capture_on_commit_callbacks(execute=True):
        login_block(actor=staff, login=alice, reason="Abuse")
    mark = len(coa_peer.output())
    with django_capture_on_commit_callbacks(execute=True):
        login_unblock(actor=staff, login=alice)

    assert _requests_since(coa_peer, mark) == ["CoA"]
    log = coa_peer.output()[mark:]
    assert 'ERX-Ingress-Policy-Name = "up-5000k"' in log
    assert 'ERX-Egress-Policy-Name = "down-20000k"' in log

    nas_update(actor=staff, nas=nas, kind="mikrotik")
    mark = len(coa_peer.output())
    with django_capture_on_commit_callbacks(execute=True):
        login_update(actor=staff, login=alice,
                     attributes=[("Mikrotik-Rate-Limit", ":=", "1M/2M")])
    assert _requests_since(coa_peer, mark) == ["CoA"]
    assert 'Mikrotik-Rate-Limit = "1M/2M"' in coa_peer.output()[mark:]
