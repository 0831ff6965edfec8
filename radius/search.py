"""The RADIUS app's part of the one search (``core.search``): a customer found by the
login, the IP address or the MAC address of one of its "komputery".

- login: the login as typed, in small or in capital letters, first; then logins starting
  with it (three characters at least);
- IP: a whole IPv4 address exactly ("10.0.0.5" never finds 10.0.0.50), also as the
  address of an open session; its first octets ("10.0.1", "10.0.1.") as the addresses of
  that network (10.0.1.0–10.0.1.255);
- MAC: in any usual notation (AA:BB:CC:DD:EE:FF, aa-bb-…, aabb.ccdd.eeff, aabbccddeeff),
  whole or its first three bytes at least.

``%``, ``_`` and ``\\`` in a query are plain characters: the ORM's ``startswith`` escapes
them. Every condition is one PostgreSQL may evaluate inside an index under row-level
security (LEAKPROOF: equality, ranges of ``inet``, ``LIKE``; not ``UPPER()`` or ``HOST()``),
served by the unique (tenant, login/ip/mac) indexes and those of
``migrations/0007_search.py``.
"""

import ipaddress
import re

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.search import SearchProvider

from .models import Login, RadiusSession
from .patterns import LOGIN_CHARS

LOGIN_PREFIX_MIN_LENGTH = 3

_IP_PART = re.compile(r"\d{1,3}(\.\d{1,3}){1,3}\.?")
_HEX_PAIRS = re.compile(r"[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){2,5}")
_HEX_QUADS = re.compile(r"[0-9A-Fa-f]{4}(\.[0-9A-Fa-f]{4}){1,2}")
_HEX_BARE = re.compile(r"[0-9A-Fa-f]{12}")


def mac_query(query: str) -> str | None:
    """A MAC address or its start as stored (``AA:BB:CC``…), or None if ``query`` is not
    written as one."""
    if not (_HEX_PAIRS.fullmatch(query) or _HEX_QUADS.fullmatch(query)
            or _HEX_BARE.fullmatch(query)):
        return None
    digits = re.sub(r"[^0-9A-Fa-f]", "", query).upper()
    if len(digits) < 6:
        return None
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def ip_query(query: str) -> tuple[str, str] | None:
    """The lowest and highest address ``query`` means — a whole IPv4 address (both the
    same), or its first two or three octets (the addresses of that network) — or None."""
    if not _IP_PART.fullmatch(query):
        return None
    parts = query.rstrip(".").split(".")
    if any(int(part) > 255 for part in parts):
        return None
    low = parts + ["0"] * (4 - len(parts))
    high = parts + ["255"] * (4 - len(parts))
    return str(ipaddress.IPv4Address(".".join(low))), \
        str(ipaddress.IPv4Address(".".join(high)))


def _take(hits: list, seen: set, rows, reason, limit: int) -> None:
    for customer_id, value in rows:
        if len(hits) >= limit:
            return
        if (customer_id, value) not in seen:
            seen.add((customer_id, value))
            hits.append((customer_id, reason(value)))


def login_search(query: str, limit: int) -> list[tuple[int, str]]:
    """The provider: customers by login, IP or MAC address; exact matches first."""
    query = query.strip()
    hits: list[tuple[int, str]] = []
    seen: set = set()
    logins = Login.objects.order_by("login")

    def login_reason(value):
        return _("login: %(login)s") % {"login": value}

    def ip_reason(value):
        return _("IP %(ip)s") % {"ip": value}

    def mac_reason(value):
        return _("MAC %(mac)s") % {"mac": value}

    ip = ip_query(query)
    if ip is not None:
        low, high = ip
        if low == high:
            _take(hits, seen, logins.filter(ip=low).values_list("customer_id", "ip"),
                  ip_reason, limit)
            # A dynamic address: the login's open session holds it.
            _take(hits, seen, RadiusSession.objects.filter(
                framed_ip=low, stopped_at__isnull=True, login__isnull=False)
                .values_list("login__customer_id", "framed_ip")[:limit], ip_reason, limit)
        else:
            _take(hits, seen, logins.filter(ip__gte=low, ip__lte=high).order_by("ip")
                  .values_list("customer_id", "ip")[:limit], ip_reason, limit)
        return hits
    mac = mac_query(query)
    if mac is not None:
        rows = logins.filter(mac=mac) if len(mac) == 17 else \
            logins.filter(mac__startswith=mac).order_by()
        _take(hits, seen, rows.values_list("customer_id", "mac")[:limit], mac_reason, limit)
    if LOGIN_CHARS.fullmatch(query):
        variants = list(dict.fromkeys((query, query.lower(), query.upper())))
        _take(hits, seen, logins.filter(login__in=variants)
              .values_list("customer_id", "login")[:limit], login_reason, limit)
        if len(query) >= LOGIN_PREFIX_MIN_LENGTH and len(hits) < limit:
            starts = Q()
            for variant in variants:
                starts |= Q(login__startswith=variant)
            # Unordered: the first ``limit`` the index gives, not a sort of every match
            # ("bench0" starts 100,000 logins); the list orders the customers itself.
            _take(hits, seen, logins.filter(starts).order_by()
                  .values_list("customer_id", "login")[:limit], login_reason, limit)
    return hits


def register() -> None:
    from core.search import register_search_provider

    register_search_provider(SearchProvider(
        "radius", gettext_lazy("Logins"), login_search, "radius.view_login", order=20))
