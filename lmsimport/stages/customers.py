"""Stage "customers": groups, customers, consents, addresses, contacts, memberships, notes.

LMS's words: ``customers.type`` 0 = private person, 1 = company (its name in
``lastname``), 2 = contractor (a supplier — not a customer, skipped); ``status`` 1..5 =
interested, waiting, connected, disconnected, debt collection; ``customercontacts.type``
is a bit set (CONTACT_* below). Identity numbers are checked with the customers app's own
validators; an invalid one is kept as LMS has it and the card gets a pinned annotation.
"""

import functools
import json
from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core.sql import column_any, objects_rows, rows_copy
from customers import validators
from customers.models import (
    Address,
    Annotation,
    BankAccount,
    Consent,
    Customer,
    CustomerGroup,
    Email,
    GroupMembership,
    Phone,
)
from customers.services import customer_search_text, email_clean

from ..models import LmsMap
from ..runner import (
    changed_rows,
    digest,
    fingerprints_prefetch,
    map_any,
    map_forget,
    map_get,
    map_load,
    map_save,
)
from .money_rules import fingerprint

CONTACT_MOBILE, CONTACT_FAX, CONTACT_LANDLINE, CONTACT_EMAIL = 1, 2, 4, 8
CONTACT_INVOICES, CONTACT_NOTIFICATIONS, CONTACT_BANKACCOUNT = 16, 32, 64
CONTACT_DISABLED = 16384
PHONE_BITS = CONTACT_MOBILE | CONTACT_FAX | CONTACT_LANDLINE

STATUS = {1: Customer.Status.INTERESTED, 2: Customer.Status.INTERESTED,
          3: Customer.Status.CONNECTED, 4: Customer.Status.DISCONNECTED,
          5: Customer.Status.DEBT_COLLECTION}
# LMS address types: 0 postal, 1 billing, 2 location, 3 default location, 4 recipient.
ADDRESS_KIND = {0: Address.Kind.CORRESPONDENCE, 1: Address.Kind.RESIDENCE,
                2: Address.Kind.INSTALLATION, 3: Address.Kind.INSTALLATION}
# LMS consent types (CCONSENT_*): 1 data processing (a date), 4 e-invoice, 9/10 marketing.
CONSENT_KIND = {1: Consent.Kind.DATA_PROCESSING, 4: Consent.Kind.E_INVOICE,
                9: Consent.Kind.MARKETING, 10: Consent.Kind.MARKETING}

# TERYT: province, district, commune (+ its kind), locality (SIMC), street (ULIC).
TERYT_KEYS = ("woj", "pow", "gmi", "rodz", "simc", "ulic")

CUSTOMER_FIELDS = ("kind", "status", "first_name", "last_name", "company_name", "pesel",
                   "nip", "regon", "virtual_account")


CARD = "customer_card"  # a customer's whole card as LMS has it: what a re-run compares

# Every part of a customer's card in LMS, fingerprinted by PostgreSQL: its row and its
# division's account, consents, addresses (with their TERYT ids), contacts (an e-mail's
# being another customer's too), current group memberships and notes. A re-run reads again
# only the customers whose card differs (``runner.changed_rows``).
_SHARED_EMAILS = ("SELECT lower(trim(contact)) AS e FROM customercontacts "  # noqa: S608
                  f"WHERE type & {CONTACT_EMAIL} > 0 GROUP BY 1 "
                  "HAVING count(DISTINCT customerid) > 1")


