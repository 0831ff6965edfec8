"""``radius.fastpath``: the WSGI application gunicorn serves answers FreeRADIUS directly."""

import io
import json
from unittest import mock

import pytest
from django.db import connection

from config.wsgi import application
from radius.services import login_create

pytestmark = pytest.mark.django_db(transaction=True)


def call(path: str, *, method: str = "POST", key: str = "", body: dict | None = None):
    data = json.dumps(body or {}).encode()
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "testserver",
        "SERVER_PORT": "80", "HTTP_HOST": "testserver", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data), "CONTENT_LENGTH": str(len(data)),
        "CONTENT_TYPE": "application/json", "HTTP_X_ABONENT_KEY": key,
        "wsgi.errors": io.StringIO(), "SCRIPT_NAME": "",
    }
    answer = {}

    def start_response(status, headers):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    answer["body"] = b"".join(application(environ, start_response))
    return answer


def user(name: str) -> dict:
    return {"User-Name": {"type": "string", "value": [name]}}


@pytest.fixture
def jan(customer, staff):
    return login_create(actor=staff, customer=customer, login="jan", password="Tajne-1",
                        ip="10.0.0.5")


def test_authorize_is_answered_without_the_middleware(radius_key, jan):
    with mock.patch("django.core.handlers.base.BaseHandler.get_response") as django:
        answer = call("/radius/rest/authorize", key=radius_key, body=user("jan"))

    django.assert_not_called()
    assert answer["status"] == 200
    assert answer["headers"]["Content-Length"] == str(len(answer["body"]))
    body = json.loads(answer["body"])
    assert body["control:Cleartext-Password"]["value"] == "Tajne-1"
    assert body["reply:Framed-IP-Address"]["value"] == ["10.0.0.5"]


def test_wrong_key_unknown_login_and_other_methods(radius_key, jan):
    assert call("/radius/rest/authorize", key="nope", body=user("jan"))["status"] == 403
    unknown = call("/radius/rest/authorize", key=radius_key, body=user("ola"))
    assert unknown["status"] == 401  # rejected, logged with its reason
    assert unknown["headers"]["Content-Type"] == "application/json"
    # Not a POST, or not one of the three endpoints: Django answers as ever.
    assert call("/radius/rest/authorize", method="GET")["status"] == 405
    assert call("/radius/rest/nothing", key=radius_key)["status"] == 404


def test_a_crash_is_a_500_and_the_next_request_is_answered(radius_key, jan):
    with mock.patch.dict("radius.fastpath.VIEWS",
                         {"authorize": mock.Mock(side_effect=RuntimeError("boom"))}):
        assert call("/radius/rest/authorize", key=radius_key, body=user("jan"))["status"] \
            == 500

    connection.close()  # as after a database restart: the next request reconnects
    assert call("/radius/rest/authorize", key=radius_key, body=user("jan"))["status"] == 200


def test_a_body_over_the_upload_limit_is_refused_unread(radius_key, jan, settings):
    from radius.models import AuthEvent

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = {**user("jan"), "Reply-Message": {"type": "string", "value": ["x" * 200]}}
    answer = call("/radius/rest/post-auth", key=radius_key, body=body)

    assert answer["status"] == 413
    assert not AuthEvent.objects.exists()


def test_accounting_takes_the_event_time_from_event_timestamp(radius_key, jan):
    from datetime import UTC, datetime

    from radius.models import RadiusSession

    def start(unique_id: str, stamp: str) -> RadiusSession:
        body = {**user("jan"),
                "NAS-IP-Address": {"type": "ipaddr", "value": ["127.0.0.1"]},
                "Acct-Status-Type": {"type": "integer", "value": ["Start"]},
                "Acct-Unique-Session-Id": {"type": "string", "value": [unique_id]},
                "Acct-Delay-Time": {"type": "integer", "value": [0]},
                "Event-Timestamp": {"type": "date", "value": [stamp]}}
        assert call("/radius/rest/accounting", key=radius_key, body=body)["status"] == 204
        return RadiusSession.all_tenants.get(unique_id=unique_id)

    assert start("a", "Dec  3 2026 12:00:07 UTC").started_at == \
        datetime(2026, 12, 3, 12, 0, 7, tzinfo=UTC)
    # A FreeRADIUS host in Warsaw writes its local time and zone: the same instant.
    assert start("w", "Dec  3 2026 20:00:00 CET").started_at == \
        datetime(2026, 12, 3, 19, 0, tzinfo=UTC)
    assert start("s", "Jul  3 2026 20:00:00 CEST").started_at == \
        datetime(2026, 7, 3, 18, 0, tzinfo=UTC)
    assert start("n", "Mar  1 2026 00:30:00 +0530").started_at == \
        datetime(2026, 2, 28, 19, 0, tzinfo=UTC)
    assert start("e", "1796328000").started_at == datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
    # An ambiguous abbreviation (India, Ireland, Israel): the time of arrival, no guess.
    before = datetime.now(UTC)
    assert start("i", "Dec  3 2026 20:00:00 IST").started_at >= before.replace(microsecond=0)
    # Not a date FreeRADIUS writes: the time of arrival instead.
    before = datetime.now(UTC)
    assert start("b", "yesterday noon").started_at >= before.replace(microsecond=0)


def test_an_interim_commits_without_waiting_for_the_disk_and_only_itself(radius_key, jan):
    import psycopg

    from radius.models import RadiusSession

    def packet(status: str, seconds: int, octets: int) -> dict:
        return {**user("jan"),
                "NAS-IP-Address": {"type": "ipaddr", "value": ["127.0.0.1"]},
                "Acct-Status-Type": {"type": "integer", "value": [status]},
                "Acct-Unique-Session-Id": {"type": "string", "value": ["s1"]},
                "Acct-Session-Time": {"type": "integer", "value": [seconds]},
                "Acct-Input-Octets": {"type": "integer", "value": [octets]},
                "Acct-Output-Octets": {"type": "integer", "value": [octets]}}

    statements = []
    execute = psycopg.Cursor.execute

    def recording(cursor, query, *args, **kwargs):
        statements.append(str(query))
        return execute(cursor, query, *args, **kwargs)

    assert call("/radius/rest/accounting", key=radius_key,
                body=packet("Start", 0, 0))["status"] == 204
    with mock.patch.object(psycopg.Cursor, "execute", recording):
        assert call("/radius/rest/accounting", key=radius_key,
                    body=packet("Interim-Update", 60, 6000))["status"] == 204
    [interim] = [s for s in statements if "radius_sessionsample" in s]
    assert "set_config('synchronous_commit', 'off', true)" in interim

    session = RadiusSession.all_tenants.get(unique_id="s1")
    assert (session.session_time, session.input_bytes) == (60, 6000)
    assert session.samples.get().input_bytes == 6000
    # The setting ended with the interim's own transaction: the next write on this
    # connection (a staff payment, say) waits for the disk again.
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
