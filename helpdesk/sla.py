"""SLA of cases: deadlines in business time (helpdesk.business_time), paused while the
case waits for the customer, breaches flagged and escalated by a beat job.

Owned by the SLA part. The case services call ``case_sla_refresh`` after every change of
a case's status, type, priority or first response, inside their transaction.

The rule, written once (``sla_compute``) and used by the interactive services and by the
beat job alike:

- the deadlines count from ``created_at``: ``due = add(created_at, target minutes +
  paused seconds)`` in the tenant's business time, so a change of type or priority
  recomputes them from the start, and no target means no deadlines;
- the clock stops while the case waits for the customer and while it is resolved or
  closed (``sla_paused_at`` = the moment it stopped); when it runs again the business
  seconds of the stop are added to ``sla_paused_seconds`` and the deadlines move out.
  A reopened case therefore resumes where it stopped;
- a deadline is breached when its moment came while the clock ran and the first
  response / resolution had not come (or came later). The flag stays once set: a breach
  happened, even if a later change of target would have allowed more time.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from .business_time import Calendar, calendar_get

log = logging.getLogger(__name__)

# Statuses whose clock is stopped: waiting for the customer (a pause) and finished ones.
WAITING = "waiting"
STOPPED_STATUSES = ("waiting", "resolved", "closed")
FINISHED_STATUSES = ("resolved", "closed")

SLA_FIELDS = ("sla_first_response_due", "sla_resolution_due", "sla_paused_at",
              "sla_paused_seconds", "sla_breached", "sla_breached_at")

_UNSET = object()


@dataclass(frozen=True)
class Target:
    """An SLA target's minutes (a ``SlaTarget`` row or plain numbers)."""

    first_response_minutes: int
    resolution_minutes: int


@dataclass(frozen=True)
class SlaState:
    first_response_due: dt.datetime | None
    resolution_due: dt.datetime | None
    paused_at: dt.datetime | None
    paused_seconds: int
    breached: bool
    breached_at: dt.datetime | None


def _due(calendar: Calendar, start: dt.datetime, seconds: int) -> dt.datetime | None:
    try:
        return calendar.add(start, seconds)
    except (ValueError, OverflowError):
        # Hours so thin (or a target so long) that the deadline lies beyond the
        # calendar's reach: no deadline rather than a failed save of the case.
        log.warning("SLA deadline beyond the business calendar (start %s, %ss)",
                    start, seconds)
        return None


def sla_compute(*, created_at: dt.datetime, status: str, first_response_at, resolved_at,
                paused_at, paused_seconds: int, breached: bool, breached_at,
                target: Target | None, calendar: Calendar, now: dt.datetime) -> SlaState:
    """The SLA fields of a case in ``status`` at ``now`` (pure: no database)."""
    paused_seconds = int(paused_seconds or 0)
    stopped = status in STOPPED_STATUSES
    if stopped and paused_at is None:
        # The clock stops now; a case resolved "earlier" than now stops at resolution.
        paused_at = now
        if status in FINISHED_STATUSES and resolved_at is not None and resolved_at < now:
            paused_at = max(resolved_at, created_at)
    elif not stopped and paused_at is not None:
        paused_seconds += calendar.seconds_between(paused_at, now)
        paused_at = None

    if target is None:
        return SlaState(None, None, paused_at, paused_seconds, breached, breached_at)

    first_due = _due(calendar, created_at,
                     int(target.first_response_minutes) * 60 + paused_seconds)
    resolution_due = _due(calendar, created_at,
                          int(target.resolution_minutes) * 60 + paused_seconds)

    if not breached:
        # The clock's reading: it does not run past the moment it stopped.
        clock = paused_at if paused_at is not None else now
        candidates = []
        if first_due is not None:
            answered = first_response_at if first_response_at is not None else None
            if (answered is not None and answered > first_due) or (
                    answered is None and clock >= first_due):
                candidates.append(first_due)
        if resolution_due is not None:
            done = resolved_at if status in FINISHED_STATUSES else None
            if (done is not None and done > resolution_due) or (
                    done is None and clock >= resolution_due):
                candidates.append(resolution_due)
        if candidates:
            breached, breached_at = True, min(candidates)
    return SlaState(first_due, resolution_due, paused_at, paused_seconds, breached,
                    breached_at)


