"""CDRs in, rated calls out: from Asterisk's ``cdr`` table (incrementally) or a CDR file
in Asterisk's Master.csv layout — both through ``calls_rate``.

A call is rated once: the import takes the tenant's ``CdrImportState`` row lock first (two
imports of a tenant wait for each other), skips the unique ids it has, and the database
refuses a second call of the same unique id. A phone's free minutes, amount and flags of
the period are kept in ``PhoneUsage`` and taken in the order the calls started.

Which phone a CDR is: the endpoint's ``accountcode`` (``abonent-<tenant>-<phone>``, which
``voip.asterisk`` writes), else the caller's number among the tenant's phones.

Which call a CDR is: its ``uniqueid`` — Asterisk (12 on) writes several CDRs of one
channel (a Dial that failed, then one answered) with one ``uniqueid``, told apart by
``sequence``: a CDR read with its sequence is the call ``uniqueid~sequence``, one without
(a Master.csv of the default layout, calls rated before the sequence was read) the call
``uniqueid``. The same CDR read both ways is one call: ``_not_rated`` decides.

Where the import from Asterisk stands (``CdrImportState.last_end``) is moved by that
import only, never past now: an uploaded file (a line typed ending tomorrow) or a CDR of an
exchange whose clock runs ahead must not make it skip the calls until then.
"""

import csv
import datetime
import io
import json
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db import connection, connections, transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from core.events import publish
from core.sql import array_param, column_any, rows_copy, values_in
from core.tenant_settings import setting_get

from . import rating
from .asterisk import ALIAS, enabled
from .models import (
    NUMBER_MAX_DIGITS,
    Call,
    CdrImportState,
    FreeNumber,
    PhoneUsage,
    PriceList,
    PriceRule,
    VoipPhone,
)
from .recordings import recordings_link

# Asterisk writes a CDR when the call ends; one written late (a long transaction on the
# exchange) is still found when the next import looks back this far.
LOOK_BACK = datetime.timedelta(hours=1)
BATCH = 20_000
# Master.csv: Asterisk's cdr_csv column order (no header line).
MASTER_CSV = ("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel",
              "lastapp", "lastdata", "start", "answer", "end", "duration", "billsec",
              "disposition", "amaflags", "uniqueid", "userfield")
# What cdr_csv adds after them with ``newcdrcolumns=yes`` (its default is no).
MASTER_CSV_NEW = ("peeraccount", "linkedid", "sequence")
# A later CDR of a channel is the call ``uniqueid`` + this + its sequence (a sign Asterisk's
# unique ids never hold, safe in a URL).
SEQUENCE_MARK = "~"
UNIQUE_ID_MAX = Call._meta.get_field("unique_id").max_length
# A phone's id in an account code: more digits are no phone's (and past bigint).
PHONE_ID_MAX_DIGITS = 18


@dataclass(frozen=True)
class Cdr:
    unique_id: str
    accountcode: str
    caller: str
    destination: str
    start: datetime.datetime
    end: datetime.datetime | None
    seconds: int  # billsec: answered seconds
    # Asterisk's CDR sequence (an exchange-wide counter); None: the source has none
    sequence: int | None = None


@dataclass
class ImportResult:
    read: int = 0
    rated: int = 0
    already: int = 0  # rated before (a repeated or concurrent import)
    unknown_phone: list[str] = field(default_factory=list)  # unique ids
    # impossible CDRs: started before 2000, ended more than a day ahead of now, answered
    # longer than it lasted or than a day (an exchange's clock, a typo), or dialled a
    # number longer than E.164 allows: not rated; impossible dates never move where the
    # next import starts
    out_of_range: list[str] = field(default_factory=list)  # unique ids
    no_rule: int = 0
    internal: int = 0  # short numbers (extensions, emergency numbers): free, not priced
    amount: Decimal = Decimal("0")
    blocked: list[int] = field(default_factory=list)  # phones over their limit
    exhausted: list[int] = field(default_factory=list)  # prepaid phones now at zero


def destination_digits(dialled: str) -> str:
    """The dialled number as E.164 digits where it is a public number (``+48…``,
    ``0048…``, a 9-digit Polish one); anything else (an extension, ``s``) as dialled."""
    raw = (dialled or "").replace(" ", "").replace("-", "")
    if raw.startswith("+") and raw[1:].isdigit():
        return raw[1:]
    if raw.startswith("00") and raw.isdigit():
        return raw[2:]
    if len(raw) == 9 and raw.isdigit() and raw[0] != "0":
        return "48" + raw
    return raw[:40]


