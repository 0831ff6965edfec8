"""Tariffs, subscriptions, the payment schedule ("preliminarz płatności") and the billing run.

A tariff has a net price per *calendar* period (a month, a quarter, a year) and is billed
in advance (the period is due from its first day) or in arrears (due from the day after
its last day). A subscription puts a tariff on a customer from a start date to an
optional end date, with a discount; suspensions are days that are not billed.

Pro-rata rule (the only place it is computed: ``period_amount``)::

    net = round_grosz(price × (100 − discount) / 100 × billed days / days of the period)

where the billed days are the days of the period inside the subscription (start … end)
and outside its suspensions. A period with no billed day (fully suspended) is recorded
as dealt with, with no invoice; a full period bills exactly the (discounted) price.

The billing run issues, per customer and period, one VAT invoice with a line per
subscription; ``BillingItem`` (unique per subscription and period) makes "nothing twice"
a database fact, and the run locks the customers' accounts before it reads what is due,
so two runs at once issue each invoice once.

Limits of one run (issue 11: a run dated 7143 issued millions of invoices, held every
account lock and never ended):

* the billing date lies in ``billing_date_range`` — from the first day of the month
  ``finance.billing_months_back`` before the current one to the last day of the month
  ``finance.billing_months_ahead`` after it (defaults: last month … next month) —,
  checked by every path that takes a date from a person (``billing_run_start``,
  ``billing_preview``, ``billing_run_resume``, the management command);
* a subscription gets at most ``finance.billing_max_periods`` periods per run, the oldest
  first (a catch-up of many missed periods takes several runs, and the run says so);
* customers are read ``CHUNK`` at a time in id order (keyset, never all at once), each
  batch locked, written and committed on its own, so other ledger writes wait for one
  batch at most;
* one run at a time per tenant (a partial unique index); a run records its progress and
  a heartbeat after each batch, so one that died is seen, and resumed (it continues after
  the last customer done; periods already billed are never billed again) or abandoned;
* an invoice above what one document may carry (``money.DOCUMENT_MAX``, the decision of
  ``services.document_amount_check``) is not issued: its customer gets nothing from the
  run (``_refuse_oversized``), the entry on their history and the run's summary say so,
  and the other customers are billed.
"""

import calendar
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_

from core.actionlog import (
    action_log,
    action_log_bulk,
    money,
    plural_noop,
    sentence,
    staff_of,
)
from core.billing_usage import usage_customers, usage_lines, usage_sources
from core.events import publish
from core.models import ActionLog
from core.numbering import number_block, pattern_validate
from core.sql import ids_reserve, rows_copy, values_in
from core.tenancy import current_tenant
from core.tenant_settings import setting_get
from customers.models import Customer

from .models import (
    BillingItem,
    BillingRun,
    CustomerAccount,
    FinanceDocument,
    InvoiceLine,
    Kind,
    Subscription,
    Suspension,
    Tariff,
)
from .money import (
    DOCUMENT_MAX,
    VAT_RATES,
    document_max_refusal,
    lines_gross_fill,
    net_from_gross,
    round_grosz,
    to_money,
    vat_summary,
)
from .services import allocate_open

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
ONE = Decimal(1)
CHUNK = 2000  # customers per transaction of the billing run (and per read of the preview)
PERIOD_MONTHS = {Tariff.Period.MONTHLY: 1, Tariff.Period.QUARTERLY: 3, Tariff.Period.YEARLY: 12}


# --------------------------------------------------------------------------- periods

def period_bounds(period: str, day: date) -> tuple[date, date]:
    """The calendar period (month, quarter, year) that holds ``day``."""
    months = PERIOD_MONTHS[period]
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    last_month = first_month + months - 1
    end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return start, end


def _days(start: date, end: date) -> int:
    return (end - start).days + 1


def billed_days(subscription: Subscription, start: date, end: date, suspensions) -> int:
    """Days of ``start``…``end`` inside the subscription and outside its suspensions."""
    first = max(start, subscription.start_date)
    last = min(end, subscription.end_date) if subscription.end_date else end
    if last < first:
        return 0
    days = _days(first, last)
    for suspension in suspensions:
        s_first, s_last = max(first, suspension.date_from), min(last, suspension.date_to)
        if s_last >= s_first:
            days -= _days(s_first, s_last)
    return max(days, 0)


def _period_share(price: Decimal, subscription, start: date, end: date, days: int) -> Decimal:
    """``price`` less the subscription's discount, pro rata of ``days`` of the period."""
    if days <= 0:
        return ZERO
    price = price * (Decimal(100) - subscription.discount) / Decimal(100)
    if days == _days(start, end):
        return round_grosz(price)
    return round_grosz(price * days / _days(start, end))


def period_amount(subscription: Subscription, tariff: Tariff, start: date, end: date,
                  days: int) -> Decimal:
    """The net amount of ``days`` billed days of the period ``start``…``end`` (see the
    module docstring for the rule); of a gross-priced tariff, its gross amount's net part."""
    gross = period_gross(subscription, tariff, start, end, days)
    if gross is not None:
        return net_from_gross(gross, tariff.vat_rate)
    return _period_share(tariff.net_price, subscription, start, end, days)


def period_gross(subscription: Subscription, tariff: Tariff, start: date, end: date,
                 days: int) -> Decimal | None:
    """The gross amount of those days of a gross-priced tariff (None: priced net) — the
    same discount and pro-rata rule applied to the price with VAT."""
    if tariff.gross_price is None:
        return None
    return _period_share(tariff.gross_price, subscription, start, end, days)


def _is_due(tariff: Tariff, start: date, end: date, run_date: date) -> bool:
    return start <= run_date if tariff.billing == Tariff.Billing.ADVANCE else end < run_date


# --------------------------------------------------------------------------- tariffs

TARIFF_TEMPLATES = {"contract_template": "contract", "annex_template": "annex",
                    "termination_template": "termination"}
TARIFF_FIELDS = ("name", "net_price", "gross_price", "vat_rate", "period", "billing", "gtu",
                 "download_kbps", "upload_kbps", *TARIFF_TEMPLATES, "termination_fee")