def _card_query(some: bool) -> str:
    """The customers with their consents and card fingerprint; ``some``: only those of the
    ids given as the first parameter (``= ANY``), the rest of their card read by them."""
    def only(column: str) -> str:
        return f" WHERE {column} IN (SELECT id FROM wanted)" if some else ""  # noqa: S608
    return (  # noqa: S608
        ("WITH wanted AS (SELECT unnest(%s::bigint[]) AS id), " if some else "WITH ")  # noqa: S608
        + f"shared AS ({_SHARED_EMAILS}) "  # noqa: S608
        "SELECT c.*, d.account AS division_account, coalesce(cs.consents, '{}') AS consents, "
        "md5(concat_ws('|', row(c.*)::text, coalesce(d.account, ''), "
        "coalesce(cs.consents::text, ''), coalesce(ad.t, ''), coalesce(co.t, ''), "
        "coalesce(ms.t, ''), coalesce(nt.t, ''))) AS card "
        "FROM customers c LEFT JOIN divisions d ON d.id = c.divisionid "
        "LEFT JOIN (SELECT customerid, array_agg(ARRAY[type::bigint, cdate] ORDER BY type) "
        f"AS consents FROM customerconsents{only('customerid')} GROUP BY customerid) cs "
        "ON cs.customerid = c.id "
        "LEFT JOIN (SELECT ca.customer_id, string_agg(row(ca.*, a.*, lc.ident, lb.ident, "
        "lb.type, ld.ident, ls.ident, lst.ident)::text, ',' ORDER BY ca.id) AS t "
        "FROM customer_addresses ca JOIN addresses a ON a.id = ca.address_id "
        "LEFT JOIN location_cities lc ON lc.id = a.city_id "
        "LEFT JOIN location_boroughs lb ON lb.id = lc.boroughid "
        "LEFT JOIN location_districts ld ON ld.id = lb.districtid "
        "LEFT JOIN location_states ls ON ls.id = COALESCE(ld.stateid, a.state_id) "
        f"LEFT JOIN location_streets lst ON lst.id = a.street_id{only('ca.customer_id')} "
        "GROUP BY ca.customer_id) ad ON ad.customer_id = c.id "
        "LEFT JOIN (SELECT cc.customerid, string_agg(row(cc.*)::text || "
        "(lower(trim(cc.contact)) IN (SELECT e FROM shared))::text, ',' ORDER BY cc.id) AS t "
        f"FROM customercontacts cc{only('cc.customerid')} GROUP BY cc.customerid) co "
        "ON co.customerid = c.id "
        "LEFT JOIN (SELECT v.customerid, string_agg(row(v.*)::text, ',' ORDER BY v.id) AS t "
        f"FROM vcustomerassignments v{only('v.customerid')} GROUP BY v.customerid) ms "
        "ON ms.customerid = c.id "
        "LEFT JOIN (SELECT n.customerid, string_agg(row(n.*)::text, ',' ORDER BY n.id) AS t "
        f"FROM customernotes n{only('n.customerid')} GROUP BY n.customerid) nt "
        "ON nt.customerid = c.id" + (" WHERE c.id IN (SELECT id FROM wanted)" if some else ""))


# What a re-run compares (runner.fingerprints_compare): id, customer, fingerprint.
FINGERPRINTS = f"SELECT q.id, q.id, q.card FROM ({_card_query(False)}) q"  # noqa: S608


def prepare(ctx) -> None:
    """At the run's start: a re-run's fingerprints read meanwhile (runner)."""
    fingerprints_prefetch(ctx, CARD, FINGERPRINTS, [])


def run(ctx) -> None:
    groups = _groups(ctx)
    ctx.touched["customer"] = set()
    # What every card's Abonent rows also depend on: the groups' Abonent ids.
    context = fingerprint(sorted(groups.items()))
    changed = changed_rows(
        ctx, CARD, fingerprints=FINGERPRINTS, context=context, params=[],
        count_query="SELECT count(*) AS n FROM customers",
        all_query=_card_query(False) + " ORDER BY c.id",
        some_query=_card_query(True) + " ORDER BY c.id")
    changed.each(ctx, lambda rows: _batch(ctx, rows, groups, context,
                                          fresh=not changed.before))
    _forget_deleted(ctx, changed.comparison)
    if changed.comparison is not None:
        map_forget(CARD, changed.comparison.gone)
    _reindex(ctx, ctx.touched["customer"])


def _batch(ctx, rows, groups, context, *, fresh: bool) -> None:
    """A batch of customers with their whole cards; each card's mapping keeps its
    fingerprint and what it added to the report."""
    cards = _Cards(ctx.report)
    batch = _customers(ctx, rows, cards)
    ids = list(batch)
    _consents(ctx, rows, batch, cards)
    _addresses(ctx, ids, batch, cards)
    _contacts(ctx, ids, batch, cards)
    _memberships(ctx, ids, batch, groups, cards)
    _notes(ctx, ids, batch, cards)
    map_save(ctx, CARD, [(row["id"], batch.get(row["id"], 0),
                          fingerprint(row["card"], batch.get(row["id"]), context),
                          cards.kept(row["id"])) for row in rows], fresh=fresh)


