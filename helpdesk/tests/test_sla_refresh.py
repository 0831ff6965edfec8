"""case_sla_refresh: deadlines from the target in business time, pauses while waiting,
the stopped clock of resolved cases, recomputation on a priority change, breaches."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.business_time import DEFAULT_HOURS, Calendar
from helpdesk.models import SlaTarget
from helpdesk.sla import Target, case_sla_refresh, sla_compute
from helpdesk.tests.fixtures_sla import WAW, sla_case_make, waw


def local(moment):
    return moment.astimezone(WAW).replace(tzinfo=None)


def test_deadlines_from_the_target(sla_setup):
    # Friday 15:00: first response 60 business minutes → 16:00 the same day; resolution
    # 480 → 7 h more, from Monday 8:00 → Monday 15:00.
    case = sla_case_make(**sla_setup, created_at=waw(2025, 6, 6, 15))
    changed = case_sla_refresh(case, now=waw(2025, 6, 6, 15))
    assert set(changed) == {"sla_first_response_due", "sla_resolution_due"}
    assert local(case.sla_first_response_due) == dt.datetime(2025, 6, 6, 16)
    assert local(case.sla_resolution_due) == dt.datetime(2025, 6, 9, 15)
    assert case_sla_refresh(case, now=waw(2025, 6, 6, 15, 5)) == []


def test_no_target_no_deadlines(sla_setup):
    case = sla_case_make(**sla_setup, priority=1, created_at=waw(2025, 6, 6, 15))
    case_sla_refresh(case, now=waw(2025, 6, 20))
    assert case.sla_first_response_due is None and case.sla_resolution_due is None
    assert not case.sla_breached


def test_priority_change_recomputes_from_creation(sla_setup):
    case = sla_case_make(**sla_setup, created_at=waw(2025, 6, 9, 9))
    case_sla_refresh(case, now=waw(2025, 6, 9, 9))
    case.priority = 3
    changed = case_sla_refresh(case, now=waw(2025, 6, 9, 9, 20))
    assert "sla_first_response_due" in changed
    assert local(case.sla_first_response_due) == dt.datetime(2025, 6, 9, 9, 30)
    assert local(case.sla_resolution_due) == dt.datetime(2025, 6, 9, 13)


def test_pause_while_waiting_pushes_the_deadlines_out(sla_setup):
    case = sla_case_make(**sla_setup, created_at=waw(2025, 6, 9, 9),
                         first_response_at=waw(2025, 6, 9, 9, 10))
    case_sla_refresh(case, now=waw(2025, 6, 9, 9))
    assert local(case.sla_resolution_due) == dt.datetime(2025, 6, 10, 9)
    case.status = "waiting"
    case_sla_refresh(case, now=waw(2025, 6, 9, 10))
    assert case.sla_paused_at == waw(2025, 6, 9, 10)
    # Waiting all night and past the old deadline: no breach while paused.
    case_sla_refresh(case, now=waw(2025, 6, 10, 12))
    assert not case.sla_breached
    # Back in progress at 12:00 next day: the pause was 6 + 4 = 10 business hours.
    case.status = "in_progress"
    case_sla_refresh(case, now=waw(2025, 6, 10, 12))
    assert case.sla_paused_at is None
    assert case.sla_paused_seconds == 10 * 3600
    assert local(case.sla_resolution_due) == dt.datetime(2025, 6, 11, 11)
    assert not case.sla_breached


def test_resolved_stops_the_clock_and_reopen_resumes(sla_setup):
    case = sla_case_make(**sla_setup, created_at=waw(2025, 6, 9, 9),
                         first_response_at=waw(2025, 6, 9, 9, 5))
    case_sla_refresh(case, now=waw(2025, 6, 9, 9))
    case.status, case.resolved_at = "resolved", waw(2025, 6, 9, 11)
    case_sla_refresh(case, now=waw(2025, 6, 9, 11))
    # A week later, still resolved: resolved in time, nothing breached.
    case_sla_refresh(case, now=waw(2025, 6, 16, 11))
    assert not case.sla_breached
    # Reopened on Monday 16th at 11:00: 6 business hours were left, due 17:00 → Tuesday.
    case.status, case.resolved_at = "in_progress", None
    case_sla_refresh(case, now=waw(2025, 6, 16, 11))
    assert local(case.sla_resolution_due) == dt.datetime(2025, 6, 17, 9)
    assert not case.sla_breached


def test_breach_of_the_first_response(sla_setup):
    case = sla_case_make(**sla_setup, created_at=waw(2025, 6, 9, 9))
    case_sla_refresh(case, now=waw(2025, 6, 9, 9, 59))
    assert not case.sla_breached
    changed = case_sla_refresh(case, now=waw(2025, 6, 9, 10, 1))
    assert "sla_breached" in changed
    assert case.sla_breached_at == waw(2025, 6, 9, 10)
    # Answering later does not undo the breach.
    case.first_response_at = waw(2025, 6, 9, 10, 30)
    case_sla_refresh(case, now=waw(2025, 6, 9, 10, 30))
    assert case.sla_breached


def test_late_resolution_is_a_breach(sla_setup):
    case = sla_case_make(**sla_setup, created_at=waw(2025, 6, 9, 9),
                         first_response_at=waw(2025, 6, 9, 9, 5), status="resolved",
                         resolved_at=waw(2025, 6, 10, 15))
    case_sla_refresh(case, now=waw(2025, 6, 10, 15))
    assert case.sla_breached and local(case.sla_breached_at) == dt.datetime(2025, 6, 10, 9)


def test_other_tenants_target_is_not_used(sla_setup, other_tenant):
    from core.tenancy import tenant_context
    from helpdesk.tests.factories import case_type_make

    with tenant_context(other_tenant):
        foreign = case_type_make("Awaria")
        SlaTarget.objects.create(case_type=foreign, priority=1, first_response_minutes=5,
                                 resolution_minutes=10)
    case = sla_case_make(**sla_setup, priority=1, created_at=waw(2025, 6, 9, 9))
    case_sla_refresh(case, now=waw(2025, 6, 9, 9))
    assert case.sla_first_response_due is None


def test_deadline_beyond_the_calendar_is_none(sla_setup):
    case = sla_case_make(**sla_setup, created_at=waw(2025, 6, 9, 9))
    calendar = Calendar(hours={0: (dt.time(8), dt.time(8, 1))}, tz=WAW)
    case_sla_refresh(case, now=waw(2025, 6, 9, 9), calendar=calendar,
                     target=Target(60, 527040))
    assert case.sla_first_response_due is not None and case.sla_resolution_due is None


# ------------------------------------------------------------------ properties

CAL = Calendar(hours=dict(DEFAULT_HOURS), tz=WAW)
moments = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 12, 31),
                       timezones=st.just(WAW))


def _state(created, minutes, *, paused_seconds=0, now=None):
    return sla_compute(created_at=created, status="in_progress", first_response_at=None,
                       resolved_at=None, paused_at=None, paused_seconds=paused_seconds,
                       breached=False, breached_at=None, target=Target(minutes, minutes * 4),
                       calendar=CAL, now=now or created)


@settings(max_examples=60, deadline=None)
@given(created=moments, minutes=st.integers(1, 3000), pause=st.integers(0, 10 * 24 * 3600))
def test_pause_never_shortens(created, minutes, pause):
    plain = _state(created, minutes)
    paused = _state(created, minutes, paused_seconds=pause)
    assert paused.first_response_due >= plain.first_response_due
    assert paused.resolution_due >= plain.resolution_due


@settings(max_examples=60, deadline=None)
@given(created=moments, a=st.integers(1, 3000), b=st.integers(1, 3000))
def test_due_monotonic_in_minutes(created, a, b):
    lo, hi = sorted((a, b))
    assert _state(created, lo).first_response_due <= _state(created, hi).first_response_due


@settings(max_examples=60, deadline=None)
@given(created=moments, minutes=st.integers(1, 3000), wait=st.integers(0, 20 * 24 * 60))
def test_waiting_then_resuming_moves_the_deadline_by_the_business_time_of_the_pause(
        created, minutes, wait):
    start = created + dt.timedelta(minutes=5)
    state = sla_compute(created_at=created, status="waiting", first_response_at=None,
                        resolved_at=None, paused_at=None, paused_seconds=0, breached=False,
                        breached_at=None, target=Target(minutes, minutes), calendar=CAL,
                        now=start)
    end = start + dt.timedelta(minutes=wait)
    state = sla_compute(created_at=created, status="in_progress", first_response_at=None,
                        resolved_at=None, paused_at=state.paused_at, paused_seconds=0,
                        breached=False, breached_at=None, target=Target(minutes, minutes),
                        calendar=CAL, now=end)
    assert state.paused_seconds == CAL.seconds_between(start, end)
    assert not CAL.is_day_off(state.first_response_due.astimezone(WAW).date()) or \
        CAL.is_business_time(state.first_response_due - dt.timedelta(seconds=1))


def test_changing_or_removing_a_target_moves_the_open_cases_deadlines(sla_setup, staff):
    """Friday 15:00, normal priority, 60 / 480 min → resolution Monday 15:00. The target
    raised to 960 min: Tuesday 15:00 for the open case; a closed case and a case of
    another priority keep theirs. The target removed: the open case has no deadline."""
    from helpdesk.services import sla as services

    def made(**extra):
        case = sla_case_make(**sla_setup, created_at=waw(2025, 6, 6, 15), **extra)
        case_sla_refresh(case, now=waw(2025, 6, 6, 15))
        case.save()
        return case

    open_case, closed, urgent = made(), made(status="closed"), made(priority=3)
    urgent_due = urgent.sla_resolution_due
    target = SlaTarget.objects.get(case_type=sla_setup["case_type"], priority=2)

    services.sla_target_update(actor=staff, target=target, resolution_minutes=960)

    for case in (open_case, closed, urgent):
        case.refresh_from_db()
    assert local(open_case.sla_resolution_due) == dt.datetime(2025, 6, 10, 15)
    assert local(open_case.sla_first_response_due) == dt.datetime(2025, 6, 6, 16)
    assert local(closed.sla_resolution_due) == dt.datetime(2025, 6, 9, 15)
    assert urgent.sla_resolution_due == urgent_due

    services.sla_target_delete(actor=staff, target=target)

    open_case.refresh_from_db()
    assert open_case.sla_resolution_due is None and open_case.sla_first_response_due is None
