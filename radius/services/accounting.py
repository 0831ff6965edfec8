"""What FreeRADIUS reports (post-auth, accounting), the regular reload and upkeep."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.tenancy import current_tenant
from core.tenant_settings import setting_get

from ..models import (
    AuthEvent,
    Nas,
    RadiusSession,
    SessionSample,
)
from ..selectors import login_id_for


def logins_reload_periodic(*, minute: int) -> int:
    """Queue the regular reload of this minute's share of the logins that are online.

    Every login is reloaded once per ``computer.reload_every_minutes`` (0: never): in
    minute ``m`` the logins whose id ≡ m (mod period), spread over the minute, so a NAS
    never gets all its sessions at once. Returns how many were queued.
    """
    from ..tasks import login_reload as login_reload_task

    period = setting_get("computer.reload_every_minutes")
    if not period:
        return 0
    ids = sorted({i for i in RadiusSession.objects.filter(
        stopped_at__isnull=True, login__isnull=False, nas__isnull=False
    ).values_list("login_id", flat=True) if i % period == minute % period})
    tenant_id = current_tenant().pk
    for n, login_id in enumerate(ids):
        login_reload_task.apply_async((tenant_id, login_id), {"periodic": True},
                                      countdown=n * 60 // len(ids))
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

def auth_event_record(*, username: str, accepted: bool, reason: str = "",
                      nas_ip: str | None = None, calling_station_id: str = "") -> AuthEvent:
    """Post-auth: what FreeRADIUS answered, for the login's connection history."""
    event = AuthEvent(login_id=login_id_for(username), username=username[:253],
                      result=AuthEvent.Result.ACCEPT if accepted else AuthEvent.Result.REJECT,
                      reason=reason[:253], nas_ip=nas_ip,
                      calling_station_id=calling_station_id[:64])
    event.save()
    return event


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
    with transaction.atomic():
        if packet.status in ("Accounting-On", "Accounting-Off"):
            RadiusSession.objects.filter(nas_ip=packet.nas_ip, stopped_at__isnull=True).update(
                stopped_at=packet.event_at, updated_at=packet.event_at,
                terminate_cause=f"NAS {packet.status}")
            return
        if packet.status not in ("Start", "Interim-Update", "Stop"):
            return
        _session_apply(packet)


def _session_apply(packet: Accounting) -> None:
    started_at = packet.event_at - timedelta(seconds=packet.session_time)
    session, _created = RadiusSession.objects.get_or_create(
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
    session = RadiusSession.objects.select_for_update().get(pk=session.pk)
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
    session.save()
