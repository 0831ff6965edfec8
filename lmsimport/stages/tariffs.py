"""Stage "tariffs": LMS tariffs → finance.Tariff, assignments → Subscription (+ Suspension).

LMS's words: ``tariffs.value`` is the gross price per period (the net one when
``flags & TARIFF_FLAG_NET_ACCOUNT``, then in ``netvalue``); ``taxcategory`` 1..13 is the
GTU code; ``period`` 3/4/5 = month/quarter/year (NULL: the assignment says);
``assignments.pdiscount`` is a percentage, ``vdiscount`` an amount off the gross price;
``at`` is the day of the month LMS charges; ``suspended`` stops the charges until resumed.

The rules are finance's: a tariff is checked by ``finance.billing.tariff_clean`` and a
discount by ``discount_clean``, only written set-based. Abonent keeps a discount in percent:
an amount is turned into the percentage that gives LMS's gross (a grosz that cannot be
reproduced is a report line). The last period LMS invoiced for an assignment (its last
invoice line of that tariff) becomes ``billed_until``, so Abonent's first billing run
starts with the next period: nothing skipped, nothing twice.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from finance.billing import discount_clean, period_bounds, subscription_start_check, tariff_clean
from finance.models import Subscription, Suspension, Tariff
from finance.money import (
    VAT_RATES,
    gross_unit_price,
    round_grosz,
    vat_summary,
)

from ..runner import digest, lms_ahead, lms_answer, map_forget, map_get, map_load, map_save

WARSAW = ZoneInfo("Europe/Warsaw")
PERIOD = {3: Tariff.Period.MONTHLY, 4: Tariff.Period.QUARTERLY, 5: Tariff.Period.YEARLY}
TARIFF_FLAG_NET_ACCOUNT = 16
DOC_INVOICE = 1
BATCH = 5000
SUSPENDED_UNTIL = date.max  # LMS's suspension has no end: until staff resume it
TARIFF_FIELDS = ("name", "net_price", "gross_price", "vat_rate", "period", "billing", "gtu",
                 "download_kbps", "upload_kbps", "is_active")
SUBSCRIPTION_FIELDS = ("customer_id", "tariff_id", "start_date", "end_date", "discount",
                       "note")


# The assignments with the last period LMS invoiced each (a search of its invoices' lines
# per assignment: seconds of LMS's time at 100,000 customers, asked at the run's start).
ASSIGNMENTS = (
    "SELECT a.*, b.last_billed, b.invoices FROM assignments a LEFT JOIN LATERAL ("  # noqa: S608
    " SELECT max(d.cdate) AS last_billed, count(DISTINCT d.id) AS invoices"
    " FROM documents d JOIN invoicecontents ic ON ic.docid = d.id"
    f" WHERE d.customerid = a.customerid AND d.type = {DOC_INVOICE}"
    " AND ic.tariffid = a.tariffid"
    " AND d.cdate >= a.datefrom AND (a.dateto = 0 OR d.cdate <= a.dateto)) b ON true"
    " ORDER BY a.id")


def prepare(ctx) -> None:
    """At the run's start: the assignments asked ahead (``runner.lms_ahead``)."""
    lms_ahead(ctx, "assignments", ASSIGNMENTS, [])


def run(ctx) -> None:
    tariffs = _tariffs(ctx)
    last_run = _lms_last_billing(ctx)
    rows = lms_answer(ctx, "assignments", ASSIGNMENTS, [])
    for start in range(0, len(rows), BATCH):
        _assignments(ctx, rows[start:start + BATCH], tariffs, last_run)
        ctx.advance(min(start + BATCH, len(rows)), len(rows))
    _forget_deleted(ctx)


def _day(epoch: int | None) -> date | None:
    return datetime.fromtimestamp(epoch, WARSAW).date() if epoch else None


# --------------------------------------------------------------------------- tariffs

def _vat_rate(row) -> str | None:
    if not row["taxed"]:
        return "zw"
    rate = str(Decimal(row["tax_value"]).normalize())
    return rate if rate in VAT_RATES else None


