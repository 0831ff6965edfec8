"""Business time of a tenant: its hours per weekday, Polish public holidays, its own days
off. SLA deadlines (helpdesk.sla) and routing's time conditions (helpdesk.routing) both
ask this module, so "in business hours" means the same everywhere.

A tenant without business hours configured works Monday to Friday, 8:00–16:00.
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

    def is_day_off(self, day: dt.date) -> bool:
        """Closed all day: a weekday without hours, a public holiday or a tenant's day off."""
        if day in self.overrides:
            return self.overrides[day] or day.weekday() not in self.hours
        return day.weekday() not in self.hours or self.is_public_holiday(day)

    def span(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The open span of ``day`` as aware datetimes, or None on a day off."""
        if self.is_day_off(day):
            return None
        opens, closes = self.hours[day.weekday()]
        return (timezone.make_aware(dt.datetime.combine(day, opens), self.tz),
                timezone.make_aware(dt.datetime.combine(day, closes), self.tz))

    def is_business_time(self, at: dt.datetime) -> bool:
        span = self.span(timezone.localtime(at, self.tz).date())
        return span is not None and span[0] <= at < span[1]

    def add(self, start: dt.datetime, seconds: int) -> dt.datetime:
        """The moment ``seconds`` of business time after ``start``."""
        remaining = max(0, int(seconds))
        day = timezone.localtime(start, self.tz).date()
        for _ in range(MAX_DAYS):
            span = self.span(day)
            if span is not None:
                begin = max(span[0], start)
                if begin < span[1]:
                    available = (span[1] - begin).total_seconds()
                    if remaining <= available:
                        return begin + dt.timedelta(seconds=remaining)
                    remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("no business time within ten years: check the business hours")

    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Business seconds in [start, end); 0 when end is not after start."""
        if end <= start:
            return 0
        total = 0.0
        day = timezone.localtime(start, self.tz).date()
        last = timezone.localtime(end, self.tz).date()
        while day <= last:
            span = self.span(day)
            if span is not None:
                lo, hi = max(span[0], start), min(span[1], end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += dt.timedelta(days=1)
        return int(total)


def calendar_get() -> Calendar:
    """The active tenant's calendar (two small queries)."""
    from .models import BusinessDay, Holiday

    rows = list(BusinessDay.objects.values_list("weekday", "opens", "closes"))
    hours = {wd: (opens, closes) for wd, opens, closes in rows} if rows else dict(DEFAULT_HOURS)
    overrides = dict(Holiday.objects.values_list("date", "closed"))
    return Calendar(hours=hours, overrides=overrides)
