"""Document numbers from a pattern: ``UM/{YYYY}/{N}``, ``FV/{YYYY}/{MM}/{N:5}``.

Tokens: ``{YYYY}`` ``{YY}`` ``{MM}`` ``{DD}``, ``{N}`` (the running number; ``{N:5}`` pads
it to five digits). The running number restarts each day when the pattern has ``{DD}``,
each month when it has ``{MM}``, each year when it has the year, and never otherwise — so
a pattern must show every period its counter restarts in (``{MM}`` needs the year,
``{DD}`` the month and the year), or numbers would repeat a year (a month) later.

A number already in use when its turn comes (a document imported from the previous
system, a number of an earlier pattern that happens to look the same) is skipped: the
counter moves past it. An app says which numbers of its series are in use by
``number_in_use_register``.
"""

import re
from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import NumberSeries

TOKEN = re.compile(r"\{(YYYY|YY|MM|DD|N(?::(\d{1,2}))?)\}")


def pattern_validate(pattern: str) -> str:
    pattern = (pattern or "").strip()
    tokens = [m.group(1) for m in TOKEN.finditer(pattern)]
    if not any(t.startswith("N") for t in tokens):
        raise ValidationError(_("A number pattern needs the running number {N}."))
    leftover = TOKEN.sub("", pattern)
    if "{" in leftover or "}" in leftover or len(pattern) > 40:
        raise ValidationError(_("Unknown token in the number pattern; use {YYYY}, {YY}, "
                                "{MM}, {DD} and {N}."))
    has_year = "YYYY" in tokens or "YY" in tokens
    if "DD" in tokens and not ("MM" in tokens and has_year):
        raise ValidationError(_("With {DD} the running number starts again every day: the "
                                "pattern also needs {MM} and the year ({YYYY} or {YY}), or "
                                "the numbers would repeat a month later."))
    if "MM" in tokens and not has_year:
        raise ValidationError(_("With {MM} the running number starts again every month: "
                                "the pattern also needs the year ({YYYY} or {YY}), or the "
                                "numbers would repeat a year later."))
    return pattern


InUse = Callable[[str, list[str]], set[str]]
_IN_USE: dict[str, InUse] = {}
SKIP_LIMIT = 100_000  # numbers in use skipped in one take before giving up


def number_in_use_register(prefix: str, check: InUse) -> None:
    """``check(series, numbers)`` answers which of ``numbers`` of a series starting with
    ``prefix`` are already used (by the active tenant); called from ``AppConfig.ready``."""
    _IN_USE[prefix] = check


def _in_use_check(series: str) -> InUse | None:
    for prefix, check in _IN_USE.items():
        if series.startswith(prefix):
            return check
    return None


def series_period(pattern: str, when: date) -> str:
    """The period of ``when`` a series of ``pattern`` counts in ("2026", "202603", "")."""
    # The year always four digits (strftime gives "999" for 999, "99" for 99).
    if "{DD}" in pattern:
        return f"{when.year:04d}{when.month:02d}{when.day:02d}"
    if "{MM}" in pattern:
        return f"{when.year:04d}{when.month:02d}"
    if "{YYYY}" in pattern or "{YY}" in pattern:
        return f"{when.year:04d}"
    return ""


def series_continue(*, series: str, pattern: str, when: date, last_number: int) -> None:
    """Make ``series`` continue after ``last_number`` in the period of ``pattern`` holding
    ``when`` — the numbers an importer brought from the previous system — and never move
    it back (a later number taken meanwhile stays). Inside the caller's transaction."""
    period = series_period(pattern, when)
    row = NumberSeries.objects.select_for_update().filter(series=series, period=period).first()
    if row is None:
        try:
            with transaction.atomic():
                NumberSeries.objects.create(series=series, period=period,
                                            last_number=last_number)
                return
        except IntegrityError:
            row = NumberSeries.objects.select_for_update().get(series=series, period=period)
    if row.last_number < last_number:
        row.last_number = last_number
        row.save(update_fields=["last_number"])


def number_format(pattern: str, when: date, number: int) -> str:
    def token(match):
        name, width = match.group(1), match.group(2)
        if name.startswith("N"):
            return f"{number:0{int(width)}d}" if width else str(number)
        return {"YYYY": f"{when.year:04d}", "YY": f"{when.year % 100:02d}",
                "MM": f"{when.month:02d}", "DD": f"{when.day:02d}"}[name]

    return TOKEN.sub(token, pattern)


def number_next(*, series: str, pattern: str, when: date) -> str:
    """The next number of ``series`` for the active tenant; call inside a transaction.

    Locks the series row until the caller's transaction ends.
    """
    return number_block(series=series, pattern=pattern, when=when, count=1)[0]


def number_block(*, series: str, pattern: str, when: date, count: int) -> list[str]:
    """``count`` consecutive numbers of ``series`` with one lock of the series row; call
    inside a transaction (a bulk run takes its numbers at once, still without gaps). A
    number some document already bears (``number_in_use_register``) is skipped."""
    if count <= 0:
        return []
    period = series_period(pattern, when)
    row = NumberSeries.objects.select_for_update().filter(series=series, period=period).first()
    if row is None:
        try:
            with transaction.atomic():
                NumberSeries.objects.create(series=series, period=period)
        except IntegrityError:
            pass  # created by a concurrent transaction: lock that one
        row = NumberSeries.objects.select_for_update().get(series=series, period=period)
    check = _in_use_check(series)
    numbers, last = [], row.last_number
    while len(numbers) < count:
        # A window at least a hundred wide: a run of numbers in use costs one query.
        window = range(last + 1, last + 1 + max(count - len(numbers), 100 if check else 0))
        candidates = [(n, number_format(pattern, when, n)) for n in window]
        taken = check(series, [number for _n, number in candidates]) if check else set()
        for n, number in candidates:
            if len(numbers) == count:
                break
            last = n
            if number not in taken:
                numbers.append(number)
        if last - row.last_number - len(numbers) > SKIP_LIMIT:
            raise ValidationError(_("More than %(n)s numbers of the pattern %(p)s are already "
                                    "used by other documents: change the number pattern.")
                                  % {"n": SKIP_LIMIT, "p": pattern})
    row.last_number = last
    row.save(update_fields=["last_number"])
    return numbers
