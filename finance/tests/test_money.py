from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from finance.money import AmountError, round_grosz, to_money


@pytest.mark.parametrize("raw,expected", [
    ("0.005", "0.01"), ("0.004", "0.00"), ("-0.005", "-0.01"), ("2.675", "2.68"),
])
def test_rounding_is_half_up_to_the_grosz(raw, expected):
    assert round_grosz(Decimal(raw)) == Decimal(expected)


def test_amounts_never_pass_through_float():
    with pytest.raises(TypeError):
        round_grosz(0.1)
    with pytest.raises(TypeError):
        to_money(0.1)


@pytest.mark.parametrize("raw,expected", [
    ("1 234,56", "1234.56"), ("1234.56", "1234.56"), ("-5", "-5.00"), ("+5", "5.00"),
    ("-0,00", "0.00"), (Decimal("12.5"), "12.50"), (7, "7.00"),
    ("999 999 999 999,99", "999999999999.99"),
])
def test_to_money_reads_amounts_as_people_type_them(raw, expected):
    assert to_money(raw) == Decimal(expected)
    assert str(to_money(raw)) == expected  # always two places


@pytest.mark.parametrize("raw,message", [
    # Rounded to 1234.57 before it read amounts with core.amounts: a third place is a
    # typo or a thousands comma ("12,345"), refused rather than guessed.
    ("1 234,565", "At most 2 decimal places."),
    ("12,345", "At most 2 decimal places."),
    (Decimal("0.001"), "At most 2 decimal places."),
    ("NaN", "“NaN” is not an amount (e.g. 12.50 or 12,50)."),
    ("Infinity", "“Infinity” is not an amount (e.g. 12.50 or 12,50)."),
    ("-inf", "“-inf” is not an amount (e.g. 12.50 or 12,50)."),
    ("1e3", "“1e3” is not an amount (e.g. 12.50 or 12,50)."),
    ("1.234,56", "“1.234,56” is not an amount (e.g. 12.50 or 12,50)."),
    (Decimal("NaN"), "Not an amount."),
    (None, "Not an amount."),
    (True, "Not an amount."),
    ("1000000000000", "From -999,999,999,999.99 to 999,999,999,999.99."),
])
def test_to_money_refuses_what_is_no_amount_with_the_reason(raw, message):
    with pytest.raises(AmountError) as err:
        to_money(raw)
    assert err.value.messages == [message]
    # A ValidationError to show, and a ValueError for callers that catch that.
    assert isinstance(err.value, ValidationError) and isinstance(err.value, ValueError)
