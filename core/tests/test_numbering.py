"""Number patterns: a pattern whose numbers would repeat is refused; numbers in use are
skipped; far dates and year boundaries keep numbers apart."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from core import numbering
from core.models import NumberSeries
from core.numbering import number_block, number_format, pattern_validate


@pytest.mark.parametrize("pattern,message", [
    ("FK/{MM}/{N:4}", "{MM}"),             # the correction pattern of before: a year later
    ("{MM}{N}", "{MM}"),
    ("FV/{DD}/{N}", "{DD}"),
    ("FV/{YYYY}/{DD}/{N}", "{DD}"),         # a month later
    ("FV/{MM}/{DD}/{N}", "{DD}"),           # a year later
    ("FV/{YY}-{DD}/{N}", "{DD}"),
    ("FV/{YYYY}/{MM}", "{N}"),
    ("FV/{X}/{N}", "Unknown token"),
])
def test_a_pattern_that_would_repeat_numbers_is_refused(pattern, message):
    with pytest.raises(ValidationError) as error:
        pattern_validate(pattern)
    assert message in error.value.messages[0]


@pytest.mark.parametrize("pattern", [
    "FV/{YYYY}/{MM}/{N}", "FV {YYYY}/{MM}/{N:4}", "{YY}{MM}{DD}-{N}", "FV/{N}", "{N}",
    "FK/{YYYY}/{N:6}", "R/{DD}.{MM}.{YYYY}/{N}",
])
def test_a_pattern_showing_every_period_it_restarts_in_is_accepted(pattern):
    assert pattern_validate(pattern) == pattern


# A pattern of pieces; every separator is one character, so any pattern built is valid or
# refused as a whole.
PIECES = st.lists(st.sampled_from(["FV", "/", "-", " ", "{YYYY}", "{YY}", "{MM}", "{DD}",
                                   "K1"]), max_size=6)
RUNNING = st.sampled_from(["{N}", "{N:4}", "{N:1}"])
DAYS = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))


def _series_key(pattern, when, n):
    """What identifies a number in its series: the period the counter runs in, and n."""
    return numbering.series_period(pattern, when), n


def _near(day: date, years: int, days: int) -> date:
    """Another day: ``years`` later (28 February for 29 February), then ``days`` later."""
    year = min(max(day.year + years, 1000), 9998)
    return date(year, day.month, min(day.day, 28)) + timedelta(days=days)


@given(before=PIECES, running=RUNNING, after=PIECES, one=DAYS,
       years=st.sampled_from([0, 1, -1, 100]), days=st.sampled_from([0, 1, 30, 31, 365]),
       n=st.integers(1, 3), m=st.integers(1, 3))
@settings(max_examples=400)
def test_an_accepted_pattern_never_gives_one_number_twice(before, running, after,
                                                          one, years, days, n, m):
    other = _near(one, years, days)
    pattern = "/".join(["".join(before), running, "".join(after)])
    try:
        pattern_validate(pattern)
    except ValidationError:
        return
    if "{YY}" in pattern and "{YYYY}" not in pattern:
        # Two digits of the year repeat a century later (that number is in use by then,
        # and skipped): within one century they must not.
        one, other = (date(2000 + d.year % 100, d.month, min(d.day, 28)) for d in (one, other))
    if _series_key(pattern, one, n) != _series_key(pattern, other, m):
        assert number_format(pattern, one, n) != number_format(pattern, other, m)


@pytest.fixture
def in_use(monkeypatch):
    """Numbers some document of the series "test." already bears."""
    taken = set()
    monkeypatch.setitem(numbering._IN_USE, "test.",
                        lambda series, numbers: {n for n in numbers if n in taken})
    return taken


def test_numbers_in_use_are_skipped_and_the_counter_moves_past_them(in_tenant, in_use):
    in_use |= {"T/2026/2", "T/2026/3", "T/2026/5"}
    assert number_block(series="test.t", pattern="T/{YYYY}/{N}", when=date(2026, 7, 1),
                        count=3) == ["T/2026/1", "T/2026/4", "T/2026/6"]
    assert NumberSeries.objects.get(series="test.t").last_number == 6
    assert number_block(series="test.t", pattern="T/{YYYY}/{N}", when=date(2026, 7, 1),
                        count=1) == ["T/2026/7"]


def test_a_long_run_of_numbers_in_use_costs_one_query_per_hundred(
        in_tenant, in_use, django_assert_max_num_queries):
    in_use |= {f"T/{n}" for n in range(1, 251)}
    # lock (miss) + create + lock, three windows of checks, the counter saved
    with django_assert_max_num_queries(9):
        assert number_block(series="test.u", pattern="T/{N}", when=date(2026, 1, 1),
                            count=2) == ["T/251", "T/252"]


def test_a_series_with_too_many_numbers_in_use_is_a_clear_error(in_tenant, monkeypatch):
    monkeypatch.setattr(numbering, "SKIP_LIMIT", 150)
    monkeypatch.setitem(numbering._IN_USE, "test.", lambda series, numbers: set(numbers))
    with pytest.raises(ValidationError) as error:
        number_block(series="test.v", pattern="T/{N}", when=date(2026, 1, 1), count=1)
    assert "change the number pattern" in error.value.messages[0]


@pytest.mark.parametrize("day,numbers,following", [
    (date(1, 1, 1), ["FV/0001/01/1", "FV/0001/01/2"], "FV/0001/01/3"),
    (date(999, 12, 31), ["FV/0999/12/1", "FV/0999/12/2"], "FV/1000/01/1"),
    (date(2026, 12, 31), ["FV/2026/12/1", "FV/2026/12/2"], "FV/2027/01/1"),
    (date(9999, 12, 30), ["FV/9999/12/1", "FV/9999/12/2"], "FV/9999/12/3"),
])
def test_year_boundaries_and_far_dates_start_a_new_series(in_tenant, day, numbers,
                                                          following):
    pattern = "FV/{YYYY}/{MM}/{N}"
    assert number_block(series="test.w", pattern=pattern, when=day, count=2) == numbers
    assert number_block(series="test.w", pattern=pattern, when=day + timedelta(days=1),
                        count=1) == [following]
