"""Every kind of reject through a real FreeRADIUS: the logged reason is the true one
(a stable code, shown in the viewer's language) and FreeRADIUS logs no error for it."""

import re
from datetime import UTC, datetime

import pytest
from django.utils import translation

from radius.models import AuthEvent, RadiusSession
from radius.services import login_create, login_disable, nas_create
from radius.tests.freeradius import radclient, radtest

pytestmark = [pytest.mark.radius, pytest.mark.django_db(transaction=True)]
Reason = AuthEvent.Reason


@pytest.fixture
def nas(in_tenant, staff):
    return nas_create(actor=staff, name="BRAS 1", ip="127.0.0.1", secret="testing123",
                      kind="mikrotik")


@pytest.fixture
def alice(customer, staff, nas):
    return login_create(actor=staff, customer=customer, login="alice", password="secret",
                        ip="100.64.0.10")


def auth(server, **attributes):
    return radclient(server, "auth", {"NAS-IP-Address": "127.0.0.1", **attributes})


def errors(server) -> list[str]:
    """FreeRADIUS's error lines for what this test sent. MS-CHAP's module reports a
    wrong response as its own error ("mschap: ERROR: MS-CHAP2-Response is incorrect"):
    that is the reason itself, not a fault, and is left out."""
    server.wait_idle()
    return [line for line in server.output().splitlines()
            if "ERROR" in line and not re.search(r"mschap: ERROR: MS-CHAP2?-Response is "
                                                 r"incorrect", line)]


def only_event() -> AuthEvent:
    event = AuthEvent.objects.get()
    assert event.result == "reject"
    return event


def test_unknown_login_is_logged_as_unknown_without_an_error(radius_server, alice):
    reply = auth(radius_server, **{"User-Name": "mallory", "User-Password": "secret"})

    assert reply.code == "Access-Reject"
    assert errors(radius_server) == []
    event = only_event()
    assert (event.login, event.username, event.reason_code) == (None, "mallory",
                                                               Reason.UNKNOWN_LOGIN)


def test_disabled_login_is_logged_as_disabled_with_the_staffs_reason(radius_server, alice,
                                                                     staff):
    login_disable(actor=staff, login=alice, reason="Unpaid invoices")

    reply = auth(radius_server, **{"User-Name": "alice", "User-Password": "secret"})

    assert reply.code == "Access-Reject"
    assert reply.get("Reply-Message") == ["Unpaid invoices"]
    assert errors(radius_server) == []
    event = only_event()
    assert (event.login, event.reason_code, event.reason) == (alice, Reason.DISABLED,
                                                              "Unpaid invoices")
    assert event.reason_text == "login disabled: Unpaid invoices"


def test_disabled_login_without_a_reason_still_says_disabled(radius_server, alice, staff):
    login_disable(actor=staff, login=alice, reason="")

    assert auth(radius_server, **{"User-Name": "alice",
                                  "User-Password": "secret"}).code == "Access-Reject"
    assert errors(radius_server) == []
    assert only_event().reason_text == "login disabled"


def test_a_nas_the_login_may_not_use_is_the_logged_reason(radius_server, customer, staff,
                                                          nas):
    other = nas_create(actor=staff, name="BRAS 2", ip="192.0.2.7", secret="s2")
    login_create(actor=staff, customer=customer, login="bob", password="secret",
                 nases=[other])

    reply = auth(radius_server, **{"User-Name": "bob", "User-Password": "secret"})

    assert reply.code == "Access-Reject"
    assert errors(radius_server) == []
    event = only_event()
    assert (event.reason_code, event.reason) == (Reason.NAS_NOT_ALLOWED, "127.0.0.1")


def test_wrong_pap_password_is_the_logged_reason(radius_server, alice):
    assert auth(radius_server, **{"User-Name": "alice",
                                  "User-Password": "guess"}).code == "Access-Reject"
    assert errors(radius_server) == []
    assert only_event().reason_code == Reason.WRONG_PASSWORD


def test_mschap_failure_is_logged_as_a_wrong_password(radius_server, alice):
    assert radtest(radius_server, "alice", "guess", method="mschap").code == "Access-Reject"

    assert errors(radius_server) == []  # no rlm_rest error: post-auth answered as JSON
    event = only_event()
    assert (event.login, event.reason_code) == (alice, Reason.WRONG_PASSWORD)
    assert event.reason.startswith("mschap: ")


def test_the_reason_is_shown_in_the_viewers_language(radius_server, alice):
    auth(radius_server, **{"User-Name": "mallory", "User-Password": "secret"})
    event = only_event()

    # Stored as a code, no text of the site's language frozen in: each viewer reads it
    # in their own.
    assert (event.reason_code, event.reason) == ("unknown_login", "")
    assert event.reason_text == "unknown login"
    with translation.override("pl"):
        assert event.reason_text == translation.gettext("unknown login")


def test_accounting_and_post_auth_answers_are_json_for_freeradius(radius_server, alice):
    radclient(radius_server, "acct", {
        "User-Name": "alice", "NAS-IP-Address": "127.0.0.1", "Acct-Session-Id": "s1",
        "Acct-Status-Type": "Start"})
    radtest(radius_server, "alice", "secret", method="mschap")  # accept via post-auth

    assert errors(radius_server) == []
    assert "Type   : html" not in radius_server.output()


def test_event_timestamp_of_a_freeradius_in_warsaw_is_taken_as_the_true_instant(
        start_freeradius, radius_key, alice):
    server = start_freeradius(radius_key, tz="Europe/Warsaw")

    reply = radclient(server, "acct", {
        "User-Name": "alice", "NAS-IP-Address": "127.0.0.1", "Acct-Session-Id": "s1",
        "Acct-Status-Type": "Start", "Event-Timestamp": 1796328000})  # 2026-12-03 20:00 UTC

    assert reply.code == "Accounting-Response", reply.output
    assert "CET" in server.output()  # FreeRADIUS did write Warsaw's local time
    assert RadiusSession.objects.get().started_at == datetime(2026, 12, 3, 20, 0,
                                                              tzinfo=UTC)
