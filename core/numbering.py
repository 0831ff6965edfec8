"""Document numbers from a pattern: ``UM/{YYYY}/{N}``, ``FV/{YYYY}/{MM}/{N:5}``.

Tokens: ``{YYYY}`` ``{YY}`` ``{MM}`` ``{DD}``, ``{N}`` (the running number; ``{N:5}`` pads
it to five digits). The running number restarts each month when the pattern has
``{MM}``, each year when it has the year, and never otherwise.
"""

import re
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
    return pattern


def _period(pattern: str, when: date) -> str:
    if "{DD}" in pattern:
        return when.strftime("%Y%m%d")
    if "{MM}" in pattern:
        return when.strftime("%Y%m")
    if "{YYYY}" in pattern or "{YY}" in pattern:
        return when.strftime("%Y")
    return ""


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
    inside a transaction (a bulk run takes its numbers at once, still without gaps)."""
    if count <= 0:
        return []
    period = _period(pattern, when)
    row = NumberSeries.objects.select_for_update().filter(series=series, period=period).first()
    if row is None:
        try:
            with transaction.atomic():
                NumberSeries.objects.create(series=series, period=period)
        except IntegrityError:
            pass  # created by a concurrent transaction: lock that one
        row = NumberSeries.objects.select_for_update().get(series=series, period=period)
    first = row.last_number + 1
    row.last_number += count
    row.save(update_fields=["last_number"])
    return [number_format(pattern, when, n) for n in range(first, first + count)]
