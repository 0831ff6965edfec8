"""The calls of postpaid phones on the billing run's invoices, and each invoice's call list
("biling szczegółowy").

The billing run (finance.billing) asks this app through ``core.billing_usage``: a
customer's calls of every billing period that has ended by the billing date and is not
billed yet become one invoice line per period and billing group ("Phone calls: Mobile,
11.2026 (12 calls, 34 min)"), at the tenant's VAT rate of calls (``voip.vat_rate``); the
price list's prices are net. Each call billed keeps its invoice (``Call.invoice``): that
is the invoice's call list, as CSV and as pages appended to the invoice's PDF.

Calls rated as prepaid are not invoiced: their gross at the same VAT rate was taken off
the phone's balance (``rating.prepaid_charge``), so a call costs the same either way (but
for the rounding: the invoice rounds the VAT of a line's total, the balance each call's);
a prepaid call keeps its net ``amount`` as every call does. A customer whose calls of a
period cost nothing gets no invoice for them; free calls ride on the customer's paid ones
(they are listed on that invoice's call list).
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.billing_usage import UsageLine, UsageSource
from core.sql import values_in
from core.tenant_settings import setting_get

from .models import BillingGroup, Call

ZERO = Decimal("0")
# The PDF shows at most this many calls; the CSV has them all.
PDF_MAX_CALLS = 2000


@dataclass(frozen=True)
class BilledCalls:
    """An invoice line's key: the calls it bills, exactly those read (a call rated while
    the run works is billed by the next run)."""

    customer_id: int
    period: date
    group: str
    ids: tuple[int, ...]


def _billable(run_date: date):
    """Calls not billed yet, of periods ended before ``run_date``'s month (and before
    today's), rated as postpaid (a prepaid call was taken off the phone's balance; a
    removed phone's calls are still owed)."""
    # A run dated ahead (finance.billing_months_ahead) bills no period still under way.
    ended_before = min(run_date, timezone.localdate()).replace(day=1)
    return Call.objects.filter(invoice__isnull=True, prepaid=False, customer__isnull=False,
                               period__lt=ended_before)


def usage_customers(run_date: date, after: int | None, limit: int) -> list[int]:
    calls = _billable(run_date).filter(amount__gt=0)
    if after is not None:
        calls = calls.filter(customer_id__gt=after)
    return list(calls.order_by("customer_id").values_list("customer_id", flat=True)
                .distinct()[:limit])


def usage_lines(run_date: date, customer_ids: list[int], lock: bool) -> list[UsageLine]:
    calls = _billable(run_date).filter(customer_id__in=values_in(customer_ids, "bigint"))
    if lock:
        # Two runs of the same customers wait on their accounts first; this keeps a
        # correction of a call (or its removal) out while the line is written.
        calls = calls.select_for_update(of=("self",))
    rows = list(calls.order_by("customer_id", "period", "id").values_list(
        "pk", "customer_id", "period", "priced_by__group", "amount", "billed_seconds"))
    groups: dict = defaultdict(lambda: [[], ZERO, 0])  # ids, amount, seconds
    free: dict = defaultdict(list)  # (customer, period) → ids of calls of no group's money
    for pk, customer_id, period, group, amount, seconds in rows:
        group = group or ""
        entry = groups[(customer_id, period, group)]
        entry[0].append(pk)
        entry[1] += amount
        entry[2] += seconds
    for key in [k for k, (_ids, amount, _s) in groups.items() if amount <= 0]:
        free[key[:2]].extend(groups.pop(key)[0])
    names = dict(BillingGroup.objects.values_list("code", "name"))
    rate = setting_get("voip.vat_rate")
    lines, given = [], set()
    for (customer_id, period, group), (ids, amount, seconds) in groups.items():
        if (customer_id, period) not in given:  # the free calls ride on the first line
            ids = ids + free.pop((customer_id, period), [])
            given.add((customer_id, period))
        count = len(ids)
        name = _("Phone calls: %(group)s, %(period)s (%(calls)s, %(minutes)s min)") % {
            "group": names.get(group, group or _("other")),
            "period": period.strftime("%m.%Y"),
            "calls": ngettext("%(n)s call", "%(n)s calls", count) % {"n": count},
            "minutes": (seconds + 59) // 60}
        lines.append(UsageLine(customer_id=customer_id,
                               key=BilledCalls(customer_id, period, group, tuple(ids)),
                               name=name, net=amount, vat_rate=rate, unit="usł."))
    return lines


def usage_billed(keys: dict) -> None:
    """``{BilledCalls: invoice id}``: the calls take their invoice (one statement per
    invoice)."""
    by_invoice = defaultdict(list)
    for key, invoice_id in keys.items():
        by_invoice[invoice_id].extend(key.ids)
    for invoice_id, ids in by_invoice.items():
        Call.objects.filter(pk__in=values_in(ids, "bigint"), invoice__isnull=True) \
            .update(invoice_id=invoice_id)


SOURCE = UsageSource(name="voip.calls", customers=usage_customers, lines=usage_lines,
                     billed=usage_billed)


# --------------------------------------------------------------------------- call list

CSV_HEADER = ("date", "time", "phone", "destination", "answered_s", "billed_s", "free_s",
              "billing_group", "rating", "net")


def invoice_calls(invoice_id: int):
    return (Call.objects.filter(invoice_id=invoice_id)
            .order_by("started_at", "id")
            .values_list("started_at", "caller", "destination", "seconds", "billed_seconds",
                         "free_seconds", "priced_by__group", "reason", "amount"))


def invoice_calls_summary(invoice_id: int) -> dict:
    totals = Call.objects.filter(invoice_id=invoice_id).aggregate(
        count=Count("id"), amount=Sum("amount"), seconds=Sum("billed_seconds"))
    return {"count": totals["count"], "amount": totals["amount"] or ZERO,
            "minutes": ((totals["seconds"] or 0) + 59) // 60}


def _cell(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def invoice_calls_csv(invoice_id: int) -> str:
    """The invoice's call list as CSV (``;``-separated, decimal comma: as Polish
    spreadsheets read it)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for started, caller, destination, seconds, billed, free, group, reason, amount in \
            invoice_calls(invoice_id).iterator(chunk_size=5000):
        local = timezone.localtime(started)
        writer.writerow((local.date().isoformat(), local.strftime("%H:%M:%S"),
                         _cell(caller), _cell(destination), seconds, billed, free,
                         _cell(group or ""), reason, f"{amount:.2f}".replace(".", ",")))
    return out.getvalue()


def invoice_calls_print(document) -> str:
    """The call list as pages appended to the invoice's PDF (core.document_hooks); ""
    for an invoice without calls."""
    if getattr(document, "kind", None) != "invoice":
        return ""
    calls = list(invoice_calls(document.pk)[:PDF_MAX_CALLS + 1])
    if not calls:
        return ""
    summary = invoice_calls_summary(document.pk)
    rows = [{"started": timezone.localtime(started), "caller": caller,
             "destination": destination, "seconds": seconds, "billed": billed,
             "group": group or "", "amount": amount}
            for started, caller, destination, seconds, billed, _free, group, _reason, amount
            in calls[:PDF_MAX_CALLS]]
    return render_to_string("voip/print/call_list.html", {
        "document": document, "rows": rows, "summary": summary,
        "cut": len(calls) > PDF_MAX_CALLS, "max": PDF_MAX_CALLS})
