"""What FreeRADIUS reports (post-auth, accounting), the regular reload and upkeep."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core.tenancy import current_tenant
from core.tenant_settings import setting_get

from ..authlog import auth_event_write
from ..db import prepared_fetchone
from ..models import (
    AuthEvent,
    Nas,
    RadiusSession,
    SessionSample,
)
from ..selectors import LOGIN_ID_SQL, ip_or_none, login_id_for, mac_or_none


def logins_reload_periodic(*, minute: int) -> int:
    """Queue the regular reload of this minute's share of the logins that are online.

    Every login is reloaded once per ``computer.reload_every_minutes`` (0: never): in
    minute ``m`` the logins whose id ≡ m (mod period), spread over the minute, so a NAS
    never gets all its sessions at once. Returns how many were queued.
    """
    from .logins import _reload_queue_many

    period = setting_get("computer.reload_every_minutes")
    if not period:
        return 0
    ids = sorted({i for i in RadiusSession.objects.filter(
        stopped_at__isnull=True, login__isnull=False, nas__isnull=False
    ).values_list("login_id", flat=True) if i % period == minute % period})
    with transaction.atomic():
        _reload_queue_many(ids, periodic=True, spread_seconds=60)
    return len(ids)


def sessions_close_stale(*, now: datetime | None = None) -> int:
    """Close sessions whose NAS stopped reporting (``computer.session_stale_minutes``).

    The session ends when it was last heard of. Returns how many were closed.
    """
    limit = (now or timezone.now()) - timedelta(
        minutes=setting_get("computer.session_stale_minutes"))
    return RadiusSession.objects.filter(stopped_at__isnull=True, updated_at__lt=limit).update(
        stopped_at=F("updated_at"), terminate_cause="Stale")


def samples_prune(*, now: datetime | None = None) -> int:
    """Delete interim samples older than ``computer.sample_retention_days``."""
    limit = (now or timezone.now()) - timedelta(
        days=setting_get("computer.sample_retention_days"))
    return SessionSample.objects.filter(session__tenant=current_tenant(),
                                        at__lt=limit).delete()[0]


# --------------------------------------------------------------------------- FreeRADIUS reports

def auth_event_record(*, username: str, accepted: bool, reason_code: str = "",
                      reason: str = "", nas_ip: str | None = None,
                      calling_station_id: str = "", login_id: int | None = None) -> None:
    """What FreeRADIUS answered (post-auth, or authorize when it could tell), for the
    login's connection history; ``login_id`` when known, else found by name or MAC.
    ``reason_code``: an ``AuthEvent.Reason`` (shown in the viewer's language);
    ``reason``: its details, as they came (the staff's text, FreeRADIUS's message).

    Written by ``radius.authlog`` (in batches, as configured).
    """
    auth_event_write({
        "tenant": current_tenant().pk, "at": timezone.now(), "login_id": login_id,
        "username": username[:253],
        # The MAC finds the login of a DHCP client when authorize did not name it.
        "mac": None if login_id else mac_or_none(username), "nas_ip": ip_or_none(nas_ip),
        "calling": calling_station_id[:64],
        "result": AuthEvent.Result.ACCEPT if accepted else AuthEvent.Result.REJECT,
        "reason_code": reason_code, "reason": reason[:253]})


@dataclass(frozen=True)
class Accounting:
    """One Accounting-Request as FreeRADIUS reported it."""

    status: str  # Start, Interim-Update, Stop, Accounting-On, Accounting-Off
    nas_ip: str
    event_at: datetime
    username: str = ""
    unique_id: str = ""
    acct_session_id: str = ""
    framed_ip: str | None = None
    calling_station_id: str = ""
    session_time: int = 0
    input_bytes: int = 0
    output_bytes: int = 0
    terminate_cause: str = ""


def accounting_record(packet: Accounting) -> None:
    """Apply one accounting packet; safe to repeat (a NAS retransmits).

    Start opens the session (an interim for an unknown session opens it too, as if its
    Start was lost); every interim and the Stop add a sample of the bytes moved since the
    previous report, unless the counters went backwards; Accounting-On/Off closes every
    open session of that NAS. Locks the session row while updating it.
    """
    if packet.status == "Interim-Update" and _interim_apply(packet):
        return
    if packet.status == "Start" and _start_apply(packet):
        return
    with transaction.atomic():
        if packet.status in ("Accounting-On", "Accounting-Off"):
            RadiusSession.objects.filter(nas_ip=packet.nas_ip, stopped_at__isnull=True).update(
                stopped_at=packet.event_at, updated_at=packet.event_at,
                terminate_cause=f"NAS {packet.status}")
            return
        if packet.status not in ("Start", "Interim-Update", "Stop"):
            return
        _session_apply(packet)


# An interim of an open session, the most frequent packet of all, in one statement: lock
# the session, add the sample when no counter went backwards, move the counters. The same
# rules as ``_session_apply``, which handles everything else (and every packet on SQLite).
_INTERIM_TEMPLATE = """
    WITH {commit} locked AS (
        -- By the unique (tenant, unique_id) index alone: with "stopped_at IS NULL" here
        -- the planner may walk the partial index of open sessions instead.
        SELECT id, login_id, session_time, input_bytes, output_bytes, stopped_at
        FROM radius_radiussession
        WHERE tenant_id = %(tenant)s AND unique_id = %(unique_id)s
        FOR UPDATE
    ), s AS (
        SELECT * FROM locked WHERE stopped_at IS NULL
    ), sample AS (
        INSERT INTO radius_sessionsample (session_id, login_id, at, seconds, input_bytes,
                                          output_bytes)
        SELECT id, login_id, %(at)s, %(time)s - session_time, %(in)s - input_bytes,
               %(out)s - output_bytes
        FROM s
        WHERE %(time)s > session_time AND %(in)s >= input_bytes AND %(out)s >= output_bytes
    )
    UPDATE radius_radiussession r
    SET session_time = GREATEST(r.session_time, %(time)s),
        input_bytes = GREATEST(r.input_bytes, %(in)s),
        output_bytes = GREATEST(r.output_bytes, %(out)s),
        updated_at = GREATEST(r.updated_at, %(at)s),
        framed_ip = COALESCE(%(framed_ip)s::inet, r.framed_ip)
    FROM s {commit_from} WHERE r.id = s.id
    RETURNING r.id
"""
# An interim is committed without waiting for the WAL to reach the disk (this statement's
# own transaction only: set_config(…, true) ends with it). What a PostgreSQL crash could
# take is the last fraction of a second of interims, already answered: no traffic is lost
# with them — the next interim carries the session's running totals and its sample spans
# the gap — and a Start, a Stop and everything else still wait for the disk. Half the
# database's work per interim (bench/RESULTS.md). RADIUS_INTERIM_SYNCHRONOUS_COMMIT=True
# waits for the disk here too.
_INTERIM_SQL = _INTERIM_TEMPLATE.format(commit="", commit_from="")
_INTERIM_SQL_ASYNC = _INTERIM_TEMPLATE.format(
    commit="cfg AS (SELECT set_config('synchronous_commit', 'off', true)),",
    commit_from=", cfg")


# A Start in one statement (a NAS that reboots sends thousands at once): the session with
# its login (by name, else a DHCP client by its MAC) and NAS; a retransmission changes
# nothing. Same columns and rules as the ``get_or_create`` of ``_session_apply``.
_START_SQL = f"""
    INSERT INTO radius_radiussession (
        tenant_id, login_id, nas_id, nas_ip, username, unique_id, acct_session_id,
        framed_ip, calling_station_id, started_at, updated_at, session_time, input_bytes,
        output_bytes, terminate_cause)
    VALUES (
        %(tenant)s,
        {LOGIN_ID_SQL},
        (SELECT id FROM radius_nas WHERE tenant_id = %(tenant)s AND ip = %(nas_ip)s::inet),
        %(nas_ip)s::inet, %(username)s, %(unique_id)s, %(session_id)s, %(framed_ip)s::inet,
        %(calling)s, %(started_at)s, %(started_at)s, 0, 0, 0, '')
    ON CONFLICT (tenant_id, unique_id) DO NOTHING
"""  # noqa: S608 - LOGIN_ID_SQL is a constant


def _start_apply(packet: Accounting) -> bool:
    """Open the session of a Start; False: not done here (not PostgreSQL)."""
    if connection.vendor != "postgresql":
        return False
    prepared_fetchone(_START_SQL, {
        "tenant": current_tenant().pk, "username": packet.username[:253],
        "mac": mac_or_none(packet.username),
        "nas_ip": packet.nas_ip, "unique_id": packet.unique_id,
        "session_id": packet.acct_session_id[:64], "framed_ip": packet.framed_ip or None,
        "calling": packet.calling_station_id[:64],
        "started_at": packet.event_at - timedelta(seconds=packet.session_time)})
    return True


def _interim_apply(packet: Accounting) -> bool:
    """Apply an interim of a known open session; False: not one (or not PostgreSQL)."""
    if connection.vendor != "postgresql":
        return False
    # Inside a caller's transaction the setting would cover all of it: wait for the disk.
    sync = settings.RADIUS_INTERIM_SYNCHRONOUS_COMMIT or connection.in_atomic_block
    return prepared_fetchone(_INTERIM_SQL if sync else _INTERIM_SQL_ASYNC, {
        "tenant": current_tenant().pk, "unique_id": packet.unique_id,
        "at": packet.event_at, "time": packet.session_time, "in": packet.input_bytes,
        "out": packet.output_bytes, "framed_ip": packet.framed_ip or None}) is not None


def _session_apply(packet: Accounting) -> None:
    # The usual packet, an interim of a known session: lock it, add a sample, update it —
    # three statements. Only a session heard of for the first time is looked up further.
    session = RadiusSession.objects.select_for_update().filter(
        unique_id=packet.unique_id).first()
    if session is None:
        started_at = packet.event_at - timedelta(seconds=packet.session_time)
        session, created = RadiusSession.objects.get_or_create(
            unique_id=packet.unique_id,
            defaults={
                "login_id": login_id_for(packet.username),
                "nas": Nas.objects.filter(ip=packet.nas_ip).first(),
                "nas_ip": packet.nas_ip, "username": packet.username[:253],
                "acct_session_id": packet.acct_session_id[:64], "framed_ip": packet.framed_ip,
                "calling_station_id": packet.calling_station_id[:64],
                "started_at": started_at, "updated_at": started_at,
            })
        if packet.status == "Start":
            return
        if not created:  # opened meanwhile by a retransmission of this packet
            session = RadiusSession.objects.select_for_update().get(pk=session.pk)
    elif packet.status == "Start":
        return
    if session.stopped_at is not None:
        return  # a retransmitted Stop, or an interim overtaken by the Stop
    seconds = packet.session_time - session.session_time
    d_in = packet.input_bytes - session.input_bytes
    d_out = packet.output_bytes - session.output_bytes
    if seconds > 0 and d_in >= 0 and d_out >= 0:
        SessionSample.objects.create(session=session, login_id=session.login_id,
                                     at=packet.event_at, seconds=seconds,
                                     input_bytes=d_in, output_bytes=d_out)
    session.session_time = max(session.session_time, packet.session_time)
    session.input_bytes = max(session.input_bytes, packet.input_bytes)
    session.output_bytes = max(session.output_bytes, packet.output_bytes)
    session.updated_at = max(session.updated_at, packet.event_at)
    if packet.framed_ip:
        session.framed_ip = packet.framed_ip
    if packet.status == "Stop":
        session.stopped_at = packet.event_at
        session.terminate_cause = packet.terminate_cause[:40]
    session.save(update_fields=["session_time", "input_bytes", "output_bytes", "updated_at",
                                "framed_ip", "stopped_at", "terminate_cause"])
