"""Stage "nodes": LMS networks → IP pools, NAS → Nas, customers' nodes → RADIUS logins.

LMS's words: ``networks.address`` and ``nodes.ipaddr``/``ipaddr_pub`` are IPv4 addresses
as integers (inet_aton); a NAS is a node with ``nas = 1`` (no owner) whose ``netdev`` gives
the shared secret and the kind; ``nodes.authtype`` is a bit set (1 PPPoE, 2 DHCP);
``access = 0`` cuts the node off, ``warning = 1`` shows it a notice page. MACs are rows of
``macs``. Every value goes through radius's own validators, as ``login_create`` does;
passwords and secrets are encrypted at rest by the models' ``EncryptedTextField``.

No CoA or reload is sent: the import writes each login's ``radius_snapshot`` in bulk and
FreeRADIUS reads it at the next authorisation (LMS still runs the network until the
cut-over), so a first import or a re-run never floods the NAS devices.
"""

import hashlib
import hmac
import ipaddress
import json
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core.sql import column_any
from core.tenant_settings import setting_get
from finance.models import Subscription
from radius import validators
from radius.attributes import block_profile_parse, extra_attributes, login_snapshot
from radius.models import IpPool, Login, LoginAttribute, Nas, NasKind
from radius.patterns import password_generate
from radius.services.network import ip_in_pool_check

from ..runner import digest, map_forget, map_get, map_load, map_save

AUTH_PPPOE, AUTH_DHCP = 1, 2
NAS_KIND = {"mikrotik": NasKind.MIKROTIK, "cisco": NasKind.CISCO,
            "juniper": NasKind.JUNIPER}
LOGIN_FIELDS = ("customer_id", "auth_type", "login", "password", "mac", "pool_id", "ip",
                "block", "block_reason", "installation_address_id")


def run(ctx) -> None:
    pools = _pools(ctx)
    _nases(ctx)
    ctx.touched["login"] = set()
    # LMS indexes ``macs`` by (mac, nodeid) only: a subquery per node would read the whole
    # table for each (183 s at 100,000 nodes); aggregated once and joined instead.
    query = ("SELECT n.*, ca.id AS customer_address_id, COALESCE(m.macs, '{}') AS macs "
             "FROM nodes n LEFT JOIN customer_addresses ca "
             "ON ca.address_id = n.address_id AND ca.customer_id = n.ownerid "
             "LEFT JOIN (SELECT nodeid, array_agg(mac ORDER BY id) AS macs FROM macs "
             "GROUP BY nodeid) m ON m.nodeid = n.id "
             "WHERE n.ownerid IS NOT NULL ORDER BY n.id")
    taken = _taken()
    total = ctx.lms.all("SELECT count(*) AS n FROM nodes WHERE ownerid IS NOT NULL")[0]["n"]
    done = 0
    for rows in ctx.lms.batches(query):
        _logins(ctx, rows, pools, taken)
        done += len(rows)
        ctx.advance(done, total)
    _forget_deleted(ctx)
    _snapshots(ctx.touched["login"])


def _fingerprint(values: dict, secret: str) -> str:
    """The digest of ``values`` with ``secret`` keyed by SECRET_KEY: a mapping row never
    holds a plain hash of a password someone could guess back."""
    keyed = hmac.new(settings.SECRET_KEY.encode(), (values.get(secret) or "").encode(),
                     hashlib.sha256).hexdigest()
    return digest({**values, secret: keyed})


# --------------------------------------------------------------------------- pools

def _network(row) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(
            f"{ipaddress.IPv4Address(row['address'])}/{row['mask']}")
    except ValueError:
        return None


def pool_fields(row, net) -> dict:
    """An LMS network → pool fields: every host address of the network is in the range
    (LMS gives static addresses anywhere in it, not only in its DHCP range, which is kept
    in the mapping's data)."""
    start, end = (net[1], net[-2]) if net.prefixlen < 31 else (net[0], net[-1])
    try:
        gateway = str(validators.clean_ipv4(row["gateway"], "gateway")) \
            if row["gateway"] else None
    except ValidationError:
        gateway = None
    return {"name": row["name"][:100], "network": str(net), "range_start": str(start),
            "range_end": str(end), "gateway": gateway}


