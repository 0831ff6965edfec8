"""Reads of the RADIUS app, the authorize path first: it must stay one indexed lookup."""

import ipaddress
import json
import re
import time
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from core.tenancy import all_tenants_context, current_tenant

from .access import mac_or_none
from .crypto import decrypt
from .db import prepared_fetchone
from .models import IpPool, Login, Nas, RadiusKey, RadiusSession, SessionSample

# Known keys, by hash: every FreeRADIUS call presents its key, and a NAS network sends
# thousands per second. The revoking service clears this process's cache; every other
# worker asks the database again within KEY_CACHE_SECONDS, so a revoked (or expired)
# key stops working everywhere within a second, for one indexed query per key per
# second per worker.
KEY_CACHE_SECONDS = 1
_key_cache: dict[str, tuple[float, int]] = {}


def radius_key_tenant_id(key: str) -> int | None:
    """The tenant a FreeRADIUS key belongs to; None for an unknown, revoked or expired
    key."""
    if not key:
        return None
    key_hash = RadiusKey.hash_key(key)
    now = time.monotonic()
    hit = _key_cache.get(key_hash)
    if hit is not None and hit[0] > now:
        return hit[1]
    with all_tenants_context():  # the key names its tenant: looked up across all of them
        row = RadiusKey.all_tenants.filter(
            key_hash=key_hash, revoked_at__isnull=True
        ).values_list("tenant_id", "expires_at").first()
    if row is None or (row[1] is not None and row[1] <= timezone.now()):
        _key_cache.pop(key_hash, None)
        return None  # unknown keys are not remembered: a new key works at once
    if len(_key_cache) > 1000:
        _key_cache.clear()
    _key_cache[key_hash] = (now + KEY_CACHE_SECONDS, row[0])
    return row[0]


def radius_key_list():
    """The tenant's FreeRADIUS keys, the working ones first (newest first)."""
    from django.db.models import F

    return RadiusKey.objects.order_by(F("revoked_at").desc(nulls_first=True), "-created_at",
                                      "-id")


def radius_key_cache_clear() -> None:
    _key_cache.clear()


# One statement per Access-Request: a login by its name (a request with a password), or
# for a DHCP authorization the DHCP client by its MAC — and any login of the user name, to
# refuse it (``radius.access``); with the type of the NAS asking. By the (tenant, login) /
# (tenant, mac) / (tenant, ip) unique indexes. Raw SQL: the ORM's query building cost
# more than the query.
_AUTHORIZE_SQL = """
    SELECT l.id, l.login, l.auth_type, l.enabled, l.disabled_reason, l.password,
           l.radius_snapshot{as_text},
           (SELECT n.kind FROM radius_nas n WHERE n.tenant_id = l.tenant_id
                AND n.ip = %(nas_ip)s{as_inet})
    FROM radius_login l
    WHERE l.tenant_id = %(tenant)s AND ({match})
    {order}LIMIT 1
"""
_MATCH = {"login": ("l.login = %(username)s", ""),
          "dhcp": ("l.login = %(username)s OR (l.mac = %(mac)s AND l.auth_type = 'dhcp')",
                   # the login of that name first: its name refuses the request
                   "ORDER BY l.login = %(username)s DESC ")}
# PostgreSQL keeps addresses as inet and the snapshot as jsonb; SQLite (make run) as text.
_CASTS = {"postgresql": {"as_text": "::text", "as_inet": "::inet"}}


def _authorize_row(match: str, params: dict) -> dict | None:
    casts = _CASTS.get(connection.vendor, {"as_text": "", "as_inet": ""})
    where, order = _MATCH[match]
    row = prepared_fetchone(_AUTHORIZE_SQL.format(match=where, order=order, **casts), params)
    if row is None:
        return None
    login_id, login, auth_type, enabled, reason, password, snapshot, kind = row
    return {"id": login_id, "login": login, "auth_type": auth_type, "enabled": enabled,
            "disabled_reason": reason, "password": decrypt(password),
            "radius_snapshot": json.loads(snapshot), "nas_kind": kind}


def ip_or_none(value) -> str | None:
    """An address FreeRADIUS reported, normalised; None when absent or not an address."""
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


# ``login_id_for`` inside an INSERT (post-auth, a Start): parameters tenant, username, mac.
LOGIN_ID_SQL = """COALESCE(
    (SELECT id FROM radius_login WHERE tenant_id = %(tenant)s AND login = %(username)s),
    (SELECT id FROM radius_login WHERE tenant_id = %(tenant)s AND mac = %(mac)s
         AND auth_type = 'dhcp'))"""