def tariff_fields(row) -> tuple[dict | None, list[str], Decimal | None]:
    """LMS tariff row → Tariff fields (checked by finance's rules), warnings, and the gross
    price LMS charges; ``None`` fields and the reason as the warning when it cannot be."""
    rate = _vat_rate(row)
    if rate is None:
        return None, [_("VAT rate %(r)s%% is not one Abonent knows")
                      % {"r": row["tax_value"]}], None
    period = PERIOD.get(row["period"]) if row["period"] is not None else Tariff.Period.MONTHLY
    if period is None:
        return None, [_("a billing period Abonent does not have (LMS period %(p)s)")
                      % {"p": row["period"]}], None
    warnings = []
    if row["flags"] & TARIFF_FLAG_NET_ACCOUNT and row["netvalue"] is not None:
        net, gross_price = round_grosz(Decimal(row["netvalue"])), None
        gross = gross_unit_price(net, rate)
    else:  # priced with VAT, as LMS bills it: a gross-priced tariff keeps it to the grosz
        gross = gross_price = round_grosz(Decimal(row["value"]))
        net = None
    try:
        fields = tariff_clean(
            name=(row["name"] or "").strip()[:200], net_price=net, gross_price=gross_price,
            vat_rate=rate,
            period=period, billing=Tariff.Billing.ADVANCE,
            gtu=f"GTU_{row['taxcategory']:02d}" if 1 <= row["taxcategory"] <= 13 else "",
            download_kbps=row["downrate"] or None, upload_kbps=row["uprate"] or None)
    except ValidationError as e:
        return None, [" ".join(e.messages)], None
    fields = {k: fields[k] for k in TARIFF_FIELDS if k in fields}
    fields["is_active"] = not row["disabled"]
    if row["disabled"]:
        warnings.append(_("withdrawn (disabled) in LMS: imported as inactive"))
    return fields, warnings, gross


def _gross(net: Decimal, rate: str) -> Decimal:
    return sum((t.gross for t in vat_summary([(rate, net)]).values()), Decimal("0.00"))


def _free_name(name: str, lms_id: int, taken: dict, own_pk) -> str:
    """Names are unique per tenant, LMS's only with the price: a clash gets the LMS id."""
    owner = taken.get(name.lower())
    if owner is None or owner == own_pk:
        return name
    return f"{name[:186]} (LMS #{lms_id})"


def _tariffs(ctx) -> dict[int, dict]:
    """LMS tariff id → {"tariff": Tariff, "gross": LMS's gross price} of the imported."""
    mapped = map_load("tariff")
    rows = ctx.lms.all("SELECT t.*, x.value AS tax_value, x.taxed FROM tariffs t "
                       "JOIN taxes x ON x.id = t.taxid ORDER BY t.id")
    existing = {t.pk: t for t in Tariff.objects.all()}
    taken = {t.name.lower(): t.pk for t in existing.values()}
    new, changed, maps, result = [], [], [], {}
    for row in rows:
        ctx.report.add("tariff", "read")
        fields, warnings, gross = tariff_fields(row)
        if fields is None:
            ctx.report.problem(lms_id=row["id"], kind="tariff", action="skipped",
                               message="; ".join(warnings))
            continue
        for warning in warnings:
            ctx.report.problem(lms_id=row["id"], kind="tariff", action="flagged",
                               message=warning)
        m = mapped.get(row["id"])
        tariff = existing.get(m.abonent_id) if m else None
        fields["name"] = _free_name(fields["name"], row["id"], taken,
                                    tariff.pk if tariff else None)
        taken[fields["name"].lower()] = tariff.pk if tariff else -row["id"]
        fp = digest(fields)
        if tariff is None:
            tariff = Tariff(tenant=ctx.tenant, **fields)
            new.append((row["id"], tariff, fp))
        elif m.digest != fp:
            for key, value in fields.items():
                setattr(tariff, key, value)
            changed.append(tariff)
            maps.append((row["id"], tariff.pk, fp))
        else:
            ctx.report.add("tariff", "unchanged")
        result[row["id"]] = {"tariff": tariff, "gross": gross}
    Tariff.objects.bulk_update(changed, list(TARIFF_FIELDS))
    Tariff.objects.bulk_create([t for _i, t, _f in new])
    maps += [(lms_id, t.pk, fp) for lms_id, t, fp in new]
    map_save(ctx, "tariff", maps)
    ctx.report.add("tariff", "created", len(new))
    ctx.report.add("tariff", "updated", len(changed))
    return result


def _lms_last_billing(ctx) -> date | None:
    """The day of LMS's last billing (its newest invoice with a tariff's line): periods up
    to it were dealt with by LMS for every assignment, invoiced or not (suspended)."""
    row = ctx.lms.all("SELECT max(d.cdate) AS at FROM documents d JOIN invoicecontents ic "
                      "ON ic.docid = d.id WHERE d.type = %s AND ic.tariffid IS NOT NULL",
                      [DOC_INVOICE])
    return _day(row[0]["at"]) if row else None


# --------------------------------------------------------------------------- assignments

def period_gross(tariff: Tariff, discount: Decimal) -> Decimal:
    """The gross Abonent bills a full period of ``tariff`` with ``discount`` percent off
    (finance's rule: a gross-priced tariff's gross share, else its net share's gross)."""
    if tariff.gross_price is not None:
        return round_grosz(tariff.gross_price * (100 - discount) / 100)
    return _gross(round_grosz(tariff.net_price * (100 - discount) / 100), tariff.vat_rate)


