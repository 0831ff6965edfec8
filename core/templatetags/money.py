"""The one way an amount is shown, on screens and in PDFs: ``{{ amount|money }}``.

Polish ``1 234,56 zł`` (non-breaking spaces between thousands and before the currency),
English ``PLN 1,234.56``; the separators come from the active language's format module
(config/formats). Another currency is named by its code: ``12,00 EUR`` / ``EUR 12.00``.
``None`` and ``""`` show as nothing, so ``{{ x|money|default:"—" }}`` works; text that is
not a number is shown as it is. Exports for accountants keep their machine formats and do
not come here.

The filter is a template builtin (settings.TEMPLATES), no ``{% load %}`` needed.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import formats, translation

register = template.Library()

GROSZ = Decimal("0.01")
NBSP = "\xa0"


def _decimal(value) -> Decimal | None:
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except (InvalidOperation, ValueError):
            return None
    return number if number.is_finite() else None


def money_format(value, currency: str = "PLN", *, language: str | None = None,
                 symbol: bool = True) -> str:
    """``Decimal("1234.5")`` → ``"1 234,50 zł"`` (Polish) or ``"PLN 1,234.50"`` (English).

    ``language``: the active one unless given (PDFs are Polish whatever the reader's).
    ``symbol=False``: the figure alone, for tables whose header names the currency.
    Rounded half-up to the grosz (the ledger's amounts already are); ``-0`` shows as ``0``.
    """
    if value is None or value == "":
        return ""
    number = _decimal(value)
    if number is None:
        return str(value)
    number = number.quantize(GROSZ, rounding=ROUND_HALF_UP)
    if not number:
        number = abs(number)
    with translation.override(language or translation.get_language() or "pl"):
        figure = formats.number_format(number, decimal_pos=2, use_l10n=True,
                                       force_grouping=True)
        polish = (translation.get_language() or "").startswith("pl")
    if not symbol:
        return figure
    if polish:
        return f"{figure}{NBSP}{'zł' if currency == 'PLN' else currency}"
    return f"{currency}{NBSP}{figure}"


@register.filter(is_safe=False)
def money(value, currency="PLN"):
    """``{{ amount|money }}``, ``{{ amount|money:"EUR" }}``."""
    return money_format(value, currency or "PLN")


@register.filter(is_safe=False)
def amount(value):
    """The figure alone, ``1 234,56`` / ``1,234.56``: for columns headed by the currency."""
    return money_format(value, symbol=False)