def tariff_clean(*, name, net_price, vat_rate, period, billing, gtu, download_kbps,
                 upload_kbps, gross_price=None, contract_template=None, annex_template=None,
                 termination_template=None, termination_fee=None) -> dict:
    """A tariff's fields checked. ``gross_price`` (a price with VAT) makes the tariff priced
    gross: its ``net_price`` is then the gross's net part, whatever was given."""
    errors = {}
    templates = {"contract_template": contract_template, "annex_template": annex_template,
                 "termination_template": termination_template}
    for key, template in templates.items():
        # "Dokumenty do taryf": the contract template must be a contract's, and so on.
        if template is not None and (template.document_type != TARIFF_TEMPLATES[key]
                                     or template.tenant_id != current_tenant().pk):
            errors[key] = [{"contract_template": _("Choose a contract template."),
                            "annex_template": _("Choose an annex template."),
                            "termination_template": _("Choose a termination template."),
                            }[key]]
    fee = None
    if termination_fee not in (None, ""):
        try:
            fee = to_money(termination_fee)
        except (ArithmeticError, InvalidOperation, ValueError, TypeError):
            errors["termination_fee"] = [_("Enter the termination fee.")]
        else:
            if fee <= 0:
                errors["termination_fee"] = [_("The termination fee must be above zero "
                                               "(leave it empty for none).")]
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("A tariff needs a name.")]
    if vat_rate not in VAT_RATES:
        errors["vat_rate"] = [_("Unknown VAT rate “%(r)s”; use one of %(rates)s.")
                              % {"r": vat_rate, "rates": ", ".join(VAT_RATES)}]
    gross = None
    if gross_price not in (None, ""):
        try:
            gross = to_money(gross_price)
        except (ArithmeticError, InvalidOperation, ValueError, TypeError):
            errors["gross_price"] = [_("Enter the gross price (or leave it empty).")]
        else:
            if gross <= 0:
                errors["gross_price"] = [_("The gross price must be above zero.")]
    if gross is not None and gross > 0 and vat_rate in VAT_RATES:
        price = net_from_gross(gross, vat_rate)
        if price <= 0:
            errors["gross_price"] = [_("The gross price is too small to hold a net part.")]
    elif gross is None:
        try:
            price = to_money(net_price)
        except (ArithmeticError, InvalidOperation, ValueError, TypeError):
            price = None
            errors["net_price"] = [_("Enter the net price.")]
        if price is not None and price <= 0:
            errors["net_price"] = [_("The net price must be above zero.")]
    if period not in Tariff.Period.values:
        errors["period"] = [_("Choose monthly, quarterly or yearly.")]
    if billing not in Tariff.Billing.values:
        errors["billing"] = [_("Choose in advance or in arrears.")]
    for key, value in (("download_kbps", download_kbps), ("upload_kbps", upload_kbps)):
        if value is not None and value <= 0:
            errors[key] = [_("A speed must be above zero.")]
    if errors:
        raise ValidationError(errors)
    return {"name": name, "net_price": price, "gross_price": gross, "vat_rate": vat_rate,
            "period": period,
            "billing": billing, "gtu": (gtu or "").strip().upper(),
            "download_kbps": download_kbps, "upload_kbps": upload_kbps, **templates,
            "termination_fee": fee}


def _tariff_name_free(name: str, exclude_pk=None) -> None:
    if Tariff.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": [_("A tariff named “%(n)s” already exists.")
                                        % {"n": name}]})


def tariff_create(*, actor, name: str, net_price=None, vat_rate: str, gross_price=None,
                  period: str = Tariff.Period.MONTHLY, billing: str = Tariff.Billing.ADVANCE,
                  gtu: str = "", download_kbps: int | None = None,
                  upload_kbps: int | None = None, contract_template=None, annex_template=None,
                  termination_template=None, termination_fee=None) -> Tariff:
    """A new tariff of the active tenant (names are unique per tenant); the templates and
    the termination fee are its documents ("dokumenty do taryf")."""
    data = tariff_clean(name=name, net_price=net_price, gross_price=gross_price,
                        vat_rate=vat_rate, period=period,
                         billing=billing, gtu=gtu, download_kbps=download_kbps,
                         upload_kbps=upload_kbps, contract_template=contract_template,
                         annex_template=annex_template,
                         termination_template=termination_template,
                         termination_fee=termination_fee)
    with transaction.atomic(durable=True):
        _tariff_name_free(data["name"])
        tariff = Tariff.objects.create(**data)
        if tariff.gross_price is None:
            action_log(actor=actor, kind="finance.tariff",
                       message=N_("Tariff %(n)s created: %(p)s net"),
                       params={"n": tariff.name, "p": money(tariff.net_price)})
        else:
            action_log(actor=actor, kind="finance.tariff",
                       message=N_("Tariff %(n)s created: %(p)s gross"),
                       params={"n": tariff.name, "p": money(tariff.gross_price)})
    return tariff


def tariff_update(*, actor, tariff: Tariff, is_active: bool | None = None, **fields) -> Tariff:
    """Change a tariff (``fields`` as in ``tariff_create``; missing ones stay); a new price
    applies to periods billed from now on, never to issued invoices."""
    with transaction.atomic(durable=True):
        tariff = Tariff.objects.select_for_update().get(pk=tariff.pk)
        current = {k: getattr(tariff, k) for k in TARIFF_FIELDS}
        if "net_price" in fields and "gross_price" not in fields:
            current["gross_price"] = None  # a net price typed: the tariff is priced net
        data = tariff_clean(**{**current, **fields})
        _tariff_name_free(data["name"], exclude_pk=tariff.pk)
        if data["period"] != tariff.period and tariff.subscriptions.filter(
                billed_until__isnull=False).exists():
            raise ValidationError({"period": [_("The tariff's subscriptions were already "
                                                "billed: its period cannot change.")]})
        if is_active is not None:
            data["is_active"] = is_active
        changes = {k: [str(getattr(tariff, k)), str(v)] for k, v in data.items()
                   if getattr(tariff, k) != v}
        for key, value in data.items():
            setattr(tariff, key, value)
        tariff.save()
        if "download_kbps" in changes or "upload_kbps" in changes:
            publish("tariff.speeds_changed", tariff_id=tariff.pk, actor_id=_actor_id(actor))
        action_log(actor=actor, kind="finance.tariff",
                   message=N_("Tariff %(n)s changed"), params={"n": tariff.name},
                   changes=changes)
    return tariff


def _actor_id(actor) -> int | None:
    return getattr(actor, "pk", None)


def _subscription_changed(*, actor, subscription: Subscription) -> None:
    """What the NAS enforces follows the subscription's dates and suspensions: the apps
    that act on it (radius) hear it after commit."""
    publish("subscription.changed", subscription_id=subscription.pk,
            customer_id=subscription.customer_id, actor_id=_actor_id(actor))


# --------------------------------------------------------------------------- subscriptions

def discount_clean(value) -> Decimal:
    try:
        discount = Decimal(str(value if value not in (None, "") else 0))
    except (InvalidOperation, ValueError):
        raise ValidationError({"discount": [_("Enter the discount in percent.")]}) from None
    if not Decimal(0) <= discount <= Decimal(100):
        raise ValidationError({"discount": [_("The discount must be between 0 and 100 %.")]})
    return discount.quantize(Decimal("0.01"))


SUBSCRIPTION_EARLIEST = date(2000, 1, 1)


def subscription_start_check(start_date: date) -> None:
    """A start in year 1 would be billed (and shown on the card) period by period from
    then: a start lies between 2000 and the years a schedule may show."""
    last = date(timezone.localdate().year + SCHEDULE_YEARS, 12, 31)
    if not SUBSCRIPTION_EARLIEST <= start_date <= last:
        raise ValidationError({"start_date": [_("The start must be from %(f)s to %(l)s.") % {
            "f": SUBSCRIPTION_EARLIEST.isoformat(), "l": last.isoformat()}]})


