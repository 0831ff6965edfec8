"""The business calendar: Polish holidays, weekends, tenant days off, DST, midnight, far
dates — and the properties SLA deadlines rely on (hypothesis)."""

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.business_time import DEFAULT_HOURS, Calendar, calendar_get

WAW = zoneinfo.ZoneInfo("Europe/Warsaw")
UTC = dt.UTC
HOUR = 3600


def at(y, m, d, h=0, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=WAW)


def local(moment):
    return moment.astimezone(WAW).replace(tzinfo=None)


def cal(hours=None, overrides=None):
    return Calendar(hours=dict(DEFAULT_HOURS) if hours is None else hours,
                    overrides=overrides or {}, tz=WAW)


def test_deadline_crosses_the_weekend():
    # Friday 15:00 + 2 business hours: 1 h on Friday, 1 h on Monday.
    assert local(cal().add(at(2025, 6, 6, 15), 2 * HOUR)) == dt.datetime(2025, 6, 9, 9)


@pytest.mark.parametrize("start, expected", [
    # 1 May (Thursday) and 3 May (Saturday): 30 April 15:00 → Friday 2 May 9:00.
    (at(2025, 4, 30, 15), dt.datetime(2025, 5, 2, 9)),
    # Easter Monday 21 April 2025: Friday 18 April 15:00 → Tuesday 22 April 9:00.
    (at(2025, 4, 18, 15), dt.datetime(2025, 4, 22, 9)),
    # 11 November 2025 (Tuesday): Monday 15:00 → Wednesday 9:00.
    (at(2025, 11, 10, 15), dt.datetime(2025, 11, 12, 9)),
    # 24 December is a public holiday from 2025: 23 Dec 15:00 → 29 Dec 9:00
    # (24, 25, 26 off, then the weekend).
    (at(2025, 12, 23, 15), dt.datetime(2025, 12, 29, 9)),
    # …but not in 2024: 23 Dec 2024 15:00 → 24 Dec 9:00.
    (at(2024, 12, 23, 15), dt.datetime(2024, 12, 24, 9)),
])
def test_deadline_skips_polish_public_holidays(start, expected):
    assert local(cal().add(start, 2 * HOUR)) == expected


def test_tenant_day_off_and_worked_holiday():
    # The tenant closes on Friday 2 May 2025 and works on 1 May.
    calendar = cal(overrides={dt.date(2025, 5, 2): True, dt.date(2025, 5, 1): False})
    assert calendar.is_day_off(dt.date(2025, 5, 2))
    assert not calendar.is_day_off(dt.date(2025, 5, 1))
    assert local(calendar.add(at(2025, 4, 30, 15), 2 * HOUR)) == dt.datetime(2025, 5, 1, 9)
    assert local(calendar.add(at(2025, 5, 1, 15), 2 * HOUR)) == dt.datetime(2025, 5, 5, 9)
    # A worked public holiday on a Saturday stays closed: there are no Saturday hours.
    assert calendar.is_day_off(dt.date(2025, 5, 3)) and \
        cal(overrides={dt.date(2025, 5, 3): False}).is_day_off(dt.date(2025, 5, 3))


@pytest.mark.parametrize("day", [dt.date(2025, 3, 30), dt.date(2025, 10, 26)])
def test_dst_sunday_counts_real_hours(day):
    # Open round the clock on Sundays: the March Sunday has 23 real hours, the October
    # Sunday 25 (Python's wall-clock subtraction would say 24 for both).
    calendar = cal(hours={6: (dt.time(0), dt.time(23, 59))})
    start = dt.datetime.combine(day, dt.time(0), tzinfo=WAW)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=WAW)
    expected = 23 if day.month == 3 else 25
    assert calendar.seconds_between(start, end) == expected * HOUR
    # 23 (25) hours from midnight is the next midnight, not an hour off.
    assert calendar.add(start, expected * HOUR) == end.astimezone(UTC)


def test_dst_night_between_business_days():
    # Saturday 29 March 2025 15:00 with Saturday and Monday open 8–16: the night the
    # clocks change does not count, and the deadline is at 9:00 local time on Monday.
    calendar = cal(hours={0: (dt.time(8), dt.time(16)), 5: (dt.time(8), dt.time(16))})
    due = calendar.add(at(2025, 3, 29, 15), 2 * HOUR)
    assert local(due) == dt.datetime(2025, 3, 31, 9)
    assert due.utcoffset() == dt.timedelta(0)
    assert due == dt.datetime(2025, 3, 31, 7, tzinfo=UTC)


