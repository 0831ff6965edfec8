"""Identity numbers and contact data: parse, validate, return the compact form.

Each function raises ``ValidationError`` with a message a person can act on.
python-stdnum validates PESEL, NIP and REGON; phonenumbers the phones; schwifty IBANs.
python-stdnum has no Polish ID-card number, so its check digit is computed here.
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import nip, pesel, regon


def clean_pesel(value: str) -> str:
    if not value:
        return ""
    try:
        return pesel.validate(value)
    except StdnumError:
        raise ValidationError(_("“%(value)s” is not a valid PESEL number.") % {"value": value},
                              code="invalid_pesel") from None


# TNIP of the FA(3) schema: what KSeF accepts as a NIP (the first digit is not 0, and the
# second and third are not both 0). The checksum alone passes "0000000000", which no
# invoice could carry.
_KSEF_NIP = re.compile(r"[1-9]((\d[1-9])|([1-9]\d))\d{7}", re.ASCII)


def clean_nip(value: str) -> str:
    """A NIP as 10 digits ("PL", spaces and dashes dropped): checksum (python-stdnum) and
    the shape KSeF's FA(3) accepts."""
    if not value:
        return ""
    try:
        number = nip.validate(value)
    except StdnumError:
        number = ""
    if not _KSEF_NIP.fullmatch(number):
        raise ValidationError(_("“%(value)s” is not a valid NIP number.") % {"value": value},
                              code="invalid_nip")
    return number


def clean_regon(value: str) -> str:
    if not value:
        return ""
    try:
        return regon.validate(value)
    except StdnumError:
        raise ValidationError(_("“%(value)s” is not a valid REGON number.") % {"value": value},
                              code="invalid_regon") from None


_ID_CARD_WEIGHTS = (7, 3, 1, 9, 7, 3, 1, 7, 3)


def _id_card_valid(number: str) -> bool:
    """Polish ID card: 3 letters, a check digit, 5 digits (weights 7-3-1-9-7-3-1-7-3)."""
    if not re.fullmatch(r"[A-Z]{3}\d{6}", number):
        return False
    values = [ord(c) - 55 for c in number[:3]] + [int(c) for c in number[3:]]
    checksum = sum(v * w for v, w in zip(values, _ID_CARD_WEIGHTS, strict=True)
                   if w != 9)
    return checksum % 10 == values[3]


def clean_id_document(doc_type: str, number: str) -> str:
    number = re.sub(r"[\s-]", "", number or "").upper()
    if not number:
        return ""
    if doc_type == "id_card" and not _id_card_valid(number):
        raise ValidationError(_("“%(value)s” is not a valid Polish ID card number.")
                              % {"value": number}, code="invalid_id_document")
    if doc_type == "passport" and not re.fullmatch(r"[A-Z]{2}\d{7}", number):
        raise ValidationError(_("“%(value)s” is not a valid Polish passport number.")
                              % {"value": number}, code="invalid_id_document")
    if not re.fullmatch(r"[A-Z0-9]{4,20}", number):
        raise ValidationError(_("An ID document number has 4 to 20 letters and digits."),
                              code="invalid_id_document")
    return number


def clean_phone(value: str) -> str:
    """E.164; numbers without a country code are taken as Polish."""
    try:
        parsed = phonenumbers.parse(value, "PL")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("“%(value)s” is not a valid phone number.") % {"value": value},
                              code="invalid_phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def clean_iban(value: str) -> str:
    """Compact IBAN; a bare 26-digit Polish NRB gets its ``PL`` prefix."""
    compact = re.sub(r"\s", "", value or "").upper()
    if re.fullmatch(r"\d{26}", compact):
        compact = "PL" + compact
    try:
        return IBAN(compact).compact
    except SchwiftyException:
        raise ValidationError(_("“%(value)s” is not a valid bank account number (IBAN).")
                              % {"value": value}, code="invalid_iban") from None


def format_account(nrb_or_iban: str) -> str:
    """Groups of four as printed on Polish payment slips: ``12 3456 7890 …``."""
    digits = nrb_or_iban[2:] if nrb_or_iban[:2].isalpha() else nrb_or_iban
    prefix = nrb_or_iban[:2] + " " if nrb_or_iban[:2].isalpha() else ""
    return prefix + digits[:2] + " " + " ".join(digits[i:i + 4] for i in range(2, len(digits), 4))