def login_authorize_get(*, username: str, nas_ip: str | None = None,
                        dhcp_mac: str | None = None) -> dict | None:
    """What authorize needs in the active tenant, or None: the login named ``username``;
    for a DHCP authorization (``dhcp_mac``, see ``radius.access``) the login named so if
    there is one (the caller refuses it), else the DHCP client with that MAC.
    ``nas_kind``: the type of the NAS at ``nas_ip`` (None for a NAS Abonent does not know).
    """
    params = {"tenant": current_tenant().pk, "username": username,
              "nas_ip": ip_or_none(nas_ip), "mac": dhcp_mac}
    return _authorize_row("login" if dhcp_mac is None else "dhcp", params)


def login_id_for(username: str) -> int | None:
    """The login FreeRADIUS reports about (by name, else a DHCP client by its MAC)."""
    found = Login.objects.filter(login=username).values_list("id", flat=True).first()
    mac = mac_or_none(username) if found is None else None
    if mac is not None:
        found = Login.objects.filter(mac=mac, auth_type=Login.AuthType.DHCP).values_list(
            "id", flat=True).first()
    return found


def nas_list():
    return Nas.objects.order_by("name")


# FreeRADIUS's names for the NAS types (``nas_type`` in clients.conf, used by checkrad).
_CLIENT_NAS_TYPE = {"mikrotik": "other", "cisco": "cisco", "juniper": "juniper",
                    "accel-ppp": "other", "generic": "other"}


def nas_clients_conf() -> str:
    """The active tenant's NAS devices as FreeRADIUS ``client`` sections (clients.conf).

    Abonent is where NAS devices are kept; FreeRADIUS learns them from this file (run
    ``manage.py radius_clients_conf <tenant>`` after a change and reload FreeRADIUS).
    The secret is single-quoted with its single quotes escaped (FreeRADIUS keeps other
    backslashes in such a string as they are).
    """
    sections = []
    for nas in Nas.objects.order_by("name", "id"):
        secret = nas.secret.replace("'", "\\'")
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"abonent-{nas.tenant_id}-{nas.name}")
        sections.append(
            f"client {name} {{\n\tipaddr = {nas.ip}\n\tsecret = '{secret}'\n"
            f"\tnas_type = {_CLIENT_NAS_TYPE.get(nas.kind, 'other')}\n"
            f"\tshortname = {name}\n}}\n")
    return "\n".join(sections)


def pool_list():
    return IpPool.objects.order_by("name")


def login_list(*, customer_id: int | None = None):
    """Logins with their attribute rows and NAS ids (two prefetches)."""
    logins = Login.objects.prefetch_related("attributes", "nases").order_by("login")
    if customer_id is not None:
        logins = logins.filter(customer_id=customer_id)
    return logins


def session_list(*, login_id: int | None = None, open_only: bool = False):
    sessions = RadiusSession.objects.order_by("-started_at")
    if login_id is not None:
        sessions = sessions.filter(login_id=login_id)
    if open_only:
        sessions = sessions.filter(stopped_at__isnull=True)
    return sessions


# Chart periods of the login's statistics: how far back, and the width of one bar.
TRAFFIC_PERIODS = {
    "day": (timedelta(days=1), "hour"),
    "week": (timedelta(days=7), "day"),
    "month": (timedelta(days=31), "day"),
    "year": (timedelta(days=366), "month"),
}


def login_traffic(*, login_id: int, period: str, now: datetime | None = None) -> list[dict]:
    """Traffic of a login per bar of ``period`` (``TRAFFIC_PERIODS``), from the samples.

    Each bar: bytes down and up, and the average speeds over the reported time
    (Δbytes × 8 / Δseconds). One query on the (login_id, at) index.
    """
    back, bucket = TRAFFIC_PERIODS[period]
    since = (now or timezone.now()) - back
    rows = (SessionSample.objects.filter(login_id=login_id, at__gte=since)
            .annotate(bar=Trunc("at", bucket)).values("bar")
            .annotate(down=Sum("output_bytes"), up=Sum("input_bytes"), seconds=Sum("seconds"))
            .order_by("bar"))
    return [{
        "at": row["bar"], "download_bytes": row["down"], "upload_bytes": row["up"],
        "download_bps": row["down"] * 8 // max(row["seconds"], 1),
        "upload_bps": row["up"] * 8 // max(row["seconds"], 1),
    } for row in rows]


# --------------------------------------------------------------------------- staff pages