class _Cards:
    """What each LMS customer's card added to the report in this run, kept on the card's
    mapping: a re-run that leaves the card as it is says the same again
    (``runner.fingerprints_compare``) — written rows then count as unchanged."""

    def __init__(self, report):
        self.report = report
        self.counts: dict[int, dict[str, dict[str, int]]] = {}
        self.problems: dict[int, list] = {}

    def add(self, owner: int, kind: str, counter: str, n: int = 1) -> None:
        self.report.add(kind, counter, n)
        per_kind = self.counts.setdefault(owner, {}).setdefault(kind, {})
        per_kind[counter] = per_kind.get(counter, 0) + n

    def problem(self, owner: int, *, lms_id: int, kind: str, action: str, message) -> None:
        self.report.problem(lms_id=lms_id, kind=kind, action=action, message=message)
        per_kind = self.counts.setdefault(owner, {}).setdefault(kind, {})
        per_kind[action] = per_kind.get(action, 0) + 1
        self.problems.setdefault(owner, []).append([lms_id, kind, action, str(message)])

    def kept(self, owner: int) -> dict:
        counts = {}
        for kind, counters in self.counts.get(owner, {}).items():
            again = counts[kind] = {}
            for counter, n in counters.items():
                counter = "unchanged" if counter in ("created", "updated") else counter
                again[counter] = again.get(counter, 0) + n
        data = {"kind": "customer", "counts": counts}
        if self.problems.get(owner):
            data["problems"] = self.problems[owner]
        return data


# --------------------------------------------------------------------------- groups

def _groups(ctx) -> dict[int, int]:
    """LMS group id → Abonent group id; a group of the same name is reused."""
    mapped = map_load("group")
    by_name = {g.name: g for g in CustomerGroup.objects.all()}
    rows = ctx.lms.all("SELECT id, name, description FROM customergroups ORDER BY id")
    new, changed, maps = [], [], []
    for row in rows:
        ctx.report.add("group", "read")
        name, description = row["name"][:100], row["description"][:255]
        m = mapped.get(row["id"])
        group = CustomerGroup.all_tenants.filter(pk=m.abonent_id).first() if m else None
        group = group or by_name.get(name)
        if group is None:
            group = CustomerGroup(tenant=ctx.tenant, name=name, description=description)
            new.append((row["id"], group))
            continue
        if (group.name, group.description) != (name, description):
            group.name, group.description = name, description
            changed.append(group)
            ctx.report.add("group", "updated")
        else:
            ctx.report.add("group", "unchanged")
        maps.append((row["id"], group.pk, ""))
    CustomerGroup.objects.bulk_create([g for _id, g in new])
    CustomerGroup.objects.bulk_update(changed, ["name", "description"])
    ctx.report.add("group", "created", len(new))
    maps += [(lms_id, g.pk, "") for lms_id, g in new]
    map_save(ctx, "group", maps)
    return {r[0]: r[1] for r in maps}


# --------------------------------------------------------------------------- customers

def _fit(value: str | None, field: str, model=Customer) -> str:
    return (value or "").strip()[:model._meta.get_field(field).max_length]


def _checked(row, fields, warnings, field, clean, raw) -> None:
    """The project's validator decides; an invalid number is kept as LMS has it."""
    raw = (raw or "").strip()
    try:
        fields[field] = clean(raw)
    except ValidationError as e:
        fields[field] = _fit(raw.replace("-", "").replace(" ", ""), field)
        warnings.append(" ".join(e.messages))


def virtual_account_lms(customer_id: int, division_account: str | None) -> str | None:
    """The account LMS gives a customer (its ``bankaccount()``): the division's account
    prefix, the customer id zero-padded to 24 digits, ISO 7064 check digits in front."""
    prefix = "".join(ch for ch in (division_account or "") if ch.isdigit())
    if len(prefix) == 26 or not 8 <= len(prefix) < 21:
        return None
    bban = prefix + f"{customer_id:0{24 - len(prefix)}d}"
    return f"{98 - int(bban + '252100') % 97:02d}" + bban


def customer_fields(row: dict) -> tuple[dict | None, list[str]]:
    """LMS customer row → Abonent customer fields and the warnings to flag it with;
    ``None`` when the row is not a customer (a contractor)."""
    if row["type"] == 2:
        return None, [_("a contractor (supplier) in LMS, not a customer")]
    warnings = []
    fields = {"status": STATUS.get(row["status"], Customer.Status.INTERESTED)}
    if row["type"] == 1:
        fields.update(kind=Customer.Kind.COMPANY, first_name="", last_name="",
                      company_name=_fit(row["lastname"], "company_name"))
    else:
        fields.update(kind=Customer.Kind.PERSON, company_name="",
                      first_name=_fit(row["name"], "first_name"),
                      last_name=_fit(row["lastname"], "last_name"))
    if not (fields["company_name"] or fields["last_name"]):
        warnings.append(_("no name in LMS"))
    _checked(row, fields, warnings, "pesel", validators.clean_pesel, row["ssn"])
    _checked(row, fields, warnings, "nip", validators.clean_nip, row["ten"])
    _checked(row, fields, warnings, "regon", validators.clean_regon, row["regon"])
    if row["deleted"]:
        fields["status"] = Customer.Status.DISCONNECTED
        warnings.append(_("deleted in LMS: imported as disconnected"))
    fields["virtual_account"] = virtual_account_lms(row["id"], row["division_account"])
    return fields, warnings


