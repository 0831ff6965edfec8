"""Fixtures of the device-message tests (messaging/notices.py): a customer's login with
an open session, sending and reading notices as the product does."""

from datetime import UTC, datetime

import pytest

# The RADIUS tests' servers: FreeRADIUS asking the live Abonent, the CoA peer as the NAS.
from radius.tests.conftest import (  # noqa: F401
    app_server,
    coa_fast,
    coa_peer,
    freeradius_pool,
    inline_reloads,
    radius_key,
    radius_server,
    shared_coa_peer,
    start_freeradius,
)

NOTICE_SESSION_ID = "81a00003"  # the session the CoA peer knows (radius/tests/freeradius.py)


def notice_online(*, actor, customer, login: str = "jan-dom", ip: str = "100.64.0.10",
                  nas=None, session_id: str = NOTICE_SESSION_ID, unique_id: str = ""):
    """A login of ``customer`` with an open session at ``ip`` (on ``nas``, else on a NAS
    record at 127.0.0.1 made here)."""
    from radius.services import Accounting, accounting_record, login_create, nas_create
    from radius.tests.freeradius import SECRET

    if nas is None:
        nas = nas_create(actor=actor, name="BRAS 1", ip="127.0.0.1", secret=SECRET,
                         kind="mikrotik")
    row = login_create(actor=actor, customer=customer, login=login, password="pw", ip=ip,
                       nases=[nas])
    accounting_record(Accounting(
        status="Start", nas_ip=nas.ip, event_at=datetime.now(UTC), username=login,
        unique_id=unique_id or f"u-{login}", acct_session_id=session_id, framed_ip=ip))
    return row


@pytest.fixture
def notice_login(customer, staff):
    """The customer's login "jan-dom", online at 100.64.0.10."""
    return notice_online(actor=staff, customer=customer)


@pytest.fixture
def notice_commit(django_capture_on_commit_callbacks):
    """Run ``fn`` and then what it queued for after the commit (the events, and the
    reloads the events queue), as a request would: ``notice_commit(fn, ...)``."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def notice_reloads(monkeypatch):
    """The ids of the reloads (radius ``LoginReload`` rows) handed to the workers, which
    do not run: tests without a NAS look at what was queued."""
    from radius import reloads

    sent: list[int] = []
    monkeypatch.setattr(reloads, "dispatch",
                        lambda tenant_id, sends: sent.extend(pk for pk, _d in sends))
    return sent