def discount_percent(tariff: Tariff, gross: Decimal, pdiscount, vdiscount
                     ) -> tuple[Decimal, Decimal]:
    """LMS's percentage and/or amount off the gross price → Abonent's percentage (checked
    by finance's ``discount_clean``) and the gross LMS charges per period. Of the percentages
    next to the exact one, the one giving LMS's gross to the grosz is taken."""
    target = round_grosz(gross * (100 - Decimal(pdiscount)) / 100 - Decimal(vdiscount))
    if not vdiscount:
        return discount_clean(pdiscount), target
    if gross <= 0 or target <= 0:
        return discount_clean(100), max(target, Decimal("0.00"))
    exact = discount_clean((1 - target / gross) * 100)
    for step in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5):
        candidate = exact + Decimal(step) / 100
        if Decimal(0) <= candidate <= Decimal(100) and \
                period_gross(tariff, candidate) == target:
            return candidate, target
    return exact, target


def _billed_until(row, period: str, start: date, last_run: date | None) -> date | None:
    """The last day of the last period LMS dealt with: of its last invoice for this
    assignment, else (no invoice: suspended, free) of LMS's last billing."""
    last = _day(row["last_billed"]) or (last_run if last_run and last_run >= start else None)
    if last is None:
        return None
    return period_bounds(period, last)[1]


def assignment_values(row, tariff: dict, customer_id: int, last_run
                      ) -> tuple[dict | None, list[str], dict]:
    """LMS assignment row → Subscription values, warnings, and what else LMS says (the
    billing day, the suspended state, billed_until) for the mapping's data."""
    t = tariff["tariff"]
    warnings = []
    start = _day(row["datefrom"])
    if start is None:
        start = date(2000, 1, 1)
        warnings.append(_("no start date in LMS: starts on %(d)s") % {"d": start})
    end = _day(row["dateto"])
    try:
        subscription_start_check(start)
        if end is not None and end < start:
            raise ValidationError(_("The end is before the start."))
        discount, target = discount_percent(t, tariff["gross"], row["pdiscount"],
                                            row["vdiscount"])
    except ValidationError as e:
        return None, [" ".join(e.messages)], {}
    billed = period_gross(t, discount)
    if billed != target:
        warnings.append(_("LMS charges %(l)s gross a period, Abonent will charge %(a)s")
                        % {"l": target, "a": billed})
    if PERIOD.get(row["period"], t.period) != t.period:
        warnings.append(_("billed every %(p)s like its tariff, not by the assignment's own "
                          "period in LMS") % {"p": t.get_period_display()})
    if not t.is_active:
        warnings.append(_("the tariff %(t)s is withdrawn in LMS: imported, billed as in LMS")
                        % {"t": t.name})
    values = {"customer_id": customer_id, "tariff_id": t.pk, "start_date": start,
              "end_date": end, "discount": discount,
              "note": (row["note"] or "").strip()[:500]}
    extra = {"at": row["at"], "suspended": bool(row["suspended"]),
             "billed_until": _billed_until(row, t.period, start, last_run),
             "invoices": row["invoices"] or 0}
    return values, warnings, extra


def _assignments(ctx, rows, tariffs, last_run) -> None:
    customers = {m.lms_id: m.abonent_id
                 for m in map_get("customer", {r["customerid"] for r in rows})}
    mapped = {m.lms_id: m for m in map_get("assignment", [r["id"] for r in rows])}
    new, changed, maps, suspended = [], [], [], {}
    for row in rows:
        ctx.report.add("assignment", "read")
        reason = _unimportable(row, tariffs, customers)
        values = warnings = None
        if reason is None:
            values, warnings, extra = assignment_values(
                row, tariffs[row["tariffid"]], customers[row["customerid"]], last_run)
            reason = None if values is not None else "; ".join(warnings)
        if reason is not None:
            ctx.report.problem(lms_id=row["id"], kind="assignment", action="skipped",
                               message=reason)
            continue
        ctx.seen.setdefault("assignment", set()).add(row["id"])
        for warning in warnings:
            ctx.report.problem(lms_id=row["id"], kind="assignment", action="flagged",
                               message=warning)
        fp = digest(values, extra)
        data = {"at": extra["at"]}
        m = mapped.get(row["id"])
        if m is None:
            sub = Subscription(tenant=ctx.tenant, billed_until=extra["billed_until"],
                               cycles_billed=extra["invoices"], **values)
            new.append((row["id"], sub, fp, data))
        elif m.digest != fp:
            changed.append((Subscription(pk=m.abonent_id, tenant=ctx.tenant, **values),
                            extra["billed_until"]))
            maps.append((row["id"], m.abonent_id, fp, data))
        else:
            ctx.report.add("assignment", "unchanged")
            continue
        suspended[row["id"]] = extra["suspended"]
    _write(ctx, new, changed)
    maps += [(lms_id, s.pk, fp, data) for lms_id, s, fp, data in new]
    map_save(ctx, "assignment", maps)
    ids = {lms_id: pk for lms_id, pk, _f, _d in maps}
    _suspensions(ctx, {ids[k]: v for k, v in suspended.items()},
                 {pk: lms_id for lms_id, pk in ids.items()})


