"""Phones into Asterisk's realtime tables (PJSIP through sorcery, and app_voicemail).

Asterisk reads its endpoints from its own database — the schema is Asterisk's, made by its
alembic migrations (``ps_endpoints``, ``ps_auths``, ``ps_aors``, ``voicemail``); Abonent
writes it through the database alias ``asterisk`` (``ASTERISK_DATABASE_URL``). Without
that setting provisioning is off and the phone page says so.

* One phone → an endpoint, an auth and an AOR, all with the id of its number (E.164
  digits: the SIP user name the phone registers with), and a mailbox in the tenant's own
  voicemail context. The endpoint's ``tenantid`` names the tenant (``abonent-<id>``) and
  its ``accountcode`` the phone (``abonent-<tenant>-<phone>``): the CDRs Asterisk writes
  carry it, and a tenant's reconciliation touches only rows of its own.
* Asterisk gets the password's digest (``md5_cred`` of ``user:realm:password``), never the
  password.
* Writes are upserts that leave a row alone when nothing differs: a retry, or the same
  change twice, changes nothing.
* A blocked phone (debt, amount limit) is put in the tenant's blocked context.
"""

import contextvars
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from core.sql import values_in
from core.tenancy import tenant_context
from core.tenant_settings import setting_get

ALIAS = "asterisk"
# The columns Abonent owns in each table; the others keep what the exchange's admin set.
ENDPOINT_COLUMNS = ("transport", "aors", "auth", "context", "disallow", "allow", "callerid",
                    "mailboxes", "accountcode", "tenantid", "direct_media", "rtp_symmetric",
                    "force_rport", "rewrite_contact")
AUTH_COLUMNS = ("auth_type", "username", "realm", "md5_cred")
AOR_COLUMNS = ("max_contacts", "remove_existing", "qualify_frequency", "mailboxes")
VOICEMAIL_COLUMNS = ("password", "fullname", "email", "attach", "tz")


_PAUSED = contextvars.ContextVar("voip_provisioning_paused", default=False)


def enabled() -> bool:
    return ALIAS in settings.DATABASES


@contextmanager
def provisioning_paused():
    """Phones changed within are not written to the exchange (the demo ISP's examples
    never reach a real Asterisk); ``voip_reconcile`` writes them when they should be."""
    token = _PAUSED.set(True)
    try:
        yield
    finally:
        _PAUSED.reset(token)


def provisioning_wanted() -> bool:
    return not _PAUSED.get()


def tenant_tag(tenant_id: int) -> str:
    return f"abonent-{tenant_id}"


def accountcode(tenant_id: int, phone_id: int) -> str:
    return f"abonent-{tenant_id}-{phone_id}"


def voicemail_context(tenant_id: int) -> str:
    return f"abonent-{tenant_id}"


@dataclass
class Rows:
    """What one phone is in Asterisk's tables."""

    tenant_id: int
    endpoint: dict
    auth: dict
    aor: dict
    voicemail: dict | None
    id: str = field(init=False)

    def __post_init__(self):
        self.id = self.endpoint["id"]


def phone_rows(phone) -> Rows:
    """The rows of ``phone`` as Asterisk should have them (a pure function of the phone
    and its tenant's settings)."""
    return _phone_rows(phone, _settings(phone.tenant))


def _settings(tenant) -> dict:
    """The tenant's settings a phone's rows take, read once for many phones."""
    return {key: setting_get(f"voip.{key}", tenant=tenant)
            for key in ("realm", "blocked_context", "transport", "codecs")}


