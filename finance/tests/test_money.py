from decimal import Decimal

import pytest

from finance.money import round_grosz, to_money


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
    assert to_money("1 234,565") == Decimal("1234.57")