def subscription_add(*, actor, customer: Customer, tariff: Tariff, start_date: date,
                     end_date: date | None = None, discount=0, note: str = "",
                     nested: bool = False) -> Subscription:
    """Put ``tariff`` on ``customer``; the billing run bills it from ``start_date``.
    ``nested``: called inside the caller's transaction, which then owns the commit."""
    if customer.tenant_id != current_tenant().pk or tariff.tenant_id != current_tenant().pk:
        raise Customer.DoesNotExist("Customer matching query does not exist.")
    tariff = Tariff.objects.get(pk=tariff.pk)
    if not tariff.is_active:
        raise ValidationError({"tariff": [_("Tariff %(n)s is not active.") % {"n": tariff}]})
    subscription_start_check(start_date)
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": [_("The end is before the start.")]})
    discount = discount_clean(discount)
    with transaction.atomic(durable=not nested):
        subscription = Subscription.objects.create(
            customer=customer, tariff=tariff, start_date=start_date, end_date=end_date,
            discount=discount, note=(note or "").strip(), created_by=staff_of(actor))
        action_log(actor=actor, customer=customer, kind="finance.subscription",
                   message=N_("Tariff %(t)s from %(s)s added"),
                   params={"t": tariff.name, "s": start_date})
    return subscription


def subscription_end(*, actor, subscription: Subscription, end_date: date,
                     nested: bool = False) -> Subscription:
    """End a subscription on ``end_date`` (its last billed day). A period already invoiced
    cannot be taken back here: that is a correction of its invoice.
    ``nested``: called inside the caller's transaction, which then owns the commit."""
    with transaction.atomic(durable=not nested):
        subscription = Subscription.objects.select_for_update().select_related(
            "tariff", "customer").get(pk=subscription.pk)
        if end_date < subscription.start_date:
            raise ValidationError({"end_date": [_("The end is before the start (%(s)s).")
                                                % {"s": subscription.start_date}]})
        if subscription.billed_until and end_date < subscription.billed_until:
            raise ValidationError({"end_date": [_(
                "The subscription is billed up to %(d)s: end it on that day or later, or "
                "correct the invoice first.") % {"d": subscription.billed_until}]})
        before = subscription.end_date
        subscription.end_date = end_date
        subscription.save(update_fields=["end_date"])
        _subscription_changed(actor=actor, subscription=subscription)
        action_log(actor=actor, customer=subscription.customer, kind="finance.subscription",
                   message=N_("Tariff %(t)s ends on %(e)s"),
                   params={"t": subscription.tariff.name, "e": end_date},
                   changes={"end_date": [str(before) if before else None, str(end_date)]})
    return subscription


def subscription_suspend(*, actor, subscription: Subscription, date_from: date, date_to: date,
                         reason: str) -> Suspension:
    """Suspend billing from ``date_from`` to ``date_to`` (both included): inside the
    subscription, after what is already billed, not overlapping another suspension."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("A suspension needs its reason.")]})
    if date_to < date_from:
        raise ValidationError({"date_to": [_("The suspension ends before it starts.")]})
    with transaction.atomic(durable=True):
        subscription = Subscription.objects.select_for_update().select_related(
            "tariff", "customer").get(pk=subscription.pk)
        if date_from < subscription.start_date or (
                subscription.end_date and date_to > subscription.end_date):
            raise ValidationError({"date_from": [_(
                "The suspension must lie within the subscription (%(s)s – %(e)s).")
                % {"s": subscription.start_date, "e": subscription.end_date or "…"}]})
        if subscription.billed_until and date_from <= subscription.billed_until:
            raise ValidationError({"date_from": [_(
                "The subscription is already billed up to %(d)s: a suspension can start "
                "the day after at the earliest.") % {"d": subscription.billed_until}]})
        if subscription.suspensions.filter(date_from__lte=date_to,
                                           date_to__gte=date_from).exists():
            raise ValidationError({"date_from": [_("It overlaps another suspension.")]})
        suspension = Suspension.objects.create(subscription=subscription, date_from=date_from,
                                               date_to=date_to, reason=reason,
                                               created_by=staff_of(actor))
        _subscription_changed(actor=actor, subscription=subscription)
        action_log(actor=actor, customer=subscription.customer, kind="finance.suspension",
                   message=N_("Tariff %(t)s suspended %(f)s – %(to)s: %(r)s"),
                   params={"t": subscription.tariff.name, "f": date_from, "to": date_to,
                           "r": reason})
    return suspension


def subscription_resume(*, actor, suspension: Suspension, on_date: date) -> Suspension:
    """End a suspension early: billing resumes on ``on_date``."""
    with transaction.atomic(durable=True):
        suspension = Suspension.objects.select_for_update().select_related(
            "subscription__tariff", "subscription__customer").get(pk=suspension.pk)
        if not suspension.date_from < on_date <= suspension.date_to:
            raise ValidationError({"on_date": [_(
                "Resume on a day after %(f)s and no later than %(t)s.")
                % {"f": suspension.date_from, "t": suspension.date_to}]})
        billed = suspension.subscription.billed_until
        if billed and on_date <= billed:
            raise ValidationError({"on_date": [_("The period up to %(d)s is already billed.")
                                               % {"d": billed}]})
        before = suspension.date_to
        suspension.date_to = on_date - timedelta(days=1)
        suspension.save(update_fields=["date_to"])
        _subscription_changed(actor=actor, subscription=suspension.subscription)
        action_log(actor=actor, customer=suspension.subscription.customer,
                   kind="finance.suspension",
                   message=N_("Tariff %(t)s resumed on %(d)s"),
                   params={"t": suspension.subscription.tariff.name, "d": on_date},
                   changes={"date_to": [str(before), str(suspension.date_to)]})
    return suspension


def subscription_cycles_set(*, actor, subscription: Subscription, cycles_billed: int,
                            reason: str) -> Subscription:
    """Correct the cycle counter of the payment schedule ("licznik cykli" of the
    "preliminarz płatności") by hand, e.g. after an invoice of the subscription was
    corrected to zero. Locks the subscription row (the billing run adds to the counter
    under the same lock); logs the old and the new value with the reason."""
    reason = (reason or "").strip()
    errors = {}
    if isinstance(cycles_billed, bool) or not isinstance(cycles_billed, int):
        try:
            cycles_billed = int(str(cycles_billed).strip())
        except (TypeError, ValueError):
            errors["cycles_billed"] = [_("Enter the cycle counter as a whole number.")]
    if "cycles_billed" not in errors and cycles_billed < 0:
        errors["cycles_billed"] = [_("The cycle counter cannot be below zero.")]
    if not reason:
        errors["reason"] = [_("Say why the cycle counter is corrected.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        subscription = Subscription.objects.select_for_update().select_related(
            "tariff", "customer").get(pk=subscription.pk)
        before = subscription.cycles_billed
        if before == cycles_billed:
            raise ValidationError({"cycles_billed": [_("The cycle counter is already %(n)s.")
                                                     % {"n": before}]})
        subscription.cycles_billed = cycles_billed
        subscription.save(update_fields=["cycles_billed"])
        action_log(actor=actor, customer=subscription.customer, kind="finance.subscription",
                   message=N_("Tariff %(t)s: cycle counter %(b)s → %(a)s (%(r)s)"),
                   params={"t": subscription.tariff.name, "b": before, "a": cycles_billed,
                           "r": reason},
                   changes={"cycles_billed": [before, cycles_billed]})
    return subscription


# --------------------------------------------------------------------------- selectors

def tariff_list(*, active_only: bool = False):
    tariffs = Tariff.objects.all()
    return tariffs.filter(is_active=True) if active_only else tariffs


def subscription_list(*, customer: Customer):
    """A customer's subscriptions with their tariff and suspensions (2 queries)."""
    return (Subscription.objects.filter(customer=customer).select_related("tariff")
            .prefetch_related("suspensions").order_by("start_date", "id"))