def _phone_rows(phone, conf: dict) -> Rows:
    number = str(phone.number.number)
    realm = conf["realm"]
    context = conf["blocked_context"] if phone.blocked else phone.context
    mailbox = f"{number}@{voicemail_context(phone.tenant_id)}" if phone.voicemail_pin else ""
    endpoint = {
        "id": number, "transport": conf["transport"],
        "aors": number, "auth": number, "context": context, "disallow": "all",
        "allow": conf["codecs"],
        "callerid": f"<{number}>", "mailboxes": mailbox,
        "accountcode": accountcode(phone.tenant_id, phone.pk),
        "tenantid": tenant_tag(phone.tenant_id), "direct_media": "no",
        "rtp_symmetric": "yes", "force_rport": "yes", "rewrite_contact": "yes",
    }
    digest = hashlib.md5(f"{number}:{realm}:{phone.password}".encode(),
                         usedforsecurity=False).hexdigest()
    auth = {"id": number, "auth_type": "md5", "username": number, "realm": realm,
            "md5_cred": digest}
    aor = {"id": number, "max_contacts": 2, "remove_existing": "yes",
           "qualify_frequency": 60, "mailboxes": mailbox}
    voicemail = None
    if phone.voicemail_pin:
        voicemail = {"context": voicemail_context(phone.tenant_id), "mailbox": number,
                     "password": phone.voicemail_pin,
                     "fullname": phone.customer.display_name[:80],
                     "email": phone.voicemail_email, "attach": "yes" if phone.voicemail_email
                     else "no", "tz": "central"}
    return Rows(tenant_id=phone.tenant_id, endpoint=endpoint, auth=auth, aor=aor,
                voicemail=voicemail)


def phone_provision(tenant, phone_id: int) -> str:
    """Bring Asterisk's rows of the phone ``phone_id`` in line with Abonent (the phone as it
    is now; gone → its rows removed). Returns what was done: ``written``, ``unchanged``,
    ``removed``, ``off``. The outcome is recorded on the phone."""
    from .models import VoipPhone

    if not enabled():
        return "off"
    with tenant_context(tenant):
        phone = (VoipPhone.objects.select_related("number", "customer", "tenant")
                 .filter(pk=phone_id).first())
        try:
            if phone is None:
                changed = rows_remove(tenant.pk, accountcode(tenant.pk, phone_id))
                return "removed" if changed else "unchanged"
            changed = rows_write(phone_rows(phone))
        except Exception as exc:  # recorded on the phone and raised (the task retries)
            if phone is not None:
                VoipPhone.objects.filter(pk=phone.pk).update(provision_error=str(exc)[:500])
            raise
        VoipPhone.objects.filter(pk=phone.pk).update(provisioned_at=timezone.now(),
                                                 provision_error="")
    return "written" if changed else "unchanged"


def rows_write(rows: Rows) -> int:
    """Upsert the phone's rows; the number of rows that changed (0: all as they were).
    An endpoint of the same id that another account holds is not taken over."""
    return rows_write_many([rows])


# Phones written per transaction (and per statement) by ``rows_write_many``.
WRITE_CHUNK = 1000


def rows_write_many(many: list[Rows], *, conflicts: list | None = None) -> int:
    """``rows_write`` of many phones, set-based: a few statements per ``WRITE_CHUNK``
    phones, each chunk in its own transaction, in the order of their endpoint ids. At an
    endpoint another account holds, the phones before it are written and
    ``ProvisionConflict`` is raised — or, given ``conflicts``, that phone is left out,
    ``(endpoint id, holder)`` appended to it, and the others are written."""
    changed = 0
    ordered = sorted(many, key=lambda r: r.id)
    for start in range(0, len(ordered), WRITE_CHUNK):
        changed += _chunk_write(ordered[start:start + WRITE_CHUNK], conflicts)
    return changed


def _chunk_write(chunk: list[Rows], conflicts: list | None = None) -> int:
    changed = 0
    conflict = None
    with transaction.atomic(using=ALIAS), connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT id, accountcode FROM ps_endpoints WHERE id = ANY(%s) "
                       "ORDER BY id FOR UPDATE", [[r.id for r in chunk]])
        held = dict(cursor.fetchall())
        kept = []
        for rows in chunk:
            holder = held.get(rows.id)
            if holder and holder != rows.endpoint["accountcode"]:
                if conflicts is None:
                    conflict = ProvisionConflict(rows.id, holder)
                    break
                conflicts.append((rows.id, holder))
                continue
            kept.append(rows)
        chunk = kept
        if chunk:
            for table, columns, part in (("ps_endpoints", ENDPOINT_COLUMNS, "endpoint"),
                                         ("ps_auths", AUTH_COLUMNS, "auth"),
                                         ("ps_aors", AOR_COLUMNS, "aor")):
                changed += _upsert(cursor, table, columns,
                                   [getattr(rows, part) for rows in chunk])
            changed += _voicemails_write(cursor, chunk)
    if conflict is not None:
        raise conflict
    return changed


