from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finance.interest import (
    InterestKind,
    InterestPeriod,
    InterestResult,
    Payment,
    interest_for,
    rate_table,
    working_day_on_or_after,
)
from finance.interest_rates import NBP_REFERENCE_RATES


def D(text: str) -> Decimal:
    return Decimal(text)


def assert_close(actual: Decimal, expected: Decimal) -> None:
    """Equal to far below a grosz: the periods are divided one by one at 28 digits."""
    assert abs(actual - expected) < D("1e-20")


def assert_no_float(result: InterestResult) -> None:
    assert type(result.total) is Decimal
    assert result.total == result.total.quantize(D("0.01"))
    for period in result.periods:
        assert type(period) is InterestPeriod
        for value in (period.principal, period.rate, period.amount):
            assert type(value) is Decimal
        assert type(period.days) is int


def test_required_check_1000_due_2025_10_31_paid_2026_03_31_is_39_38():
    result = interest_for(
        principal=D("1000.00"),
        due_date=date(2025, 10, 31),
        payments=[Payment(on=date(2026, 3, 31), amount=D("1000.00"))],
    )

    assert result.total == D("39.38")
    assert [(p.start, p.end, p.days, p.rate) for p in result.periods] == [
        (date(2025, 11, 1), date(2025, 11, 5), 5, D("10.00")),
        (date(2025, 11, 6), date(2025, 12, 3), 28, D("9.75")),
        (date(2025, 12, 4), date(2026, 3, 4), 91, D("9.50")),
        (date(2026, 3, 5), date(2026, 3, 31), 27, D("9.25")),
    ]
    assert all(p.principal == D("1000.00") for p in result.periods)
    assert_close(sum(p.amount for p in result.periods), D("1000") * D("1437.25") / 36500)
    assert_no_float(result)


def test_statutory_table_is_reference_rate_plus_5_5_from_2016():
    table = rate_table(InterestKind.STATUTORY)

    assert table == sorted(table)
    assert table[0] == (date(2016, 1, 1), D("7.00"))
    assert (date(2025, 12, 4), D("9.50")) in table
    assert table[-1] == (date(2026, 3, 5), D("9.25"))
    assert len(table) == len(NBP_REFERENCE_RATES)
    assert all(type(rate) is Decimal for _, rate in table)


def test_commercial_table_fixes_the_rate_per_half_year():
    table = dict(rate_table(InterestKind.COMMERCIAL))

    assert all(d.day == 1 and d.month in (1, 7) for d in table)
    # Reference 1.50 % + 8 pp until 2019 (the announced 9.50 %), + 10 pp from 2020.
    assert table[date(2016, 1, 1)] == D("9.50")
    assert table[date(2019, 7, 1)] == D("9.50")
    assert table[date(2020, 1, 1)] == D("11.50")
    assert table[date(2021, 1, 1)] == D("10.10")
    # 2025 H2: the reference rate on 2025-07-01 was still 5.25 % (5.00 % only from 07-03).
    assert table[date(2025, 7, 1)] == D("15.25")
    assert table[date(2026, 1, 1)] == D("14.00")
    # The last row is the half-year after the latest change (3.75 % from 2026-03-05).
    assert max(table) == date(2026, 7, 1)
    assert table[date(2026, 7, 1)] == D("13.75")


def test_commercial_interest_ignores_reference_changes_inside_the_half_year():
    result = interest_for(
        principal=D("1000.00"),
        due_date=date(2025, 10, 31),
        payments=[Payment(on=date(2026, 3, 31), amount=D("1000.00"))],
        kind=InterestKind.COMMERCIAL,
    )

    assert [(p.start, p.end, p.rate) for p in result.periods] == [
        (date(2025, 11, 1), date(2025, 12, 31), D("15.25")),
        (date(2026, 1, 1), date(2026, 3, 31), D("14.00")),
    ]
    # 1000 × (61 × 15.25 + 90 × 14.00) / 36500 = 60.0068…
    assert result.total == D("60.01")
    assert_no_float(result)


@pytest.mark.parametrize(
    "due,moved",
    [
        (date(2025, 10, 4), date(2025, 10, 6)),  # Saturday
        (date(2025, 10, 5), date(2025, 10, 6)),  # Sunday
        (date(2025, 11, 1), date(2025, 11, 3)),  # All Saints, a Saturday
        (date(2025, 11, 11), date(2025, 11, 12)),  # Independence Day, a Tuesday
        (date(2025, 12, 24), date(2025, 12, 29)),  # Christmas Eve, Christmas, weekend
        (date(2025, 12, 25), date(2025, 12, 29)),
        (date(2026, 1, 1), date(2026, 1, 2)),  # New Year's Day, a Thursday
        (date(2025, 10, 31), date(2025, 10, 31)),  # a working Friday stays
    ],
)
def test_due_date_on_weekend_or_holiday_moves_to_next_working_day(due, moved):
    assert working_day_on_or_after(due) == moved