def destination_possible(destination: str) -> bool:
    """A number (``destination_digits``) no longer than E.164 allows: a longer one is an
    impossible CDR (and would not fit the call's ``destination``)."""
    return not (destination.isdigit() and len(destination) > NUMBER_MAX_DIGITS)


EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
AHEAD = datetime.timedelta(days=1)


# A call answered longer than this is a CDR gone wrong, not a call to bill.
MAX_SECONDS = 86_400


def in_range(cdr: Cdr, latest: datetime.datetime) -> bool:
    """A CDR whose times the rating trusts: started from 2000 on, ended by ``latest``,
    answered at most a day (and not longer than it lasted)."""
    if not (EARLIEST <= cdr.start <= latest and 0 <= cdr.seconds <= MAX_SECONDS):
        return False
    if cdr.end is None:
        return True
    return cdr.end <= latest and cdr.seconds <= (cdr.end - cdr.start).total_seconds() + 1


def calls_rate(*, tenant, cdrs: list[Cdr]) -> ImportResult:
    """Rate ``cdrs`` of ``tenant`` (called in its tenant context) and store the calls; a
    phone that reaches its amount limit is blocked, one that reaches its notification
    threshold is announced (``voip.threshold_crossed``). Locks the tenant's import state,
    then the usage rows of the phones concerned. Where the import from Asterisk stands is
    not moved (``cdr_import_asterisk`` alone moves it)."""
    return _rate(_Run(tenant), cdrs)


class _Phone:
    """What rating needs of a phone (read once per import run, not as a model)."""

    __slots__ = ("pk", "customer_id", "number", "free_seconds", "notify_threshold",
                 "allowance", "prepaid")

    def __init__(self, pk, customer_id, number, free_minutes, amount_limit, notify_threshold,
                 groups, frees, billing_type=VoipPhone.BillingType.POSTPAID):
        self.pk, self.customer_id, self.number = pk, customer_id, number
        self.prepaid = billing_type == VoipPhone.BillingType.PREPAID
        self.free_seconds = free_minutes * 60
        self.notify_threshold = notify_threshold
        self.allowance = rating.Allowance(
            free_seconds=self.free_seconds, free_groups=frozenset(groups),
            free_numbers=frozenset(frees), amount_limit=amount_limit,
            notify_threshold=notify_threshold)


class _Run:
    """What one import keeps across its batches: the price lists, and the phones it has
    met (by id and by number; ``None``: no such phone of the tenant). A phone changed
    while the import runs is rated as the import first read it."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.code_prefix = f"abonent-{tenant.pk}-"
        self.lists: list[tuple[datetime.date, rating.PriceList]] | None = None
        self.on_day: dict[datetime.date, rating.PriceList] = {}
        self.by_id: dict[int, _Phone | None] = {}
        self.by_number: dict[int, _Phone | None] = {}
        self.explained: dict[int | None, object] = {}
        self.json = connection.vendor == "postgresql"  # priced_by as JSON text to COPY

    def prices_on(self, day: datetime.date) -> rating.PriceList:
        prices = self.on_day.get(day)
        if prices is None:
            if self.lists is None:
                self.lists = _price_lists()
            prices = self.on_day[day] = next(
                (p for valid_from, p in self.lists if valid_from <= day), _NONE)
        return prices

    def explanation(self, rule: rating.Rule | None):
        key = rule.id if rule is not None else None
        if key not in self.explained:
            explained = _explained(rule)
            self.explained[key] = json.dumps(explained) if self.json else explained
        return self.explained[key]

    def phones_load(self, ids, numbers) -> None:
        """The phones of these ids and numbers not met yet, set-based."""
        ids = [i for i in set(ids) if i not in self.by_id]
        numbers = [n for n in set(numbers) if n not in self.by_number]
        if not ids and not numbers:
            return
        found = VoipPhone.objects.none()
        if ids:
            found = found | VoipPhone.objects.filter(column_any(VoipPhone, "id", ids, "bigint"))
        if numbers:
            found = found | VoipPhone.objects.filter(number__number__in=values_in(
                numbers, "bigint"))
        rows = list(found.values_list("pk", "customer_id", "number__number", "free_minutes",
                                      "amount_limit", "notify_threshold", "billing_type"))
        loaded = [row[0] for row in rows]
        groups: dict[int, set] = {}
        frees: dict[int, set] = {}
        if loaded:
            through = VoipPhone.free_minute_groups.through
            for phone_id, code in through.objects.filter(
                    column_any(through, "voipphone", loaded, "bigint")).values_list(
                    "voipphone_id", "billinggroup__code"):
                groups.setdefault(phone_id, set()).add(code)
            for phone_id, number in FreeNumber.objects.filter(
                    column_any(FreeNumber, "phone", loaded, "bigint")).values_list(
                    "phone_id", "number"):
                frees.setdefault(phone_id, set()).add(number)
        for pk, customer_id, number, minutes, limit, threshold, billing_type in rows:
            phone = _Phone(pk, customer_id, number, minutes, limit, threshold,
                           groups.get(pk, ()), frees.get(pk, ()), billing_type)
            self.by_id[pk] = self.by_number[number] = phone
        for i in ids:
            self.by_id.setdefault(i, None)
        for n in numbers:
            self.by_number.setdefault(n, None)


class _Slot:
    """A usage row of a phone's period, locked for this batch, and its running state."""

    __slots__ = ("id", "free_seconds", "usage")

    def __init__(self, pk, free_seconds, usage):
        self.id, self.free_seconds, self.usage = pk, free_seconds, usage


