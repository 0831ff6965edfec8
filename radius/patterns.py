"""Generated logins and passwords from the tenant's patterns (category Computer).

Login pattern: literal text with ``{C}`` (the customer number) and the running number
``{N}`` (``{N:4}`` pads it), plus the date tokens of ``core.numbering``. Password pattern:
literal text with random ``{R:n}`` (n letters and digits, no look-alikes such as 0/O,
1/l) and ``{D:n}`` (n digits).
"""

import re
import secrets

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.numbering import number_next, pattern_validate

LOGIN_CHARS = re.compile(r"[A-Za-z0-9._@-]{1,64}")
RANDOM_TOKEN = re.compile(r"\{([RD]):(\d{1,2})\}")
ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MIN_RANDOM = 6


def login_pattern_validate(pattern: str) -> str:
    pattern = (pattern or "").strip()
    try:
        pattern_validate(pattern.replace("{C}", ""))
    except ValidationError:
        raise ValidationError(_("A login pattern needs the running number {N}; other "
                                "tokens: {C}, {YYYY}, {YY}, {MM}, {DD}.")) from None
    literal = re.sub(r"\{[^}]*\}", "", pattern)
    if literal and not LOGIN_CHARS.fullmatch(literal):
        raise ValidationError(_("A login may contain only letters, digits and . _ @ -"))
    return pattern


def password_pattern_validate(pattern: str) -> str:
    pattern = (pattern or "").strip()
    literal = RANDOM_TOKEN.sub("", pattern)
    if "{" in literal or "}" in literal:
        raise ValidationError(_("Unknown token in the password pattern; use {R:n} and {D:n}."))
    if sum(int(n) for _kind, n in RANDOM_TOKEN.findall(pattern)) < MIN_RANDOM:
        raise ValidationError(
            _("A password pattern needs at least %(n)s random characters.") % {"n": MIN_RANDOM})
    return pattern


def login_generate(*, pattern: str, customer_number: int) -> str:
    """The next login by ``pattern``; takes a running number (call inside a transaction)."""
    pattern = pattern.replace("{C}", str(customer_number))
    return number_next(series="radius.login", pattern=pattern, when=timezone.localdate())


def password_generate(*, pattern: str) -> str:
    def token(match):
        alphabet = ALPHABET if match.group(1) == "R" else "0123456789"
        return "".join(secrets.choice(alphabet) for _ in range(int(match.group(2))))

    return RANDOM_TOKEN.sub(token, pattern)