def _pools(ctx) -> dict[int, IpPool]:
    """LMS network id → pool; a pool of the same name in Abonent is reused. DNS servers
    (Abonent's pools have none) stay in the mapping's data and the report."""
    mapped = map_load("network")
    existing = {p.pk: p for p in IpPool.objects.all()}
    by_name = {p.name: p for p in existing.values()}
    result, maps, new = {}, [], []
    for row in ctx.lms.all("SELECT * FROM networks ORDER BY id"):
        ctx.report.add("network", "read")
        net = _network(row)
        if net is None:
            ctx.report.problem(lms_id=row["id"], kind="network", action="skipped",
                               message=_("not a valid IPv4 network: %(a)s/%(m)s")
                               % {"a": row["address"], "m": row["mask"]})
            continue
        fields = pool_fields(row, net)
        data = {"dns": [d for d in (row["dns"], row["dns2"]) if d],
                "dhcp": [d for d in (row["dhcpstart"], row["dhcpend"]) if d]}
        fp = digest(fields)
        m = mapped.get(row["id"])
        pool = existing.get(m.abonent_id) if m else by_name.get(fields["name"])
        if pool is None:
            pool = IpPool(tenant=ctx.tenant, **fields)
            new.append((row["id"], pool, fp, data))
        elif m is not None and m.digest == fp:
            ctx.report.add("network", "unchanged")
        else:
            for key, value in fields.items():
                setattr(pool, key, value)
            pool.save()
            ctx.report.add("network", "updated")
        result[row["id"]] = pool
        if pool.pk:
            maps.append((row["id"], pool.pk, fp, data))
    IpPool.objects.bulk_create([p for _i, p, _f, _d in new])
    ctx.report.add("network", "created", len(new))
    maps += [(i, p.pk, fp, d) for i, p, fp, d in new]
    map_save(ctx, "network", maps)
    return result


# --------------------------------------------------------------------------- NAS

def nas_fields(row) -> tuple[dict | None, str]:
    """A NAS node + its netdevice → Nas fields, or None and why it cannot be one."""
    if not row["secret"]:
        return None, _("NAS without a RADIUS secret in LMS")
    kind = NAS_KIND.get((row["producer"] or "").strip().lower(), NasKind.GENERIC)
    name = (row["device"] or row["name"])[:100]
    return {"name": name, "ip": str(ipaddress.IPv4Address(row["ipaddr"])),
            "secret": row["secret"], "kind": kind}, ""


def _nases(ctx) -> None:
    mapped = map_load("nas")
    by_ip = {n.ip: n for n in Nas.objects.all()}
    by_pk = {n.pk: n for n in by_ip.values()}
    rows = ctx.lms.all("SELECT n.id, n.name, n.ipaddr, d.name AS device, d.secret, "
                       "d.producer FROM nodes n JOIN netdevices d ON d.id = n.netdev "
                       "WHERE n.nas = 1 ORDER BY n.id")
    maps = []
    for row in rows:
        ctx.report.add("nas", "read")
        fields, why = nas_fields(row)
        if fields is None:
            ctx.report.problem(lms_id=row["id"], kind="nas", action="skipped", message=why)
            continue
        fp = _fingerprint(fields, "secret")
        m = mapped.get(row["id"])
        nas = by_pk.get(m.abonent_id) if m else by_ip.get(fields["ip"])
        names = {n.name: n.pk for n in by_pk.values()}
        if names.get(fields["name"], nas and nas.pk) != (nas and nas.pk):
            fields["name"] = f"{fields['name']} ({row['name']})"[:100]
        if m is not None and nas is not None and m.digest == fp:
            ctx.report.add("nas", "unchanged")
            maps.append((row["id"], nas.pk, fp))
            continue
        counter = "updated" if nas is not None else "created"
        nas = nas or Nas(tenant=ctx.tenant)
        for key, value in fields.items():
            setattr(nas, key, value)
        nas.save()
        by_pk[nas.pk] = by_ip[nas.ip] = nas
        ctx.report.add("nas", counter)
        maps.append((row["id"], nas.pk, fp))
    map_save(ctx, "nas", maps)