def contract_subscriptions(*, customer: Customer) -> list[dict]:
    """The customer's current and future subscriptions for contract templates (one query):
    tariff name, monthly/… price net and gross, VAT rate, period, discount, start, end."""
    from django.utils.formats import date_format

    today = timezone.localdate()
    rows = []
    for subscription in (Subscription.objects.filter(customer=customer)
                         .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
                         .select_related("tariff").order_by("start_date", "id")):
        tariff = subscription.tariff
        if tariff.gross_price is not None:
            gross = _period_share(tariff.gross_price, subscription, today, today, 1)
            net = net_from_gross(gross, tariff.vat_rate)
        else:
            net = _period_share(tariff.net_price, subscription, today, today, 1)
            gross = _gross_of(net, tariff.vat_rate)
        rows.append({
            "tariff": tariff.name, "price_net": f"{net:.2f}",
            "price_gross": f"{gross:.2f}", "vat_rate": tariff.vat_rate,
            "period": str(tariff.get_period_display()), "discount": f"{subscription.discount:.2f}",
            "start": date_format(subscription.start_date, "j E Y"),
            "end": date_format(subscription.end_date, "j E Y") if subscription.end_date else "",
        })
    return rows


def billing_run_list():
    return BillingRun.objects.select_related("created_by")


@dataclass
class ScheduleEntry:
    period_start: date
    period_end: date
    days: int
    net: Decimal
    gross: Decimal
    status: str  # billed, planned, suspended
    invoice_number: str = ""
    invoice_id: int | None = None


def _gross_of(net: Decimal, vat_rate: str) -> Decimal:
    return sum((t.gross for t in vat_summary([(vat_rate, net)]).values()), ZERO)


def schedule(subscription: Subscription, until: date, *, items=None) -> list[ScheduleEntry]:
    """The payment schedule ("preliminarz płatności") of ``subscription`` up to the period
    holding ``until``: each period billed (with its invoice), planned or suspended, and its
    amount. ``items``: the subscription's billing items when the caller prefetched them
    (with their invoices); the suspensions come from ``subscription.suspensions.all()``."""
    tariff = subscription.tariff
    if items is None:
        items = subscription.billing_items.select_related("invoice")
    done = {item.period_start: item for item in items}
    suspensions = list(subscription.suspensions.all())
    last = min(until, subscription.end_date) if subscription.end_date else until
    entries = []
    start, end = period_bounds(tariff.period, subscription.start_date)
    while start <= last:
        item = done.get(start)
        if item is not None:
            gross = _gross_of(item.net, tariff.vat_rate) if tariff.gross_price is None \
                else period_gross(subscription, tariff, start, end, item.days)
            entries.append(ScheduleEntry(
                start, end, item.days, item.net, gross,
                "billed" if item.invoice_id else "suspended",
                item.invoice.number if item.invoice_id else "", item.invoice_id))
        else:
            days = billed_days(subscription, start, end, suspensions)
            net = period_amount(subscription, tariff, start, end, days)
            gross = period_gross(subscription, tariff, start, end, days)
            entries.append(ScheduleEntry(start, end, days, net,
                                         _gross_of(net, tariff.vat_rate) if gross is None
                                         else gross, "planned" if days else "suspended"))
        start, end = period_bounds(tariff.period, end + timedelta(days=1))
    return entries


# --------------------------------------------------------------------------- billing run

@dataclass
class PlannedLine:
    subscription: Subscription
    period_start: date
    period_end: date
    days: int
    net: Decimal
    gross: Decimal | None = None  # a gross-priced tariff's (or filled: finance.money)

    @property
    def name(self) -> str:
        return self.label(_("%(t)s, %(s)s – %(e)s"), _("(%(d)s of %(n)s days)"))

    def label(self, period_format: str, days_format: str) -> str:
        """The invoice line's name; the run passes the translated formats once per chunk."""
        text = period_format % {"t": self.subscription.tariff.name, "s": self.period_start,
                                "e": self.period_end}
        full = _days(self.period_start, self.period_end)
        if self.days != full:
            text += " " + days_format % {"d": self.days, "n": full}
        return text


@dataclass
class PlannedInvoice:
    customer_id: int
    period_start: date
    period_end: date
    lines: list[PlannedLine] = field(default_factory=list)
    # Other apps' charges (core.billing_usage): (source, UsageLine, gross or None)
    usage: list = field(default_factory=list)
    net: Decimal = ZERO
    gross: Decimal = ZERO
    number: str = ""
    pk: int | None = None


@dataclass
class Plan:
    invoices: list[PlannedInvoice] = field(default_factory=list)
    skipped: list[PlannedLine] = field(default_factory=list)  # fully suspended periods
    capped: int = 0  # subscriptions with more periods due than one run bills
    # invoices above what one document may carry: their customers get nothing this run
    refused: list[PlannedInvoice] = field(default_factory=list)


def _due_subscriptions(run_date: date, customer_ids=None):
    """Subscriptions with a period that may be due on ``run_date`` (refined in ``_plan``):
    started, not billed through ``run_date`` yet, not billed to their end."""
    due = Subscription.objects.filter(start_date__lte=run_date).filter(
        Q(billed_until__isnull=True) | Q(billed_until__lt=run_date)).filter(
        Q(end_date__isnull=True) | Q(billed_until__isnull=True)
        | Q(billed_until__lt=F("end_date")))
    if customer_ids is not None:
        due = due.filter(customer_id__in=values_in(customer_ids, "bigint"))
    return due


def _plan(subscriptions, suspensions_by_sub, run_date: date, max_periods: int) -> Plan:
    """What is due on ``run_date``: one invoice per customer and period, a line per
    subscription, from the period after ``billed_until`` up to the last one due — at most
    ``max_periods`` periods of one subscription (billed or suspended), the oldest first;
    a subscription cut short is counted in ``Plan.capped``."""
    plan = Plan()
    invoices: dict[tuple, PlannedInvoice] = {}
    for subscription in subscriptions:
        tariff = subscription.tariff
        suspensions = suspensions_by_sub.get(subscription.pk, ())
        first_day = subscription.billed_until + timedelta(days=1) \
            if subscription.billed_until else subscription.start_date
        start, end = period_bounds(tariff.period, first_day)
        periods = 0
        while _is_due(tariff, start, end, run_date) and (
                subscription.end_date is None or start <= subscription.end_date):
            if periods == max_periods:
                plan.capped += 1
                break
            periods += 1
            days = billed_days(subscription, start, end, suspensions)
            line = PlannedLine(subscription, start, end, days,
                               period_amount(subscription, tariff, start, end, days),
                               period_gross(subscription, tariff, start, end, days))
            if line.net > 0:
                key = (subscription.customer_id, start, end)
                invoice = invoices.get(key)
                if invoice is None:
                    invoice = invoices[key] = PlannedInvoice(subscription.customer_id, start, end)
                    plan.invoices.append(invoice)
                invoice.lines.append(line)
            else:
                plan.skipped.append(line)
            start, end = period_bounds(tariff.period, end + timedelta(days=1))
    for invoice in plan.invoices:
        _totals(invoice)
    return plan