def login_card_list(*, customer_id: int) -> list[Login]:
    """The card's "Komputery": the customer's logins, each with ``open_session`` (the
    latest open one, its NAS joined, or None) and ``last_seen`` (when a session of it
    was last heard of). Three queries: logins with tariff and pool, open sessions, and
    the last time per login.
    """
    from django.db.models import Max

    logins = list(Login.objects.filter(customer_id=customer_id)
                  .select_related("subscription__tariff", "pool").order_by("login"))
    ids = [login.pk for login in logins]
    open_sessions = {}
    last_seen = {}
    if ids:
        for session in (RadiusSession.objects.filter(login_id__in=ids, stopped_at__isnull=True)
                        .select_related("nas").order_by("started_at")):
            open_sessions[session.login_id] = session  # the latest wins
        last_seen = dict(RadiusSession.objects.filter(login_id__in=ids).values("login_id")
                         .annotate(last=Max("updated_at")).values_list("login_id", "last"))
    for login in logins:
        login.open_session = open_sessions.get(login.pk)
        login.last_seen = last_seen.get(login.pk)
    return logins


def login_window_get(*, login_id: int) -> Login:
    """One login for its window, with what the window shows beside it (``DoesNotExist``
    outside the active tenant)."""
    return (Login.objects.select_related("customer", "subscription__tariff", "pool",
                                         "installation_address")
            .prefetch_related("nases", "attributes").get(pk=login_id))


def login_open_session(*, login_id: int) -> RadiusSession | None:
    """The login's latest open session with its NAS, or None."""
    return (RadiusSession.objects.filter(login_id=login_id, stopped_at__isnull=True)
            .select_related("nas").order_by("-started_at").first())


def session_last_speed(*, session: RadiusSession) -> dict | None:
    """The speed of the session's last interim: ``{"download_bps", "upload_bps", "at"}``."""
    sample = session.samples.order_by("-at").first()
    if sample is None:
        return None
    seconds = max(sample.seconds, 1)
    return {"download_bps": sample.output_bytes * 8 // seconds,
            "upload_bps": sample.input_bytes * 8 // seconds, "at": sample.at}


def _slice_page(queryset, page: int, per_page: int):
    from core.paging import SlicePage

    page = max(page, 1)
    offset = (page - 1) * per_page
    rows = list(queryset[offset:offset + per_page + 1])
    return SlicePage(rows=rows[:per_page], number=page, has_next=len(rows) > per_page)


def session_page(*, login_id: int, page: int = 1, per_page: int = 25):
    """The login's connection history, newest first, with each session's NAS (one query)."""
    return _slice_page(RadiusSession.objects.filter(login_id=login_id).select_related("nas")
                       .order_by("-started_at", "-id"), page, per_page)


def auth_event_page(*, login_id: int, page: int = 1, per_page: int = 25):
    """The login's accepted and rejected authorizations, newest first (one query)."""
    from .models import AuthEvent

    return _slice_page(AuthEvent.objects.filter(login_id=login_id).order_by("-at", "-id"),
                       page, per_page)


def login_photo_list(*, login_id: int):
    from .models import LoginPhoto

    return LoginPhoto.objects.filter(login_id=login_id).select_related("uploaded_by")


def pool_usage_list():
    """The pools, each with ``assigned`` (how many logins hold one of its addresses)."""
    from django.db.models import Count, Q

    return IpPool.objects.annotate(
        assigned=Count("logins", filter=Q(logins__ip__isnull=False))).order_by("name")


def pool_login_page(*, pool_id: int, page: int = 1, per_page: int = 50):
    """The logins of a pool by address, with their customers (one query)."""
    return _slice_page(Login.objects.filter(pool_id=pool_id).select_related("customer")
                       .order_by("ip", "login"), page, per_page)


def pool_size(pool: IpPool) -> int:
    """How many addresses the pool can hand out: its range without the network,
    broadcast and gateway addresses (never given, see ``services.network``)."""
    import ipaddress

    start = int(ipaddress.IPv4Address(pool.range_start))
    end = int(ipaddress.IPv4Address(pool.range_end))
    net = ipaddress.IPv4Network(pool.network)
    skip = {net.network_address, net.broadcast_address} if net.prefixlen < 31 else set()
    if pool.gateway:
        skip.add(ipaddress.IPv4Address(pool.gateway))
    return end - start + 1 - sum(1 for address in skip if start <= int(address) <= end)


def open_session_list(*, login_id: int | None = None, customer_id: int | None = None):
    """The open sessions of a login or of a customer's logins, with their NAS and login:
    what a block or a disable would change or disconnect (one query)."""
    sessions = (RadiusSession.objects.filter(stopped_at__isnull=True, login__isnull=False)
                .select_related("nas", "login").order_by("login__login", "-started_at"))
    if login_id is not None:
        sessions = sessions.filter(login_id=login_id)
    if customer_id is not None:
        sessions = sessions.filter(login__customer_id=customer_id)
    return list(sessions)
