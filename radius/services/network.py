"""NAS devices, IP pools and the FreeRADIUS keys."""

import ipaddress
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, sentence, staff_of
from core.validation import field_clean as _field

from .. import validators
from ..models import (
    IpPool,
    Login,
    Nas,
    NasKind,
    RadiusKey,
)
from ..selectors import radius_key_cache_clear
from .base import UNIQUE_MESSAGES, _unique_error, login_snapshot_refresh

# --------------------------------------------------------------------------- NAS

NAS_FIELDS = ("name", "ip", "secret", "kind", "coa_port")


def _clean_nas(nas: Nas) -> None:
    errors = {}
    nas.name = nas.name.strip()
    if not nas.name:
        errors["name"] = [_("Give the NAS a name.")]
    try:
        nas.ip = str(ipaddress.ip_address(str(nas.ip).strip()))
    except ValueError:
        errors["ip"] = [_("“%(value)s” is not an IP address.") % {"value": nas.ip}]
    if not nas.secret or len(nas.secret) > 128 or not nas.secret.isprintable():
        errors["secret"] = [_("A shared secret has 1-128 printable characters.")]
    if nas.kind not in NasKind.values:
        errors["kind"] = [_("Unknown NAS type.")]
    if not 1 <= int(nas.coa_port) <= 65535:
        errors["coa_port"] = [_("A port is a number from 1 to 65535.")]
    if not errors:
        others = Nas.objects.exclude(pk=nas.pk)
        if others.filter(name=nas.name).exists():
            errors["name"] = [UNIQUE_MESSAGES["nas_name_uniq"][1]()]
        if others.filter(ip=nas.ip).exists():
            errors["ip"] = [UNIQUE_MESSAGES["nas_ip_uniq"][1]()]
    if errors:
        raise ValidationError(errors)


def nas_create(*, actor, name: str, ip: str, secret: str, kind: str = NasKind.GENERIC,
               coa_port: int = 3799) -> Nas:
    nas = Nas(name=name, ip=ip, secret=secret, kind=kind, coa_port=coa_port)
    _clean_nas(nas)
    try:
        with transaction.atomic():
            nas.save()
            action_log(actor=staff_of(actor), kind="nas.create",
                       message=N_("NAS %(nas)s added."), params={"nas": nas})
    except IntegrityError as e:
        raise _unique_error(e) from None
    return nas


def nas_update(*, actor, nas: Nas, **fields) -> Nas:
    """Change a NAS; the secret is never written to the action log."""
    unknown = set(fields) - set(NAS_FIELDS)
    if unknown:
        raise TypeError(f"nas_update: unknown fields {sorted(unknown)}")
    before = {f: getattr(nas, f) for f in NAS_FIELDS}
    for name, value in fields.items():
        setattr(nas, name, value)
    _clean_nas(nas)
    changes = {f: [str(before[f]), str(getattr(nas, f))] for f in NAS_FIELDS
               if f != "secret" and before[f] != getattr(nas, f)}
    secret_changed = before["secret"] != nas.secret
    if not changes and not secret_changed:
        return nas
    try:
        with transaction.atomic():
            nas.save()
            if "ip" in changes:
                for login in Login.objects.filter(nases=nas):
                    login_snapshot_refresh(login)
            action_log(actor=staff_of(actor), kind="nas.update",
                       message=N_("NAS %(nas)s changed."), params={"nas": nas},
                       more=[sentence(N_("The shared secret was changed."))]
                       if secret_changed else None, changes=changes)
    except IntegrityError as e:
        raise _unique_error(e) from None
    return nas


# --------------------------------------------------------------------------- pools

def pool_create(*, actor, name: str, network: str, range_start: str, range_end: str,
                gateway: str | None = None, ipv6_prefix: str = "",
                ipv6_prefix_length: int | None = None) -> IpPool:
    """An IPv4 pool: the range lies inside the network; the gateway is never handed out."""
    errors = {}
    name = name.strip()
    if not name:
        errors["name"] = [_("Give the pool a name.")]
    net = start = end = gw = None
    try:
        net = _field("network", validators.clean_network, network)
        start = _field("range_start", validators.clean_ipv4, range_start, _("First address"))
        end = _field("range_end", validators.clean_ipv4, range_end, _("Last address"))
        if gateway:
            gw = _field("gateway", validators.clean_ipv4, gateway, _("Gateway"))
        ipv6_prefix, ipv6_prefix_length = _field(
            "ipv6_prefix", validators.clean_ipv6_prefix, ipv6_prefix, ipv6_prefix_length)
    except ValidationError as e:
        errors.update(e.message_dict)
    if net is not None and start is not None and end is not None:
        if start not in net or end not in net:
            errors["range_start"] = [_("The range must lie inside %(network)s.")
                                     % {"network": net}]
        elif start > end:
            errors["range_end"] = [_("The last address comes before the first.")]
    if net is not None and gw is not None and gw not in net:
        errors["gateway"] = [_("The gateway must lie inside %(network)s.") % {"network": net}]
    if not errors and IpPool.objects.filter(name=name).exists():
        errors["name"] = [UNIQUE_MESSAGES["ippool_name_uniq"][1]()]
    if errors:
        raise ValidationError(errors)
    pool = IpPool(name=name, network=str(net), range_start=str(start), range_end=str(end),
                  gateway=str(gw) if gw else None, ipv6_prefix=ipv6_prefix,
                  ipv6_prefix_length=ipv6_prefix_length)
    try:
        with transaction.atomic():
            pool.save()
            action_log(actor=staff_of(actor), kind="pool.create",
                       message=N_("IP pool %(pool)s added."), params={"pool": pool})
    except IntegrityError as e:
        raise _unique_error(e) from None
    return pool


