"""The log of FreeRADIUS's answers (post-auth), written in batches.

FreeRADIUS calls post-auth for every Access-Request, before it sends the answer, so the
call is on the NAS's critical path: thousands per second on a busy network. The event is
kept in memory and a thread of the worker writes what gathered every
``RADIUS_AUTH_LOG_FLUSH_SECONDS`` (or sooner when many wait) in one statement, instead
of one INSERT and one commit per answer.

The price: a worker that dies abruptly loses the events of its last fraction of a second
(a normal exit writes them). This is a log for the connection history; sessions and
traffic come from accounting, which is written before FreeRADIUS is answered. With the
setting at 0 every event is written at once (the tests' default).
"""

import atexit
import logging
import os
import threading

from django.conf import settings
from django.db import connection, connections, transaction

from core.rls import copy_rows
from core.tenancy import all_tenants_context

from .selectors import LOGIN_ID_SQL

logger = logging.getLogger(__name__)

# The login as authorize found it, else found inside the INSERT: by name, else a DHCP
# client by its MAC.
INSERT_SQL = f"""
    INSERT INTO radius_authevent (tenant_id, at, login_id, username, result, reason_code,
                                  reason, nas_ip, calling_station_id)
    VALUES (%(tenant)s, %(at)s, COALESCE(%(login_id)s, {LOGIN_ID_SQL}),
            %(username)s, %(result)s, %(reason_code)s, %(reason)s, %(nas_ip)s, %(calling)s)
"""  # noqa: S608 - LOGIN_ID_SQL is a constant
COPY_COLUMNS = ("tenant", "at", "login_id", "username", "result", "reason_code", "reason",
                "nas_ip", "calling")
COPY_SQL = ("COPY radius_authevent (tenant_id, at, login_id, username, result, reason_code, "
            "reason, nas_ip, calling_station_id) FROM STDIN")
BATCH = 500  # wake the writer early when this many wait
LIMIT = 50_000  # the database away for long: keep the newest, drop the oldest

_pending: list[dict] = []
_lock = threading.Lock()
_wake = threading.Event()
_writer: tuple[int, threading.Thread] | None = None


def _flush_seconds() -> float:
    return float(getattr(settings, "RADIUS_AUTH_LOG_FLUSH_SECONDS", 0))


def auth_event_write(row: dict) -> None:
    """Record one answer: at once, or through the batch writer of this process."""
    if _flush_seconds() <= 0:
        with connection.cursor() as cursor:
            cursor.execute(INSERT_SQL, row)
        return
    with _lock:
        _pending.append(row)
        if len(_pending) > LIMIT:
            del _pending[: len(_pending) - LIMIT]
        _writer_ensure()
        if len(_pending) >= BATCH:
            _wake.set()


def auth_events_flush() -> int:
    """Write what waits, in one transaction; returns how many events were written."""
    with _lock:
        rows = _pending[:]
        _pending.clear()
    if not rows:
        return 0
    try:
        # Authorize's accepts name their login: COPY, a fraction of an INSERT each. The
        # others (post-auth's) find it inside the INSERT; so does every row on SQLite.
        known, unknown = [], rows
        if connection.vendor == "postgresql":
            known = [row for row in rows if row["login_id"]]
            unknown = [row for row in rows if not row["login_id"]]
        # The batch holds answers of every tenant (each row names its own).
        with all_tenants_context(), transaction.atomic(), connection.cursor() as cursor:
            if known:
                with copy_rows(cursor, COPY_SQL) as copy:
                    for row in known:
                        copy.write_row([row[column] for column in COPY_COLUMNS])
            if unknown:
                cursor.executemany(INSERT_SQL, unknown)
    except Exception:
        with _lock:  # try again with the next batch
            _pending[:0] = rows[-LIMIT:]
        raise
    return len(rows)


def _writer_ensure() -> None:
    """Start this process's writer (again after a fork: threads do not survive it)."""
    global _writer
    if _writer is not None and _writer[0] == os.getpid() and _writer[1].is_alive():
        return
    thread = threading.Thread(target=_write_loop, name="radius-authlog", daemon=True)
    _writer = (os.getpid(), thread)
    thread.start()


def _write_loop() -> None:
    while True:
        _wake.wait(_flush_seconds() or 1.0)
        _wake.clear()
        try:
            written = auth_events_flush()
        except Exception:
            logger.exception("writing the FreeRADIUS answers failed; retrying")
            written = 0
        if not written:
            connections.close_all()  # this thread's own connection: idle, or broken


@atexit.register
def _flush_at_exit() -> None:
    try:
        auth_events_flush()
    except Exception:
        logger.exception("writing the FreeRADIUS answers at exit failed")