def _rate(run: _Run, cdrs: list[Cdr]) -> ImportResult:
    """``calls_rate`` of one batch (the import state locked, not moved)."""
    from .services import phone_block_set

    tenant = run.tenant
    result = ImportResult(read=len(cdrs))
    with transaction.atomic():
        _state_lock(tenant)  # two imports of the tenant wait for each other
        fresh = {cdr.unique_id: cdr for cdr in _not_rated(run, cdrs)}
        result.already = len(cdrs) - len(fresh)
        phones = _phones_of(run, fresh.values())
        tz = timezone.get_current_timezone()
        todo, keys = [], set()
        latest = timezone.now() + AHEAD
        for cdr in sorted(fresh.values(), key=_started):
            destination = destination_digits(cdr.destination)
            if not in_range(cdr, latest) or not destination_possible(destination):
                result.out_of_range.append(cdr.unique_id)
                continue
            phone = phones.get(cdr.unique_id)
            if phone is None:
                result.unknown_phone.append(cdr.unique_id)
                continue
            day = cdr.start.astimezone(tz).date()
            period = day.replace(day=1)
            keys.add((phone.pk, period))
            todo.append((cdr, phone, day, period, destination))
        balances, gone = _phones_lock({t[1].pk: t[1] for t in todo})
        if gone:  # removed since the run met them: not rated here
            result.unknown_phone += [t[0].unique_id for t in todo if t[1].pk in gone]
            todo = [t for t in todo if t[1].pk not in gone]
            keys = {k for k in keys if k[0] not in gone}
        slots = _usages_lock(tenant, keys, run.by_id)
        calls, crossed = [], []
        current = timezone.localdate().replace(day=1)
        now = timezone.now()
        if run.json:  # one value for the batch: written as text once, not dumped per row
            now = now.isoformat()
        rate, on_day, explanation = rating.rate, run.on_day, run.explanation
        amount, tenant_id = result.amount, tenant.pk
        for cdr, phone, day, period, destination in todo:
            usage = slots[phone.pk, period].usage
            rated = rate(destination=destination, seconds=cdr.seconds,
                         prices=on_day.get(day) or run.prices_on(day),
                         allowance=phone.allowance, usage=usage,
                         balance=balances.get(phone.pk) if phone.prepaid else None)
            rule = rated.rule
            if rule is None:
                if rated.reason == "no_rule":
                    result.no_rule += 1
                else:  # a short number: an extension, an emergency number
                    result.internal += 1
            amount += rated.amount
            # Over the limit in the period now under way: blocked; the threshold reached:
            # announced (a late CDR of a period gone by says so in its usage only).
            if rated.limit_reached and period == current and phone.pk not in result.blocked:
                result.blocked.append(phone.pk)
            if rated.threshold_crossed and period == current:
                crossed.append((phone, usage.amount))
            if rated.balance_exhausted:
                result.exhausted.append(phone.pk)
            calls.append((tenant_id, phone.pk, phone.customer_id, cdr.unique_id,
                          cdr.caller[:20], destination, cdr.start, max(cdr.seconds, 0),
                          rated.billed_seconds, rated.free_seconds, rated.amount,
                          rated.reason, period, rule.id if rule is not None else None,
                          explanation(rule), None, phone.prepaid, now))
        result.amount = amount
        result.rated = len(calls)
        rows_copy(Call, CALL_COLUMNS, calls)
        # a recording that came before its call was rated is linked to it now
        recordings_link(unique_ids=[row[3] for row in calls])
        _usages_store(slots.values())
        _balances_store(balances)
        for phone_id in sorted(set(result.blocked)):
            phone_block_set(actor=None, phone=VoipPhone(pk=phone_id), limit=True)
        for phone_id in sorted(set(result.exhausted)):
            phone_block_set(actor=None, phone=VoipPhone(pk=phone_id), prepaid=True)
        for phone, total in crossed:
            publish("voip.threshold_crossed", phone_id=phone.pk, customer_id=phone.customer_id,
                    number=str(phone.number), amount=str(total),
                    threshold=str(phone.notify_threshold))
    return result