def _totals(invoice: PlannedInvoice) -> None:
    """The invoice's net and gross from its lines (VAT per rate on totals); one
    gross-priced line makes the whole invoice computed from gross."""
    items = lines_gross_fill(
        [(line.subscription.tariff.vat_rate, line.net, line.gross) for line in invoice.lines]
        + [(usage.vat_rate, usage.net, None) for _source, usage, _gross in invoice.usage])
    for line, (_rate, _net, gross) in zip(invoice.lines, items, strict=False):
        line.gross = gross
    invoice.usage = [(source, usage, gross) for (source, usage, _old), (_r, _n, gross)
                     in zip(invoice.usage, items[len(invoice.lines):], strict=True)]
    summary = vat_summary(items)
    invoice.net = sum((t.net for t in summary.values()), ZERO)
    invoice.gross = sum((t.gross for t in summary.values()), ZERO)


def _refuse_oversized(plan: Plan) -> None:
    """A customer with an invoice above what one document may carry (the decision of
    ``services.document_amount_check``: ``money.document_max_refusal``) gets nothing from
    this run — none of their invoices, no period of theirs recorded as dealt with (a
    suspended one either: a subscription's ``billed_until`` moves past every period before
    it), no usage marked billed —, so it all waits, unbilled, until staff fix the cause (a
    price, a discount, a subscription too many) and a later run bills it. The invoices
    move to ``Plan.refused``, which the run reports; every other customer is billed."""
    over = {invoice.customer_id for invoice in plan.invoices
            if document_max_refusal(invoice.gross)}
    if not over:
        return
    plan.refused += [invoice for invoice in plan.invoices if invoice.customer_id in over]
    plan.invoices = [invoice for invoice in plan.invoices if invoice.customer_id not in over]
    plan.skipped = [line for line in plan.skipped
                    if line.subscription.customer_id not in over]


def _usage_attach(plan: Plan, run_date: date, customer_ids, *, lock: bool) -> None:
    """Other apps' charges of these customers (core.billing_usage) onto the plan: on the
    customer's first invoice of the run, or a new one dated ``run_date`` when no
    subscription of theirs is due. ``lock``: the sources lock what they read (the run)."""
    usage = usage_lines(run_date, list(customer_ids), lock=lock)
    if not usage:
        return
    first = {}
    for invoice in plan.invoices:
        first.setdefault(invoice.customer_id, invoice)
    touched = {}
    for source, line in usage:
        invoice = first.get(line.customer_id)
        if invoice is None:
            invoice = first[line.customer_id] = PlannedInvoice(line.customer_id, run_date,
                                                               run_date)
            plan.invoices.append(invoice)
        invoice.usage.append((source, line, None))
        touched[id(invoice)] = invoice
    for invoice in touched.values():
        _totals(invoice)
    plan.invoices.sort(key=lambda invoice: invoice.customer_id)


@dataclass(slots=True)
class _Due:
    """A subscription as the run reads it: plain values, no model instances (a run reads
    100,000 of them)."""

    pk: int
    customer_id: int
    tariff: Tariff
    start_date: date
    end_date: date | None
    discount: Decimal
    billed_until: date | None


def _load(run_date: date, customer_ids) -> tuple[list[_Due], dict]:
    tariffs = {t.pk: t for t in Tariff.objects.all()}
    subscriptions = [
        _Due(pk, customer_id, tariffs[tariff_id], start, end, discount, billed_until)
        for pk, customer_id, tariff_id, start, end, discount, billed_until in
        _due_subscriptions(run_date, customer_ids).order_by("customer_id", "start_date", "id")
        .values_list("pk", "customer_id", "tariff_id", "start_date", "end_date", "discount",
                     "billed_until")]
    suspensions = defaultdict(list)
    for suspension in Suspension.objects.filter(
            subscription_id__in=values_in([s.pk for s in subscriptions], "bigint")):
        suspensions[suspension.subscription_id].append(suspension)
    return subscriptions, suspensions


def _customer_batches(run_date: date, after: int | None = None):
    """The ids of the customers with something due on ``run_date`` (a subscription's
    period, or other apps' usage: core.billing_usage), ``CHUNK`` at a time in id order,
    after ``after``: one keyset query per batch (and source), so neither the run nor the
    preview ever holds every customer (nor revisits one it has done)."""
    while True:
        due = _due_subscriptions(run_date)
        if after is not None:
            due = due.filter(customer_id__gt=after)
        batch = list(due.order_by("customer_id").values_list("customer_id", flat=True)
                     .distinct()[:CHUNK])
        # Both lists ascend from ``after``: the first CHUNK of their union are all in them.
        batch = sorted(set(batch) | set(usage_customers(run_date, after, CHUNK)))[:CHUNK]
        if not batch:
            return
        yield batch
        after = batch[-1]


def _due_customers_count(run_date: date, after: int | None = None) -> int:
    due = _due_subscriptions(run_date)
    if after is not None:
        due = due.filter(customer_id__gt=after)
    count = due.values("customer_id").distinct().count()
    if usage_sources():  # customers with usage only (the progress bar's total)
        usage = usage_customers(run_date, after, 10 ** 9)
        if usage:
            count += len(usage) - due.filter(
                customer_id__in=values_in(usage, "bigint")).values("customer_id") \
                .distinct().count()
    return count


# --------------------------------------------------------------------------- run limits

