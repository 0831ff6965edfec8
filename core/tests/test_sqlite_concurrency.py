"""The embedded default (SQLite, ``make run``) used by a small office at once.

The suite runs on PostgreSQL, so this test starts the project the way ``make run`` does —
``manage.py migrate`` and ``runserver`` on a SQLite file of its own — and sends it what an
office sends at nine in the morning: several staff logging in at the same moment, each
then creating a customer (a read of the next number and a write in one transaction, the
shape SQLite's deferred transactions answered with "database is locked"). No request may
fail and every customer must be there afterwards, numbered once each.
"""

import http.cookiejar
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
WORKERS = 8
ROUNDS = 3
PASSWORD = "s3cret-pass"

SETUP = f"""
from core.models import Membership, Tenant, User
from core.roles import Role
tenant = Tenant.objects.create(name="Sieć Alfa", slug="alfa")
for i in range({WORKERS}):
    user = User.objects.create_user(username=f"staff{{i}}", password={PASSWORD!r})
    Membership.objects.create(user=user, tenant=tenant, role=Role.ADMIN)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _manage(env, *args, **kwargs):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env,
                          check=True, capture_output=True, text=True, timeout=300, **kwargs)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Office:
    """One member of staff in their own browser: a cookie jar and CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def _cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), "")

    def request(self, method, path, *, form=None, data=None) -> tuple[int, str]:
        headers = {"Accept-Language": "en", "Referer": self.base + path}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
            headers["X-CSRFToken"] = self._cookie("csrftoken")
        request = urllib.request.Request(self.base + path, data=body, headers=headers,
                                         method=method)
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def login(self, username) -> tuple[int, str]:
        return self.request("POST", "/login/", form={
            "username": username, "password": PASSWORD,
            "csrfmiddlewaretoken": self._cookie("csrftoken")})


def _title(body: str) -> str:
    """What went wrong, as the debug page's title says ("OperationalError at /login/")."""
    start = body.find("<title>")
    return " ".join(body[start + 7:body.find("</title>")].split()) if start >= 0 else body[:200]


@pytest.fixture
def sqlite_server(tmp_path):
    """``make run`` on a SQLite file in ``tmp_path``: migrated, a tenant and WORKERS admins,
    runserver (threaded, as in development). Yields (base URL, database file)."""
    database = tmp_path / "abonent.sqlite3"
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "DATABASE_MIGRATE_URL", "REDIS_URL", "SECRET_KEY"}}
    env.update(DATABASE_URL=f"sqlite:///{database}", MEDIA_ROOT=str(tmp_path / "media"),
               DJANGO_SETTINGS_MODULE="config.settings", PYTHONUNBUFFERED="1")
    _manage(env, "migrate", "--noinput")
    _manage(env, "shell", "-c", SETUP)
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/login/", timeout=5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "server.log").read_text()) from None
                time.sleep(0.2)
        yield base, database
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_staff_logging_in_and_writing_at_once_on_sqlite_all_succeed(sqlite_server):
    base, database = sqlite_server
    failures = []

    def one_member(index, round_, together):
        office = Office(base)
        office.request("GET", "/login/")
        together.wait()  # the logins leave at once
        status, body = office.login(f"staff{index}")
        together.wait()  # and so do the writes
        if status != 302:
            failures.append(("login", round_, index, status, _title(body)))
            return
        status, body = office.request("POST", "/api/v1/customers/",
                                      data={"last_name": f"Nowak {round_}-{index}"})
        if status != 201:
            failures.append(("create", round_, index, status, _title(body)))

    for round_ in range(ROUNDS):
        together = threading.Barrier(WORKERS, timeout=120)
        threads = [threading.Thread(target=one_member, args=(i, round_, together))
                   for i in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        if failures:
            break

    assert not failures, "\n".join(map(str, failures))
    with sqlite3.connect(database) as db:
        names = {row[0] for row in db.execute("SELECT last_name FROM customers_customer")}
        numbers = [row[0] for row in db.execute("SELECT number FROM customers_customer")]
    assert names == {f"Nowak {r}-{i}" for r in range(ROUNDS) for i in range(WORKERS)}
    assert sorted(numbers) == list(range(1, WORKERS * ROUNDS + 1))
