"""Which addresses the platform may connect to when a tenant's staff type them: an
exchange's AMI, an OLT's SSH and SNMP.

On a shared platform an address a tenant types could point at the platform itself
(loopback: its database, Redis) or at a cloud's metadata service (link-local
169.254.169.254). So a name is resolved and *every* address it resolves to is checked,
and the connection then goes to a checked address, not to the name again (a second
lookup could answer otherwise).

Refused: loopback, link-local, unspecified, multicast and reserved addresses (an IPv6
address wrapping an IPv4 one — mapped, 6to4, Teredo — is judged by that one), unless
inside a network of the setting ``PEER_ALLOWED_NETWORKS`` (CIDRs, from the environment;
a single-host installation with its exchange on the same machine adds 127.0.0.1/32; the
tests allow 127.0.0.0/8). Private ranges (10/8, 172.16/12, 192.168/16, 100.64/10,
fc00::/7) are allowed: an ISP's exchanges and OLTs live there — so a platform whose own
services sit in a private range lists those networks in ``PEER_DENIED_NETWORKS`` (refused
whatever else is allowed; by default the clouds' metadata services that live outside
link-local: AWS's IPv6 one, Alibaba's).

A name's addresses are not echoed in a refusal: that would tell a tenant what the
platform's names resolve to.
"""

import ipaddress
import re
import socket

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# A host name as RFC 1123 (2.1) has it: labels of 1 to 63 letters, digits and inner
# hyphens, at most 253 characters without the root's final dot (which may be written).
# No "_": a DNS label may hold one (SRV's "_sip._udp"), a host's name may not, and a
# host is what staff type here.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOSTNAME = re.compile(rf"(?=.{{1,253}}\.?\Z){_LABEL}(?:\.{_LABEL})*\.?", re.ASCII)


def hostname_valid(host: str) -> bool:
    """``host`` is a host name (``HOSTNAME``) and not an IPv4 address in disguise: a
    name whose last label is all digits (``127.1``, ``2130706433``, ``10.0.0.999``) is
    no host's — top-level domains are never numeric (RFC 3696 2), and resolvers read
    such a "name" as an address. Whether it may be connected to is ``host_addresses``'s
    question."""
    if not isinstance(host, str) or not HOSTNAME.fullmatch(host):
        return False
    return not host.rstrip(".").rsplit(".", 1)[-1].isdigit()


def _allowed_networks() -> list:
    return [ipaddress.ip_network(text, strict=False)
            for text in getattr(settings, "PEER_ALLOWED_NETWORKS", None) or ()]


DENIED_BY_DEFAULT = ("fd00:ec2::254/128", "100.100.100.200/32")


def _denied_networks() -> list:
    listed = getattr(settings, "PEER_DENIED_NETWORKS", None)
    return [ipaddress.ip_network(text, strict=False)
            for text in (DENIED_BY_DEFAULT if listed is None else listed)]


def _inner(ip):
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo's server), else itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        wrapped = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if wrapped is not None:
            return wrapped
    return ip


def _within(ip, networks) -> bool:
    return any(ip.version == network.version and ip in network for network in networks)


def address_allowed(address: str) -> bool:
    """May the platform connect to this IP address (a tenant typed it)?"""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone is not ours
    denied = _denied_networks()
    if _within(ip, denied) or _within(_inner(ip), denied):
        return False
    ip = _inner(ip)
    if _within(ip, _allowed_networks()):
        return True
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast
                or ip.is_reserved or ip in _THIS_NETWORK)


_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")


def _refused(what: str, addresses: str) -> ValidationError:
    return ValidationError(
        _("The address of %(what)s may not be %(a)s: loopback, link-local and reserved "
          "addresses are not allowed on this platform (its administrator may allow a "
          "network in PEER_ALLOWED_NETWORKS).") % {"what": what, "a": addresses})


# The code of the refusal of a name that does not resolve (``ValidationError.code``): a
# caller that tells it otherwise (as a peer that does not answer) tells it by this.
UNRESOLVED = "unresolved"


def _unresolved(host: str) -> ValidationError:
    return ValidationError(_("The name “%(h)s” does not resolve to an address.")
                           % {"h": host}, code=UNRESOLVED)


def addresses_check(host: str, addresses, *, what: str) -> list[str]:
    """The addresses ``host`` resolved to, each checked (a name's are not named in the
    refusal); in the order given, without repeats."""
    addresses = list(dict.fromkeys(addresses))
    if not addresses:
        raise _unresolved(host)
    if not all(address_allowed(a) for a in addresses):
        try:
            ipaddress.ip_address(host)
            shown = host
        except ValueError:
            shown = _("what “%(h)s” resolves to") % {"h": host}
        raise _refused(what, shown)
    return addresses


def host_check(host: str, *, what: str) -> None:
    """At saving: an IP address typed must be one the platform may connect to (a name is
    checked when connecting: what it resolves to may change)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return
    if not address_allowed(host):
        raise _refused(what, host)


def host_addresses(host: str, *, what: str) -> list[str]:
    """At connecting: every address ``host`` resolves to, each checked; connect to the
    first. ``ValidationError`` (with a message for staff) when the name does not resolve
    (its ``code`` is ``UNRESOLVED``) or any of its addresses is refused."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise _unresolved(host) from None
    return addresses_check(host, (info[4][0] for info in infos), what=what)