def _pool_skipped(pool: IpPool) -> set[ipaddress.IPv4Address]:
    """The addresses of ``pool`` never handed out: network, broadcast, gateway."""
    net = ipaddress.IPv4Network(pool.network)
    skip = {net.network_address, net.broadcast_address} if net.prefixlen < 31 else set()
    if pool.gateway:
        skip.add(ipaddress.IPv4Address(pool.gateway))
    return skip


def _pool_first_free(pool: IpPool) -> str:
    """The lowest address of the pool no login of the tenant holds; call with the pool locked.

    The network, broadcast and gateway addresses are skipped.
    """
    skip = _pool_skipped(pool)
    used = {ipaddress.IPv4Address(ip) for ip in Login.objects.filter(
        ip__gte=pool.range_start, ip__lte=pool.range_end).values_list("ip", flat=True)}
    start, end = int(ipaddress.IPv4Address(pool.range_start)), \
        int(ipaddress.IPv4Address(pool.range_end))
    for number in range(start, end + 1):
        address = ipaddress.IPv4Address(number)
        if address not in used and address not in skip:
            return str(address)
    raise ValidationError({"pool": [_("No free address is left in pool %(pool)s.")
                                    % {"pool": pool.name}]})


def pool_default() -> IpPool | None:
    """The pool a new login is offered ("Dodaj komputer"): the first by name in which
    ``_pool_first_free`` finds an address — fewer logins hold an address of its range than
    it has addresses to give (``selectors.pool_size``). One COUNT per pool tried."""
    from ..selectors import pool_size

    for pool in IpPool.objects.order_by("name"):
        skipped = [str(address) for address in _pool_skipped(pool)]
        used = Login.objects.filter(ip__gte=pool.range_start, ip__lte=pool.range_end).exclude(
            ip__in=skipped).count()
        if used < pool_size(pool):
            return pool
    return None


def ip_in_pool_check(ip: str, pool: IpPool) -> None:
    address = ipaddress.IPv4Address(ip)
    if not (ipaddress.IPv4Address(pool.range_start) <= address
            <= ipaddress.IPv4Address(pool.range_end)):
        raise ValidationError({"ip": [
            _("%(ip)s is outside pool %(pool)s (%(start)s-%(end)s).")
            % {"ip": ip, "pool": pool.name, "start": pool.range_start, "end": pool.range_end}]})


# --------------------------------------------------------------------------- FreeRADIUS key

def radius_key_create(*, actor, name: str) -> tuple[RadiusKey, str]:
    """A new key for FreeRADIUS; the clear key is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Give the key a name.")]})
    key = RadiusKey.new_key()
    with transaction.atomic():
        row = RadiusKey(name=name, key_hash=RadiusKey.hash_key(key), prefix=key[:8])
        row.save()
        action_log(actor=staff_of(actor), kind="radius_key.create",
                   message=N_("FreeRADIUS key %(key)s created."), params={"key": row})
    return row, key


def radius_key_revoke(*, actor, key: RadiusKey) -> RadiusKey:
    """Stop accepting ``key`` now: this process at once, every other worker within a
    second (``selectors.KEY_CACHE_SECONDS``). Revoking a revoked key changes nothing."""
    with transaction.atomic():
        key = RadiusKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is not None:
            return key
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        action_log(actor=staff_of(actor), kind="radius_key.revoke",
                   message=N_("FreeRADIUS key %(key)s revoked."), params={"key": key})
    radius_key_cache_clear()
    return key


def radius_key_rotate(*, actor, key: RadiusKey,
                      grace_hours: float | None = None) -> tuple[RadiusKey, str]:
    """Replace ``key`` by a new one of the same name; the clear new key is returned once.

    The old key keeps working for ``grace_hours`` (default
    ``RADIUS_KEY_ROTATION_GRACE_HOURS``), time to give the FreeRADIUS servers the new
    one; 0 revokes it at once. A revoked key cannot be rotated (create a new one)."""
    from django.conf import settings

    hours = settings.RADIUS_KEY_ROTATION_GRACE_HOURS if grace_hours is None else grace_hours
    if hours < 0:
        raise ValidationError({"grace_hours": [_("The grace period cannot be negative.")]})
    clear = RadiusKey.new_key()
    now = timezone.now()
    with transaction.atomic():
        old = RadiusKey.objects.select_for_update().get(pk=key.pk)
        if old.revoked_at is not None or (old.expires_at and old.expires_at <= now):
            raise ValidationError(_("This key no longer works: create a new one."))
        new = RadiusKey(name=old.name, key_hash=RadiusKey.hash_key(clear), prefix=clear[:8])
        new.save()
        if hours:
            old.expires_at = now + timedelta(hours=hours)
            old.save(update_fields=["expires_at"])
            message = N_("FreeRADIUS key %(old)s replaced by %(new)s; the old one works "
                         "until %(until)s.")
            params = {"old": old, "new": new, "until": old.expires_at}
        else:
            old.revoked_at = now
            old.save(update_fields=["revoked_at"])
            message = N_("FreeRADIUS key %(old)s replaced by %(new)s and revoked.")
            params = {"old": old, "new": new}
        action_log(actor=staff_of(actor), kind="radius_key.rotate", message=message,
                   params=params)
    radius_key_cache_clear()
    return new, clear
