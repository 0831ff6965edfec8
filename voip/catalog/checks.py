"""The checks every write of the catalogue shares: one rule, one place (a price rule's
values are checked by ``rule_clean`` whether they come from the form, the API or a line
of a CSV file)."""

import datetime
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.amounts import amount_parse

from ..models import BillingGroup

# PriceRule's prices: DecimalField(max_digits=12, decimal_places=4).
PRICE_DECIMAL_PLACES = 4
PRICE_MAX = Decimal("99999999.9999")
INCREMENT_MIN, INCREMENT_MAX = 1, 3600
PREFIX_MAX_DIGITS = 15
# A CSV import lists this many bad lines at most; the rest are counted.
IMPORT_ERRORS_LISTED = 20
IMPORT_MAX_LINES = 100_000
AMI_SECRET_MAX_LENGTH = 255
CODE = re.compile(r"[a-z0-9_-]{1,40}")


def text_clean(value, *, max_length: int, empty: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError(empty)
    if len(text) > max_length:
        raise ValidationError(_("At most %(n)s characters.") % {"n": max_length})
    if has_control(text):
        raise ValidationError(_("Control characters (a line break, a tab) are not allowed."))
    return text


def has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def raise_errors(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def check(errors: dict, key: str, clean, value):
    """``clean(value)``, or None with its messages added to ``errors[key]``."""
    try:
        return clean(value)
    except ValidationError as exc:
        errors.setdefault(key, []).extend(exc.messages)
        return None


def int_clean(value, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise ValidationError(_("Not a whole number."))
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not re.fullmatch(r"[0-9]+", text):
            raise ValidationError(_("Not a whole number."))
        number = int(text)
    if not low <= number <= high:
        raise ValidationError(_("A whole number from %(low)s to %(high)s.")
                              % {"low": low, "high": high})
    return number


def price_clean(value) -> Decimal:
    """A price per minute or a connection fee: not negative, at most 4 decimal places;
    a comma or a dot before the decimals (``0,1234`` as in a Polish spreadsheet)."""
    return amount_parse(value, places=PRICE_DECIMAL_PLACES, maximum=PRICE_MAX)


def prefix_clean(value) -> str:
    """A prefix of dialled numbers: 1 to 15 digits, as E.164 (country code first)."""
    text = str(value if value is not None else "").strip()
    if not text:
        raise ValidationError(_("Give the prefix."))
    if not (text.isascii() and text.isdigit()) or len(text) > PREFIX_MAX_DIGITS:
        raise ValidationError(_("A prefix has 1 to %(n)s digits (country code first, no "
                                "“+”).") % {"n": PREFIX_MAX_DIGITS})
    return text


def rule_clean(*, prefix, price_per_minute, first_increment, next_increment,
                connection_fee) -> dict:
    """A price rule's values checked (all of them at once, keyed by field): the one check
    of the form, the API and every line of an imported file."""
    errors: dict = {}
    clean = {
        "prefix": check(errors, "prefix", prefix_clean, prefix),
        "price_per_minute": check(errors, "price_per_minute", price_clean, price_per_minute),
        "first_increment": check(errors, "first_increment",
                                  lambda v: int_clean(v, INCREMENT_MIN, INCREMENT_MAX),
                                  first_increment),
        "next_increment": check(errors, "next_increment",
                                 lambda v: int_clean(v, INCREMENT_MIN, INCREMENT_MAX),
                                 next_increment),
        "connection_fee": check(errors, "connection_fee", price_clean, connection_fee),
    }
    raise_errors(errors)
    return clean


RULE_FIELDS = ("prefix", "billing_group_id", "price_per_minute", "first_increment",
               "next_increment", "connection_fee")


def group_of_tenant(value) -> BillingGroup:
    """A billing group of the active tenant, given as the object or its id."""
    pk = value.pk if isinstance(value, BillingGroup) else value
    try:
        return BillingGroup.objects.get(pk=int(pk))
    except (BillingGroup.DoesNotExist, TypeError, ValueError):
        raise ValidationError(_("Choose a billing group of this operator.")) from None


def date_clean(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        raise ValidationError(_("Give a day, not a moment."))
    if isinstance(value, datetime.date):
        day = value
    else:
        try:
            day = datetime.date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise ValidationError(_("Not a date (YYYY-MM-DD).")) from None
    if not 1970 <= day.year <= 2100:
        raise ValidationError(_("A date from 1970 to 2100."))
    return day