def test_hours_to_midnight_join_the_next_day():
    calendar = cal(hours={wd: (dt.time(0), dt.time(23, 59)) for wd in range(7)})
    start = at(2025, 6, 2, 23, 30)
    assert calendar.is_business_time(dt.datetime(2025, 6, 2, 23, 59, 30, tzinfo=WAW))
    # 60 minutes from 23:30 is 0:30 the next day (no second lost at midnight).
    assert local(calendar.add(start, HOUR)) == dt.datetime(2025, 6, 3, 0, 30)
    assert calendar.seconds_between(start, at(2025, 6, 3, 0, 30)) == HOUR
    # Except a public holiday (Corpus Christi, 19 June 2025).
    assert calendar.is_day_off(dt.date(2025, 6, 19))


def test_late_closing_hour():
    calendar = cal(hours={0: (dt.time(20), dt.time(23, 30))})
    assert local(calendar.add(at(2025, 6, 2, 23), 1 * HOUR)) == dt.datetime(2025, 6, 9, 20, 30)


def test_far_dates():
    # Year 2100: 24 Dec 2100 is a Friday and a holiday; 23 Dec 15:00 → 27 Dec 9:00.
    assert local(cal().add(at(2100, 12, 23, 15), 2 * HOUR)) == dt.datetime(2100, 12, 27, 9)
    # At the calendar's edge there is no deadline, but no crash of another kind either.
    with pytest.raises(ValueError):
        cal().add(dt.datetime(7143, 1, 4, tzinfo=UTC), HOUR)
    with pytest.raises(ValueError):
        cal().seconds_between(at(2025, 1, 1), dt.datetime(7143, 1, 4, tzinfo=UTC))


def test_no_business_time_at_all_is_refused():
    calendar = cal(hours={0: (dt.time(8), dt.time(9))})
    with pytest.raises(ValueError):
        calendar.add(at(2025, 1, 1), 10_000 * HOUR)


def test_zero_seconds_outside_hours_is_the_next_opening():
    assert local(cal().add(at(2025, 6, 7, 12), 0)) == dt.datetime(2025, 6, 9, 8)
    assert cal().add(at(2025, 6, 9, 12), 0) == at(2025, 6, 9, 12)


def test_is_business_time():
    calendar = cal()
    assert calendar.is_business_time(at(2025, 6, 9, 8))
    assert not calendar.is_business_time(at(2025, 6, 9, 16))
    assert not calendar.is_business_time(at(2025, 6, 7, 10))
    assert not calendar.is_business_time(at(2025, 11, 11, 10))


def test_calendar_get_defaults_and_tenant_rows(in_tenant):
    from helpdesk.models import BusinessDay, Holiday

    calendar = calendar_get()
    assert calendar.hours == DEFAULT_HOURS
    BusinessDay.objects.create(weekday=5, opens=dt.time(9), closes=dt.time(13))
    Holiday.objects.create(date=dt.date(2025, 6, 10), name="Inwentaryzacja")
    calendar = calendar_get()
    assert list(calendar.hours) == [5]
    assert calendar.is_day_off(dt.date(2025, 6, 10))


# ------------------------------------------------------------------ properties

hours_st = st.dictionaries(
    st.integers(0, 6),
    st.tuples(st.integers(0, 22), st.integers(1, 24)).map(
        lambda p: (dt.time(min(p)), dt.time(23, 59) if max(p) == 24 or max(p) == min(p)
                   else dt.time(max(p)))),
    min_size=1)
moments = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 12, 31),
                       timezones=st.just(WAW))
days_off = st.dictionaries(st.dates(dt.date(2024, 1, 1), dt.date(2028, 2, 1)), st.booleans(),
                           max_size=20)


@settings(max_examples=150, deadline=None)
@given(hours=hours_st, overrides=days_off, start=moments, minutes=st.integers(1, 5000))
def test_deadline_never_on_a_day_off(hours, overrides, start, minutes):
    calendar = cal(hours=hours, overrides=overrides)
    due = calendar.add(start, minutes * 60)
    # The deadline ends business time: the second before it is business time.
    assert calendar.is_business_time(due - dt.timedelta(seconds=1))
    assert calendar.seconds_between(start, due) == minutes * 60


@settings(max_examples=150, deadline=None)
@given(hours=hours_st, start=moments, a=st.integers(0, 5000), b=st.integers(0, 5000))
def test_deadline_monotonic_in_minutes(hours, start, a, b):
    calendar = cal(hours=hours)
    lo, hi = sorted((a, b))
    assert calendar.add(start, lo * 60) <= calendar.add(start, hi * 60)


@settings(max_examples=100, deadline=None)
@given(hours=hours_st, start=moments, gap=st.integers(0, 20 * 24 * 60))
def test_seconds_between_adds_up(hours, start, gap):
    calendar = cal(hours=hours)
    middle = start + dt.timedelta(minutes=gap // 2)
    end = start + dt.timedelta(minutes=gap)
    assert calendar.seconds_between(start, end) == (calendar.seconds_between(start, middle)
                                                    + calendar.seconds_between(middle, end))
