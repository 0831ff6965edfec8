"""The one place that rounds money: half-up to the grosz.

VAT is computed per rate on that rate's net total (VAT act art. 106e ust. 11), never
per line and summed. An invoice whose every line carries its gross value is computed from
gross instead (the "gross method", art. 106e ust. 7, 8 and 10 — FA(3) P_9B/P_11A — as
LMS and most Polish ISP billing do for prices quoted with VAT): per rate, VAT = the rate's
gross total × rate ÷ (1 + rate), net = gross − VAT. So a tariff of 59.99 zł with VAT is
invoiced as exactly 59.99, which no net price in grosze reproduces for every amount.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core.amounts import amount_parse

GROSZ = Decimal("0.01")


def round_grosz(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, not {type(amount).__name__}")
    return amount.quantize(GROSZ, rounding=ROUND_HALF_UP)


# What a money column holds (``models.MONEY``: 14 digits, 2 of them decimal places).
AMOUNT_MAX = Decimal("999999999999.99")


class AmountError(ValidationError, ValueError):
    """``to_money``'s refusal: a ValidationError saying what is wrong with the amount (the
    messages of ``core.amounts.amount_parse``), and a ValueError too, for callers that
    catch what ``Decimal`` raised before ``to_money`` read amounts that way."""


def to_money(value) -> Decimal:
    """A user's or a file's amount ("1 234,56", "1234.56", "-5", an ``int`` or a
    ``Decimal``) as the one parser of amounts reads it (``core.amounts.amount_parse``):
    signed, at most two decimal places ("12,345" is refused, never rounded), at most what a
    money column holds (``AMOUNT_MAX``); NaN, infinity, exponents ("1e3") and text that
    is no amount are refused with ``AmountError``. Float is a programming error
    (``TypeError``): money never passes through it."""
    if isinstance(value, float):
        raise TypeError("money must not pass through float")
    try:
        return amount_parse(value, maximum=AMOUNT_MAX, signed=True)
    except ValidationError as error:
        raise AmountError(error.error_list) from None


# The most one document (an invoice's gross, a KP, a debit note…) may carry: far above
# any ISP's document, far below what a balance (14 digits) holds, so that no sum of them
# overflows a column into a database error. ``finance.services.document_amount_check``
# refuses more, where every document is written.
DOCUMENT_MAX = Decimal("99999999.99")


def document_max_refusal(amount: Decimal) -> str:
    """Why ``amount`` cannot be one document's ("" if it can): the decision alone, for
    ``services.document_amount_check`` and for the bank import's set-based booking."""
    if amount > DOCUMENT_MAX:
        return _("At most %(max)s on one document.") % {
            "max": number_format(DOCUMENT_MAX, decimal_pos=2, use_l10n=True,
                                 force_grouping=True)}
    return ""


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


def net_from_gross(gross: Decimal, vat_rate: str) -> Decimal:
    """The net part of a gross amount of one rate: gross − its VAT (the gross method's rule,
    so a line's net and its rate's total are computed alike)."""
    if vat_rate not in VAT_RATES:
        raise ValueError(f"unknown VAT rate {vat_rate!r}; expected one of {list(VAT_RATES)}")
    factor = VAT_RATES[vat_rate]
    return gross - round_grosz(gross * factor / (1 + factor))


def vat_summary(items) -> dict[str, RateTotal]:
    """``items``: (vat_rate, line net) or (vat_rate, line net, line gross) → per-rate
    totals in ``VAT_RATES`` order.

    VAT is rounded once per rate, never per line: on the rate's net total, or — when every
    item carries a gross (not None) — on the rate's gross total (the gross method).
    """
    nets: dict[str, Decimal] = {}
    grosses: dict[str, Decimal] = {}
    from_gross = True
    for item in items:
        rate, net = item[0], item[1]
        gross = item[2] if len(item) > 2 else None
        if rate not in VAT_RATES:
            raise ValueError(f"unknown VAT rate {rate!r}; expected one of {list(VAT_RATES)}")
        nets[rate] = nets.get(rate, Decimal("0.00")) + net
        if gross is None:
            from_gross = False
        else:
            grosses[rate] = grosses.get(rate, Decimal("0.00")) + gross
    summary = {}
    for rate, factor in VAT_RATES.items():
        if rate not in nets:
            continue
        if from_gross:
            gross = grosses[rate]
            net = net_from_gross(gross, rate)
            summary[rate] = RateTotal(net, gross - net, gross)
        else:
            vat = round_grosz(nets[rate] * factor)
            summary[rate] = RateTotal(nets[rate], vat, nets[rate] + vat)
    return summary


def lines_gross_fill(items) -> list:
    """``items``: (vat_rate, net, gross or None). When some carry a gross, the others get
    theirs from the net (net × (1 + rate)), so the whole invoice is computed from gross;
    when none do, they are returned as they are (the net method)."""
    items = list(items)
    if all(item[2] is None for item in items):
        return items
    return [(rate, net, gross if gross is not None
             else round_grosz(net * (1 + VAT_RATES[rate]))) for rate, net, gross in items]
