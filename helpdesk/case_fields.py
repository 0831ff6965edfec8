"""The one validation of a case's per-type fields (``Case.data``).

Used by the staff form, the API, the customer panel and the e-mail intake: every path
that writes ``Case.data`` calls ``case_data_clean``. Values are stored as JSON: text as
text, numbers as text of a decimal (no float rounding), dates as ISO ``YYYY-MM-DD``, a
phone number in E.164 (``+48…``), a choice as one of its choices.
"""

import datetime
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from helpdesk.models import CaseField, FieldKind

TEXT_MAX = 2000
ADDRESS_MAX = 500
NUMBER_MAX_DIGITS = 18
DATE_MIN = datetime.date(1900, 1, 1)
DATE_MAX = datetime.date(2200, 12, 31)


def case_type_fields(case_type) -> list[CaseField]:
    """The active fields of ``case_type`` in their order (one query)."""
    return list(CaseField.objects.filter(case_type=case_type, is_active=True)
                .order_by("position", "id"))


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) \
        or (isinstance(value, list | dict) and not value)


def field_value_clean(field: CaseField, value):
    """One field's value, normalised; raises ``ValidationError`` with a message."""
    kind = field.kind
    if isinstance(value, bool | list | dict):
        raise ValidationError(_("Enter a single value."))
    text = str(value).strip()
    if kind == FieldKind.TEXT:
        if len(text) > TEXT_MAX:
            raise ValidationError(_("At most %(n)s characters.") % {"n": TEXT_MAX})
        return text
    if kind == FieldKind.ADDRESS:
        if len(text) > ADDRESS_MAX:
            raise ValidationError(_("At most %(n)s characters.") % {"n": ADDRESS_MAX})
        return " ".join(text.split())
    if kind == FieldKind.NUMBER:
        try:
            number = Decimal(text.replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            raise ValidationError(_("Enter a number.")) from None
        # At most 18 digits, within ±10^15 and to 1/10^6: a measurement, a count, an
        # amount — no exponents, which would print as "1E+999999".
        if not number.is_finite() or len(number.as_tuple().digits) > NUMBER_MAX_DIGITS \
                or abs(number) >= Decimal(10) ** 15 or number.as_tuple().exponent < -6:
            raise ValidationError(_("Enter a number."))
        if number == number.to_integral():
            return str(number.quantize(Decimal(1)))
        return format(number, "f")
    if kind == FieldKind.DATE:
        try:
            day = datetime.date.fromisoformat(text[:10]) if len(text) >= 10 else None
        except ValueError:
            day = None
        if day is None:
            # Also the Polish way of writing a date: 31.12.2026.
            try:
                day = datetime.datetime.strptime(text, "%d.%m.%Y").date()
            except ValueError:
                raise ValidationError(_("Enter a date (YYYY-MM-DD).")) from None
        if not DATE_MIN <= day <= DATE_MAX:
            raise ValidationError(_("Enter a date between %(a)s and %(b)s.")
                                  % {"a": DATE_MIN.isoformat(), "b": DATE_MAX.isoformat()})
        return day.isoformat()
    if kind == FieldKind.CHOICE:
        choices = [str(c) for c in (field.choices or [])]
        if text not in choices:
            raise ValidationError(_("Choose one of: %(choices)s.")
                                  % {"choices": ", ".join(choices)})
        return text
    if kind == FieldKind.PHONE:
        try:
            number = phonenumbers.parse(text, "PL")
        except phonenumbers.NumberParseException:
            raise ValidationError(_("Enter a valid phone number.")) from None
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(_("Enter a valid phone number."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise ValidationError(_("Unknown kind of field."))


def case_data_clean(case_type, data: dict | None, *, require_mandatory: bool,
                    fields: list[CaseField] | None = None) -> dict:
    """``data`` checked against ``case_type``'s active fields, normalised.

    Keys that are no active field of the type are dropped. An empty value is left out.
    With ``require_mandatory`` a mandatory field left empty is an error. Raises
    ``ValidationError`` keyed by the field's key (all errors at once).
    """
    if data is not None and not isinstance(data, dict):
        raise ValidationError({"data": [_("The fields must be an object of key: value.")]})
    data = data or {}
    fields = case_type_fields(case_type) if fields is None else fields
    cleaned, errors = {}, {}
    for field in fields:
        value = data.get(field.key)
        if _empty(value):
            if require_mandatory and field.required:
                errors[field.key] = [_("%(label)s is mandatory.") % {"label": field.label}]
            continue
        try:
            cleaned[field.key] = field_value_clean(field, value)
        except ValidationError as e:
            errors[field.key] = e.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def case_data_missing(case_type, data: dict, *, fields: list[CaseField] | None = None) \
        -> list[CaseField]:
    """The mandatory active fields ``data`` leaves empty."""
    fields = case_type_fields(case_type) if fields is None else fields
    return [f for f in fields if f.required and _empty((data or {}).get(f.key))]


def choices_parse(text: str) -> list[str]:
    """Choices typed one per line by an admin: stripped, empty and repeated ones dropped."""
    seen: list[str] = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line and line not in seen:
            if len(line) > 100:
                raise ValidationError(_("A choice has at most 100 characters."))
            seen.append(line)
    if len(seen) > 200:
        raise ValidationError(_("At most 200 choices."))
    return seen
