"""Checks of what staff type about NAS devices, pools and logins."""

import ipaddress
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .attributes import ATTRIBUTE_NAME
from .patterns import LOGIN_CHARS

_MAC_HEX = re.compile(r"[0-9A-Fa-f]{12}")
_MAC_FORMS = (
    re.compile(r"([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}"),   # AA:BB:CC:DD:EE:FF, AA-BB-…
    re.compile(r"([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}"),     # aabb.ccdd.eeff (Cisco)
    _MAC_HEX,                                               # aabbccddeeff
)


def clean_mac(value: str) -> str:
    """A unicast MAC address in any usual notation → ``AA:BB:CC:DD:EE:FF``."""
    value = (value or "").strip()
    if not any(form.fullmatch(value) for form in _MAC_FORMS):
        raise ValidationError(_("“%(value)s” is not a valid MAC address.") % {"value": value})
    digits = re.sub(r"[^0-9A-Fa-f]", "", value).upper()
    if int(digits[:2], 16) & 1 or digits == "0" * 12:
        raise ValidationError(
            _("“%(value)s” is a multicast or empty MAC address, not a device.") % {"value": value})
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def clean_login(value: str) -> str:
    value = (value or "").strip()
    if not LOGIN_CHARS.fullmatch(value):
        raise ValidationError(
            _("A login has 1-64 characters: letters, digits and . _ @ -"))
    return value


def clean_password(value: str) -> str:
    """1-128 bytes in UTF-8 (what PAP's User-Password carries, RFC 2865), printable, and
    no character beyond U+FFFF: FreeRADIUS's mschap turns the password into UCS-2 for the
    NT hash, so such a password would open by PAP and CHAP but never by MS-CHAP."""
    if not value or len(value.encode()) > 128 or not value.isprintable() \
            or value != value.strip():
        raise ValidationError(_("A password has 1-128 printable characters (at most 128 "
                                "bytes: Polish letters count as two) and no spaces at "
                                "either end."))
    beyond = next((char for char in value if ord(char) > 0xFFFF), None)
    if beyond is not None:
        raise ValidationError(_("A password cannot contain “%(char)s”: MS-CHAP, which most "
                                "routers use, cannot carry such characters (emoji and "
                                "the like).") % {"char": beyond})
    return value


def clean_ipv4(value, label: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(str(value).strip())
    except ValueError:
        raise ValidationError(
            _("%(label)s: “%(value)s” is not an IPv4 address.") % {"label": label,
                                                                   "value": value}) from None


def clean_network(value: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network((value or "").strip())
    except ValueError:
        raise ValidationError(_("“%(value)s” is not an IPv4 network such as 100.64.0.0/24 "
                                "(the address must be the network's first).")
                              % {"value": value}) from None


def clean_ipv6_prefix(value: str, length) -> tuple[str, int | None]:
    value = (value or "").strip()
    if not value:
        return "", None
    try:
        network = ipaddress.IPv6Network(value)
    except ValueError:
        raise ValidationError(_("“%(value)s” is not an IPv6 network such as 2001:db8::/40.")
                              % {"value": value}) from None
    if length is None or not network.prefixlen <= int(length) <= 64:
        raise ValidationError(_("The delegated prefix length must be between the network's "
                                "length and 64."))
    return str(network), int(length)


def clean_attribute(attribute: str, op: str, value: str) -> tuple[str, str, str]:
    from .models import LoginAttribute

    attribute = (attribute or "").strip()
    if not ATTRIBUTE_NAME.fullmatch(attribute):
        raise ValidationError(_("“%(value)s” is not a RADIUS attribute name.")
                              % {"value": attribute})
    if attribute.lower() in ("framed-ip-address", "cleartext-password", "user-password"):
        raise ValidationError(_("%(name)s is set by Abonent itself.") % {"name": attribute})
    if op not in LoginAttribute.Op.values:
        raise ValidationError(_("Unknown operator %(op)s.") % {"op": op})
    value = str(value)
    if not value or len(value.encode()) > 253:  # one RADIUS attribute holds 253 bytes
        raise ValidationError(_("An attribute value has 1-253 characters (at most 253 "
                                "bytes: Polish letters count as two)."))
    return attribute, op, value