# --------------------------------------------------------------------------- logins

def _taken() -> dict[str, dict]:
    """Logins, MACs and IPs already held in Abonent: value → login id."""
    taken = {"login": {}, "mac": {}, "ip": {}}
    for pk, login, mac, ip in Login.objects.values_list("pk", "login", "mac", "ip"):
        taken["login"][login] = pk
        if mac:
            taken["mac"][mac] = pk
        if ip:
            taken["ip"][ip] = pk
    return taken


def _claim(taken, key, value, pk) -> bool:
    """Whether ``value`` is free for the login ``pk`` (None: a new one) — then it is its."""
    holder = taken[key].get(value)
    if holder is not None and holder != pk:
        return False
    taken[key][value] = pk or -1
    return True


def _ip(ctx, row, pools) -> tuple[str | None, IpPool | None]:
    """The node's address and the pool it lies in; a report line when there is none."""
    ip = str(ipaddress.IPv4Address(row["ipaddr"]))
    candidates = [pools[row["netid"]]] if row["netid"] in pools else []
    pool = next((p for p in candidates + list(pools.values()) if _in_pool(ip, p)), None)
    if pool is None:
        ctx.report.problem(lms_id=row["id"], kind="node", action="flagged",
                           message=_("IP %(ip)s lies in no LMS network: imported without "
                                     "an address") % {"ip": ip})
        return None, None
    return ip, pool


def _in_pool(ip: str, pool: IpPool) -> bool:
    """radius's own check, as login_create makes it."""
    try:
        ip_in_pool_check(ip, pool)
    except ValidationError:
        return False
    return True


def _auth_type(ctx, row) -> str:
    bits = row["authtype"] or 0
    if bits & ~(AUTH_PPPOE | AUTH_DHCP):
        ctx.report.problem(lms_id=row["id"], kind="node", action="flagged",
                           message=_("authorisation type %(t)s of LMS has no equal in "
                                     "Abonent: imported as PPPoE") % {"t": bits})
    if bits & AUTH_DHCP and not bits & AUTH_PPPOE:
        return Login.AuthType.DHCP
    return Login.AuthType.PPPOE


def _mac(ctx, row, taken, pk) -> str:
    """The node's first valid MAC no other login holds; the rest are report lines."""
    chosen = ""
    for raw in row["macs"]:
        try:
            mac = validators.clean_mac(raw)
        except ValidationError as e:
            ctx.report.problem(lms_id=row["id"], kind="node", action="flagged",
                               message=" ".join(e.messages))
            continue
        if chosen:
            ctx.report.problem(lms_id=row["id"], kind="node", action="flagged",
                               message=_("a login keeps one MAC address: %(m)s not "
                                         "imported") % {"m": mac})
        elif not _claim(taken, "mac", mac, pk):
            ctx.report.problem(lms_id=row["id"], kind="node", action="flagged",
                               message=_("MAC %(m)s is another login's: not imported")
                               % {"m": mac})
        else:
            chosen = mac
    return chosen


