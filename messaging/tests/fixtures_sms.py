"""Fixtures of the SMS tests: a real Kannel (bearerbox + smsbox + fakesmsc) once per run,
and a fake SMS provider's HTTP API (a remote service we cannot run here) on loopback."""

import json
import os
import secrets
import socket
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from messaging.kannel import kannel_installed, kannel_start
from messaging.models import Gateway


def _require_kannel():
    if kannel_installed():
        return
    message = "Kannel is not installed (scripts/test-deps.sh installs kannel, kannel-extras)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def kannel(tmp_path_factory):
    """bearerbox + fakesmsc + smsbox on free loopback ports (``messaging.kannel``)."""
    _require_kannel()
    server = kannel_start(tmp_path_factory.mktemp("kannel"))
    yield server
    server.stop()


@pytest.fixture
def kannel_sent(kannel):
    """What fakesmsc receives from this test on: ``kannel_sent(n)`` waits for n SMS."""
    start = kannel.received_count()

    def wait(count: int, timeout: float = 10):
        received = kannel.wait_received(start + count, timeout=timeout)[start:]
        assert len(received) == count, f"fakesmsc got {len(received)} of {count}"
        return received

    return wait


@pytest.fixture
def kannel_gateway(in_tenant, kannel):
    return Gateway.objects.create(channel="sms", kind="kannel", url=kannel.sendsms_url,
                                  username=kannel.username, password=kannel.password,
                                  dlr_secret=secrets.token_urlsafe(32))


@pytest.fixture
def reports_to(settings):
    """``reports_to(url)``: the gateways send delivery reports to Abonent at ``url``."""

    def set_url(url: str) -> None:
        settings.MESSAGING_PUBLIC_URL = url

    return set_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float = 10, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class FakeSmsProvider:
    """A Polish SMS provider's HTTP API as published (SMSAPI.pl's ``sms.do``): POST with a
    Bearer token; JSON answers; ``check_idx`` refuses an idx already sent (error 53);
    ``callback()`` calls the message's ``notify_url`` as the provider does.

    ``script[number]``: answers to give that number, in order: ``(http status, JSON)``, or
    "lost": the message is sent but the answer is a 504 (as if lost on the way)."""

    token = "tok3n_\"x\"/+="

    def __init__(self):
        self.received: list[dict] = []
        self.script: dict[str, list] = {}
        self.by_idx: dict[str, dict] = {}
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                fields = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode(),
                                                     keep_blank_values=True))
                status, answer = provider.answer(self.path, self.headers, fields)
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/sms.do"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def reset(self):
        with self.lock:
            self.received.clear()
            self.script.clear()
            self.by_idx.clear()

    def answer(self, path, headers, fields) -> tuple[int, dict]:
        with self.lock:
            if path != "/sms.do":
                return 404, {"error": 8, "message": "Error in request"}
            if headers.get("Authorization") != f"Bearer {self.token}":
                return 401, {"error": 101, "message": "Authorization failed"}
            self.received.append(fields)
            to = fields.get("to", "")
            scripted = self.script[to].pop(0) if self.script.get(to) else None
            if scripted is not None and scripted != "lost":
                return scripted
            if not to.isdigit():
                return 200, {"error": 13, "message": "No correct phone numbers"}
            idx = fields.get("idx", "")
            if fields.get("check_idx") == "1" and idx in self.by_idx:
                return 200, {"error": 53, "message": "Message with this idx already sent"}
            record = {"id": uuid.uuid4().hex[:20].upper(), "points": 0.16, "number": to,
                      "date_sent": int(time.time()), "submitted_number": to,
                      "status": "QUEUE", "error": None, "idx": idx, "parts": 1,
                      "notify_url": fields.get("notify_url", "")}
            self.by_idx[idx] = record
            if scripted == "lost":  # sent, but the answer never reaches the client
                return 504, "Gateway Time-out"
            return 200, {"count": 1, "list": [{k: v for k, v in record.items()
                                                if k != "notify_url"}]}

    def callback(self, idx: str, *, status: str, name: str, notify_url: str | None = None,
                 method: str = "GET") -> tuple[int, str]:
        """Report ``status``/``name`` for the message sent with ``idx`` as the provider
        does: its fields appended to the notify_url. Returns (HTTP status, body)."""
        record = self.by_idx[idx]
        url = notify_url or record["notify_url"]
        fields = urllib.parse.urlencode({
            "MsgId": record["id"], "status": status, "status_name": name, "idx": idx,
            "donedate": int(time.time()), "username": "isp", "points": "0.16",
            "to": record["number"]})
        if method == "GET":
            request = urllib.request.Request(url + ("&" if "?" in url else "?") + fields)
        else:
            request = urllib.request.Request(url, data=fields.encode(), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def sms_provider_server():
    provider = FakeSmsProvider()
    yield provider
    provider.stop()


@pytest.fixture
def sms_provider(sms_provider_server):
    sms_provider_server.reset()
    return sms_provider_server


@pytest.fixture
def http_sms_gateway(in_tenant, sms_provider):
    return Gateway.objects.create(channel="sms", kind="http_sms", url=sms_provider.url,
                                  password=sms_provider.token, from_address="SiecAlfa",
                                  dlr_secret=secrets.token_urlsafe(32))