def test_interest_starts_the_day_after_the_moved_due_date():
    result = interest_for(
        principal=D("1000.00"),
        due_date=date(2025, 12, 25),
        payments=[Payment(on=date(2026, 1, 9), amount=D("1000.00"))],
    )

    assert result.periods[0].start == date(2025, 12, 30)
    assert sum(p.days for p in result.periods) == 11
    assert result.total == round(D("1000") * D("9.50") * 11 / 36500, 2)


def test_payment_on_the_moved_due_date_owes_nothing():
    # Due on Saturday 2025-10-04, paid on Monday 10-06: on time.
    result = interest_for(
        principal=D("500.00"),
        due_date=date(2025, 10, 4),
        payments=[Payment(on=date(2025, 10, 6), amount=D("500.00"))],
    )

    assert result == InterestResult(total=D("0.00"), periods=())


def test_payment_on_the_due_date_owes_nothing():
    result = interest_for(
        principal=D("1000.00"),
        due_date=date(2025, 10, 31),
        payments=[Payment(on=date(2025, 10, 31), amount=D("1000.00"))],
    )

    assert result.total == D("0.00")
    assert result.periods == ()
    assert_no_float(result)


def test_partial_payment_reduces_the_principal_from_the_day_after():
    result = interest_for(
        principal=D("1000.00"),
        due_date=date(2025, 10, 31),
        payments=[
            Payment(on=date(2026, 1, 15), amount=D("400.00")),
            Payment(on=date(2026, 3, 31), amount=D("600.00")),
        ],
    )

    assert [(p.start, p.end, p.days, p.principal, p.rate) for p in result.periods] == [
        (date(2025, 11, 1), date(2025, 11, 5), 5, D("1000.00"), D("10.00")),
        (date(2025, 11, 6), date(2025, 12, 3), 28, D("1000.00"), D("9.75")),
        (date(2025, 12, 4), date(2026, 1, 15), 43, D("1000.00"), D("9.50")),
        (date(2026, 1, 16), date(2026, 3, 4), 48, D("600.00"), D("9.50")),
        (date(2026, 3, 5), date(2026, 3, 31), 27, D("600.00"), D("9.25")),
    ]
    expected = (
        D("1000") * (5 * D("10.00") + 28 * D("9.75") + 43 * D("9.50"))
        + D("600") * (48 * D("9.50") + 27 * D("9.25"))
    ) / 36500
    assert_close(sum(p.amount for p in result.periods), expected)
    assert result.total == D("31.64")  # 39.3767 less 400 × (48 × 9.50 + 27 × 9.25) / 36500
    assert_no_float(result)


def test_fully_paid_late_in_two_parts_stops_at_the_last_payment():
    result = interest_for(
        principal=D("200.00"),
        due_date=date(2025, 10, 31),
        payments=[
            Payment(on=date(2025, 11, 20), amount=D("50.00")),
            Payment(on=date(2025, 11, 10), amount=D("150.00")),  # order does not matter
        ],
    )

    assert [(p.start, p.end, p.principal, p.rate) for p in result.periods] == [
        (date(2025, 11, 1), date(2025, 11, 5), D("200.00"), D("10.00")),
        (date(2025, 11, 6), date(2025, 11, 10), D("200.00"), D("9.75")),
        (date(2025, 11, 11), date(2025, 11, 20), D("50.00"), D("9.75")),
    ]
    # (200 × (5 × 10 + 5 × 9.75) + 50 × 10 × 9.75) / 36500 = 0.6746…
    assert result.total == D("0.67")


def test_payment_before_the_due_date_lowers_the_principal_without_interest():
    result = interest_for(
        principal=D("1000.00"),
        due_date=date(2025, 10, 31),
        payments=[
            Payment(on=date(2025, 10, 20), amount=D("400.00")),
            Payment(on=date(2026, 3, 31), amount=D("600.00")),
        ],
    )

    assert {p.principal for p in result.periods} == {D("600.00")}
    assert result.total == D("23.63")  # 600 × 1437.25 / 36500 = 23.626…


def test_until_gives_the_interest_so_far_on_an_unpaid_invoice():
    result = interest_for(
        principal=D("1000.00"),
        due_date=date(2025, 10, 31),
        payments=[],
        until=date(2025, 12, 3),
    )

    assert [(p.end, p.days) for p in result.periods] == [
        (date(2025, 11, 5), 5), (date(2025, 12, 3), 28),
    ]
    # 1000 × (50 + 273) / 36500 = 8.849…
    assert result.total == D("8.85")


def test_until_ignores_payments_after_it_and_counts_earlier_ones():
    result = interest_for(
        principal=D("1000.00"),
        due_date=date(2025, 10, 31),
        payments=[
            Payment(on=date(2025, 11, 5), amount=D("300.00")),
            Payment(on=date(2026, 2, 1), amount=D("700.00")),
        ],
        until=date(2025, 11, 30),
    )

    assert result.periods[-1].end == date(2025, 11, 30)
    assert result.periods[-1].principal == D("700.00")


