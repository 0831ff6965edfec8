import os
import secrets
import shutil
import threading
import time

import pytest

from core.tenancy import tenant_context

# The tenants' FreeRADIUS keys have the same value in every test of a run, so one
# FreeRADIUS (which reads its key when it starts) serves them all: see ``freeradius_pool``.
RADIUS_KEY = secrets.token_urlsafe(32)
OTHER_RADIUS_KEY = secrets.token_urlsafe(32)


def _radius_key_create(*, actor, name: str, key: str) -> str:
    """``radius_key_create`` as the product runs it, its random key replaced by ``key``."""
    from radius.models import RadiusKey
    from radius.selectors import radius_key_cache_clear
    from radius.services import radius_key_create

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RadiusKey, "new_key", staticmethod(lambda: key))
        created = radius_key_create(actor=actor, name=name)[1]
    assert created == key
    # The key named an earlier test's tenant in this process's cache (the live server's
    # threads share it): the same key now belongs to this test's tenant.
    radius_key_cache_clear()
    return created


@pytest.fixture
def radius_key(in_tenant, staff):
    return _radius_key_create(actor=staff, name="FreeRADIUS test", key=RADIUS_KEY)


@pytest.fixture
def other_radius_key(other_tenant, other_staff):
    with tenant_context(other_tenant):
        return _radius_key_create(actor=other_staff, name="FreeRADIUS B",
                                  key=OTHER_RADIUS_KEY)


def _require_freeradius():
    if shutil.which("freeradius") and shutil.which("radclient"):
        return
    message = "FreeRADIUS is not installed (scripts/test-deps.sh installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def app_server(django_db_setup, live_server):
    """``config.wsgi.application`` on a loopback port, once per run: the WSGI callable
    gunicorn serves, with ``radius.fastpath`` in front of Django. A test using it gets the
    committed database (``live_server``: transactional, emptied after the test); its own
    server is not used."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.db import connections

    from config.wsgi import application

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Handler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    def app(environ, start_response):
        try:
            return application(environ, start_response)
        finally:
            connections.close_all()  # this request's thread ends now

    httpd = make_server("127.0.0.1", 0, app, server_class=Server, handler_class=Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def freeradius_pool(tmp_path_factory):
    """The run's FreeRADIUS servers, one per configuration (key, URL, clients file),
    started when a test first needs it and stopped at the end of the run."""
    from radius.tests import freeradius

    servers = {}

    def get(*, key, url, clients=None, tz=None):
        config = (key, url, clients, tz)
        if config not in servers:
            servers[config] = freeradius.start(tmp_path_factory.mktemp("freeradius"),
                                               url=url, key=key, clients=clients, tz=tz)
        return servers[config]

    yield get
    for server in servers.values():
        server.stop()


@pytest.fixture
def start_freeradius(app_server, freeradius_pool):
    """FreeRADIUS with the shipped configuration: ``start_freeradius(key, url=...)``;
    shared with the other tests of the same configuration. Its ``output()`` is this
    test's part of the log; the test ends when FreeRADIUS has finished its requests."""
    _require_freeradius()
    used = []

    def start(key, *, url=None, clients=None, tz=None):
        server = freeradius_pool(key=key, url=url or app_server, clients=clients,
                                 tz=tz).from_here()
        used.append(server)
        return server

    yield start
    for server in used:
        server.wait_idle()


@pytest.fixture
def radius_server(start_freeradius, radius_key):
    """FreeRADIUS asking the test's live Abonent with the tenant's key."""
    return start_freeradius(radius_key)


@pytest.fixture(scope="session")
def shared_coa_peer(tmp_path_factory):
    from radius.tests import freeradius

    _require_freeradius()
    server = freeradius.start_coa_peer(tmp_path_factory.mktemp("coa-peer"))
    yield server
    server.stop()


@pytest.fixture
def coa_peer(shared_coa_peer):
    """A real FreeRADIUS acting as the NAS for CoA/Disconnect (see freeradius.COA_PEER_CONF),
    one per run; ``output()`` is what this test sent it."""
    server = shared_coa_peer.from_here()
    yield server
    server.wait_idle()


def pytest_terminal_summary(terminalreporter):
    from radius.tests import freeradius

    if freeradius.starts:
        terminalreporter.write_line(f"FreeRADIUS started {freeradius.starts} times")


@pytest.fixture
def coa_fast(settings):
    """A NAS that does not answer is given up on in a fraction of a second: short waits
    per try and between tries (the schedule's shape is the product's)."""
    settings.RADIUS_COA_TIMEOUT = 0.3
    settings.RADIUS_COA_RETRY_DELAYS = [0.05, 0.1]


def reloads_run(reload_ids=None) -> None:
    """Send the queued reloads (``reload_ids``, else all) in this thread as a worker
    would, with the retries and their waits: the test's transaction holds the rows, so
    a worker thread could not see them."""
    from radius.models import LoginReload
    from radius.services import login_reload_attempt

    if reload_ids is None:
        reload_ids = list(LoginReload.objects.filter(status="queued").order_by("id")
                          .values_list("pk", flat=True))
    for reload_id in reload_ids:
        while (delay := login_reload_attempt(reload_id=reload_id)) is not None:
            time.sleep(delay)


@pytest.fixture
def inline_reloads(monkeypatch, coa_fast):
    """Reloads queued after commit are sent in the test's thread (``reloads_run``)."""
    from radius import reloads

    monkeypatch.setattr(reloads, "dispatch",
                        lambda tenant_id, sends: reloads_run([pk for pk, _delay in sends]))
