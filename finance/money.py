"""The one place that rounds money: half-up to the grosz.

VAT is computed per rate on that rate's net total (VAT act art. 106e ust. 11), never
per line and summed.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

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


# VAT rates as an invoice line names them; the factor multiplies a rate's net total.
VAT_RATES: dict[str, Decimal] = {
    "23": Decimal("0.23"), "8": Decimal("0.08"), "5": Decimal("0.05"),
    "0": Decimal("0"), "zw": Decimal("0"), "np": Decimal("0"), "np II": Decimal("0"),
}


class RateTotal(NamedTuple):
    net: Decimal
    vat: Decimal
    gross: Decimal


def line_net(quantity: Decimal, net_unit_price: Decimal) -> Decimal:
    return round_grosz(quantity * net_unit_price)


def net_unit_price_from_gross(gross_unit_price: Decimal, vat_rate: str) -> Decimal:
    """The net unit price of a line typed with its gross unit price: gross ÷ (1 + rate),
    half-up to the grosz. The invoice is still computed from net (``vat_summary``), so
    its gross may differ from quantity × the typed gross by a grosz or so; the form's
    totals show the result before it is issued."""
    if vat_rate not in VAT_RATES:
        raise ValueError(f"unknown VAT rate {vat_rate!r}; expected one of {list(VAT_RATES)}")
    return round_grosz(round_grosz(gross_unit_price) / (1 + VAT_RATES[vat_rate]))


def gross_unit_price(net_unit_price: Decimal, vat_rate: str) -> Decimal:
    """What a net unit price is gross, for showing beside it (VAT itself is per rate)."""
    return round_grosz(net_unit_price * (1 + VAT_RATES[vat_rate]))


def vat_summary(items) -> dict[str, RateTotal]:
    """``items``: (vat_rate, line net) pairs → per-rate totals in ``VAT_RATES`` order.

    VAT is rounded once per rate on that rate's net total, never per line.
    """
    nets: dict[str, Decimal] = {}
    for rate, net in items:
        if rate not in VAT_RATES:
            raise ValueError(f"unknown VAT rate {rate!r}; expected one of {list(VAT_RATES)}")
        nets[rate] = nets.get(rate, Decimal("0.00")) + net
    summary = {}
    for rate, factor in VAT_RATES.items():
        if rate in nets:
            vat = round_grosz(nets[rate] * factor)
            summary[rate] = RateTotal(nets[rate], vat, nets[rate] + vat)
    return summary
