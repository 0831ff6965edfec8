"""Amounts people type are read one way (core.amounts): a comma or a dot before the
decimals, spaces between thousands ignored; no exponent, NaN, infinity, float, bool or
digits other than ASCII; the range and the places each caller gives; a message saying
what is wrong."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import formats, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from core.amounts import amount_parse
from voip.catalog import checks as voip_checks
from voip.services import _money_clean
from warehouse import catalog as warehouse_catalog

D = Decimal
MAX = D("999999.99")


def parse(value, **kwargs):
    kwargs.setdefault("maximum", MAX)
    return amount_parse(value, **kwargs)


def refused(value, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        parse(value, **kwargs)
    return raised.value


@pytest.mark.parametrize("value,kwargs,expected", [
    ("0", {}, D("0.00")),
    ("0,00", {}, D("0.00")),
    ("12,50", {}, D("12.50")),
    ("12.5", {}, D("12.50")),
    ("7", {}, D("7.00")),
    ("12.500", {}, D("12.50")),  # a zero past the places changes nothing
    ("1 234,50", {}, D("1234.50")),
    ("1\u00a0234,50", {}, D("1234.50")),  # as a Polish spreadsheet copies it
    ("1\u202f234,50", {}, D("1234.50")),
    ("  12,50\n", {}, D("12.50")),
    ("000012,50", {}, D("12.50")),
    ("12,345", {"places": 4}, D("12.3450")),  # the comma is decimals, never thousands
    ("0,1234", {"places": 4}, D("0.1234")),
    ("+5", {"signed": True}, D("5.00")),
    ("-5,5", {"signed": True}, D("-5.50")),
    ("999999.99", {}, MAX),
    ("999 999,99", {}, MAX),
    ("-999999.99", {"signed": True}, -MAX),
    (12, {}, D("12.00")),
    (0, {}, D("0.00")),
    (-3, {"signed": True}, D("-3.00")),
    (D("0.10"), {}, D("0.10")),
    (D("1E+2"), {}, D("100.00")),
    (D("0E-1000000"), {}, D("0.00")),
    (D("12.5000000"), {}, D("12.50")),
])
def test_amounts_as_typed_are_read(value, kwargs, expected):
    amount = parse(value, **kwargs)
    assert amount == expected
    assert amount.as_tuple().exponent == -kwargs.get("places", 2)  # always its places


@pytest.mark.parametrize("value,kwargs", [
    ("-0", {"signed": True}), ("-0,00", {"signed": True}), (D("-0"), {}),
    (D("-0.000"), {"signed": True}), (D("-0E+5"), {}),
])
def test_a_zero_is_never_negative(value, kwargs):
    amount = parse(value, **kwargs)
    assert amount == 0 and not amount.is_signed() and str(amount) == "0.00"


@pytest.mark.parametrize("value", [
    "1e3", "1E3", "1e-2", "NaN", "nan", "Infinity", "-Infinity", "inf",
    "１２", "١٢", "12\u0663",  # fullwidth, Arabic-Indic: Decimal() would read them
    "1.234,50", "1,234.50", "1,2,3", "12,50 zł", "PLN 12", ".5", "5.", ",5", "12,",
    "--5", "+-5", "5-", "0x10", "1_000", "12\t50", "", "   ", "\u00a0",
])
def test_text_that_is_not_an_amount_is_refused_and_shown(value):
    error = refused(value, signed=True)
    assert error.code == "not_amount"
    assert error.messages == [f"“{value[:20]}” is not an amount (e.g. 12.50 or 12,50)."]


@pytest.mark.parametrize("value", [
    0.1, 12.5, 1.0, float("nan"), float("inf"),  # money never passes through float
    True, False,  # an int to Python, a yes/no to a person
    None, D("NaN"), D("sNaN"), D("Infinity"), D("-Infinity"), b"12", ["12"], object(),
])
def test_values_that_are_not_amounts_are_refused(value):
    error = refused(value, signed=True)
    assert (error.code, error.messages) == ("not_amount", ["Not an amount."])


@pytest.mark.parametrize("value", ["-5", "-0", "-0,00", "-0,01", "-1.234", D("-0.01"), -1])
def test_a_negative_amount_is_refused_unless_signed(value):
    error = refused(value)
    assert (error.code, error.messages) == ("negative", ["The amount may not be negative."])


def test_a_plus_is_a_sign_too_refused_where_no_sign_belongs():
    assert refused("+5").code == "not_amount"
    assert parse("+5", signed=True) == D("5.00")


@pytest.mark.parametrize("value,places,message", [
    ("12,345", 2, "At most 2 decimal places."),
    ("0.001", 2, "At most 2 decimal places."),
    (D("0.001"), 2, "At most 2 decimal places."),
    ("0,12345", 4, "At most 4 decimal places."),
    ("1,25", 1, "At most 1 decimal place."),
    ("1.5", 0, "At most 0 decimal places."),
    (D("1E-1000000"), 2, "At most 2 decimal places."),  # counted, not computed
])
def test_too_many_decimal_places_are_refused(value, places, message):
    error = refused(value, places=places)
    assert (error.code, error.messages) == ("places", [message])


@pytest.mark.parametrize("value,kwargs,message", [
    ("1000000.00", {}, "At most 999,999.99."),  # the maximum + 0.01
    ("1 000 000", {}, "At most 999,999.99."),
    (D("1E+1000000"), {}, "At most 999,999.99."),  # no overflow on the way
    (10**400, {}, "At most 999,999.99."),
    ("9" * 5000, {}, "At most 999,999.99."),
    ("1000000.001", {}, "At most 999,999.99."),  # the range is said first
    ("-1000000.00", {"signed": True}, "From -999,999.99 to 999,999.99."),
    ("1000000.00", {"signed": True}, "From -999,999.99 to 999,999.99."),
    ("100000000", {"places": 4, "maximum": D("99999999.9999")}, "At most 99,999,999.9999."),
])
def test_an_amount_above_the_maximum_is_refused_saying_it(value, kwargs, message):
    error = refused(value, **kwargs)
    assert (error.code, error.messages) == ("maximum", [message])


def test_the_maximum_is_shown_as_a_polish_user_types_it_back():
    with translation.override("pl"):
        error = refused("1000000")
        shown = formats.number_format(MAX, decimal_pos=2, use_l10n=True, force_grouping=True)
    assert shown == "999\u00a0999,99" and shown in error.messages[0]
    assert parse(shown) == MAX


@pytest.mark.parametrize("value", [None, "", "   ", "\u00a0", " \u00a0 "])
def test_nothing_given_is_none_where_blank_is_allowed(value):
    assert parse(value, blank=True) is None
    assert refused(value).code == "not_amount"


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("0123456789,.-+ eE\u00a0n１"), max_size=16),
       places=st.integers(0, 4), signed=st.booleans())
def test_any_text_is_refused_or_an_amount_in_range_with_its_places(text, places, signed):
    try:
        amount = parse(text, places=places, signed=signed, blank=True)
    except ValidationError as error:
        assert error.code in {"not_amount", "negative", "places", "maximum"}
        return
    if amount is None:
        assert not text.strip(" \u00a0")
        return
    assert amount.as_tuple().exponent == -places and abs(amount) <= MAX
    assert (amount >= 0 or signed) and not (amount == 0 and amount.is_signed())


@settings(max_examples=300, deadline=None)
@given(amount=st.decimals(min_value=-MAX, max_value=MAX, places=2), polish=st.booleans())
def test_an_amount_as_shown_is_read_back_the_same(amount, polish):
    with translation.override("pl" if polish else "en"):
        shown = formats.number_format(amount, decimal_pos=2, use_l10n=True,
                                      force_grouping=polish)
    assert parse(shown, signed=True) == amount


@given(number=st.floats())
def test_no_float_is_ever_read(number):
    with pytest.raises(ValidationError):
        parse(number, signed=True)


# --------------------------------------------------------------------------- the callers

@pytest.mark.parametrize("clean", [
    warehouse_catalog.price_clean, voip_checks.price_clean,
    lambda value: _money_clean(value, "Amount limit"),
    lambda value: _money_clean(value, "Amount", signed=True),
])
@pytest.mark.parametrize("value,expected", [
    ("12,50", D("12.50")), ("1 234,5", D("1234.50")), (7, D("7.00")), (D("0.10"), D("0.10")),
])
def test_each_caller_reads_the_same_text_alike(clean, value, expected):
    assert clean(value) == expected


@pytest.mark.parametrize("clean", [
    warehouse_catalog.price_clean, voip_checks.price_clean,
    lambda value: _money_clean(value, "Amount limit"),
    lambda value: _money_clean(value, "Amount", signed=True),
])
@pytest.mark.parametrize("value", ["1e3", "NaN", "Infinity", "１２", "1,2,3", 0.1, True])
def test_each_caller_refuses_what_is_not_an_amount(clean, value):
    with pytest.raises(ValidationError) as raised:
        clean(value)
    assert "not an amount" in raised.value.messages[0].lower()


def test_each_caller_keeps_its_places_and_range():
    assert voip_checks.price_clean("0,1234") == D("0.1234")
    assert voip_checks.price_clean("99999999.9999") == voip_checks.PRICE_MAX
    assert warehouse_catalog.price_clean("999999999999.99") == warehouse_catalog.PRICE_MAX
    assert _money_clean("999 999,99", "Amount limit") == MAX
    for clean, value in [(warehouse_catalog.price_clean, "0,123"),
                         (voip_checks.price_clean, "0,12345"),
                         (warehouse_catalog.price_clean, "1000000000000"),
                         (voip_checks.price_clean, "100000000"),
                         (lambda v: _money_clean(v, "Amount limit"), "1000000"),
                         # once a 500: the places were checked by quantize, past its digits
                         (warehouse_catalog.price_clean, "1" + "0" * 29),
                         (voip_checks.price_clean, "1" + "0" * 30)]:
        with pytest.raises(ValidationError):
            clean(value)


def test_the_phone_amounts_say_which_they_are_and_may_be_left_out():
    assert _money_clean("", "Amount limit") is None
    assert _money_clean(None, "Amount limit") is None
    with pytest.raises(ValidationError) as raised:
        _money_clean("-5", "Amount limit")
    assert raised.value.messages == ["Amount limit: The amount may not be negative."]
    assert _money_clean("-5", "Amount", signed=True) == D("-5.00")
    with pytest.raises(ValidationError) as raised:
        _money_clean("-1000000", "Amount", signed=True)
    assert raised.value.messages == ["Amount: From -999,999.99 to 999,999.99."]
