"""Which addresses an OLT may have on a shared platform.

An OLT's address is typed by a tenant's staff and then connected to by the platform:
without a check it could point at the platform itself (loopback) or at a cloud's
metadata service (link-local 169.254.169.254). So a name is resolved and *every*
address it resolves to is checked; the connection then goes to a checked address, not
to the name again (a second lookup could answer otherwise).

Which addresses are refused is the platform's one rule for addresses a tenant types
(``core.netguard``: loopback, link-local, reserved, metadata services; private ranges
allowed; ``PEER_ALLOWED_NETWORKS`` / ``PEER_DENIED_NETWORKS``).
"""

import ipaddress

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core import netguard


def host_clean(value) -> str:
    """An IP address (normalised) or a host name (lower-case; ``core.netguard``'s rule:
    not ``127.1`` nor another address in disguise)."""
    host = value.strip() if isinstance(value, str) else ""
    if not host:
        raise ValidationError(_("Give the OLT's address."))
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not netguard.hostname_valid(host):
        raise ValidationError(_("“%(h)s” is neither an IP address nor a host name.")
                              % {"h": repr(host)[1:-1][:60]})
    return host.lower()


def host_addresses(host: str) -> list[str]:
    """Every address ``host`` resolves to, each checked (``core.netguard``); the first is
    the one to use."""
    return netguard.host_addresses(host, what=_("the OLT"))
