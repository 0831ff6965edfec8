"""Reads of the RADIUS app, the authorize path first: it must stay one indexed lookup."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from .models import IpPool, Login, Nas, RadiusKey, RadiusSession, SessionSample
from .validators import clean_mac


def radius_key_tenant_id(key: str) -> int | None:
    """The tenant a FreeRADIUS key belongs to; None for an unknown or revoked key."""
    if not key:
        return None
    return RadiusKey.all_tenants.filter(
        key_hash=RadiusKey.hash_key(key), revoked_at__isnull=True
    ).values_list("tenant_id", flat=True).first()


AUTHORIZE_COLUMNS = ("auth_type", "enabled", "disabled_reason", "password", "radius_snapshot")


def login_authorize_get(*, username: str) -> dict | None:
    """What authorize needs about ``username`` in the active tenant, or None.

    A PPPoE login by its name; a DHCP client, whose NAS sends the MAC as the user name,
    by its MAC when no login has that name.
    """
    row = Login.objects.filter(login=username).values(*AUTHORIZE_COLUMNS).first()
    if row is None:
        try:
            mac = clean_mac(username)
        except ValidationError:
            return None
        row = Login.objects.filter(mac=mac, auth_type=Login.AuthType.DHCP).values(
            *AUTHORIZE_COLUMNS).first()
    return row


def login_id_for(username: str) -> int | None:
    """The login FreeRADIUS reports about (by name, else a DHCP client by its MAC)."""
    found = Login.objects.filter(login=username).values_list("id", flat=True).first()
    if found is None:
        try:
            mac = clean_mac(username)
        except ValidationError:
            return None
        found = Login.objects.filter(mac=mac, auth_type=Login.AuthType.DHCP).values_list(
            "id", flat=True).first()
    return found


def nas_list():
    return Nas.objects.order_by("name")


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