def _month_shift(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def billing_date_range(*, today: date | None = None) -> tuple[date, date]:
    """The billing dates a run or a preview may have, first and last: from the first day
    of the month ``finance.billing_months_back`` before the current one (a late run that
    closes last month) to the last day of the month ``finance.billing_months_ahead`` after
    it (next month's periods in advance) — never a run that bills years ahead, nor
    invoices dated into a long-closed VAT period."""
    month = (today or timezone.localdate()).replace(day=1)
    first = _month_shift(month, -setting_get("finance.billing_months_back"))
    last = _month_shift(month, setting_get("finance.billing_months_ahead"))
    return first, last.replace(day=calendar.monthrange(last.year, last.month)[1])


def billing_date_check(run_date: date, *, today: date | None = None) -> date:
    """``run_date`` if it lies in ``billing_date_range``, else a ``ValidationError`` on
    ``run_date`` naming the range. Every path that takes a billing date from a person
    calls it (``billing_run`` itself trusts its date: the nightly run bills today)."""
    first, last = billing_date_range(today=today)
    if not first <= run_date <= last:
        raise ValidationError({"run_date": [_(
            "The billing date must be from %(first)s to %(last)s (the tenant's settings "
            "allow %(back)s month(s) back and %(ahead)s month(s) ahead); %(date)s is "
            "outside.") % {"first": first.isoformat(), "last": last.isoformat(),
                           "back": setting_get("finance.billing_months_back"),
                           "ahead": setting_get("finance.billing_months_ahead"),
                           "date": run_date.isoformat()}]})
    return run_date


SCHEDULE_YEARS = 10


def schedule_until_check(until: date, *, today: date | None = None) -> date:
    """The last day a payment schedule may be asked for: ten years ahead at most (a
    schedule to 9999 would be 100,000 periods)."""
    today = today or timezone.localdate()
    last = date(today.year + SCHEDULE_YEARS, 12, 31)
    if until > last:
        raise ValidationError({"until": [_("A schedule shows at most %(n)s years ahead: "
                                           "until %(d)s.") % {"n": SCHEDULE_YEARS,
                                                             "d": last.isoformat()}]})
    return until


# --------------------------------------------------------------------------- preview

@dataclass
class Preview:
    customers: int = 0
    invoices: int = 0
    lines: int = 0
    net: Decimal = ZERO
    gross: Decimal = ZERO
    skipped: int = 0
    capped: int = 0  # subscriptions with more periods due than one run bills
    first: list = field(default_factory=list)  # (customer, PlannedInvoice, PlannedLine)
    # customers the run would not bill: an invoice above what one document may carry
    refused: int = 0
    refused_first: list = field(default_factory=list)  # (customer, PlannedInvoice)


PREVIEW_ROWS = 50


def billing_preview(*, run_date: date) -> Preview:
    """The dry run: what ``billing_run`` would issue on ``run_date``; writes nothing and
    locks nothing. Refuses a date outside ``billing_date_range`` (operators may preview)."""
    billing_date_check(run_date)
    return _preview(run_date)


def _preview(run_date: date) -> Preview:
    preview = Preview()
    max_periods = setting_get("finance.billing_max_periods")
    for chunk in _customer_batches(run_date):
        subscriptions, suspensions = _load(run_date, chunk)
        plan = _plan(subscriptions, suspensions, run_date, max_periods)
        _usage_attach(plan, run_date, chunk, lock=False)
        _refuse_oversized(plan)
        preview.refused += len({invoice.customer_id for invoice in plan.refused})
        preview.refused_first += plan.refused[:PREVIEW_ROWS - len(preview.refused_first)]
        preview.invoices += len(plan.invoices)
        preview.skipped += len(plan.skipped)
        preview.capped += plan.capped
        # Batches never share a customer: the count needs no set of every customer.
        preview.customers += len({invoice.customer_id for invoice in plan.invoices})
        for invoice in plan.invoices:
            preview.lines += len(invoice.lines) + len(invoice.usage)
            preview.net += invoice.net
            preview.gross += invoice.gross
            for line in invoice.lines:
                if len(preview.first) < PREVIEW_ROWS:
                    preview.first.append((invoice, line))
    shown = {c.pk: c for c in Customer.objects.filter(
        pk__in={invoice.customer_id for invoice, _line in preview.first}
        | {invoice.customer_id for invoice in preview.refused_first})}
    preview.first = [(shown[invoice.customer_id], invoice, line)
                     for invoice, line in preview.first]
    preview.refused_first = [(shown[invoice.customer_id], invoice)
                             for invoice in preview.refused_first]
    return preview


# --------------------------------------------------------------------------- the run

def _one_run_at_a_time() -> ValidationError:
    active = BillingRun.objects.filter(dry_run=False, status__in=[
        BillingRun.Status.QUEUED, BillingRun.Status.RUNNING]).first()
    if active is not None and active.is_interrupted:
        return ValidationError(_(
            "The billing run for %(d)s was interrupted (%(n)s of %(t)s customers done): "
            "resume or abandon it first.") % {"d": active.run_date, "n": active.customers_done,
                                              "t": active.customers_total},
            code="run_interrupted")
    return ValidationError(_("A billing run is already in progress%(d)s: wait for it to end.")
                           % {"d": f" ({active.run_date})" if active else ""},
                           code="run_active")


def billing_run_create(*, actor, run_date: date, dry_run: bool = False) -> BillingRun:
    """A queued run, for the page to watch while the task does it (a preview writes
    nothing else, so it is not action-logged). A second run while one is queued or running
    is refused (``ValidationError``): the database allows one active run per tenant, so
    the same request twice at once starts one run."""
    try:
        with transaction.atomic(durable=True):
            run = BillingRun.objects.create(run_date=run_date, dry_run=dry_run,
                                            heartbeat_at=timezone.now(),
                                            created_by=staff_of(actor))
            if not dry_run:
                action_log(actor=actor, kind="finance.billing_run",
                           message=N_("Billing run for %(d)s started"),
                           params={"d": run_date})
    except IntegrityError:
        raise _one_run_at_a_time() from None
    return run


def _run_queue(run: BillingRun, actor) -> None:
    from .tasks import billing_run_task

    tenant_id, actor_id = current_tenant().pk, getattr(staff_of(actor), "pk", None)
    transaction.on_commit(lambda: billing_run_task.delay(tenant_id, run.pk, actor_id))


def billing_run_start(*, actor, run_date: date) -> BillingRun:
    """The page's "Run billing" button: a queued run done by a Celery task (on commit).
    Refuses a date outside ``billing_date_range`` and a second active run."""
    billing_date_check(run_date)
    run = billing_run_create(actor=actor, run_date=run_date)
    _run_queue(run, actor)
    return run


def billing_run_resume(*, actor, run: BillingRun) -> BillingRun:
    """Continue a run that failed or was interrupted (its process died) with the customers
    it has not done; queues the task on commit. Nothing is billed twice: the run goes on
    after ``last_customer_id``, and a period already billed is not due any more. Refused
    for a run still alive, finished or abandoned, and once its date has left
    ``billing_date_range`` (abandon it then). Locks the run row."""
    with transaction.atomic(durable=True):
        run = BillingRun.objects.select_for_update().get(pk=run.pk)
        if run.dry_run or not (run.status == BillingRun.Status.FAILED or run.is_interrupted):
            raise ValidationError(_("Only a failed or interrupted billing run can be resumed; "
                                    "this one is %(s)s.") % {"s": run.get_state_display()})
        billing_date_check(run.run_date)
        # Words, not the reader's language of now: shown in the log reader's language.
        before = (gettext_lazy("interrupted") if run.is_interrupted
                  else BillingRun.Status(run.status).label)
        run.status, run.worker, run.error = BillingRun.Status.QUEUED, "", ""
        run.heartbeat_at, run.finished_at = timezone.now(), None
        try:
            with transaction.atomic():
                run.save(update_fields=["status", "worker", "error", "heartbeat_at",
                                        "finished_at"])
        except IntegrityError:
            raise _one_run_at_a_time() from None
        action_log(actor=actor, kind="finance.billing_run",
                   message=N_("Billing run for %(d)s resumed (%(s)s after %(n)s of %(t)s "
                              "customers)"), params={"d": run.run_date, "s": before,
                                                     "n": run.customers_done,
                                                     "t": run.customers_total})
        _run_queue(run, actor)
    return run


def billing_run_abandon(*, actor, run: BillingRun) -> BillingRun:
    """Give up a run that failed, was interrupted or is still queued or running: what it
    issued stays issued (invoices are corrected, never deleted); a running process stops
    before its next batch. Frees the tenant for a new run. Locks the run row (waiting for
    the batch in progress, which holds it)."""
    with transaction.atomic(durable=True):
        run = BillingRun.objects.select_for_update().get(pk=run.pk)
        if run.status not in (BillingRun.Status.QUEUED, BillingRun.Status.RUNNING,
                              BillingRun.Status.FAILED):
            raise ValidationError(_("Only a failed, interrupted or unfinished billing run can "
                                    "be abandoned; this one is %(s)s.")
                                  % {"s": run.get_state_display()})
        # Words, not the reader's language of now: shown in the log reader's language.
        before = (gettext_lazy("interrupted") if run.is_interrupted
                  else BillingRun.Status(run.status).label)
        run.status, run.worker, run.finished_at = BillingRun.Status.ABANDONED, "", timezone.now()
        run.save(update_fields=["status", "worker", "finished_at"])
        if not run.dry_run:
            action_log(actor=actor, kind="finance.billing_run",
                       message=N_("Billing run for %(d)s abandoned (%(s)s after %(n)s of "
                                  "%(t)s customers, %(i)s invoices)"),
                       params={"d": run.run_date, "s": before, "n": run.customers_done,
                               "t": run.customers_total, "i": run.invoices})
    return run


def _run_claim(run: BillingRun) -> str | None:
    """Take ``run`` for this process: a queued run, or a running one whose process died
    (interrupted). Returns the lease token the batches check, or None when the run is done,
    abandoned, failed (resumed explicitly) or alive in another process."""
    remaining = _due_customers_count(run.run_date, run.last_customer_id)
    with transaction.atomic(durable=True):
        row = BillingRun.objects.select_for_update().get(pk=run.pk)
        if not (row.status == BillingRun.Status.QUEUED or row.is_interrupted):
            return None
        token = uuid.uuid4().hex
        BillingRun.objects.filter(pk=row.pk).update(
            status=BillingRun.Status.RUNNING, worker=token, heartbeat_at=timezone.now(),
            customers_total=row.customers_done + remaining)
        return token


class _Stopped(Exception):
    """The run was abandoned, or taken over by another process, between two batches."""


def billing_run(*, run_date: date, dry_run: bool = False, actor=None,
                run: BillingRun | None = None) -> BillingRun:
    """Issue everything due on ``run_date`` (see the module docstring).

    ``run``: a queued run row (the task's), or one to continue; then ``run_date`` is the
    row's. The date is not checked here — callers that take it from a person check it
    (``billing_date_check``) — but the work is bounded whatever it is: batches of
    ``CHUNK`` customers, ``finance.billing_max_periods`` periods per subscription.

    Set-based, one transaction per batch: the batch's ``CustomerAccount`` rows are locked
    in id order first (as every money service does), then what is due is read — so a
    concurrent run that billed them first is seen —, a block of invoice numbers is
    reserved (one lock of the series row), documents, lines and billing items are
    bulk-inserted, balances move by a statement per distinct amount, each invoice is
    action-logged on its customer, and customers who had credit get it allocated
    (``allocate_open``); the run row (locked first) records the progress, the heartbeat
    and the last customer done, so a run that dies is resumed where it stopped.
    ``dry_run``: the preview's figures on the run row, nothing else written.
    """
    if run is None:
        run = billing_run_create(actor=actor, run_date=run_date, dry_run=dry_run)
    run = BillingRun.objects.get(pk=run.pk)
    run_date, dry_run = run.run_date, run.dry_run
    token = _run_claim(run)
    if token is None:
        return run
    try:
        if dry_run:
            preview = _preview(run_date)
            BillingRun.objects.filter(pk=run.pk).update(
                customers_done=preview.customers, invoices=preview.invoices,
                lines=preview.lines, net_total=preview.net, gross_total=preview.gross,
                subscriptions_capped=preview.capped)
        else:
            pattern = pattern_validate(setting_get("finance.invoice_number_pattern"))
            due_date = run_date + timedelta(days=setting_get("finance.payment_days"))
            max_periods = setting_get("finance.billing_max_periods")
            for chunk in _customer_batches(run_date, after=run.last_customer_id):
                _run_chunk(run, token, chunk, run_date, due_date, pattern, max_periods, actor)
    except _Stopped:
        return BillingRun.objects.get(pk=run.pk)
    except Exception as e:
        BillingRun.objects.filter(pk=run.pk, worker=token).update(
            status=BillingRun.Status.FAILED, error=str(e)[:2000], heartbeat_at=timezone.now(),
            finished_at=timezone.now())
        raise
    finished = BillingRun.objects.filter(
        pk=run.pk, worker=token, status=BillingRun.Status.RUNNING).update(
        status=BillingRun.Status.DONE, heartbeat_at=timezone.now(), finished_at=timezone.now())
    run.refresh_from_db()
    if finished and not dry_run:
        more = [sentence(plural_noop(
            "(%(n)s subscription has more periods due than one run bills: the next run "
            "continues)",
            "(%(n)s subscriptions have more periods due than one run bills: the next "
            "run continues)"), {"n": run.subscriptions_capped},
            count=run.subscriptions_capped)] if run.subscriptions_capped else []
        refused = billing_run_refusals(run).values("customer_id").distinct().count()
        if refused:
            more.append(sentence(plural_noop(
                "(%(n)s customer not billed: their invoice would be above the most one "
                "document may carry; see the customer's history)",
                "(%(n)s customers not billed: their invoices would be above the most one "
                "document may carry; see the customers' history)"), {"n": refused},
                count=refused))
        action_log(actor=actor, kind="finance.billing_run",
                   message=N_("Billing run for %(d)s: %(i)s invoices, %(g)s gross"),
                   params={"d": run_date, "i": run.invoices, "g": money(run.gross_total)},
                   more=more)
    return run


def _accounts_ensure(tenant, customer_ids) -> None:
    """The ``CustomerAccount`` rows of a chunk's customers, created where missing (a
    concurrent transaction may create one first: that one is kept)."""
    if connection.vendor != "postgresql":
        CustomerAccount.objects.bulk_create(
            [CustomerAccount(tenant=tenant, customer_id=pk) for pk in customer_ids],
            ignore_conflicts=True)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO finance_customeraccount (tenant_id, customer_id, balance) "
            "SELECT %(t)s, c, 0 FROM unnest(%(ids)s::bigint[]) AS c WHERE NOT EXISTS "
            "(SELECT 1 FROM finance_customeraccount a WHERE a.customer_id = c) "
            "ON CONFLICT (customer_id) DO NOTHING", {"t": tenant.pk, "ids": list(customer_ids)})