class ProvisionConflict(RuntimeError):
    def __init__(self, endpoint_id: str, holder: str):
        super().__init__(f"Asterisk's endpoint {endpoint_id} belongs to {holder}, "
                         "not to this phone")


def _upsert(cursor, table: str, columns: tuple, many: list[dict]) -> int:
    """One statement for the rows ``many`` (their ids distinct): added, or changed where
    a value differs; how many were."""
    names = ", ".join(("id", *columns))
    row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    differs = " OR ".join(f"{table}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in columns)
    cursor.execute(
        f"INSERT INTO {table} ({names}) VALUES {', '.join([row] * len(many))} "  # noqa: S608
        f"ON CONFLICT (id) DO UPDATE SET {sets} WHERE {differs}",
        [value for values in many for value in (values["id"], *(values[c] for c in columns))])
    return cursor.rowcount


def _voicemails_write(cursor, chunk: list[Rows]) -> int:
    """``voicemail`` has no unique key of (context, mailbox): found, then changed or
    added; the endpoints' row locks (taken first) keep two writers of a phone apart."""
    changed = 0
    by_context: dict[str, list[Rows]] = {}
    for rows in chunk:
        by_context.setdefault(voicemail_context(rows.tenant_id), []).append(rows)
    for context, part in by_context.items():
        cursor.execute("SELECT mailbox, " + ", ".join(VOICEMAIL_COLUMNS)  # noqa: S608
                       + " FROM voicemail WHERE context = %s AND mailbox = ANY(%s) "
                       "ORDER BY uniqueid", [context, [r.id for r in part]])
        found: dict[str, list[tuple]] = {}
        for mailbox, *values in cursor.fetchall():
            found.setdefault(mailbox, []).append(tuple(values))
        remove, add = [], []
        for rows in part:
            have = found.get(rows.id, [])
            if rows.voicemail is None:
                if have:
                    remove.append(rows.id)
                    changed += len(have)
                continue
            wanted = tuple(rows.voicemail[c] for c in VOICEMAIL_COLUMNS)
            if len(have) == 1 and have[0] == wanted:
                continue
            if have:
                remove.append(rows.id)
            add.append((context, rows.id, *wanted))
            changed += 1
        if remove:
            cursor.execute("DELETE FROM voicemail WHERE context = %s AND mailbox = ANY(%s)",
                           [context, remove])
        if add:
            row = "(" + ", ".join(["%s"] * (len(VOICEMAIL_COLUMNS) + 2)) + ")"
            cursor.execute("INSERT INTO voicemail (context, mailbox, "  # noqa: S608
                           + ", ".join(VOICEMAIL_COLUMNS) + ") VALUES "
                           + ", ".join([row] * len(add)), [v for values in add for v in values])
    return changed


def rows_remove(tenant_id: int, code: str) -> int:
    """Remove the rows of the phone whose endpoint carries ``code``; how many went."""
    removed = 0
    with transaction.atomic(using=ALIAS), connections[ALIAS].cursor() as cursor:
        cursor.execute("DELETE FROM ps_endpoints WHERE accountcode = %s AND tenantid = %s "
                       "RETURNING id", [code, tenant_tag(tenant_id)])
        ids = [row[0] for row in cursor.fetchall()]
        removed += len(ids)
        for table in ("ps_auths", "ps_aors"):
            cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [ids])  # noqa: S608
            removed += cursor.rowcount
        cursor.execute("DELETE FROM voicemail WHERE context = %s AND mailbox = ANY(%s)",
                       [voicemail_context(tenant_id), ids])
        removed += cursor.rowcount
    return removed


@dataclass
class Reconciliation:
    """What ``phones_reconcile`` found and (unless a dry run) repaired."""

    written: list[tuple[str, list[str]]] = field(default_factory=list)  # id, what differed
    removed: list[str] = field(default_factory=list)  # endpoints of no phone of the tenant
    unchanged: int = 0
    # endpoints another account holds: not written, said on the phone (id, holder)
    conflicts: list[tuple[str, str]] = field(default_factory=list)