def _customers(ctx, rows, cards) -> dict[int, int]:
    """Create or update the batch's customers; LMS id → Abonent id."""
    mapped = {m.lms_id: m for m in map_get("customer", [r["id"] for r in rows])} \
        if map_any(ctx, "customer") else {}
    new, changed, maps, flags = [], [], [], {}
    for row in rows:
        cards.add(row["id"], "customer", "read")
        fields, warnings = customer_fields(row)
        if fields is None:
            cards.problem(row["id"], lms_id=row["id"], kind="customer", action="skipped",
                          message="; ".join(warnings))
            continue
        for warning in warnings:
            cards.problem(row["id"], lms_id=row["id"], kind="customer", action="flagged",
                          message=warning)
        flags[row["id"]] = warnings
        fp = digest(fields)
        m = mapped.get(row["id"])
        if m is None:
            new.append((row, Customer(tenant=ctx.tenant, **fields), fp))
        elif m.digest != fp:
            changed.append((Customer(pk=m.abonent_id, tenant=ctx.tenant, **fields), row, fp))
        else:
            cards.add(row["id"], "customer", "unchanged")
            maps.append((row["id"], m.abonent_id, fp))
    _numbers(new, cards)
    _unique_accounts(cards, [(r["id"], c) for r, c, _f in new]
                     + [(r["id"], c) for c, r, _f in changed])
    for row, customer, _f in new:  # LMS's creation date, not the import's
        if row["creationdate"]:
            customer.created_at = datetime.fromtimestamp(row["creationdate"], UTC)
    ctx.write(rows_copy, *objects_rows([c for _r, c, _f in new]))
    now = timezone.now()
    for customer, _r, _f in changed:
        customer.updated_at = now
    Customer.objects.bulk_update([c for c, _r, _f in changed],
                                 [*CUSTOMER_FIELDS, "updated_at"], batch_size=5000)
    for row, _c, _f in new:
        cards.add(row["id"], "customer", "created")
    for _c, row, _f in changed:
        cards.add(row["id"], "customer", "updated")
    fresh = [(row["id"], customer.pk, fp) for row, customer, fp in new]
    for customer, row, fp in changed:
        maps.append((row["id"], customer.pk, fp))
    map_save(ctx, "customer", maps)
    ctx.write(functools.partial(map_save, ctx, "customer", fresh, fresh=True))
    ids = {lms_id: abonent_id for lms_id, abonent_id, _fp in maps + fresh}
    ctx.touched["customer"].update(pk for _r, c, _f in new for pk in [c.pk])
    ctx.touched.setdefault("customer_new", set()).update(c.pk for _r, c, _f in new)
    ctx.touched["customer"].update(c.pk for c, _r, _f in changed)
    _flag_annotations(ctx, flags, ids)
    return ids


def _numbers(new, cards) -> None:
    """The LMS id becomes the customer number (what staff and payers know); a number
    already used in Abonent by another customer gets the next free one."""
    taken = set(Customer.objects.filter(number__in=[r["id"] for r, _c, _f in new])
                .values_list("number", flat=True))
    top = max([Customer.objects.order_by("-number").values_list("number", flat=True)
               .first() or 0] + [r["id"] for r, _c, _f in new])
    for row, customer, _fp in new:
        if row["id"] in taken:
            top += 1
            customer.number = top
            cards.problem(row["id"], lms_id=row["id"], kind="customer", action="flagged",
                          message=_("customer number %(n)s is taken: got %(m)s")
                          % {"n": row["id"], "m": top})
        else:
            customer.number = row["id"]


