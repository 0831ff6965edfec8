import os
import shutil
import threading

import pytest

from core.tenancy import tenant_context


@pytest.fixture
def radius_key(in_tenant, staff):
    from radius.services import radius_key_create

    return radius_key_create(actor=staff, name="FreeRADIUS test")[1]


@pytest.fixture
def other_radius_key(other_tenant, other_staff):
    from radius.services import radius_key_create

    with tenant_context(other_tenant):
        return radius_key_create(actor=other_staff, name="FreeRADIUS B")[1]


def _require_freeradius():
    if shutil.which("freeradius") and shutil.which("radclient"):
        return
    message = "FreeRADIUS is not installed (scripts/test-deps.sh installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def app_server(live_server):
    """``config.wsgi.application`` on a loopback port: the WSGI callable gunicorn serves,
    with ``radius.fastpath`` in front of Django (``live_server`` gives the committed
    database, its own server is not used)."""
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


@pytest.fixture
def start_freeradius(app_server, tmp_path):
    """Start FreeRADIUS with the shipped configuration: ``start_freeradius(key, url=...)``."""
    from radius.tests import freeradius

    _require_freeradius()
    servers = []

    def start(key, *, url=None, clients=None):
        server = freeradius.start(tmp_path / f"freeradius{len(servers)}",
                                  url=url or app_server, key=key, clients=clients)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def radius_server(start_freeradius, radius_key):
    """FreeRADIUS asking the test's live Abonent with the tenant's key."""
    return start_freeradius(radius_key)


@pytest.fixture
def coa_peer(tmp_path):
    """A real FreeRADIUS acting as the NAS for CoA/Disconnect (see freeradius.COA_PEER_CONF)."""
    from radius.tests import freeradius

    _require_freeradius()
    server = freeradius.start_coa_peer(tmp_path / "coa-peer")
    yield server
    server.stop()
