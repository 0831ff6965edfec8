"""The shapes of what staff type: a domain name, the part of an address before the @, a
destination address, a mailbox password."""

import re
import unicodedata

import idna
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

# RFC 5321 dot-atom: atext runs separated by single dots, no dot at either end.
_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
LOCAL_PART_MAX = 64
PASSWORD_MIN = 8
PASSWORD_MAX = 128


def domain_clean(value: str) -> str:
    """``value`` as the mail servers store it: IDNA (punycode), lower case, no trailing
    dot; ``Łódź.PL`` becomes ``xn--d-uga0v4h.pl``. At least two labels."""
    text = (value or "").strip().rstrip(".")
    if not text:
        raise ValidationError(_("Enter a domain name."))
    try:
        ascii_name = idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ValidationError(_("“%(name)s” is not a valid domain name.") % {"name": text}) \
            from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or len(ascii_name) > 253 or labels[-1].isdigit():
        raise ValidationError(_("“%(name)s” is not a valid domain name.") % {"name": text})
    return ascii_name.lower()


def domain_display(name: str) -> str:
    """A stored (IDNA) domain as people read it: ``łódź.pl``."""
    try:
        return idna.decode(name)
    except (idna.IDNAError, UnicodeError):
        return name


def local_part_clean(value: str) -> str:
    """The part before the @: RFC 5321 dot-atom, lower case, at most 64 characters.
    Quoted local parts and non-ASCII letters are refused: not every MTA takes them."""
    text = (value or "").strip().lower()
    if not text:
        raise ValidationError(_("Enter the name before the @."))
    if len(text) > LOCAL_PART_MAX:
        raise ValidationError(_("The name before the @ may have at most %(n)d characters.")
                              % {"n": LOCAL_PART_MAX})
    if not _DOT_ATOM.fullmatch(text):
        raise ValidationError(_("The name before the @ may have letters a-z, digits, "
                                "dots (not two in a row, not at either end) and "
                                "!#$%&'*+/=?^_`{|}~-."))
    return text


def destination_clean(value: str) -> str:
    """A forwarding's destination: an address anywhere, its domain in IDNA lower case."""
    text = (value or "").strip()
    local, at, domain = text.rpartition("@")
    if not at or not local:
        raise ValidationError(_("“%(a)s” is not an e-mail address.") % {"a": text})
    try:
        address = f"{local_part_clean(local)}@{domain_clean(domain)}"
    except ValidationError:
        raise ValidationError(_("“%(a)s” is not an e-mail address.") % {"a": text}) from None
    try:
        EmailValidator()(address)
    except ValidationError:
        raise ValidationError(_("“%(a)s” is not an e-mail address.") % {"a": text}) from None
    return address


def password_check(value: str) -> str:
    """A mailbox password: 8 to 128 characters, any letters (Polish too), no control
    characters (a NUL or a line break cannot cross IMAP's SASL PLAIN)."""
    if len(value or "") < PASSWORD_MIN:
        raise ValidationError(_("The password must have at least %(n)d characters.")
                              % {"n": PASSWORD_MIN})
    if len(value) > PASSWORD_MAX:
        raise ValidationError(_("The password may have at most %(n)d characters.")
                              % {"n": PASSWORD_MAX})
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValidationError(_("The password may not contain control characters."))
    return value
