"""Business time of a tenant: its hours per weekday, Polish public holidays, its own days
off. SLA deadlines (helpdesk.sla) and routing's time conditions (helpdesk.routing) both
ask this module, so "in business hours" means the same everywhere.

A tenant without business hours configured works Monday to Friday, 8:00–16:00.

Hours are wall-clock times in the tenant's zone (Europe/Warsaw); business seconds are
real elapsed seconds. All arithmetic is done in UTC: Python subtracts two datetimes that
share a ``tzinfo`` as wall-clock times, which would count the night the clocks change
as 24 hours. A day that "closes" at 23:59 (or later) is open until midnight, so a 24-hour
tenant writes 00:00–23:59 and its days join without a gap. An opening hour inside the
hour the clocks skip in March is read with the winter offset (02:30 → 03:30 summer time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import holidays
from django.utils import timezone

DEFAULT_HOURS = {wd: (dt.time(8), dt.time(16)) for wd in range(5)}
# Longest stretch searched for the next business moment (a year of days off is a bug).
MAX_DAYS = 3700
# Dates a tenant may enter (days off, the holiday overview): far enough for any real
# plan, near enough that a typo such as 7143 is refused with a message.
YEAR_MIN = 2000
YEAR_MAX = 2100
# Moments the calendar counts in at all: outside them a deadline is nonsense (year 7143).
CALENDAR_YEARS = (1970, 2200)
# Closing at or after this wall-clock time means "until midnight".
MIDNIGHT_ISH = dt.time(23, 59)

_UTC = dt.UTC


@dataclass
class Calendar:
    hours: dict[int, tuple[dt.time, dt.time]]
    # The tenant's own dates: True = closed, False = open although a public holiday.
    overrides: dict[dt.date, bool] = field(default_factory=dict)
    tz: dt.tzinfo = field(default_factory=timezone.get_current_timezone)

    @cached_property
    def _public(self):
        return holidays.country_holidays("PL")

    def is_public_holiday(self, day: dt.date) -> bool:
        return day in self._public

    def public_holidays(self, year: int) -> list[tuple[dt.date, str]]:
        """Polish public holidays of ``year`` (date, name), in order."""
        return sorted(holidays.country_holidays("PL", years=[year]).items())

    def is_day_off(self, day: dt.date) -> bool:
        """Closed all day: a weekday without hours, a public holiday or a tenant's day off."""
        if day in self.overrides:
            return self.overrides[day] or day.weekday() not in self.hours
        return day.weekday() not in self.hours or self.is_public_holiday(day)

    def _moment(self, day: dt.date, at: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, at).replace(tzinfo=self.tz).astimezone(_UTC)

    def span(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The open span of ``day`` as aware datetimes (UTC), or None on a day off."""
        if self.is_day_off(day):
            return None
        opens, closes = self.hours[day.weekday()]
        begin = self._moment(day, opens)
        if closes >= MIDNIGHT_ISH:
            end = self._moment(day + dt.timedelta(days=1), dt.time(0))
        else:
            end = self._moment(day, closes)
        return (begin, end) if end > begin else None

    def _local_date(self, at: dt.datetime) -> dt.date:
        return timezone.localtime(at, self.tz).date()

    def is_business_time(self, at: dt.datetime) -> bool:
        span = self.span(self._local_date(at))
        return span is not None and span[0] <= at < span[1]

    def add(self, start: dt.datetime, seconds: int) -> dt.datetime:
        """The moment ``seconds`` of business time after ``start`` (UTC). With 0 seconds
        outside business hours: the next opening. Raises ValueError when no such moment
        lies within ``MAX_DAYS``."""
        remaining = max(0, int(seconds))
        start = start.astimezone(_UTC).replace(microsecond=0)  # deadlines in whole seconds
        day = self._local_date(start)
        if not (CALENDAR_YEARS[0] <= day.year <= CALENDAR_YEARS[1]):
            raise ValueError(f"{day.year} lies outside the business calendar")
        try:
            for _ in range(MAX_DAYS):
                span = self.span(day)
                if span is not None:
                    begin = max(span[0], start)
                    if begin < span[1]:
                        available = int((span[1] - begin).total_seconds())
                        if remaining <= available:
                            return begin + dt.timedelta(seconds=remaining)
                        remaining -= available
                day += dt.timedelta(days=1)
        except OverflowError:
            pass
        raise ValueError("no business time within ten years: check the business hours")

    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Business seconds in [start, end); 0 when end is not after start. Both ends are
        taken to the whole second, so that the seconds of two periods add up."""
        if end <= start:
            return 0
        start = start.astimezone(_UTC).replace(microsecond=0)
        end = end.astimezone(_UTC).replace(microsecond=0)
        total = 0
        day = self._local_date(start)
        last = self._local_date(end)
        if not (CALENDAR_YEARS[0] <= day.year and last.year <= CALENDAR_YEARS[1]):
            raise ValueError("the period lies outside the business calendar")
        while day <= last:
            span = self.span(day)
            if span is not None:
                lo, hi = max(span[0], start), min(span[1], end)
                if hi > lo:
                    total += int((hi - lo).total_seconds())
            day += dt.timedelta(days=1)
        return total


def calendar_get() -> Calendar:
    """The active tenant's calendar (two small queries)."""
    from .models import BusinessDay, Holiday

    rows = list(BusinessDay.objects.values_list("weekday", "opens", "closes"))
    hours = {wd: (opens, closes) for wd, opens, closes in rows} if rows else dict(DEFAULT_HOURS)
    overrides = dict(Holiday.objects.values_list("date", "closed"))
    return Calendar(hours=hours, overrides=overrides)
