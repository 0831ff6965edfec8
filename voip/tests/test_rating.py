"""Rating a call: the longest prefix, increments, free numbers, free minutes running out
mid-call, the amount limit reached mid-period, the threshold said once."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voip.rating import (
    EMERGENCY,
    Allowance,
    PriceList,
    Rule,
    Usage,
    billed_seconds,
    group_totals,
    rate,
    short_number_reason,
)

D = Decimal
PRICES = PriceList([
    Rule(1, "48", "pl", D("0.10"), 60, 60),
    Rule(2, "4850", "mobile", D("0.20"), 30, 6),
    Rule(3, "485001", "premium", D("2.00"), 1, 1, D("0.50")),
    Rule(4, "1", "world", D("0.50"), 60, 60, D("0.10")),
])


NOTHING_FREE = Allowance()


def _rate(number, seconds, allowance=NOTHING_FREE, usage=None):
    return rate(destination=number, seconds=seconds, prices=PRICES, allowance=allowance,
                usage=usage if usage is not None else Usage())


@pytest.mark.parametrize(("number", "rule"), [
    ("48223000000", 1), ("48501234567", 2), ("48500123456", 3), ("4850", 2),
    ("485", 1), ("48", 1), ("4", None), ("", None), ("12125550100", 4),
    ("44207946000", None), ("4850012", 3),
])
def test_the_longest_prefix_prices_the_call(number, rule):
    found = PRICES.match(number)
    assert (found.id if found else None) == rule


@pytest.mark.parametrize(("seconds", "first", "following", "billed"), [
    (0, 60, 60, 0), (1, 60, 60, 60), (60, 60, 60, 60), (61, 60, 60, 120),
    (61, 1, 1, 61), (1, 30, 6, 30), (30, 30, 6, 30), (31, 30, 6, 36), (36, 30, 6, 36),
    (37, 30, 6, 42), (-5, 60, 60, 0), (86_400, 60, 60, 86_400),
])
def test_billing_increments(seconds, first, following, billed):
    assert billed_seconds(seconds, first, following) == billed


def test_amount_to_the_grosz_with_the_connection_fee():
    mobile = _rate("48501234567", 37)  # 42 s at 0.20/min = 0.14
    assert (mobile.billed_seconds, mobile.amount, mobile.reason) == (42, D("0.14"), "priced")
    premium = _rate("48500123456", 10)  # 10 s at 2.00/min = 0.333… + 0.50
    assert premium.amount == D("0.83") and premium.rule.id == 3
    assert _rate("48223000000", 1).amount == D("0.10")  # a whole first minute
    assert _rate("48223000000", 0).reason == "unanswered"
    assert _rate("44207946000", 300).reason == "no_rule"


SHORT_AND_WORLD = PriceList([
    Rule(1, "1", "world", D("2.00")),
    Rule(2, "998", "world", D("3.00")),
    Rule(3, "48", "pl", D("0.10")),
])


@pytest.mark.parametrize(("number", "reason"), [
    ("112", "emergency"), ("998", "emergency"), ("997", "emergency"), ("999", "emergency"),
    ("986", "emergency"), ("987", "emergency"), ("991", "emergency"), ("101", "internal"),
    ("1", "internal"), ("48", "internal"), ("1234", "internal"), ("116111", "emergency"),
    ("116000", "emergency"), ("", "internal"), ("s", "internal"), ("*97", "internal"),
    # not priceable, shown to staff as unrated rather than silently free: a 5- or 6-digit
    # service number (often paid), a number with other signs (a feature prefix kept)
    ("19282", "no_rule"), ("118913", "no_rule"), ("1125550100#", "no_rule"),
    ("#31#0048501234567", "no_rule"), ("*97#", "no_rule"), ("11600", "no_rule"),
])
def test_a_short_number_is_never_priced_as_a_country(number, reason):
    """With ``1`` (the USA) and ``998`` (Uzbekistan) in the list, 112 and 998 — the fire
    brigade — are emergency calls, free; an extension is internal, free; a service number
    is not rated and reported."""
    call = rate(destination=number, seconds=600, prices=SHORT_AND_WORLD,
                allowance=NOTHING_FREE, usage=Usage())
    assert (call.reason, call.rule, call.amount, call.billed_seconds) == (
        reason, None, D("0"), 0)


@pytest.mark.parametrize(("number", "rule", "amount"), [
    ("12125550100", 1, D("20.00")), ("998712345678", 2, D("30.00")),
    ("48223000000", 3, D("1.00")),
    ("6834002", None, D("0")),  # Niue: 7 digits, international — no rule, not free
])
def test_an_international_number_is_priced_by_its_prefix(number, rule, amount):
    call = rate(destination=number, seconds=600, prices=SHORT_AND_WORLD,
                allowance=NOTHING_FREE, usage=Usage())
    assert ((call.rule.id if call.rule else None), call.amount) == (rule, amount)
    assert call.reason == ("priced" if rule else "no_rule")


@given(number=st.text(alphabet="0123456789", max_size=6))
def test_no_number_of_fewer_than_seven_digits_is_priced(number):
    call = rate(destination=number, seconds=60, prices=SHORT_AND_WORLD,
                allowance=NOTHING_FREE, usage=Usage())
    assert call.rule is None and call.amount == 0
    assert call.reason == short_number_reason(number)
    assert call.reason in ("emergency", "internal", "no_rule")
    if number in EMERGENCY:
        assert call.reason == "emergency"


def test_free_minutes_run_out_in_the_middle_of_a_call():
    allowance = Allowance(free_seconds=300 * 60, free_groups=frozenset({"pl", "mobile"}))
    usage = Usage(free_seconds_left=30)
    call = _rate("48223000000", 100, allowance, usage)  # 120 s billed, 30 of them free
    assert (call.billed_seconds, call.free_seconds, call.paid_seconds) == (120, 30, 90)
    assert call.amount == D("0.15") and call.reason == "priced"
    assert usage.free_seconds_left == 0 and usage.amount == D("0.15")
    after = _rate("48223000000", 10, allowance, usage)
    assert after.free_seconds == 0 and after.amount == D("0.10")


def test_free_minutes_only_for_the_groups_the_phone_names():
    allowance = Allowance(free_seconds=600, free_groups=frozenset({"pl"}))
    usage = Usage(free_seconds_left=600)
    mobile = _rate("48501234567", 60, allowance, usage)
    assert mobile.free_seconds == 0 and mobile.amount == D("0.20")
    landline = _rate("48223000000", 59, allowance, usage)
    assert (landline.reason, landline.amount, usage.free_seconds_left) == (
        "free_minutes", D("0"), 540)
    assert landline.rule.id == 1  # explainable: still the rule that would have priced it


def test_a_free_number_costs_nothing_and_keeps_the_free_minutes():
    allowance = Allowance(free_seconds=60, free_groups=frozenset({"pl"}),
                          free_numbers=frozenset({"48223000001"}))
    usage = Usage(free_seconds_left=60)
    call = _rate("48223000001", 3_600, allowance, usage)
    assert (call.reason, call.amount, usage.free_seconds_left) == ("free_number", D("0"), 60)
    # a number the free one is a prefix of is not free
    assert _rate("482230000012", 30, allowance, usage).reason == "free_minutes"


def test_the_amount_limit_is_reached_mid_period_once():
    allowance = Allowance(amount_limit=D("1.00"), notify_threshold=D("0.50"))
    usage = Usage()
    first = _rate("48500123456", 3, allowance, usage)  # 0.10 + 0.50 = 0.60
    assert first.threshold_crossed and not first.limit_reached
    second = _rate("48500123456", 3, allowance, usage)  # 1.20: over the limit
    assert second.limit_reached and not second.threshold_crossed
    third = _rate("48500123456", 3, allowance, usage)
    assert not third.limit_reached and not third.threshold_crossed  # said once
    assert usage.limit_reached and usage.amount == D("1.80")


def test_a_limit_of_zero_is_reached_by_the_first_paid_call_only():
    allowance = Allowance(amount_limit=D("0"))
    usage = Usage()
    assert not _rate("48223000000", 0, allowance, usage).limit_reached
    assert _rate("48223000000", 5, allowance, usage).limit_reached


def test_group_totals_make_one_line_per_billing_group():
    usage = Usage()
    calls = [_rate(n, s, usage=usage) for n, s in (("48223000000", 61), ("48501234567", 37),
                                                   ("48223000001", 1), ("44207946000", 9))]
    totals = group_totals(calls)
    assert set(totals) == {"pl", "mobile"}
    assert (totals["pl"].calls, totals["pl"].seconds, totals["pl"].amount) == (
        2, 180, D("0.30"))
    assert totals["mobile"].amount == D("0.14")


def test_a_bad_price_list_is_refused():
    with pytest.raises(ValueError, match="not digits"):
        PriceList([Rule(9, "+48", "pl", D("0.1"))])
    with pytest.raises(ValueError, match="increments"):
        PriceList([Rule(9, "48", "pl", D("0.1"), 0, 60)])


@given(seconds=st.integers(min_value=0, max_value=10**6),
       first=st.integers(min_value=1, max_value=3600),
       following=st.integers(min_value=1, max_value=3600))
def test_billed_seconds_cover_the_call_by_whole_increments(seconds, first, following):
    billed = billed_seconds(seconds, first, following)
    assert billed >= seconds
    if seconds > first:
        assert (billed - first) % following == 0 and billed - seconds < following
    elif seconds > 0:
        assert billed == first
    assert billed_seconds(seconds + 1, first, following) >= billed


@given(calls=st.lists(st.tuples(st.sampled_from(["48223000000", "48501234567",
                                                   "48500123456", "12125550100"]),
                                st.integers(min_value=0, max_value=7_200)), max_size=40),
       free=st.integers(min_value=0, max_value=36_000))
def test_free_and_paid_seconds_add_up_and_never_exceed_the_allowance(calls, free):
    allowance = Allowance(free_seconds=free, free_groups=frozenset({"pl", "mobile"}),
                          amount_limit=D("5.00"))
    usage = Usage(free_seconds_left=free)
    rated = [_rate(n, s, allowance, usage) for n, s in calls]
    assert all(r.free_seconds + r.paid_seconds == r.billed_seconds or r.reason ==
               "free_number" for r in rated)
    assert sum(r.free_seconds for r in rated) == free - usage.free_seconds_left <= free
    assert usage.amount == sum((r.amount for r in rated), D("0"))
    assert all(r.amount >= 0 for r in rated)
    assert sum(r.limit_reached for r in rated) == (1 if usage.amount >= D("5.00") else 0)