def _frozen_parties(customer_ids) -> dict:
    """``finance.seller.party_snapshots`` as the rows ``_write`` takes (JSON for COPY)."""
    from psycopg.types.json import Jsonb

    from .seller import party_snapshots

    wrap = Jsonb if connection.vendor == "postgresql" else (lambda value: value)
    return {pk: wrap(snapshot) for pk, snapshot in party_snapshots(customer_ids).items()}


def _run_chunk(run, token, customer_ids, run_date, due_date, pattern, max_periods,
               actor) -> None:
    tenant = current_tenant()
    staff = staff_of(actor)
    now = timezone.now()
    with transaction.atomic(durable=True):
        # The run row first: an abandon (or a process that took the run over) waits for
        # this batch, and this batch sees it and stops.
        if not BillingRun.objects.select_for_update().filter(
                pk=run.pk, worker=token, status=BillingRun.Status.RUNNING).exists():
            raise _Stopped
        _accounts_ensure(tenant, customer_ids)
        accounts = list(CustomerAccount.objects.select_for_update()
                        .filter(customer_id__in=values_in(customer_ids, "bigint"))
                        .order_by("id")
                        .values_list("id", "customer_id", "balance"))
        subscriptions, suspensions = _load(run_date, customer_ids)
        plan = _plan(subscriptions, suspensions, run_date, max_periods)
        _usage_attach(plan, run_date, customer_ids, lock=True)
        _refuse_oversized(plan)
        numbers = number_block(series=f"finance.{Kind.INVOICE}", pattern=pattern,
                               when=run_date, count=len(plan.invoices))
        document_ids = ids_reserve(FinanceDocument, len(plan.invoices))
        staff_id, t = getattr(staff, "pk", None), tenant.pk
        # The parties as they are now, frozen on each invoice as invoice_issue does.
        parties = _frozen_parties({invoice.customer_id for invoice in plan.invoices})
        documents, lines, items = [], [], []
        billed = defaultdict(dict)  # usage source → {key: invoice id}
        formats = (_("%(t)s, %(s)s – %(e)s"), _("(%(d)s of %(n)s days)"))
        for invoice, number, pk in zip(plan.invoices, numbers, document_ids, strict=True):
            invoice.number, invoice.pk = number, pk
            documents.append((pk, t, invoice.customer_id, Kind.INVOICE, number, run_date,
                              due_date, invoice.gross, ZERO, "", "", "", "", "", now, staff_id,
                              parties[invoice.customer_id]))
            for position, line in enumerate(invoice.lines, start=1):
                tariff = line.subscription.tariff
                lines.append((t, pk, position, line.label(*formats), ONE, "usł.",
                              line.net, tariff.vat_rate, tariff.gtu, False, line.net,
                              line.gross))
                items.append((t, line.subscription.pk, line.period_start,
                              line.period_end, line.days, line.net, pk))
            for position, (source, usage, gross) in enumerate(
                    invoice.usage, start=len(invoice.lines) + 1):
                lines.append((t, pk, position, usage.name[:250], ONE, usage.unit, usage.net,
                              usage.vat_rate, usage.gtu, False, usage.net, gross))
                billed[source][usage.key] = pk
        items += [(t, line.subscription.pk, line.period_start,
                   line.period_end, 0, ZERO, None) for line in plan.skipped]
        rows_copy(FinanceDocument, ["id", "tenant", "customer", "kind", "number", "issue_date",
                                    "due_date", "debit", "credit", "title", "reason",
                                    "bank_reference", "bank_account", "counterparty_account",
                                    "created_at", "created_by", "parties"], documents)
        rows_copy(InvoiceLine, ["tenant", "document", "position", "name", "quantity", "unit",
                                "net_unit_price", "vat_rate", "gtu", "annex15", "net",
                                "gross"], lines)
        rows_copy(BillingItem, ["tenant", "subscription", "period_start", "period_end",
                                "days", "net", "invoice"], items)
        _advance_subscriptions(items)
        for source, keys in billed.items():
            source.billed(keys)
        owed = defaultdict(lambda: ZERO)
        for invoice in plan.invoices:
            owed[invoice.customer_id] += invoice.gross
        account_of = {customer_id: pk for pk, customer_id, _balance in accounts}
        # One statement per distinct amount (a few dozen: tariffs × pro-rata days), each
        # an index scan by id; a join with arrays of values is at the planner's mercy
        # when statistics are stale (seconds per chunk).
        by_amount = defaultdict(list)
        for customer_id, amount in owed.items():
            by_amount[amount].append(account_of[customer_id])
        for amount, ids in by_amount.items():
            CustomerAccount.objects.filter(pk__in=values_in(ids, "bigint")).update(
                balance=F("balance") - amount)
        # One entry per invoice on its customer, as ``invoice_issue`` writes it.
        message = N_("Invoice %(n)s issued: %(a)s")
        action_log_bulk(actor=actor, kind="finance.invoice", entries=[
            (invoice.customer_id, message, {"n": invoice.number, "a": money(invoice.gross)})
            for invoice in plan.invoices])
        _refusals_log(run, plan.refused, actor)
        # Credit only exists where the balance was above zero: everyone else has nothing
        # to allocate, and allocate_open costs queries per customer.
        with_credit = [customer_id for _pk, customer_id, balance in accounts
                       if balance > 0 and customer_id in owed]
        for customer in Customer.objects.filter(pk__in=with_credit).select_related("tenant"):
            allocate_open(customer, actor)
        BillingRun.objects.filter(pk=run.pk).update(
            customers_done=F("customers_done") + len(customer_ids),
            invoices=F("invoices") + len(documents), lines=F("lines") + len(lines),
            net_total=F("net_total") + sum((i.net for i in plan.invoices), ZERO),
            gross_total=F("gross_total") + sum((i.gross for i in plan.invoices), ZERO),
            subscriptions_capped=F("subscriptions_capped") + plan.capped,
            last_customer_id=customer_ids[-1], heartbeat_at=timezone.now())
        if documents:  # after this batch commits: the invoices by e-mail, ...
            publish("billing.invoices_issued", run_id=run.pk,
                    invoice_ids=[invoice.pk for invoice in plan.invoices])


