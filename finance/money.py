"""The one place that rounds money: half-up to the grosz.

VAT is computed per rate on that rate's net total (VAT act art. 106e ust. 11), never
per line and summed.
"""

from decimal import ROUND_HALF_UP, Decimal

GROSZ = Decimal("0.01")


def round_grosz(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, not {type(amount).__name__}")
    return amount.quantize(GROSZ, rounding=ROUND_HALF_UP)


def to_money(value) -> Decimal:
    """Parse a user's or a file's amount ("1 234,56", "1234.56") into Decimal; never float."""
    if isinstance(value, float):
        raise TypeError("money must not pass through float")
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    return round_grosz(Decimal(text))