def _unique_accounts(cards, pairs) -> None:
    """An individual account another Abonent customer already has is left empty."""
    accounts = [c.virtual_account for _id, c in pairs if c.virtual_account]
    owners = dict(Customer.objects.filter(virtual_account__in=accounts)
                  .values_list("virtual_account", "pk"))
    for lms_id, customer in pairs:
        owner = owners.get(customer.virtual_account)
        if owner is not None and owner != customer.pk:
            cards.problem(lms_id, lms_id=lms_id, kind="customer", action="flagged",
                          message=_("individual account %(a)s belongs to another "
                                    "customer: left empty") % {"a": customer.virtual_account})
            customer.virtual_account = None


def _flag_annotations(ctx, warnings_by_lms_id: dict, ids: dict) -> None:
    """One pinned annotation per flagged customer, kept in step with LMS on each run."""
    mapped = {m.lms_id: m for m in map_get("flag", list(ids))}
    new, changed, gone, maps = [], [], [], []
    for lms_id, customer_id in ids.items():
        warnings = warnings_by_lms_id.get(lms_id) or []
        m = mapped.get(lms_id)
        if not warnings:
            if m:
                gone.append(m)
            continue
        text = _("Imported from LMS with warnings: %(w)s") % {"w": "; ".join(warnings)}
        if m is None:
            new.append((lms_id, Annotation(tenant=ctx.tenant, customer_id=customer_id,
                                           text=text, pinned=True)))
        elif m.digest != digest(text):
            changed.append(Annotation(pk=m.abonent_id, tenant=ctx.tenant, text=text))
            maps.append((lms_id, m.abonent_id, digest(text)))
    Annotation.objects.bulk_create([a for _id, a in new])
    Annotation.objects.bulk_update(changed, ["text"])
    maps += [(lms_id, a.pk, digest(a.text)) for lms_id, a in new]
    map_save(ctx, "flag", maps)
    Annotation.objects.filter(pk__in=[m.abonent_id for m in gone]).delete()
    map_forget("flag", [m.lms_id for m in gone])


# --------------------------------------------------------------------------- consents

def _consents(ctx, rows, ids, cards) -> None:
    """LMS's consents as Abonent's; a consent withdrawn in LMS becomes "not granted"."""
    wanted = {}
    for row in rows:
        customer_id = ids.get(row["id"])
        if customer_id is None:
            continue
        for lms_type, cdate in row["consents"]:
            kind = CONSENT_KIND.get(lms_type)
            if kind:
                cards.add(row["id"], "consent", "read")
                when = cdate or row["creationdate"]
                given = datetime.fromtimestamp(when, UTC).date() if when else date.today()
                wanted[(customer_id, kind)] = given
    # what the batch's customers have: only a consent that differs is written
    existing = {(customer_id, kind): (pk, granted, given_on)
                for pk, customer_id, kind, granted, given_on in Consent.objects.filter(
                    column_any(Consent, "customer", list(ids.values()), "bigint"),
                    kind__in=set(CONSENT_KIND.values())).values_list(
                    "pk", "customer_id", "kind", "granted", "given_on")}
    Consent.objects.bulk_create(
        [Consent(tenant=ctx.tenant, customer_id=c, kind=k, granted=True, given_on=d)
         for (c, k), d in wanted.items() if existing.get((c, k), ())[1:] != (True, d)],
        update_conflicts=True, unique_fields=["customer", "kind"],
        update_fields=["granted", "given_on"])
    withdrawn = [pk for key, (pk, granted, _d) in existing.items()
                 if granted and key not in wanted]
    Consent.objects.filter(pk__in=withdrawn).update(granted=False)
    ctx.report.add("consent", "updated", len(withdrawn))


# --------------------------------------------------------------------------- rows per customer

def _sync(ctx, cards, kind, model, items, fields) -> None:
    """Create, update or leave each ``(lms_id, owner, customer_id, values, data)`` of
    ``kind`` (``owner``: the LMS customer whose card the row is on)."""
    mapped = {m.lms_id: m for m in map_get(kind, [i[0] for i in items])} \
        if map_any(ctx, kind) else {}
    new, changed, maps = [], [], []
    seen = ctx.seen.setdefault(kind, set())
    for lms_id, owner, customer_id, values, data in items:
        seen.add(lms_id)
        # What the mapping keeps (TERYT ids as LMS has them) is part of what is written.
        fp = digest(customer_id, values, data) if data else digest(customer_id, values)
        m = mapped.get(lms_id)
        if m is None:
            new.append((lms_id, model(tenant=ctx.tenant, customer_id=customer_id, **values),
                        fp, data))
            cards.add(owner, kind, "created")
        elif m.digest != fp:
            changed.append(model(pk=m.abonent_id, tenant=ctx.tenant, customer_id=customer_id,
                                 **values))
            maps.append((lms_id, m.abonent_id, fp, data))
            cards.add(owner, kind, "updated")
        else:
            cards.add(owner, kind, "unchanged")
    model.objects.bulk_update(changed, ["customer", *fields], batch_size=5000)
    ctx.write(rows_copy, *objects_rows([o for _i, o, _f, _d in new]))
    map_save(ctx, kind, maps)
    ctx.write(functools.partial(map_save, ctx, kind, [
        (lms_id, o.pk, fp, data) for lms_id, o, fp, data in new], fresh=True))
    ctx.touched["customer"].update(o.customer_id for _i, o, _f, _d in new)
    ctx.touched["customer"].update(o.customer_id for o in changed)


