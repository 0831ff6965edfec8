"""Production defaults: with SECRET_KEY set (settings.PRODUCTION) the deployment check is
clean and the answers carry HSTS, the Content-Security-Policy and secure cookies. Each runs
in a subprocess, since the settings are read from the environment at start."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
# A key as `python -c "import secrets; print(secrets.token_urlsafe(50))"` makes one.
SECRET = "x4Qm9v-Zr2Lk7Tg8PpWc3Ns6Hd1Yb5Fj0Ue-Ao4Ri8Kw2Mv7Gq9Xs3Cz6Jl1Nt5Dh"


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DEBUG", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "DJANGO_SETTINGS_MODULE",
                        "DJANGO_ALLOW_ASYNC_UNSAFE")}
    # No query is made: an in-memory database stands for the deployment's.
    env.update({"SECRET_KEY": SECRET, "ALLOWED_HOSTS": "abonent.example.pl,testserver",
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": "sqlite://:memory:"}, **extra)
    return env


def run(args, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=BASE_DIR, env=production_env(**extra), capture_output=True,
                          text=True, timeout=120)


def test_check_deploy_is_clean_in_production():
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output


def test_check_deploy_warns_without_the_production_defaults():
    """The same check fails when a default is turned off: the test above can fail."""
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                 SECURE_SSL_REDIRECT="False")
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


PROBE = r"""
import json
import django
from django.conf import settings
# Hashed static names need collectstatic's manifest, which a test run has not made.
settings.STORAGES = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
django.setup()
from django.test import Client

client = Client()
out = {}
page = client.get("/login/", secure=True, headers={"host": "abonent.example.pl"})
out["page"] = {"status": page.status_code, "headers": dict(page.headers),
               "cookies": {name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]),
                                  "samesite": c["samesite"]}
                           for name, c in page.cookies.items()}}
plain = client.get("/login/", headers={"host": "abonent.example.pl"})
out["plain"] = {"status": plain.status_code, "location": plain.headers.get("Location")}
radius = client.post("/radius/rest/authorize", headers={"host": "abonent.example.pl"})
out["radius_status"] = radius.status_code
out["testserver"] = client.get("/login/", secure=True).status_code
out["allowed_hosts"] = settings.ALLOWED_HOSTS
out["session"] = {"secure": settings.SESSION_COOKIE_SECURE,
                  "age": settings.SESSION_COOKIE_AGE, "debug": settings.DEBUG}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def probe():
    result = run([sys.executable, "-c", PROBE])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_answers_carry_hsts_csp_and_secure_cookies(probe):
    page = probe["page"]
    assert page["status"] == 200
    headers = {k.lower(): v for k, v in page["headers"].items()}
    assert headers["strict-transport-security"] == \
        "max-age=31536000; includeSubDomains; preload"
    policy = dict(part.strip().split(" ", 1)
                  for part in headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert "unsafe" not in headers["content-security-policy"]
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "content-security-policy-report-only" not in headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert page["cookies"]["csrftoken"]["secure"]
    assert probe["session"] == {"secure": True, "age": 10 * 3600, "debug": False}


def test_production_redirects_plain_http_but_not_freeradius(probe):
    assert probe["plain"] == {"status": 301, "location": "https://abonent.example.pl/login/"}
    # rlm_rest on the internal network speaks plain HTTP: answered, not redirected.
    assert probe["radius_status"] != 301


def test_production_refuses_the_test_clients_host(probe):
    assert "testserver" not in probe["allowed_hosts"]
    assert probe["testserver"] == 400


def test_development_reports_the_same_policy_without_enforcing_it(client):
    response = client.get("/login/")
    assert "Content-Security-Policy" not in response.headers
    policy = response.headers["Content-Security-Policy-Report-Only"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