def test_until_on_or_before_the_due_date_is_zero():
    result = interest_for(
        principal=D("10.00"), due_date=date(2025, 10, 31), payments=[], until=date(2025, 10, 31),
    )

    assert result == InterestResult(total=D("0.00"), periods=())


def test_open_invoice_without_until_is_an_error():
    with pytest.raises(ValueError, match="not fully paid"):
        interest_for(
            principal=D("1000.00"),
            due_date=date(2025, 10, 31),
            payments=[Payment(on=date(2025, 12, 1), amount=D("100.00"))],
        )


def test_days_over_365_also_in_a_leap_year():
    # 2024 is a leap year: the whole year is 366 days, each of them 1/365 of the rate.
    result = interest_for(
        principal=D("3650.00"),
        due_date=date(2023, 12, 29),  # Friday; interest from 2023-12-30
        payments=[],
        until=date(2024, 12, 29),
        table=[(date(2016, 1, 1), D("10.00"))],
    )

    assert result.periods[0].days == 366
    assert result.total == D("366.00")


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"principal": D("0")}, "principal must be greater than zero"),
        ({"principal": D("-5.00")}, "principal must be greater than zero"),
        ({"payments": [Payment(on=date(2025, 12, 1), amount=D("0.00"))]}, "greater than zero"),
        ({"payments": [Payment(on=date(2025, 12, 1), amount=D("-1.00"))]}, "greater than zero"),
        (
            {"payments": [
                Payment(on=date(2025, 12, 1), amount=D("600.00")),
                Payment(on=date(2025, 12, 2), amount=D("400.01")),
            ]},
            "exceeds the principal",
        ),
        ({"due_date": date(2015, 6, 1)}, "no interest rate"),
    ],
)
def test_invalid_input_is_refused_with_a_clear_message(kwargs, message):
    arguments = {
        "principal": D("1000.00"), "due_date": date(2025, 10, 31), "payments": [],
        "until": date(2026, 1, 1),
    } | kwargs
    with pytest.raises(ValueError, match=message):
        interest_for(**arguments)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        interest_for(
            principal=1000.0, due_date=date(2025, 10, 31), payments=[], until=date(2026, 1, 1)
        )
    with pytest.raises(TypeError):
        interest_for(
            principal=D("1000.00"),
            due_date=date(2025, 10, 31),
            payments=[Payment(on=date(2025, 12, 1), amount=100.0)],
            until=date(2026, 1, 1),
        )
    with pytest.raises(TypeError):
        interest_for(
            principal=D("1000.00"), due_date=date(2025, 10, 31), payments=[],
            until=date(2026, 1, 1), table=[(date(2016, 1, 1), 7.0)],
        )


amounts = st.decimals(min_value=D("0.01"), max_value=D("1000000.00"), places=2)
rates = st.decimals(min_value=D("0.01"), max_value=D("30.00"), places=2)
days = st.dates(min_value=date(2016, 1, 1), max_value=date(2030, 12, 31))


@given(principal=amounts, rate=rates, due=days, length=st.integers(1, 2000), data=st.data())
def test_splitting_at_an_extra_date_with_the_same_rate_keeps_the_total(
    principal, rate, due, length, data
):
    start = working_day_on_or_after(due) + timedelta(days=1)
    until = start + timedelta(days=length - 1)
    split = data.draw(st.dates(min_value=start, max_value=until + timedelta(days=5)))
    whole = interest_for(
        principal=principal, due_date=due, payments=[], until=until,
        table=[(date(2016, 1, 1), rate)],
    )
    halves = interest_for(
        principal=principal, due_date=due, payments=[], until=until,
        table=[(date(2016, 1, 1), rate), (split, rate)],
    )

    assert abs(whole.total - halves.total) <= D("0.01")
    assert len(halves.periods) == len(whole.periods) + (start < split <= until)
    assert sum(p.days for p in halves.periods) == length
    assert_no_float(halves)


@given(principal=amounts, due=st.dates(date(2016, 1, 1), date(2026, 3, 31)), data=st.data())
def test_periods_cover_every_overdue_day_once_and_payments_only_lower_the_principal(
    principal, due, data
):
    start = working_day_on_or_after(due) + timedelta(days=1)
    paid_on = data.draw(st.dates(min_value=start, max_value=start + timedelta(days=900)))
    part = data.draw(st.decimals(min_value=D("0.01"), max_value=principal, places=2))
    result = interest_for(
        principal=principal,
        due_date=due,
        payments=[Payment(on=paid_on, amount=part)],
        until=start + timedelta(days=1000),
    )

    covered = [p.start + timedelta(days=i) for p in result.periods for i in range(p.days)]
    assert covered == [start + timedelta(days=i) for i in range(len(covered))]
    principals = [p.principal for p in result.periods]
    assert principals == sorted(principals, reverse=True)
    assert principals[0] == principal
    assert_no_float(result)
