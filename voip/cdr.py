"""CDRs in, rated calls out: from Asterisk's ``cdr`` table (incrementally) or a CDR file
in Asterisk's Master.csv layout — both through ``calls_rate``.

A call is rated once: the import takes the tenant's ``CdrImportState`` row lock first (two
imports of a tenant wait for each other), skips the unique ids it has, and the database
refuses a second call of the same unique id. A phone's free minutes, amount and flags of
the period are kept in ``PhoneUsage`` and taken in the order the calls started.

Which phone a CDR is: the endpoint's ``accountcode`` (``abonent-<tenant>-<phone>``, which
``voip.asterisk`` writes), else the caller's number among the tenant's phones.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections, transaction
from django.utils import timezone

from core.events import publish

from . import rating
from .asterisk import ALIAS, enabled
from .models import (
    Call,
    CdrImportState,
    FreeNumber,
    PhoneUsage,
    PriceList,
    PriceRule,
    VoipPhone,
)

# Asterisk writes a CDR when the call ends; one written late (a long transaction on the
# exchange) is still found when the next import looks back this far.
LOOK_BACK = datetime.timedelta(hours=1)
BATCH = 20_000
# Master.csv: Asterisk's cdr_csv column order (no header line).
MASTER_CSV = ("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel",
              "lastapp", "lastdata", "start", "answer", "end", "duration", "billsec",
              "disposition", "amaflags", "uniqueid", "userfield")


@dataclass(frozen=True)
class Cdr:
    unique_id: str
    accountcode: str
    caller: str
    destination: str
    start: datetime.datetime
    end: datetime.datetime | None
    seconds: int  # billsec: answered seconds


@dataclass
class ImportResult:
    read: int = 0
    rated: int = 0
    already: int = 0  # rated before (a repeated or concurrent import)
    unknown_phone: list[str] = field(default_factory=list)  # unique ids
    no_rule: int = 0
    amount: Decimal = Decimal("0")
    blocked: list[int] = field(default_factory=list)  # phones over their limit


def destination_digits(dialled: str) -> str:
    """The dialled number as E.164 digits where it is a public number (``+48…``,
    ``0048…``, a 9-digit Polish one); anything else (an extension, ``s``) as dialled."""
    raw = "".join(ch for ch in (dialled or "") if ch not in " -")
    if raw.startswith("+") and raw[1:].isdigit():
        return raw[1:]
    if raw.startswith("00") and raw.isdigit():
        return raw[2:]
    if len(raw) == 9 and raw.isdigit() and raw[0] != "0":
        return "48" + raw
    return raw[:40]


def calls_rate(*, tenant, cdrs: list[Cdr]) -> ImportResult:
    """Rate ``cdrs`` of ``tenant`` (called in its tenant context) and store the calls; a
    phone that reaches its amount limit is blocked, one that reaches its notification
    threshold is announced (``voip.threshold_crossed``). Locks the tenant's import state,
    then the usage rows of the phones concerned."""
    from .services import phone_block_set

    result = ImportResult(read=len(cdrs))
    with transaction.atomic():
        state = _state_lock(tenant)
        known = set(Call.objects.filter(unique_id__in=[c.unique_id for c in cdrs])
                    .values_list("unique_id", flat=True))
        fresh = {}
        for cdr in cdrs:
            if cdr.unique_id in known or cdr.unique_id in fresh:
                result.already += 1
            else:
                fresh[cdr.unique_id] = cdr
        phones = _phones_of(tenant, fresh.values())
        prices = _price_lists()
        usages: dict[tuple[int, datetime.date], tuple[PhoneUsage, rating.Usage]] = {}
        calls, crossed = [], []
        current = timezone.localdate().replace(day=1)
        for cdr in sorted(fresh.values(), key=lambda c: (c.start, c.unique_id)):
            phone = phones.get(cdr.unique_id)
            if phone is None:
                result.unknown_phone.append(cdr.unique_id)
                continue
            started = cdr.start
            period = timezone.localtime(started).date().replace(day=1)
            stored, usage = _usage(usages, phone, period)
            destination = destination_digits(cdr.destination)
            rated = rating.rate(destination=destination, seconds=cdr.seconds,
                                prices=_prices_on(prices, started), allowance=phone.allowance,
                                usage=usage)
            result.rated += 1
            result.no_rule += rated.reason == "no_rule"
            result.amount += rated.amount
            # Over the limit in the period now under way: blocked; the threshold reached:
            # announced (a late CDR of a period gone by says so in its usage only).
            if rated.limit_reached and period == current and phone.pk not in result.blocked:
                result.blocked.append(phone.pk)
            if rated.threshold_crossed and period == current:
                crossed.append((phone, usage.amount))
            calls.append(Call(
                tenant_id=tenant.pk, phone=phone, unique_id=cdr.unique_id,
                caller=cdr.caller[:20], destination=destination, started_at=started,
                seconds=max(cdr.seconds, 0), billed_seconds=rated.billed_seconds,
                free_seconds=rated.free_seconds, amount=rated.amount, reason=rated.reason,
                period=period, rule_id=rated.rule.id if rated.rule else None,
                priced_by=_explained(rated.rule)))
        Call.objects.bulk_create(calls, batch_size=5000)
        for stored, usage in usages.values():
            stored.free_seconds_used = stored.phone.free_minutes * 60 - usage.free_seconds_left
            stored.amount = usage.amount
            stored.limit_reached = usage.limit_reached
            stored.threshold_reached = usage.threshold_reached
        PhoneUsage.objects.bulk_update([s for s, _u in usages.values()],
                                       ["free_seconds_used", "amount", "limit_reached",
                                        "threshold_reached"])
        for phone_id in sorted(set(result.blocked)):
            phone_block_set(actor=None, phone=VoipPhone(pk=phone_id), limit=True)
        for phone, amount in crossed:
            publish("voip.threshold_crossed", phone_id=phone.pk, customer_id=phone.customer_id,
                    number=str(phone.number.number), amount=str(amount),
                    threshold=str(phone.notify_threshold))
        ends = [c.end for c in cdrs if c.end is not None]
        if ends and (state.last_end is None or max(ends) > state.last_end):
            state.last_end = max(ends)
            state.save(update_fields=["last_end", "updated_at"])
    return result


def _state_lock(tenant) -> CdrImportState:
    CdrImportState.objects.get_or_create(tenant=tenant)
    return CdrImportState.objects.select_for_update().get()


def _phones_of(tenant, cdrs) -> dict[str, VoipPhone]:
    """unique id → phone (with its allowance), by account code, else the caller's number."""
    prefix = f"abonent-{tenant.pk}-"
    by_code, by_number = {}, {}
    for cdr in cdrs:
        code = cdr.accountcode or ""
        if code.startswith(prefix) and code[len(prefix):].isdigit():
            by_code[cdr.unique_id] = int(code[len(prefix):])
        elif (caller := destination_digits(cdr.caller)).isdigit():
            by_number[cdr.unique_id] = int(caller)
    phones = {p.pk: p for p in VoipPhone.objects.select_related("number").filter(
        pk__in=set(by_code.values())) | VoipPhone.objects.select_related("number").filter(
        number__number__in=set(by_number.values()))}
    numbers = {p.number.number: p for p in phones.values()}
    groups: dict[int, set] = {}
    for phone_id, code in VoipPhone.free_minute_groups.through.objects.filter(
            voipphone_id__in=list(phones)).values_list("voipphone_id", "billinggroup__code"):
        groups.setdefault(phone_id, set()).add(code)
    frees: dict[int, set] = {}
    for phone_id, number in FreeNumber.objects.filter(phone_id__in=list(phones)) \
            .values_list("phone_id", "number"):
        frees.setdefault(phone_id, set()).add(number)
    for phone in phones.values():
        phone.allowance = rating.Allowance(
            free_seconds=phone.free_minutes * 60,
            free_groups=frozenset(groups.get(phone.pk, ())),
            free_numbers=frozenset(frees.get(phone.pk, ())),
            amount_limit=phone.amount_limit, notify_threshold=phone.notify_threshold)
    out = {}
    for unique_id, phone_id in by_code.items():
        if phone_id in phones:
            out[unique_id] = phones[phone_id]
    for unique_id, number in by_number.items():
        if number in numbers:
            out[unique_id] = numbers[number]
    return out


