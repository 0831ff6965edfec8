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
    assert call("/radius/rest/authorize", key=radius_key, body=user("ola"))["status"] == 404
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
