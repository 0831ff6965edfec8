"""Statutory interest on an overdue invoice ("odsetki za opóźnienie").

Pure computation, no database: the ledger calls ``interest_for()`` per invoice and the rate
tables come from ``rate_table()`` (built from ``finance.interest_rates``) until an editable
table model replaces them.

The rules, as Polish courts and the usual calculators apply them:

* A due date on a Saturday or a public holiday moves to the next working day (art. 115 KC);
  interest accrues from the day after that (moved) due date.
* Interest is owed for every day up to and including the payment date: a payment made on
  day P still owes that day's interest on the old principal and reduces the principal from
  P + 1. A payment on or before the due date reduces the principal without interest.
* The year has 365 days, in leap years too (rate × days / 365).
* A period is split on every row of the rate table (and on every payment), so a list of
  periods shows each rate that applied; only the grand total is rounded to the grosz.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

import holidays

from finance import interest_rates
from finance.money import round_grosz

DAYS_IN_YEAR = 365
ONE_DAY = timedelta(days=1)


class InterestKind(StrEnum):
    STATUTORY = "statutory"  # odsetki ustawowe za opóźnienie, art. 481 § 2 KC
    COMMERCIAL = "commercial"  # odsetki za opóźnienie w transakcjach handlowych (B2B)


@dataclass(frozen=True)
class Payment:
    on: date
    amount: Decimal


@dataclass(frozen=True)
class InterestPeriod:
    """Days ``start``..``end`` (both included) on one principal at one annual % rate."""

    start: date
    end: date
    days: int
    principal: Decimal
    rate: Decimal
    amount: Decimal  # unrounded


@dataclass(frozen=True)
class InterestResult:
    total: Decimal  # rounded to the grosz
    periods: tuple[InterestPeriod, ...]


def _in_force(table: Sequence[tuple[date, Decimal]], day: date) -> Decimal | None:
    rate = None
    for effective, value in table:
        if effective > day:
            break
        rate = value
    return rate


def _next_half_year(day: date) -> date:
    """The first 1 January or 1 July after ``day``."""
    return date(day.year, 7, 1) if day.month <= 6 else date(day.year + 1, 1, 1)


def _half_year_starts(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day = _next_half_year(day)


def rate_table(kind: InterestKind, *, references=None) -> list[tuple[date, Decimal]]:
    """(effective date, annual % rate) rows, sorted; each rate holds until the next row.

    STATUTORY: the reference rate + 5.5 pp, changing with the reference rate, from
    2016-01-01. COMMERCIAL: one row per half-year from 2016-01-01, the reference rate in
    force on 1 January / 1 July + the margin in force then (8 pp to 2019, 10 pp from 2020),
    fixed for the half-year even when the reference rate changes inside it. The rows run
    to the first half-year after the latest reference-rate change, so the last row stays
    right for every later half-year until the next change is entered. ``references``
    (effective date, reference rate) replaces the shipped NBP history (the editable table).
    """
    refs = sorted(references) if references is not None else interest_rates.reference_rates()
    kind = InterestKind(kind)
    if kind is InterestKind.STATUTORY:
        since = interest_rates.STATUTORY_SINCE
        rows = [(since, _in_force(refs, since))]
        rows += [(effective, ref) for effective, ref in refs if effective > since]
        return [(effective, ref + interest_rates.STATUTORY_MARGIN) for effective, ref in rows]

    margins = interest_rates.commercial_margins()
    horizon = _next_half_year(max(refs[-1][0], margins[-1][0]))
    return [
        (start, _in_force(refs, start) + _in_force(margins, start))
        for start in _half_year_starts(margins[0][0], horizon)
    ]


def working_day_on_or_after(d: date) -> date:
    """``d`` itself or the next day that is neither a weekend day nor a Polish holiday."""
    public_holidays = holidays.Poland(years=range(d.year, d.year + 2))
    while d.weekday() >= 5 or d in public_holidays:
        d += ONE_DAY
    return d


def _check_decimal(name: str, value) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite amount, got {value}")


def _validated_table(table) -> list[tuple[date, Decimal]]:
    rows = list(table)
    if not rows:
        raise ValueError("the rate table is empty")
    for effective, rate in rows:
        if not isinstance(effective, date):
            raise TypeError(f"rate table dates must be dates, not {type(effective).__name__}")
        _check_decimal("a rate", rate)
    if any(a[0] >= b[0] for a, b in zip(rows, rows[1:], strict=False)):
        raise ValueError("rate table rows must be sorted by date without repeats")
    return rows


def _validate(principal: Decimal, payments: list[Payment]) -> None:
    _check_decimal("principal", principal)
    if principal <= 0:
        raise ValueError(f"principal must be greater than zero, got {principal}")
    for payment in payments:
        _check_decimal("a payment amount", payment.amount)
        if payment.amount <= 0:
            raise ValueError(
                f"payment on {payment.on} must be greater than zero, got {payment.amount}"
            )
    paid = sum((p.amount for p in payments), Decimal(0))
    if paid > principal:
        raise ValueError(f"payments total {paid} exceeds the principal {principal}")


def interest_for(
    *,
    principal: Decimal,
    due_date: date,
    payments: list[Payment],
    until: date | None = None,
    kind: InterestKind = InterestKind.STATUTORY,
    table: Sequence[tuple[date, Decimal]] | None = None,
) -> InterestResult:
    """Interest on one invoice of ``principal`` due on ``due_date``.

    Accrues from the day after the due date (moved to a working day) until the payment that
    clears the principal, or until ``until`` (included) for an invoice still open — the
    "interest so far". Payments dated after ``until`` are left out. An open invoice without
    ``until`` is an error: there is no end date to count to. ``table`` overrides the shipped
    rates of ``kind`` (rows of (effective date, annual %)).
    """
    _validate(principal, payments)
    rates = _validated_table(rate_table(kind) if table is None else table)
    due = working_day_on_or_after(due_date)

    remaining = principal
    # Payments on or before the due date are not late: they just lower the principal.
    late: list[Payment] = []
    for payment in sorted(payments, key=lambda p: p.on):
        if until is not None and payment.on > until:
            continue
        if payment.on <= due:
            remaining -= payment.amount
        else:
            late.append(payment)

    if remaining == 0:
        end = due
    elif late and sum((p.amount for p in late), Decimal(0)) == remaining:
        end = late[-1].on
    elif until is not None:
        end = until
    else:
        raise ValueError(
            f"the invoice is not fully paid ({remaining} outstanding): pass until= to count "
            "the interest so far"
        )

    start = due + ONE_DAY
    if end < start:
        return InterestResult(total=round_grosz(Decimal(0)), periods=())
    if _in_force(rates, start) is None:
        raise ValueError(f"no interest rate in the table for {start}")

    # Days on which something changes from that day on: a new rate, or a lower principal
    # the day after a payment.
    reductions: dict[date, Decimal] = {}
    for payment in late:
        day = payment.on + ONE_DAY
        reductions[day] = reductions.get(day, Decimal(0)) + payment.amount
    changes = sorted(
        {d for d, _ in rates if start < d <= end} | {d for d in reductions if d <= end}
    )

    periods = []
    rate = _in_force(rates, start)
    rate_by_day = dict(rates)
    period_start = start
    for change in [*changes, end + ONE_DAY]:
        days = (change - period_start).days
        periods.append(
            InterestPeriod(
                start=period_start,
                end=change - ONE_DAY,
                days=days,
                principal=remaining,
                rate=rate,
                amount=remaining * rate * days / (100 * DAYS_IN_YEAR),
            )
        )
        remaining -= reductions.get(change, Decimal(0))
        rate = rate_by_day.get(change, rate)
        period_start = change

    total = sum((p.amount for p in periods), Decimal(0))
    return InterestResult(total=round_grosz(total), periods=tuple(periods))