def login_values(ctx, row, *, customer_id, pools, taken, pk, addresses) -> dict | None:
    """An LMS node → Login fields; None (with the report line) when it cannot be one."""
    def skip(message):
        ctx.report.problem(lms_id=row["id"], kind="node", action="skipped", message=message)

    try:
        login = validators.clean_login(row["login"] or row["name"])
        password = validators.clean_password(row["passwd"]) if row["passwd"] else ""
    except ValidationError as e:
        return skip(" ".join(e.messages))
    if taken["login"].get(login, pk) != pk:
        return skip(_("login %(l)s is another node's") % {"l": login})
    auth_type = _auth_type(ctx, row)
    mac = _mac(ctx, row, taken, pk)
    if auth_type == Login.AuthType.DHCP and not mac:
        return skip(_("a DHCP node without a MAC address of its own"))
    _claim(taken, "login", login, pk)
    ip, pool = _ip(ctx, row, pools)
    if ip and not _claim(taken, "ip", ip, pk):
        ctx.report.problem(lms_id=row["id"], kind="node", action="flagged",
                           message=_("IP %(ip)s is another login's: imported without an "
                                     "address") % {"ip": ip})
        ip = None
    if row["ipaddr_pub"]:
        ctx.report.problem(lms_id=row["id"], kind="node", action="flagged",
                           message=_("public IP %(ip)s not imported: a login has one "
                                     "address") % {"ip": ipaddress.IPv4Address(
                                         row["ipaddr_pub"])})
    if row["warning"]:
        ctx.report.problem(lms_id=row["id"], kind="node", action="flagged",
                           message=_("LMS shows this node a warning; Abonent has no "
                                     "warning state for a login"))
    blocked = not row["access"]
    return {"customer_id": customer_id, "auth_type": auth_type, "login": login,
            "password": password, "mac": mac, "pool_id": pool.pk if ip else None,
            "ip": ip, "block": Login.Block.STAFF if blocked else Login.Block.NONE,
            "block_reason": _("access off in LMS") if blocked else "",
            "installation_address_id": addresses.get(row["customer_address_id"])}


def _password_pattern(ctx) -> str:
    """The tenant's pattern for generated passwords: read once a run, not once a node."""
    if "password_pattern" not in ctx.cache:
        ctx.cache["password_pattern"] = setting_get("computer.password_pattern")
    return ctx.cache["password_pattern"]


def _logins(ctx, rows, pools, taken) -> None:
    customers = {m.lms_id: m.abonent_id
                 for m in map_get("customer", {r["ownerid"] for r in rows})}
    addresses = {m.lms_id: m.abonent_id for m in map_get(
        "address", {r["customer_address_id"] for r in rows if r["customer_address_id"]})}
    mapped = {m.lms_id: m for m in map_get("node", [r["id"] for r in rows])}
    new, changed, maps = [], [], []
    for row in rows:
        ctx.report.add("node", "read")
        ctx.seen.setdefault("node", set()).add(row["id"])
        m = mapped.get(row["id"])
        if row["ownerid"] not in customers:
            ctx.report.problem(lms_id=row["id"], kind="node", action="skipped",
                               message=_("its customer was not imported"))
            continue
        values = login_values(ctx, row, customer_id=customers[row["ownerid"]], pools=pools,
                              taken=taken, pk=m.abonent_id if m else None,
                              addresses=addresses)
        if values is None:
            continue
        fp = _fingerprint({k: v for k, v in values.items() if k != "block_reason"},
                          "password")
        if m is not None and m.digest == fp:
            ctx.report.add("node", "unchanged")
            maps.append((row["id"], m.abonent_id, fp))
            continue
        if not values["password"]:
            if m is not None:
                values.pop("password")  # LMS has none: keep the one Abonent generated
            else:
                values["password"] = password_generate(pattern=_password_pattern(ctx))
        if m is None:
            new.append((row["id"], Login(tenant=ctx.tenant, **values), fp))
        else:
            changed.append((row["id"], m.abonent_id, values, fp))
    Login.objects.bulk_create([o for _i, o, _f in new], batch_size=5000)
    for lms_id, pk, values, fp in changed:
        Login.objects.filter(pk=pk).update(**values, updated_at=timezone.now())
        maps.append((lms_id, pk, fp))
    maps += [(lms_id, o.pk, fp) for lms_id, o, fp in new]
    map_save(ctx, "node", maps)
    ctx.report.add("node", "created", len(new))
    ctx.report.add("node", "updated", len(changed))
    ctx.touched["login"].update(o.pk for _i, o, _f in new)
    ctx.touched["login"].update(pk for _i, pk, _v, _f in changed)