def _addresses(ctx, lms_ids, ids, cards) -> None:
    rows = ctx.lms.all(
        "SELECT ca.id, ca.customer_id, ca.type, a.*, ca.id AS id, "
        "ls.ident AS teryt_woj, ld.ident AS teryt_pow, lb.ident AS teryt_gmi, "
        "lb.type AS teryt_rodz, lc.ident AS teryt_simc, lst.ident AS teryt_ulic "
        "FROM customer_addresses ca JOIN addresses a ON a.id = ca.address_id "
        "LEFT JOIN location_cities lc ON lc.id = a.city_id "
        "LEFT JOIN location_boroughs lb ON lb.id = lc.boroughid "
        "LEFT JOIN location_districts ld ON ld.id = lb.districtid "
        "LEFT JOIN location_states ls ON ls.id = COALESCE(ld.stateid, a.state_id) "
        "LEFT JOIN location_streets lst ON lst.id = a.street_id "
        "WHERE ca.customer_id = ANY(%s) ORDER BY ca.id", [lms_ids])
    items, single = [], set()
    for row in rows:
        owner = row["customer_id"]
        cards.add(owner, "address", "read")
        kind = ADDRESS_KIND.get(row["type"])
        if kind is None:
            cards.problem(owner, lms_id=row["id"], kind="address", action="skipped",
                          message=_("an address type Abonent does not keep"))
            continue
        customer_id = ids[owner]
        if kind != Address.Kind.INSTALLATION:
            if (customer_id, kind) in single:
                cards.problem(owner, lms_id=row["id"], kind="address", action="skipped",
                              message=_("a second address of the same kind"))
                continue
            single.add((customer_id, kind))
        values = {"kind": kind, "street": _fit(row["street"], "street", Address),
                  "building_no": _fit(row["house"], "building_no", Address),
                  "apartment_no": _fit(row["flat"], "apartment_no", Address),
                  "postal_code": _fit(row["zip"], "postal_code", Address),
                  "city": _fit(row["city"], "city", Address)}
        if not values["building_no"] or not values["city"]:
            cards.problem(owner, lms_id=row["id"], kind="address", action="flagged",
                          message=_("imported without a building number or city"))
        teryt = {k: str(row[f"teryt_{k}"]) for k in TERYT_KEYS
                 if row[f"teryt_{k}"] is not None}
        values.update(_teryt_fields(teryt))
        items.append((row["id"], owner, customer_id, values,
                      {"teryt": teryt} if teryt else {}))
    _sync(ctx, cards, "address", Address, items,
          ["kind", "street", "building_no", "apartment_no", "postal_code", "city",
           "teryt_terc", "teryt_simc", "teryt_ulic"])


def _teryt_fields(teryt: dict) -> dict:
    """The address's TERYT codes as Abonent keeps them (TERC = voivodeship, county,
    commune and its kind: 7 digits; SIMC 7; ULIC 5); a code LMS has in another shape is
    left empty here — the mapping keeps what LMS has."""
    terc = "".join(teryt.get(k, "") for k in ("woj", "pow", "gmi", "rodz"))
    codes = {"teryt_terc": terc, "teryt_simc": teryt.get("simc", ""),
             "teryt_ulic": teryt.get("ulic", "")}
    width = {"teryt_terc": 7, "teryt_simc": 7, "teryt_ulic": 5}
    return {k: v if len(v) == width[k] and v.isascii() and v.isdigit() else ""
            for k, v in codes.items()}