def _state_advance(state: CdrImportState, last_end: datetime.datetime) -> None:
    """Where the next import starts moved to ``last_end`` — never past now: a CDR ending
    ahead (an exchange's clock) is rated, but the calls that end until then are still
    read."""
    last_end = min(last_end, timezone.now())
    if state.last_end is None or last_end > state.last_end:
        state.last_end = last_end
        state.save(update_fields=["last_end", "updated_at"])


CALL_COLUMNS = ["tenant", "phone", "customer", "unique_id", "caller", "destination",
                "started_at", "seconds", "billed_seconds", "free_seconds", "amount", "reason",
                "period", "rule", "priced_by", "invoice", "prepaid", "created_at"]


def _started(cdr: Cdr):
    return cdr.start, cdr.unique_id


def _state_lock(tenant) -> CdrImportState:
    CdrImportState.objects.get_or_create(tenant=tenant)
    return CdrImportState.objects.select_for_update().get()


def _sequence_keys(cdrs: list[Cdr]) -> list[Cdr]:
    """``cdrs`` keyed as calls, the same whatever else is read with them: a CDR with its
    sequence (Asterisk 12 and later: one channel may write several CDRs — a failed Dial,
    then the answered one — sharing the unique id) is ``uniqueid~sequence`` (cut to fit);
    one without (Master.csv's default layout) is the unique id. The same CDR rated under
    the other key is found again by ``_not_rated``."""
    keyed = []
    for cdr in cdrs:
        if cdr.sequence is not None:
            mark = f"{SEQUENCE_MARK}{cdr.sequence}"
            cdr = replace(cdr, unique_id=cdr.unique_id[:UNIQUE_ID_MAX - len(mark)] + mark)
        keyed.append(cdr)
    return keyed


def _bare(unique_id: str) -> str:
    return unique_id.split(SEQUENCE_MARK, 1)[0]


def _sequenced(key: str) -> bool:
    """A call's key ending in a CDR's sequence (``uniqueid~41``), not a bare unique id nor
    a bare one told apart by its start (``uniqueid~t…``)."""
    _, mark, suffix = key.partition(SEQUENCE_MARK)
    return bool(mark) and suffix.lstrip("-").isdigit()


def _started_key(cdr: Cdr) -> str:
    """The key of a CDR without its sequence whose unique id another call of the tenant
    holds (a channel's later CDR in a Master.csv of the default layout): told apart by its
    start and answered seconds, never a sequence's key."""
    start = cdr.start.timestamp()
    mark = f"{SEQUENCE_MARK}t{int(start)}"
    if start != int(start):
        mark += f"{cdr.start.microsecond:06d}"
    mark += f"s{max(cdr.seconds, 0)}"
    return cdr.unique_id[:UNIQUE_ID_MAX - len(mark)] + mark