# --------------------------------------------------------------------------- end of stage

def _forget_deleted(ctx) -> None:
    """A node no longer in LMS takes its login away from Abonent too."""
    seen = ctx.seen.get("node", set())
    gone = [m for m in map_load("node").values() if m.lms_id not in seen]
    if gone:
        Login.objects.filter(pk__in=[m.abonent_id for m in gone]).delete()
        map_forget("node", [m.lms_id for m in gone])
        ctx.report.add("node", "deleted", len(gone))


def _snapshots(login_ids) -> None:
    """What FreeRADIUS reads, for every login the stage wrote: one UPDATE per batch."""
    ids = sorted(login_ids)
    # what login_snapshot would read per login (the tenant's block profile, the NAS list,
    # the attributes, the suspensions) read once or once a batch
    block_profile = block_profile_parse(setting_get("computer.block_attributes"))
    today, now = timezone.localdate(), timezone.now()
    for start in range(0, len(ids), 5000):
        logins = list(Login.objects.filter(
            column_any(Login, "id", ids[start:start + 5000], "bigint")).only(
            "id", "customer_id", "ip", "block", "subscription_id", "temp_download_kbps",
            "temp_upload_kbps", "temp_speed_until"))
        inputs = _snapshot_inputs(logins)
        extra = extra_attributes(logins)
        for login in logins:
            given, attributes = inputs[login.pk]
            login.radius_snapshot = login_snapshot(
                given, attributes, block_profile=block_profile, today=today, now=now,
                extra=extra.get(login.pk, ()))
        _snapshots_write(logins)


class _Rows(list):
    """A list read for a whole batch, answering ``.all()`` as the related manager would."""

    def all(self):
        return self


def _snapshot_inputs(logins) -> dict[int, tuple[SimpleNamespace, list]]:
    """Login id → (what ``login_snapshot`` reads of the login, its attributes in order):
    three queries for the batch, where the logins' own relations cost one per login."""
    ids = [x.pk for x in logins]
    attributes, nases = {}, {}
    for login_id, attribute, op, value in LoginAttribute.objects.filter(
            column_any(LoginAttribute, "login", ids, "bigint")).order_by("id") \
            .values_list("login_id", "attribute", "op", "value"):
        attributes.setdefault(login_id, []).append(
            SimpleNamespace(attribute=attribute, op=op, value=value))
    for login_id, ip in Login.nases.through.objects.filter(login_id__in=ids) \
            .values_list("login_id", "nas__ip"):
        nases.setdefault(login_id, _Rows()).append(SimpleNamespace(ip=ip))
    subscriptions = Subscription.objects.select_related("tariff").prefetch_related(
        "suspensions").in_bulk({x.subscription_id for x in logins if x.subscription_id})
    return {x.pk: (SimpleNamespace(
        ip=x.ip, block=x.block, subscription=subscriptions.get(x.subscription_id),
        temp_download_kbps=x.temp_download_kbps, temp_upload_kbps=x.temp_upload_kbps,
        temp_speed_until=x.temp_speed_until, nases=nases.get(x.pk, _Rows())),
        attributes.get(x.pk, [])) for x in logins}


def _snapshots_write(logins) -> None:
    """The batch's snapshots in one UPDATE (bulk_update builds a CASE of as many arms as
    logins, evaluated for each)."""
    if connection.vendor != "postgresql":
        Login.objects.bulk_update(logins, ["radius_snapshot"])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Login._meta.db_table} AS l SET radius_snapshot = v.snapshot "  # noqa: S608
            "FROM jsonb_to_recordset(%s::jsonb) AS v(id bigint, snapshot jsonb) "
            "WHERE l.id = v.id",
            [json.dumps([{"id": x.pk, "snapshot": x.radius_snapshot} for x in logins])])