# The entry on a customer the run did not bill (``_refuse_oversized``), one per invoice.
REFUSED_MESSAGE = N_("Billing run for %(d)s: invoice for %(s)s – %(e)s not issued, "
                     "%(a)s gross.")


def _refusals_log(run: BillingRun, refused: list[PlannedInvoice], actor) -> None:
    """Each refused invoice on its customer's history, with the reason and what follows;
    ``run`` in the parameters ties the entries to the run (``billing_run_refusals``)."""
    if not refused:
        return
    customers = Customer.objects.in_bulk({invoice.customer_id for invoice in refused})
    more = [sentence(N_("At most %(max)s on one document."), {"max": money(DOCUMENT_MAX)}),
            sentence(N_("Nothing was billed to this customer: their subscriptions stay "
                        "unbilled until the invoice is made smaller, and the next run "
                        "bills them."))]
    for invoice in refused:
        action_log(actor=actor, kind="finance.billing_run", message=REFUSED_MESSAGE,
                   customer=customers[invoice.customer_id], more=more,
                   params={"d": run.run_date, "s": invoice.period_start,
                           "e": invoice.period_end, "a": money(invoice.gross), "run": run.pk})


def billing_run_refusals(run: BillingRun):
    """The invoices ``run`` did not issue, as their customers' history entries (newest
    first, with their customer): an invoice above what one document may carry."""
    return (ActionLog.objects.filter(at__gte=run.started_at, kind="finance.billing_run",
                                     message=REFUSED_MESSAGE, params__run=run.pk)
            .select_related("customer"))


def _advance_subscriptions(items) -> None:
    """``billed_until`` to the end of each subscription's last period dealt with, and the
    cycle counter up by the periods invoiced — one statement per distinct pair. ``items``:
    the rows written (tenant, subscription, period start, period end, days, net, invoice)."""
    until, cycles = {}, defaultdict(int)
    for _t, subscription_id, _start, period_end, _days, _net, invoice_id in items:
        until[subscription_id] = max(until.get(subscription_id, period_end), period_end)
        if invoice_id:
            cycles[subscription_id] += 1
    if not until:
        return
    groups = defaultdict(list)  # usually one: every subscription billed to the month's end
    for subscription_id, last in until.items():
        groups[last, cycles[subscription_id]].append(subscription_id)
    for (last, count), ids in groups.items():
        Subscription.objects.filter(pk__in=values_in(ids, "bigint")).update(
            billed_until=last, cycles_billed=F("cycles_billed") + count)