def _contacts(ctx, lms_ids, ids, cards) -> None:
    """Phones, e-mails and the customers' own bank accounts; a bank account marked for
    invoices is the customer's individual account at the ISP (``virtual_account``)."""
    rows = ctx.lms.all("SELECT id, customerid, name, contact, type FROM customercontacts "
                       "WHERE customerid = ANY(%s) ORDER BY id", [lms_ids])
    phones, emails, accounts, seen, virtual = [], [], [], set(), {}
    shared = shared_emails(ctx)
    for row in rows:
        owner = row["customerid"]
        cards.add(owner, "contact", "read")
        customer_id, bits = ids[owner], row["type"] or 0
        flags = {"label": _fit(row["name"], "label", Phone),
                 "for_notifications": bool(bits & CONTACT_NOTIFICATIONS)
                 and not bits & CONTACT_DISABLED,
                 "for_invoices": bool(bits & CONTACT_INVOICES) and not bits & CONTACT_DISABLED}
        try:
            if bits & CONTACT_BANKACCOUNT:
                iban = validators.clean_iban(row["contact"])
                if bits & CONTACT_INVOICES and iban.startswith("PL"):
                    virtual[customer_id] = (owner, row["id"], iban[2:])
                    continue
                item, target = {"iban": iban, "description": flags["label"]}, accounts
            elif bits & CONTACT_EMAIL:
                address = email_clean(row["contact"])
                item, target = {"address": address, **flags}, emails
                if address.lower() in shared:
                    cards.problem(owner, lms_id=row["id"], kind="contact", action="flagged",
                                  message=_("e-mail %(a)s is also another customer's")
                                  % {"a": address})
            elif bits & PHONE_BITS or not bits:
                item, target = {"number": validators.clean_phone(row["contact"]),
                                **flags}, phones
            else:
                cards.problem(owner, lms_id=row["id"], kind="contact", action="skipped",
                              message=_("a kind of contact Abonent does not keep"))
                continue
        except ValidationError as e:
            cards.problem(owner, lms_id=row["id"], kind="contact", action="skipped",
                          message=" ".join(e.messages))
            continue
        key = (customer_id, id(target), next(iter(item.values())))
        if key in seen:
            cards.problem(owner, lms_id=row["id"], kind="contact", action="skipped",
                          message=_("the customer has this contact twice"))
            continue
        seen.add(key)
        target.append((row["id"], owner, customer_id, item, {}))
    _sync(ctx, cards, "phone", Phone, phones, ["number", "label", "for_notifications",
                                               "for_invoices"])
    _sync(ctx, cards, "email", Email, emails, ["address", "label", "for_notifications",
                                               "for_invoices"])
    _sync(ctx, cards, "bank_account", BankAccount, accounts, ["iban", "description"])
    _virtual_accounts(virtual, cards)


def shared_emails(ctx) -> set[str]:
    """E-mail addresses (lower-cased) that more than one LMS customer has: once a stage."""
    if "shared_emails" not in ctx.cache:
        ctx.cache["shared_emails"] = {r["e"] for r in ctx.lms.all(_SHARED_EMAILS)}
    return ctx.cache["shared_emails"]


def _virtual_accounts(virtual: dict, cards) -> None:
    """The account LMS prints on the customer's invoices replaces the computed one."""
    taken = dict(Customer.objects.filter(virtual_account__in=[a for _o, _i, a in
                                                              virtual.values()])
                 .values_list("virtual_account", "pk"))
    ids, accounts = [], []
    for customer_id, (owner, lms_id, account) in virtual.items():
        if taken.get(account, customer_id) != customer_id:
            cards.problem(owner, lms_id=lms_id, kind="contact", action="skipped",
                          message=_("individual account %(a)s belongs to another "
                                    "customer: left empty") % {"a": account})
            continue
        ids.append(customer_id)
        accounts.append(account)
    if ids:
        _column_set(Customer, "virtual_account", ids, accounts)


def _memberships(ctx, lms_ids, ids, groups, cards) -> None:
    rows = ctx.lms.all("SELECT id, customergroupid, customerid FROM vcustomerassignments "
                       "WHERE customerid = ANY(%s) ORDER BY id", [lms_ids])
    items, pairs = [], set()
    for row in rows:
        owner = row["customerid"]
        cards.add(owner, "membership", "read")
        pair = (ids[owner], groups[row["customergroupid"]])
        if pair in pairs:
            cards.add(owner, "membership", "skipped")
            continue
        pairs.add(pair)
        items.append((row["id"], owner, pair[0], {"group_id": pair[1]}, {}))
    _sync(ctx, cards, "membership", GroupMembership, items, ["group"])


