import os
import shutil

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
def start_freeradius(live_server, tmp_path):
    """Start FreeRADIUS with the shipped configuration: ``start_freeradius(key, url=...)``."""
    from radius.tests import freeradius

    _require_freeradius()
    servers = []

    def start(key, *, url=None):
        server = freeradius.start(tmp_path / f"freeradius{len(servers)}",
                                  url=url or live_server.url, key=key)
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
