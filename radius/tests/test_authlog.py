"""``radius.authlog``: FreeRADIUS's answers gathered and written in batches."""

import time

import pytest

from radius import authlog
from radius.models import AuthEvent
from radius.services import auth_event_record, login_create


@pytest.fixture
def batched(settings):
    settings.RADIUS_AUTH_LOG_FLUSH_SECONDS = 0.05
    yield
    authlog._pending.clear()


def test_answers_wait_for_the_flush_and_keep_their_login(batched, customer, staff):
    jan = login_create(actor=staff, customer=customer, login="jan", password="Tajne-1")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(authlog, "_writer_ensure", lambda: None)  # no thread: flush by hand
        auth_event_record(username="jan", accepted=True, nas_ip="10.0.0.1")
        auth_event_record(username="ola", accepted=False, reason_code="unknown_login",
                          reason="no such login")
        assert AuthEvent.objects.count() == 0

        assert authlog.auth_events_flush() == 2

    events = {e.username: e for e in AuthEvent.objects.all()}
    assert events["jan"].login == jan and events["jan"].result == "accept"
    assert str(events["jan"].nas_ip) == "10.0.0.1"
    assert events["ola"].login is None
    assert (events["ola"].reason_code, events["ola"].reason) == ("unknown_login",
                                                                 "no such login")
    assert authlog.auth_events_flush() == 0


def test_accepts_with_their_login_known_are_copied_with_every_field(batched, customer,
                                                                     staff, tenant):
    jan = login_create(actor=staff, customer=customer, login="jan", password="Tajne-1")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(authlog, "_writer_ensure", lambda: None)
        # As authorize logs them (login known) and as post-auth does (found by name).
        auth_event_record(username="jan", accepted=True, nas_ip="10.0.0.1",
                          calling_station_id="AA-BB", login_id=jan.pk)
        auth_event_record(username="jan", accepted=False, reason="Rejected: bad password")
        auth_event_record(username="jan", accepted=False, reason_code="disabled",
                          reason="Unpaid", login_id=jan.pk)  # copied, with its code
        assert authlog.auth_events_flush() == 3
        assert AuthEvent.objects.filter(reason_code="disabled", login=jan,
                                        reason="Unpaid").delete()[0] == 1

    accept, reject = AuthEvent.objects.order_by("result")
    assert (accept.tenant_id, accept.login, accept.result, str(accept.nas_ip),
            accept.calling_station_id, accept.reason) == (
        tenant.pk, jan, "accept", "10.0.0.1", "AA-BB", "")
    assert accept.at is not None
    assert (reject.login, reject.result, reject.reason) == (jan, "reject",
                                                             "Rejected: bad password")


@pytest.mark.django_db(transaction=True)
def test_the_writer_thread_writes_them_soon(batched, customer, staff):
    auth_event_record(username="jan", accepted=True)

    deadline = time.monotonic() + 5
    while not AuthEvent.objects.filter(username="jan").exists():
        assert time.monotonic() < deadline, "the writer never wrote the event"
        time.sleep(0.05)


def test_a_failed_write_keeps_the_events_for_the_next_one(batched, customer, staff,
                                                          monkeypatch):
    monkeypatch.setattr(authlog, "_writer_ensure", lambda: None)
    auth_event_record(username="jan", accepted=True)
    monkeypatch.setattr(authlog, "INSERT_SQL", "INSERT INTO no_such_table VALUES (1)")
    with pytest.raises(Exception):  # noqa: B017 - whatever the database says
        authlog.auth_events_flush()
    monkeypatch.undo()

    assert authlog.auth_events_flush() == 1
    assert AuthEvent.objects.filter(username="jan").count() == 1