def _notes(ctx, lms_ids, ids, cards) -> None:
    """``customernotes`` rows → annotations (their LMS dates kept)."""
    rows = ctx.lms.all("SELECT id, customerid, message, dt FROM customernotes "
                       "WHERE customerid = ANY(%s) ORDER BY id", [lms_ids])
    items = []
    for row in rows:
        owner = row["customerid"]
        cards.add(owner, "note", "read")
        text = row["message"][:Annotation._meta.get_field("text").max_length]
        items.append((row["id"], owner, ids[owner], {"text": text}, {}))
    _sync(ctx, cards, "note", Annotation, items, ["text"])


# --------------------------------------------------------------------------- end of stage

# The rows of a card per kind: the Abonent model they are written to.
CARD_ROWS = (("phone", Phone), ("email", Email), ("bank_account", BankAccount),
             ("address", Address), ("membership", GroupMembership), ("note", Annotation))


def _forget_deleted(ctx, comparison) -> None:
    """A contact, address, membership or note no longer in LMS goes from Abonent too.
    Which rows can have gone: on a re-run by comparison, only those of the customers whose
    card it read again or who left LMS (an unchanged card has every row it had) — the
    run's own few; on a first import none; else every mapped row the run did not read."""
    owners = None
    if comparison is not None:
        lms_owners = [*comparison.todo, *comparison.gone]
        owners = list(LmsMap.objects.filter(kind="customer").filter(
            column_any(LmsMap, "lms_id", lms_owners, "bigint"))
            .values_list("abonent_id", flat=True)) if lms_owners else []
    for kind, model in CARD_ROWS:
        if owners == [] or (owners is None and not map_any(ctx, kind)):
            continue
        keep = ctx.seen.get(kind, set())
        mapped = LmsMap.objects.filter(kind=kind)
        if owners is not None:  # (two queries: a raw column in a subquery loses its alias)
            rows = model.objects.filter(column_any(model, "customer", owners, "bigint"))
            mapped = mapped.filter(column_any(LmsMap, "abonent_id",
                                              rows.values_list("pk", flat=True), "bigint"))
        gone = [(lms_id, abonent_id) for lms_id, abonent_id
                in mapped.values_list("lms_id", "abonent_id") if lms_id not in keep]
        if gone:
            model.objects.filter(pk__in=[pk for _l, pk in gone]).delete()
            map_forget(kind, [lms_id for lms_id, _pk in gone])
            ctx.report.add(kind, "deleted", len(gone))


def _reindex(ctx, customer_ids) -> None:
    """Search text of every customer the stage touched, in one UPDATE per batch."""
    ids = list(customer_ids)
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        phones, emails, addresses = {}, {}, {}
        for customer_id, number in Phone.objects.filter(
                column_any(Phone, "customer", chunk, "bigint")).values_list("customer_id",
                                                                             "number"):
            phones.setdefault(customer_id, []).append(number)
        for customer_id, address in Email.objects.filter(
                column_any(Email, "customer", chunk, "bigint")).values_list("customer_id",
                                                                             "address"):
            emails.setdefault(customer_id, []).append(address)
        for a in Address.objects.filter(column_any(Address, "customer", chunk, "bigint")):
            addresses.setdefault(a.customer_id, []).append(a)
        customers = list(Customer.objects.filter(column_any(Customer, "id", chunk, "bigint")))
        texts = [customer_search_text(c, phones=phones.get(c.pk, ()),
                                      emails=emails.get(c.pk, ()),
                                      addresses=addresses.get(c.pk, ()))
                 for c in customers]
        _column_set(Customer, "search_text", [c.pk for c in customers], texts)


def _column_set(model, field: str, ids: list, values: list) -> None:
    """``field`` of the rows ``ids`` set to ``values`` (in step) in one UPDATE — where
    bulk_update builds a CASE of as many arms as rows, for every row."""
    if connection.vendor != "postgresql":
        objects = [model(pk=pk, **{field: value}) for pk, value in zip(ids, values,
                                                                        strict=True)]
        model.objects.bulk_update(objects, [field])
        return
    column = model._meta.get_field(field).column
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} AS t SET {column} = v.value "  # noqa: S608
            "FROM jsonb_to_recordset(%s::jsonb) AS v(id bigint, value text) "
            f"WHERE t.id = v.id AND t.{column} IS DISTINCT FROM v.value",
            [json.dumps([{"id": pk, "value": value} for pk, value in zip(ids, values,
                                                                          strict=True)])])
