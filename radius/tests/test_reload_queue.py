"""The forced reload never makes staff wait on a NAS: the request queues a row per
session and returns; a worker — a thread of this process without a broker, as here —
sends it after commit, tries a silent NAS again on the schedule and records the outcome.
"""

import socket
import time
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from core.models import ActionLog
from radius.models import Login, LoginReload
from radius.services import Accounting, accounting_record, login_create, nas_create
from radius.tests.freeradius import SECRET

pytestmark = [pytest.mark.radius, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("coa_fast")]


@pytest.fixture
def silent_nas():
    """A UDP port that takes packets and never answers (a NAS gone quiet)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0)
    yield sock
    sock.close()


def received(sock) -> int:
    count = 0
    while True:
        try:
            sock.recv(4096)
        except BlockingIOError:
            return count
        count += 1


def online(customer, staff, *, port: int, session_id: str = "81a00003") -> Login:
    nas = nas_create(actor=staff, name="BRAS 1", ip="127.0.0.1", secret=SECRET,
                     kind="mikrotik", coa_port=port)
    alice = login_create(actor=staff, customer=customer, login="alice", password="pw",
                         ip="100.64.0.10")
    accounting_record(Accounting(
        status="Start", nas_ip=nas.ip, event_at=datetime.now(UTC), username="alice",
        unique_id="u-1", acct_session_id=session_id, framed_ip="100.64.0.10"))
    return alice


def site_language(message: str, **values) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        text = translation.gettext(message)
    return text % values if values else text


def finished(login: Login, timeout: float = 10) -> LoginReload:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reload = LoginReload.objects.filter(login=login).latest("id")
        if reload.status != LoginReload.Status.QUEUED:
            return reload
        time.sleep(0.05)
    raise AssertionError("the reload was never finished")


def test_a_silent_nas_never_holds_up_the_staff_request_and_ends_as_a_timeout(
        staff_client, customer, staff, silent_nas, settings):
    settings.RADIUS_COA_TIMEOUT = 2.0
    alice = online(customer, staff, port=silent_nas.getsockname()[1])
    offline = login_create(actor=staff, customer=customer, login="bob", password="pw")
    url = reverse("radius:login_reload", args=[offline.pk])
    staff_client.post(url, headers={"HX-Request": "true"})  # the page's first render

    started = time.monotonic()
    response = staff_client.post(reverse("radius:login_reload", args=[alice.pk]),
                                 headers={"HX-Request": "true"})
    took = time.monotonic() - started

    assert response.status_code == 200
    assert took < 1.5, took  # one try alone waits 2 s for the NAS
    assert "Reload of alice: queued." in response.content.decode()
    alice.refresh_from_db()
    assert alice.reload_status == Login.ReloadStatus.QUEUED  # what the card shows meanwhile

    reload = finished(alice, timeout=20)
    assert (reload.status, reload.tries) == ("timeout", 3)  # the first try and 2 retries
    assert received(silent_nas) == 3
    alice.refresh_from_db()
    assert alice.reload_status == Login.ReloadStatus.TIMEOUT
    assert [e.text for e in ActionLog.objects.filter(kind="login.reload", customer=customer)
            .exclude(params__login="bob").order_by("id")] == [
        "Reload of login alice queued (sessions: 1).",
        # The detail is written by the worker thread: in the site's language.
        "Settings of login alice reloaded: " + site_language(
            "%(kind)s %(nas)s: the NAS did not answer (%(tries)s tries)",
            kind="CoA", nas="BRAS 1", tries=3)]


def test_the_api_reload_returns_at_once_and_is_retried_too(
        api_client, customer, staff, silent_nas):
    alice = online(customer, staff, port=silent_nas.getsockname()[1])

    started = time.monotonic()
    response = api_client.post(f"/api/v1/radius/logins/{alice.pk}/reload/")

    assert time.monotonic() - started < 0.5
    assert response.status_code == 200
    assert response.json()["reload_status"] == "queued"
    assert finished(alice).tries == 3
    assert received(silent_nas) == 3


def test_an_ack_and_a_nak_are_recorded_as_the_nas_said(
        staff_client, customer, staff, coa_peer):
    alice = online(customer, staff, port=coa_peer.auth_port)

    staff_client.post(reverse("radius:login_reload", args=[alice.pk]))

    assert (finished(alice).status, finished(alice).tries) == ("ack", 1)
    alice.refresh_from_db()
    assert alice.reload_detail == "CoA BRAS 1: " + site_language("applied by the NAS")

    # The NAS no longer knows the session: a NAK with its Error-Cause.
    alice.sessions.update(acct_session_id="gone")
    staff_client.post(reverse("radius:login_reload", args=[alice.pk]))

    reload = finished(alice)
    assert (reload.status, reload.tries) == ("nak", 1)
    assert ActionLog.objects.filter(kind="login.reload").latest("id").text == \
        "Settings of login alice reloaded: CoA BRAS 1: " + site_language(
            "refused by the NAS") + " (Session-Context-Not-Found)"


def test_with_a_broker_the_task_retries_on_the_same_schedule(
        customer, staff, silent_nas, settings, tenant, monkeypatch):
    from radius import tasks

    alice = online(customer, staff, port=silent_nas.getsockname()[1])
    settings.RADIUS_COA_RETRY_DELAYS = [30, 60]
    monkeypatch.setattr("radius.reloads.dispatch", lambda tenant_id, sends: None)
    from radius.services import login_reload

    with pytest.MonkeyPatch.context():
        assert login_reload(actor=staff, login=alice) == "queued"
    reload = LoginReload.objects.get()
    countdowns = []

    class Retry(Exception):
        pass

    def retry(countdown, max_retries):  # the broker is the boundary: record, not queue
        countdowns.append(countdown)
        return Retry()

    monkeypatch.setattr(tasks.login_reload_send, "retry", retry)
    for _try in range(2):
        with pytest.raises(Retry):
            tasks.login_reload_send.run(tenant.pk, reload.pk)
    assert tasks.login_reload_send.run(tenant.pk, reload.pk) is None

    assert countdowns == [30, 60]
    reload.refresh_from_db()
    assert (reload.status, reload.tries) == ("timeout", 3)


def test_a_session_that_ended_before_the_send_is_not_sent_to(
        customer, staff, silent_nas, monkeypatch):
    from radius.services import login_reload, login_reload_attempt

    alice = online(customer, staff, port=silent_nas.getsockname()[1])
    monkeypatch.setattr("radius.reloads.dispatch", lambda tenant_id, sends: None)
    login_reload(actor=staff, login=alice)
    accounting_record(Accounting(
        status="Stop", nas_ip="127.0.0.1", event_at=datetime.now(UTC), username="alice",
        unique_id="u-1", acct_session_id="81a00003"))

    assert login_reload_attempt(reload_id=LoginReload.objects.get().pk) is None

    assert LoginReload.objects.get().status == "gone"
    assert received(silent_nas) == 0


def test_with_a_broker_the_reload_is_queued_as_a_task_after_commit(
        customer, staff, silent_nas, settings, monkeypatch):
    from radius import tasks
    from radius.services import login_reload

    alice = online(customer, staff, port=silent_nas.getsockname()[1])
    settings.CELERY_TASK_ALWAYS_EAGER = False  # REDIS_URL set
    queued = []
    monkeypatch.setattr(tasks.login_reload_send, "apply_async",
                        lambda args, countdown: queued.append((args, countdown)))

    started = time.monotonic()
    assert login_reload(actor=staff, login=alice) == "queued"

    assert time.monotonic() - started < 0.5
    reload = LoginReload.objects.get()
    assert queued == [((alice.tenant_id, reload.pk), 0.0)]
    assert received(silent_nas) == 0  # nothing sent by the caller


def test_reloads_a_stopped_process_took_with_it_are_sent_again(
        customer, staff, silent_nas, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from core.models import TenantSetting
    from radius import tasks
    from radius.services import login_reload

    alice = online(customer, staff, port=silent_nas.getsockname()[1])
    # Only the pick-up: no regular reload in this minute.
    TenantSetting.objects.create(key="computer.reload_every_minutes", value=0)
    sent = []
    monkeypatch.setattr("radius.reloads.dispatch",
                        lambda tenant_id, sends: sent.append((tenant_id, sends)))
    login_reload(actor=staff, login=alice)
    fresh = LoginReload.objects.get()
    sent.clear()
    tasks.logins_reload_periodic()
    assert sent == [(alice.tenant_id, [])]  # due now, its worker is on it

    LoginReload.objects.filter(pk=fresh.pk).update(
        next_try_at=timezone.now() - timedelta(minutes=5))
    sent.clear()
    tasks.logins_reload_periodic()
    assert sent == [(alice.tenant_id, [(fresh.pk, 0)])]