def _unimportable(row, tariffs, customers) -> str | None:
    if row["tariffid"] is None:
        return _("a charge without a tariff (a liability): not imported by this stage")
    if row["tariffid"] not in tariffs:
        return _("its tariff %(t)s was not imported") % {"t": row["tariffid"]}
    if row["customerid"] not in customers:
        return _("its customer %(c)s was not imported") % {"c": row["customerid"]}
    return None


def _write(ctx, new, changed) -> None:
    """Create and update; ``billed_until`` never moves back (Abonent may have billed past
    what LMS had: going back would bill a period twice)."""
    Subscription.objects.bulk_create([s for _i, s, _f, _d in new], batch_size=5000)
    current = dict(Subscription.objects.filter(pk__in=[s.pk for s, _b in changed])
                   .values_list("pk", "billed_until"))
    for sub, billed in changed:
        have = current.get(sub.pk)
        sub.billed_until = max(d for d in (have, billed) if d) if (have or billed) else None
    Subscription.objects.bulk_update([s for s, _b in changed],
                                     [f.removesuffix("_id") for f in SUBSCRIPTION_FIELDS]
                                     + ["billed_until"], batch_size=5000)
    ctx.report.add("assignment", "created", len(new))
    ctx.report.add("assignment", "updated", len(changed))


def _suspensions(ctx, wanted: dict[int, bool], lms_ids: dict[int, int]) -> None:
    """A suspended LMS assignment has one open suspension from the first unbilled day; one
    resumed in LMS ends on its last billed day (or goes, if nothing of it was billed)."""
    if not wanted:
        return
    subs = {s.pk: s for s in Subscription.objects.filter(pk__in=list(wanted))}
    mapped = {m.lms_id: m for m in map_get("suspension", list(lms_ids.values()))}
    existing = {s.pk: s for s in Suspension.objects.filter(
        pk__in=[m.abonent_id for m in mapped.values()])}
    new, gone, ended = [], [], []
    for sub_id, is_suspended in wanted.items():
        sub, lms_id = subs[sub_id], lms_ids[sub_id]
        m = mapped.get(lms_id)
        current = existing.get(m.abonent_id) if m else None
        first = sub.billed_until + timedelta(days=1) if sub.billed_until else sub.start_date
        if is_suspended and current is None:
            last = sub.end_date or SUSPENDED_UNTIL
            if last >= first:
                new.append((lms_id, Suspension(
                    tenant=ctx.tenant, subscription=sub, date_from=first, date_to=last,
                    reason=_("Suspended in LMS"))))
        elif not is_suspended and current is not None:
            if current.date_from >= first:
                gone.append((lms_id, current))
            else:
                current.date_to = first - timedelta(days=1)
                ended.append(current)
    Suspension.objects.bulk_create([s for _i, s in new])
    Suspension.objects.bulk_update(ended, ["date_to"])
    Suspension.objects.filter(pk__in=[s.pk for _i, s in gone]).delete()
    map_save(ctx, "suspension", [(lms_id, s.pk, "") for lms_id, s in new])
    map_forget("suspension", [lms_id for lms_id, _s in gone]
               + [lms_ids[s.subscription_id] for s in ended])
    ctx.report.add("suspension", "created", len(new))
    ctx.report.add("suspension", "updated", len(ended))
    ctx.report.add("suspension", "deleted", len(gone))


def _forget_deleted(ctx) -> None:
    """An assignment deleted in LMS ends in Abonent with what was billed (its invoices
    stay; the subscription is not billed again)."""
    seen = ctx.seen.get("assignment", set())
    gone = [m for m in map_load("assignment").values() if m.lms_id not in seen]
    ended = 0
    for sub in Subscription.objects.filter(pk__in=[m.abonent_id for m in gone],
                                           end_date__isnull=True):
        sub.end_date = max(sub.billed_until or sub.start_date, sub.start_date)
        sub.save(update_fields=["end_date"])
        ended += 1
    ctx.report.add("assignment", "deleted", ended)
