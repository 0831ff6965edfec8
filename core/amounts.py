"""Amounts people type, read one way everywhere: ``amount_parse``.

A price in the warehouse's catalogue, a price per minute of the exchange, a phone's amount
limit or a prepaid top-up are all typed by a person (a form, a line of a CSV file, a JSON
field sent as text) and all read by this one function, so "12,50" means the same in each.

The text is digits, then a comma or a dot and more digits: "12,50" as typed in Poland,
"12.50" otherwise. The comma is always the decimal separator, never a thousands
separator ("12,345" is twelve and 345 thousandths, refused where two places are allowed);
thousands are grouped by spaces or non-breaking spaces ("1 234,50", as a Polish
spreadsheet copies it), which are ignored. Refused: exponents ("1e3", a typo rather than a
thousand), NaN and infinity, digits other than ASCII ("１２": Python's ``Decimal`` would read
them, a person would not mean them), and float — money never passes through float, where
0.1 is not 0.1. A JSON number is turned into its text by the API layer before it comes
here. ``int`` and ``Decimal`` are taken as they are; ``bool`` (an ``int`` to Python) is not.
"""

import re
from decimal import Decimal, localcontext

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# An optional sign, ASCII digits, optionally a comma or a dot and ASCII digits.
AMOUNT_TEXT = re.compile(r"([-+]?)([0-9]+)(?:[.,]([0-9]+))?", re.ASCII)
# Grouping spaces inside an amount: a space, a non-breaking space (what Polish formats put
# between thousands) and a narrow one (what some spreadsheets put there).
_GROUPING = str.maketrans("", "", " \u00a0\u202f")
# How much of a refused text its message repeats.
_SHOWN = 20


def amount_parse(value, *, maximum: Decimal, places: int = 2, signed: bool = False,
                 blank: bool = False) -> Decimal | None:
    """``value`` (text, ``int`` or ``Decimal``) as a ``Decimal`` with exactly ``places``
    decimal places, or ``ValidationError`` saying what is wrong with it.

    ``maximum``: the largest amount (either way when ``signed``). ``signed``: a negative
    amount is taken, and a sign ("+5", "-5") may be typed; otherwise neither is (a typed
    "-0" too: a minus where none belongs is a mistake to show). ``blank``: nothing given
    (None, "" or only spaces) is None rather than an error. A zero is never returned
    negative ("-0,00" with ``signed`` is 0.00)."""
    if isinstance(value, bool | float):
        raise ValidationError(_("Not an amount."), code="not_amount")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
        if not amount.is_finite():
            raise ValidationError(_("Not an amount."), code="not_amount")
    elif isinstance(value, str):
        text = value.strip().translate(_GROUPING)
        if not text and blank:
            return None
        amount = _text_amount(text, shown=value, signed=signed)
    elif value is None and blank:
        return None
    else:
        raise ValidationError(_("Not an amount."), code="not_amount")
    if amount < 0 and not signed:
        raise ValidationError(_("The amount may not be negative."), code="negative")
    if amount.copy_abs() > maximum:
        shown = formats.number_format(maximum, decimal_pos=places, use_l10n=True,
                                      force_grouping=True)
        if signed:
            raise ValidationError(_("From -%(max)s to %(max)s.") % {"max": shown},
                                  code="maximum")
        raise ValidationError(_("At most %(max)s.") % {"max": shown}, code="maximum")
    if _decimal_places(amount) > places:
        raise ValidationError(ngettext("At most %(n)s decimal place.",
                                       "At most %(n)s decimal places.", places)
                              % {"n": places}, code="places")
    if not amount:
        amount = amount.copy_abs()  # "-0" is 0
    with localcontext() as context:
        # Enough digits for the whole amount and its places: quantize only adds zeros here.
        context.prec = max(context.prec, amount.adjusted() + places + 2)
        return amount.quantize(Decimal(1).scaleb(-places))


def _text_amount(text: str, *, shown: str, signed: bool) -> Decimal:
    match = AMOUNT_TEXT.fullmatch(text)
    if match is None or (match[1] == "+" and not signed):
        raise ValidationError(_("“%(value)s” is not an amount (e.g. 12.50 or 12,50).")
                              % {"value": shown[:_SHOWN]}, code="not_amount")
    sign, whole, fraction = match.groups()
    if sign == "-" and not signed:
        raise ValidationError(_("The amount may not be negative."), code="negative")
    return Decimal(f"{sign}{whole}.{fraction or '0'}")


def _decimal_places(amount: Decimal) -> int:
    """How many decimal places ``amount`` needs ("1.50" one, "1E-3" three), counted
    without arithmetic: an exponent of a million costs nothing here."""
    if not amount:
        return 0
    _sign, digits, exponent = amount.as_tuple()
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -exponent - trailing_zeros)