def _usage(usages, phone, period):
    key = (phone.pk, period)
    if key not in usages:
        PhoneUsage.objects.get_or_create(phone=phone, period=period)
        stored = PhoneUsage.objects.select_for_update().get(phone=phone, period=period)
        stored.phone = phone
        usages[key] = (stored, rating.Usage(
            free_seconds_left=max(phone.free_minutes * 60 - stored.free_seconds_used, 0),
            amount=stored.amount, limit_reached=stored.limit_reached,
            threshold_reached=stored.threshold_reached))
    return usages[key]


def _price_lists() -> list[tuple[datetime.date, rating.PriceList]]:
    lists = {pl.pk: (pl.valid_from, []) for pl in PriceList.objects.all()}
    for rule in PriceRule.objects.select_related("billing_group"):
        lists[rule.price_list_id][1].append(rating.Rule(
            rule.pk, rule.prefix, rule.billing_group.code, rule.price_per_minute,
            rule.first_increment, rule.next_increment, rule.connection_fee))
    return sorted(((valid, rating.PriceList(rules)) for valid, rules in lists.values()),
                  key=lambda item: item[0], reverse=True)


_NONE = rating.PriceList([])


def _prices_on(lists, started: datetime.datetime) -> rating.PriceList:
    day = timezone.localtime(started).date()
    for valid_from, prices in lists:
        if valid_from <= day:
            return prices
    return _NONE


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
    for batch in _asterisk_batches(tenant, since):
        result = calls_rate(tenant=tenant, cdrs=batch)
        for name in ("read", "rated", "already", "no_rule", "amount"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
        total.unknown_phone += result.unknown_phone
        total.blocked += result.blocked
    return total


def _asterisk_batches(tenant, since):
    code = f"abonent-{tenant.pk}-%"
    after = (datetime.datetime.min, "")
    while True:
        with connections[ALIAS].cursor() as cursor:
            cursor.execute(
                'SELECT uniqueid, accountcode, src, dst, start, "end", billsec FROM cdr '
                "WHERE accountcode LIKE %s AND (%s::timestamp IS NULL OR \"end\" >= %s) "
                'AND ("end", uniqueid) > (%s, %s) ORDER BY "end", uniqueid LIMIT %s',
                [code, _naive(since), _naive(since), after[0], after[1], BATCH])
            rows = cursor.fetchall()
        if not rows:
            return
        after = (rows[-1][5], rows[-1][0])
        yield [Cdr(unique_id=r[0], accountcode=r[1] or "", caller=r[2] or "",
                   destination=r[3] or "", start=_aware(r[4]), end=_aware(r[5]),
                   seconds=r[6] or 0) for r in rows if r[0] and r[4]]


def _naive(moment):
    return None if moment is None else timezone.make_naive(moment)


def _aware(value):
    if value is None:
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class CdrFileError(ValueError):
    pass


def cdr_file_parse(data: bytes) -> list[Cdr]:
    """A CDR file in Asterisk's Master.csv layout; a line that is not one is refused with
    its number (nothing of the file is rated then)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CdrFileError("the file is not UTF-8 text") from None
    cdrs = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row:
            continue
        if len(row) < len(MASTER_CSV) - 1:
            raise CdrFileError(f"line {number}: {len(row)} columns, not Master.csv's "
                               f"{len(MASTER_CSV)}")
        values = dict(zip(MASTER_CSV, row, strict=False))
        try:
            start = datetime.datetime.fromisoformat(values["start"])
            end = datetime.datetime.fromisoformat(values["end"]) if values["end"] else None
            seconds = int(values["billsec"])
        except ValueError:
            raise CdrFileError(f"line {number}: a date or billsec that is not one") from None
        if not values["uniqueid"] or seconds < 0 or not 1970 <= start.year <= 2100:
            raise CdrFileError(f"line {number}: no unique id, negative billsec or a start "
                               "out of range")
        cdrs.append(Cdr(unique_id=values["uniqueid"][:150], accountcode=values["accountcode"],
                        caller=values["src"], destination=values["dst"], start=_aware(start),
                        end=_aware(end), seconds=seconds))
    return cdrs