def phones_reconcile(tenant, *, dry_run: bool = False) -> Reconciliation:
    """Compare the tenant's rows in Asterisk with its phones and repair the drift: a
    missing or changed row written again, an endpoint of the tenant that no phone has
    removed. Other tenants' rows, and rows Abonent did not write, are not touched."""
    from .models import VoipPhone

    result = Reconciliation()
    with tenant_context(tenant):
        phones = list(VoipPhone.objects.select_related("number", "customer", "tenant"))
        conf = _settings(tenant)
        wanted = {rows.id: rows for rows in (_phone_rows(p, conf) for p in phones)}
    tag = tenant_tag(tenant.pk)
    have = _rows_read(tenant.pk, tag)
    writes = []
    for endpoint_id, rows in sorted(wanted.items()):
        differs = _differences(rows, have.get(endpoint_id))
        if not differs:
            result.unchanged += 1
            continue
        result.written.append((endpoint_id, differs))
        writes.append(rows)
    # Removals first: a removed phone must stop calling whatever else fails.
    for endpoint_id, (endpoint, *_rest) in sorted(have.items()):
        if endpoint_id not in wanted:
            result.removed.append(endpoint_id)
            if not dry_run:
                rows_remove(tenant.pk, endpoint["accountcode"])
    if not dry_run:
        # One endpoint held by another account does not stop the others.
        rows_write_many(writes, conflicts=result.conflicts)
        refused = {endpoint_id for endpoint_id, _holder in result.conflicts}
        result.written = [w for w in result.written if w[0] not in refused]
    with tenant_context(tenant):
        if not dry_run and result.written:
            VoipPhone.objects.filter(number__number__in=values_in(
                [int(i) for i, _d in result.written], "bigint")) \
                .update(provisioned_at=timezone.now(), provision_error="")
        for endpoint_id, holder in result.conflicts:
            VoipPhone.objects.filter(number__number=int(endpoint_id)).update(
                provision_error=str(ProvisionConflict(endpoint_id, holder))[:500])
    return result


def _rows_read(tenant_id: int, tag: str) -> dict:
    """The tenant's rows in Asterisk: endpoint id → (endpoint, auth, aor, voicemail)."""
    def fetch(cursor) -> list[dict]:
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT id, " + ", ".join(ENDPOINT_COLUMNS)  # noqa: S608
                       + " FROM ps_endpoints WHERE tenantid = %s", [tag])
        endpoints = {row["id"]: row for row in fetch(cursor)}
        ids = list(endpoints)
        tables = {}
        for table, columns in (("ps_auths", AUTH_COLUMNS), ("ps_aors", AOR_COLUMNS)):
            cursor.execute(f"SELECT id, {', '.join(columns)} FROM {table} "  # noqa: S608
                           "WHERE id = ANY(%s)", [ids])
            tables[table] = {row["id"]: row for row in fetch(cursor)}
        cursor.execute("SELECT mailbox, " + ", ".join(VOICEMAIL_COLUMNS)  # noqa: S608
                       + " FROM voicemail WHERE context = %s", [voicemail_context(tenant_id)])
        boxes = {}
        for row in fetch(cursor):
            boxes.setdefault(row.pop("mailbox"), []).append(row)
    return {i: (e, tables["ps_auths"].get(i), tables["ps_aors"].get(i), boxes.get(i, []))
            for i, e in endpoints.items()}


def _differences(rows: Rows, have) -> list[str]:
    if have is None:
        return ["ps_endpoints", "ps_auths", "ps_aors"] + (["voicemail"] if rows.voicemail
                                                          else [])
    endpoint, auth, aor, boxes = have
    out = []
    for table, wanted, got, columns in (("ps_endpoints", rows.endpoint, endpoint,
                                         ENDPOINT_COLUMNS),
                                        ("ps_auths", rows.auth, auth, AUTH_COLUMNS),
                                        ("ps_aors", rows.aor, aor, AOR_COLUMNS)):
        if got is None:
            out.append(table)
            continue
        out += [f"{table}.{c}" for c in columns if _text(got[c]) != _text(wanted[c])]
    if rows.voicemail is None:
        out += ["voicemail"] if boxes else []
    elif len(boxes) != 1 or any(_text(boxes[0][c]) != _text(rows.voicemail[c])
                                for c in VOICEMAIL_COLUMNS):
        out.append("voicemail")
    return out


def _text(value) -> str | None:
    return None if value is None else str(value)