def target_for(case) -> Target | None:
    """The target of the case's type and priority (one query), or None."""
    from .models import SlaTarget

    row = (SlaTarget.objects.filter(case_type_id=case.case_type_id, priority=case.priority)
           .values_list("first_response_minutes", "resolution_minutes").first())
    return Target(*row) if row else None


def case_sla_refresh(case, *, now, target=_UNSET, calendar: Calendar | None = None) -> list[str]:
    """Recompute ``case``'s SLA fields for its current state at ``now`` (in memory; the
    caller saves). Returns the names of the fields it changed.

    ``target`` (a ``SlaTarget``, a ``Target`` or None) and ``calendar`` may be given by a
    caller that refreshes many cases; otherwise they are read (three small queries)."""
    if target is _UNSET:
        target = target_for(case)
    elif target is not None and not isinstance(target, Target):
        target = Target(target.first_response_minutes, target.resolution_minutes)
    calendar = calendar or calendar_get()
    state = sla_compute(
        created_at=case.created_at or now, status=case.status,
        first_response_at=case.first_response_at, resolved_at=case.resolved_at,
        paused_at=case.sla_paused_at, paused_seconds=case.sla_paused_seconds,
        breached=case.sla_breached, breached_at=case.sla_breached_at,
        target=target, calendar=calendar, now=now)
    new = {"sla_first_response_due": state.first_response_due,
           "sla_resolution_due": state.resolution_due,
           "sla_paused_at": state.paused_at,
           "sla_paused_seconds": state.paused_seconds,
           "sla_breached": state.breached,
           "sla_breached_at": state.breached_at}
    changed = []
    for name, value in new.items():
        if getattr(case, name) != value:
            setattr(case, name, value)
            changed.append(name)
    return changed


# ----------------------------------------------------------------------- display

@dataclass(frozen=True)
class Badge:
    """What a queue view shows of a case's SLA (``_badge.html``): ``state`` is none,
    running, overdue (past due, not flagged yet: the beat job runs each minute),
    breached, paused (waiting for the customer) or stopped (resolved or closed in time)."""

    state: str
    due: dt.datetime | None = None
    left: str = ""
    overdue: str = ""
    soon: bool = False


def duration_text(delta: dt.timedelta) -> str:
    """A short, rounded duration: "3 d 4 h", "2 h 15 min", "5 min"."""
    from django.utils.translation import gettext

    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return gettext("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return gettext("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return gettext("%(m)s min") % {"m": minutes}


def sla_badge(case, *, now) -> Badge:
    """The badge of ``case`` at ``now`` from its fields alone (no queries)."""
    pending = None
    if case.first_response_at is None and case.sla_first_response_due is not None:
        pending = case.sla_first_response_due
    if case.sla_resolution_due is not None and case.status not in FINISHED_STATUSES:
        pending = min(pending, case.sla_resolution_due) if pending else case.sla_resolution_due
    if case.sla_breached:
        late = now - pending if (pending and now > pending
                                 and case.status not in STOPPED_STATUSES) else None
        return Badge("breached", due=case.sla_breached_at,
                     overdue=duration_text(late) if late else "")
    if case.sla_first_response_due is None and case.sla_resolution_due is None:
        return Badge("none")
    if case.status in FINISHED_STATUSES:
        return Badge("stopped", due=case.sla_resolution_due)
    if case.status == WAITING:
        return Badge("paused", due=pending)
    if pending is None:
        return Badge("none")
    if now >= pending:
        return Badge("overdue", due=pending, overdue=duration_text(now - pending))
    return Badge("running", due=pending, left=duration_text(pending - now),
                 soon=pending - now < dt.timedelta(hours=1))