def _instant(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` in UTC: a CDR's start (the exchange's zone) and a call's (the database's)
    compared as instants — in the hour the clocks go back Python never finds two moments
    of different zones equal."""
    return moment.astimezone(datetime.UTC)


def _customers_at(customers, starts):
    """Calls of these customers started at these moments (their ``customer, started_at``
    index), the starts of a whole file as one parameter."""
    customers, starts = sorted(customers), sorted(starts)
    if connection.vendor != "postgresql":
        return Q(customer_id__in=customers, started_at__in=starts)
    column = connection.ops.quote_name(Call._meta.db_table) + ".started_at"
    return Q(column_any(Call, "customer", customers, "bigint"),
             RawSQL(f"{column} = ANY(%s::timestamptz[])", [starts],  # noqa: S611
                    output_field=BooleanField()))


def _not_rated(run: _Run, cdrs: list[Cdr]) -> list[Cdr]:
    """The CDRs of ``cdrs`` not rated before, each once, keyed as its call — the one place
    that decides whether a CDR is rated already, for the import and for files alike.

    A CDR is one of the tenant's calls (or of the CDRs before it in ``cdrs``) when that
    call has its key, or — where one of the two lacks the sequence — the same unique id
    (the call's key without its ``~…``) and the same start and answered seconds: the same
    CDR rated before the sequence was read, from a Master.csv without it, or read with it
    after such a file. A channel's CDRs (a transfer, a failed Dial and the answered one)
    share the unique id and differ in their start or seconds, so a CDR without its sequence
    is the one call of them it matches, not every one. One without its sequence whose
    unique id another call holds is keyed ``uniqueid~t<start>s<seconds>``.

    Queries: one (the calls of these keys and unique ids, and — for CDRs without a
    sequence — the calls of their phones' customers at their starts); a second only where
    a channel read with its sequences has a call keyed by its bare unique id (a file
    without the sequence came first: the channel's other calls of that file, found by
    customer and start). Also the phones of CDRs without a sequence not met yet by the
    run (which the rating reads anyway)."""
    if not cdrs:
        return []
    bare = [cdr for cdr in cdrs if cdr.sequence is None]
    # a CDR without its sequence may be stored under its start's key (its phone's customer
    # since changed, or none): looked up by that key too
    keys = ({cdr.unique_id for cdr in cdrs} | {_bare(cdr.unique_id) for cdr in cdrs}
            | {_started_key(cdr) for cdr in bare})
    found = Q(column_any(Call, "unique_id", sorted(keys)))
    if bare:  # a channel's calls keyed with their sequences: found by customer and start
        customers = {phone.customer_id for phone in _phones_of(run, bare).values()}
        if customers:
            found |= _customers_at(customers, {cdr.start for cdr in bare})
    taken: set[str] = set()
    # unique id → the (start, seconds) of its calls: those without a sequence (what a CDR
    # with one may be); every one (what a CDR without one may be)
    unsequenced: dict[str, set] = {}
    every: dict[str, set] = {}

    def known(calls) -> dict[str, int]:
        """The calls taken in; returns the customers of those keyed by a bare unique id."""
        customers = {}
        for key, start, seconds, customer_id in calls.values_list(
                "unique_id", "started_at", "seconds", "customer_id"):
            if key in taken:
                continue
            taken.add(key)
            unique_id = _bare(key)
            if key == unique_id:
                customers[key] = customer_id
            same = (_instant(start), seconds)
            if not _sequenced(key):
                unsequenced.setdefault(unique_id, set()).add(same)
            every.setdefault(unique_id, set()).add(same)
        return customers

    customers = known(Call.objects.filter(found))
    if customers:  # the channel's calls told apart by their start (a file came first)
        later = [cdr for cdr in cdrs if cdr.sequence is not None
                 and customers.get(_bare(cdr.unique_id)) is not None]
        if later:
            known(Call.objects.filter(_customers_at(
                {customers[_bare(cdr.unique_id)] for cdr in later},
                {cdr.start for cdr in later})))
    fresh = []
    for cdr in cdrs:
        key, same = cdr.unique_id, (_instant(cdr.start), max(cdr.seconds, 0))
        if cdr.sequence is not None:
            if key in taken or (unsequenced and same in unsequenced.get(_bare(key), ())):
                continue
            if bare:
                every.setdefault(_bare(key), set()).add(same)
        else:
            if same in every.get(key, ()):
                continue
            if key in taken:  # the channel's other CDR holds the unique id
                cdr = replace(cdr, unique_id=_started_key(cdr))
                if cdr.unique_id in taken:  # cut to fit, another unique id's: left out
                    continue
            unsequenced.setdefault(key, set()).add(same)
            every.setdefault(key, set()).add(same)
        taken.add(cdr.unique_id)
        fresh.append(cdr)
    return fresh


def _phones_of(run: _Run, cdrs) -> dict[str, _Phone]:
    """unique id → phone (with its allowance), by account code, else the caller's number."""
    prefix, cut = run.code_prefix, len(run.code_prefix)
    by_code, by_number = {}, {}
    for cdr in cdrs:
        code = cdr.accountcode or ""
        if code.startswith(prefix) and code[cut:].isdigit() \
                and len(code[cut:]) <= PHONE_ID_MAX_DIGITS:
            by_code[cdr.unique_id] = int(code[cut:])
        # a caller's number longer than E.164's is no phone's (nor a bigint)
        elif (caller := destination_digits(cdr.caller)).isdigit() \
                and len(caller) <= NUMBER_MAX_DIGITS:
            by_number[cdr.unique_id] = int(caller)
    run.phones_load(by_code.values(), by_number.values())
    out = {}
    for unique_id, phone_id in by_code.items():
        if (phone := run.by_id[phone_id]) is not None:
            out[unique_id] = phone
    for unique_id, number in by_number.items():
        if (phone := run.by_number[number]) is not None:
            out[unique_id] = phone
    return out


def _usages_lock(tenant, keys, phones: dict) -> dict[tuple[int, datetime.date], _Slot]:
    """The usage rows of these (phone, period) pairs, made where missing and locked (in
    the order of phone and period)."""
    if not keys:
        return {}
    keys = sorted(keys)
    phone_ids = [k[0] for k in keys]
    periods = [k[1] for k in keys]
    if connection.vendor == "postgresql":
        table = PhoneUsage._meta.db_table
        ids_sql, ids = array_param(phone_ids, "bigint")
        days = ",".join(p.isoformat() for p in periods)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (tenant_id, phone_id, period, free_seconds_used, "  # noqa: S608
                "amount, limit_reached, threshold_reached) "
                f"SELECT %s, p, d, 0, 0, false, false FROM unnest({ids_sql}, "
                "string_to_array(%s, ',')::date[]) AS t(p, d) "
                "ON CONFLICT (phone_id, period) DO NOTHING", [tenant.pk, *ids, days])
            cursor.execute(
                f"SELECT u.id, u.phone_id, u.period, u.free_seconds_used, u.amount, "  # noqa: S608
                f"u.limit_reached, u.threshold_reached FROM {table} u "
                f"JOIN unnest({ids_sql}, string_to_array(%s, ',')::date[]) AS t(p, d) "
                "ON u.phone_id = t.p AND u.period = t.d "
                "ORDER BY u.phone_id, u.period FOR UPDATE OF u", [*ids, days])
            rows = cursor.fetchall()
    else:
        rows = []
        for phone_id, period in keys:
            PhoneUsage.objects.get_or_create(phone_id=phone_id, period=period)
            u = PhoneUsage.objects.select_for_update().get(phone_id=phone_id, period=period)
            rows.append((u.pk, phone_id, period, u.free_seconds_used, u.amount,
                         u.limit_reached, u.threshold_reached))
    slots = {}
    for pk, phone_id, period, used, amount, limit, threshold in rows:
        free = phones[phone_id].free_seconds
        slots[phone_id, period] = _Slot(pk, free, rating.Usage(
            free_seconds_left=max(free - used, 0), amount=amount, limit_reached=limit,
            threshold_reached=threshold))
    return slots


def _usages_store(slots) -> None:
    """The batch's usage rows written back, one statement."""
    slots = list(slots)
    if not slots:
        return
    if connection.vendor != "postgresql":
        for s in slots:
            PhoneUsage.objects.filter(pk=s.id).update(
                free_seconds_used=s.free_seconds - s.usage.free_seconds_left,
                amount=s.usage.amount, limit_reached=s.usage.limit_reached,
                threshold_reached=s.usage.threshold_reached)
        return
    values = [",".join(str(s.id) for s in slots),
              ",".join(str(s.free_seconds - s.usage.free_seconds_left) for s in slots),
              ",".join(str(s.usage.amount) for s in slots),
              ",".join("t" if s.usage.limit_reached else "f" for s in slots),
              ",".join("t" if s.usage.threshold_reached else "f" for s in slots)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {PhoneUsage._meta.db_table} u SET free_seconds_used = t.f, "  # noqa: S608
            "amount = t.a, limit_reached = t.l, threshold_reached = t.r "
            "FROM unnest(string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::int[], "
            "string_to_array(%s, ',')::numeric[], string_to_array(%s, ',')::bool[], "
            "string_to_array(%s, ',')::bool[]) AS t(id, f, a, l, r) WHERE u.id = t.id", values)


def _phones_lock(phones: dict[int, "_Phone"]) -> tuple[dict[int, rating.Balance], set[int]]:
    """The batch's phones locked in primary-key order — before their usage rows, as
    ``services.phone_update`` and ``phone_remove`` lock a phone, then its usage — and what
    staff may have changed since the run first read them taken from the locked rows (the
    billing type, the limit and threshold, a prepaid balance). Returns the prepaid phones'
    balances and the ids of phones no longer there."""
    if not phones:
        return {}, set()
    rows = (VoipPhone.objects.filter(column_any(VoipPhone, "id", sorted(phones), "bigint"))
            .select_for_update().order_by("pk")
            .values_list("pk", "billing_type", "prepaid_balance", "blocked_prepaid",
                         "amount_limit", "notify_threshold"))
    balances, found, vat_rate = {}, set(), None
    for pk, billing_type, balance, blocked, limit, threshold in rows:
        found.add(pk)
        phone = phones[pk]
        phone.prepaid = billing_type == VoipPhone.BillingType.PREPAID
        phone.notify_threshold = threshold
        if (limit, threshold) != (phone.allowance.amount_limit,
                                  phone.allowance.notify_threshold):
            phone.allowance = replace(phone.allowance, amount_limit=limit,
                                      notify_threshold=threshold)
        if phone.prepaid:  # its calls come off gross: the calls' VAT rate, read once
            vat_rate = vat_rate or setting_get("voip.vat_rate")
            balances[pk] = rating.Balance(left=balance, exhausted=blocked, vat_rate=vat_rate)
    return balances, set(phones) - found


def _balances_store(balances: dict[int, rating.Balance]) -> None:
    """The batch's prepaid balances written back, one statement."""
    if not balances:
        return
    if connection.vendor != "postgresql":
        for pk, balance in balances.items():
            VoipPhone.objects.filter(pk=pk).update(prepaid_balance=balance.left)
        return
    values = [",".join(str(pk) for pk in balances),
              ",".join(str(b.left) for b in balances.values())]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {VoipPhone._meta.db_table} p SET prepaid_balance = t.b "  # noqa: S608
            "FROM unnest(string_to_array(%s, ',')::bigint[], "
            "string_to_array(%s, ',')::numeric[]) AS t(id, b) WHERE p.id = t.id", values)


def _price_lists() -> list[tuple[datetime.date, rating.PriceList]]:
    lists = {pl.pk: (pl.valid_from, []) for pl in PriceList.objects.all()}
    for rule in PriceRule.objects.select_related("billing_group"):
        lists[rule.price_list_id][1].append(rating.Rule(
            rule.pk, rule.prefix, rule.billing_group.code, rule.price_per_minute,
            rule.first_increment, rule.next_increment, rule.connection_fee))
    return sorted(((valid, rating.PriceList(rules)) for valid, rules in lists.values()),
                  key=lambda item: item[0], reverse=True)


_NONE = rating.PriceList([])


def _explained(rule: rating.Rule | None) -> dict:
    if rule is None:
        return {}
    return {"prefix": rule.prefix, "group": rule.group,
            "price_per_minute": str(rule.price_per_minute),
            "increments": f"{rule.first_increment}/{rule.next_increment}",
            "connection_fee": str(rule.connection_fee)}


# --------------------------------------------------------------------------- sources

def cdr_import_asterisk(*, tenant) -> ImportResult:
    """The tenant's new CDRs from Asterisk's ``cdr`` table since the last import (looking
    back ``LOOK_BACK`` for late ones), rated in batches."""
    if not enabled():
        return ImportResult()
    total = ImportResult()
    state = CdrImportState.objects.filter().first()
    since = (state.last_end - LOOK_BACK) if state and state.last_end else None
    run, last_end = _Run(tenant), None
    for batch in _asterisk_batches(tenant, since):
        batch = _sequence_keys(batch)
        result = _rate(run, batch)
        for name in ("read", "rated", "already", "no_rule", "internal", "amount"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
        total.unknown_phone += result.unknown_phone
        total.out_of_range += result.out_of_range
        total.blocked += result.blocked
        total.exhausted += result.exhausted
        latest = timezone.now() + AHEAD
        ends = [c.end for c in batch if in_range(c, latest)]
        if ends:
            last_end = max(ends) if last_end is None else max(last_end, *ends)
    if last_end is not None:  # every batch rated: the next import starts from here
        with transaction.atomic():
            _state_advance(_state_lock(tenant), last_end)
    return total


def _asterisk_batches(tenant, since):
    """The CDRs phone by phone in the order they started, ``BATCH`` at a time: a phone's
    usage row is then locked and written in one batch or two, not in every one. From one
    query: ``cdr`` has no index of Asterisk's making, so a query per batch would read the
    table each time; a server-side cursor reads it once (the CDRs written meanwhile are
    the next import's, which looks back)."""
    tz = timezone.get_current_timezone()
    with connections[ALIAS].chunked_cursor() as cursor:
        cursor.execute(
            'SELECT uniqueid, accountcode, src, dst, start, "end", billsec, sequence FROM cdr '
            'WHERE accountcode LIKE %s AND "end" IS NOT NULL '
            'AND (%s::timestamp IS NULL OR "end" >= %s) '
            "ORDER BY accountcode, start, uniqueid, sequence",
            [f"abonent-{tenant.pk}-%", _naive(since), _naive(since)])
        while rows := cursor.fetchmany(BATCH):
            # Asterisk's times are local and naive: made aware as ``timezone.make_aware``
            # does, without its checks per value.
            yield [Cdr(r[0], r[1] or "", r[2] or "", r[3] or "", r[4].replace(tzinfo=tz),
                       r[5].replace(tzinfo=tz), r[6] or 0, r[7])
                   for r in rows if r[0] and r[4]]


def _naive(moment):
    return None if moment is None else timezone.make_naive(moment)


def _aware(value):
    if value is None:
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class CdrFileError(ValueError):
    pass


def cdr_file_parse(data: bytes) -> list[Cdr]:
    """A CDR file in Asterisk's Master.csv layout (with cdr_csv's ``newcdrcolumns``, the
    CDRs of one channel told apart by their sequence; without, by their start and
    answered seconds); a line that is not one is refused with its number
    (nothing of the file is rated then)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CdrFileError(_("The file is not UTF-8 text.")) from None
    cdrs, rows = [], csv.reader(io.StringIO(text))
    number = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as error:  # a field past csv's limit, a stray NUL …
            raise CdrFileError(_("line %(n)s: not CSV (%(e)s).")
                               % {"n": rows.line_num, "e": error}) from None
        number = rows.line_num
        if not row:
            continue
        if len(row) < len(MASTER_CSV) - 1:
            raise CdrFileError(_("line %(n)s: %(c)s columns, not Master.csv's %(m)s.")
                               % {"n": number, "c": len(row), "m": len(MASTER_CSV)})
        values = dict(zip(MASTER_CSV + MASTER_CSV_NEW, row, strict=False))
        try:
            start = datetime.datetime.fromisoformat(values["start"])
            end = datetime.datetime.fromisoformat(values["end"]) if values["end"] else None
            seconds = int(values["billsec"])
        except ValueError:
            raise CdrFileError(_("line %(n)s: a date or a billsec that is not one.")
                               % {"n": number}) from None
        sequence = (values.get("sequence") or "").strip() or None
        if sequence is not None:
            try:
                sequence = int(sequence)
            except ValueError:
                sequence = None
            if sequence is None or not -2**31 <= sequence < 2**31:  # an int of Asterisk
                raise CdrFileError(_("line %(n)s: a sequence (the 21st column) that is not "
                                     "a number.") % {"n": number})
        if not values["uniqueid"] or not 0 <= seconds <= MAX_SECONDS \
                or not 1970 <= start.year <= 2100:
            raise CdrFileError(_("line %(n)s: no unique id, a billsec below 0 or above a day, "
                                 "or a start out of range.") % {"n": number})
        cdrs.append(Cdr(unique_id=values["uniqueid"][:UNIQUE_ID_MAX],
                        accountcode=values["accountcode"], caller=values["src"],
                        destination=values["dst"], start=_aware(start), end=_aware(end),
                        seconds=seconds, sequence=sequence))
    return _sequence_keys(cdrs)
