"""The card's "Odsetki ustawowe": interest due on overdue invoices, interest notes, waivers.

Reads and writes of the statutory-interest list; the computation is ``finance.interest``.
Interest already charged by a note up to a date is not charged again: the list shows what
accrued after it.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, money, staff_of
from core.tenant_settings import setting_get
from customers.models import Customer

from . import services
from .interest import InterestKind, Payment, interest_for, rate_table
from .models import (
    Allocation,
    FinanceDocument,
    InterestNoteItem,
    InterestWaiver,
    Kind,
    ReferenceRate,
)
from .money import round_grosz

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class InterestItem:
    receivable: FinanceDocument
    principal: Decimal
    due_date: date
    since: date  # the first day not yet charged
    until: date  # paid in full on this day, or the day the list was made for
    paid: bool
    amount: Decimal  # rounded to the grosz


def current_rate_table(kind: InterestKind = InterestKind.STATUTORY):
    """The rate table built from the editable reference rates (the admin's table)."""
    refs = list(ReferenceRate.objects.values_list("effective_from", "rate"))
    return rate_table(kind, references=refs or None)


def _payments(receivable) -> list[Payment]:
    """What paid the receivable, dated by the paying document (allocations prefetched)."""
    return [Payment(on=a.payment.issue_date, amount=a.amount)
            for a in receivable.allocations_in.all()]


def _interest_until(receivable, payments, until, table) -> tuple[Decimal, date, bool]:
    """Unrounded interest up to ``until`` (or full payment), the end used, paid or not."""
    paid_total = sum((p.amount for p in payments), ZERO)
    paid = paid_total >= receivable.debit
    end = min(until, max(p.on for p in payments)) if paid and payments else until
    result = interest_for(principal=receivable.debit, due_date=receivable.due_date,
                          payments=[p for p in payments if p.on <= end],
                          until=None if paid and end < until else end, table=table)
    return sum((period.amount for period in result.periods), Decimal(0)), end, paid


def interest_list(*, customer: Customer, until: date | None = None,
                  kind: InterestKind = InterestKind.STATUTORY) -> list[InterestItem]:
    """Interest on the customer's overdue invoices that is neither charged nor waived."""
    until = until or timezone.localdate()
    table = current_rate_table(kind)
    waived = set(InterestWaiver.objects.filter(receivable__customer=customer)
                 .values_list("receivable_id", flat=True))
    charged = {}
    for item in InterestNoteItem.objects.filter(receivable__customer=customer):
        charged[item.receivable_id] = max(charged.get(item.receivable_id, item.until),
                                          item.until)
    items = []
    receivables = (
        FinanceDocument.objects
        .filter(customer=customer, kind=Kind.INVOICE, due_date__lt=until)
        .exclude(pk__in=waived).order_by("due_date", "id")
        .prefetch_related(Prefetch(
            "allocations_in", queryset=Allocation.objects.select_related("payment")
            .order_by("payment__issue_date", "id"))))
    for receivable in receivables:
        payments = _payments(receivable)
        total, end, paid = _interest_until(receivable, payments, until, table)
        before = charged.get(receivable.pk)
        if before is not None:
            if before >= end:
                continue
            earlier, _end, _paid = _interest_until(receivable, payments, before, table)
            total -= earlier
        amount = round_grosz(total)
        if amount > 0:
            items.append(InterestItem(
                receivable=receivable, principal=receivable.debit,
                due_date=receivable.due_date, since=(before or receivable.due_date)
                + timedelta(days=1), until=end, paid=paid, amount=amount))
    return items


def interest_note_issue(*, actor, customer: Customer, receivables,
                        until: date | None = None) -> FinanceDocument:
    """Nota odsetkowa for the selected items of the interest list; a debit on the ledger."""
    wanted = {r.pk for r in receivables}
    if not wanted:
        raise ValidationError(_("Select the invoices to charge interest for."))
    items = [i for i in interest_list(customer=customer, until=until)
             if i.receivable.pk in wanted]
    if len(items) != len(wanted):
        raise ValidationError(_("Some selected invoices have no interest to charge."))
    total = sum((i.amount for i in items), ZERO)
    today = timezone.localdate()
    with transaction.atomic(durable=True):
        account = services.account_lock(customer)
        number = services.number_take(Kind.INTEREST_NOTE, today)
        note = services.document_create(
            customer=customer, kind=Kind.INTEREST_NOTE, number=number, issue_date=today,
            due_date=today + timedelta(days=setting_get("finance.payment_days")), debit=total,
            title=_("Interest for late payment: %(n)s")
            % {"n": ", ".join(i.receivable.number for i in items)},
            created_by=staff_of(actor))
        InterestNoteItem.objects.bulk_create([
            InterestNoteItem(tenant=note.tenant, note=note, receivable=i.receivable,
                             until=i.until, amount=i.amount) for i in items])
        services.ledger_post(account, note)
        services.allocate_open(customer, actor)
        action_log(actor=actor, customer=customer, kind="finance.interest_note",
                   message=N_("Interest note %(n)s: %(a)s"),
                   params={"n": number, "a": money(total)})
    return note


def interest_waive(*, actor, receivable: FinanceDocument, reason: str) -> InterestWaiver:
    """Delete an invoice's interest from the list for good (irreversible; logged)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the interest is waived.")]})
    receivable = FinanceDocument.objects.get(pk=receivable.pk)
    with transaction.atomic(durable=True):
        services.account_lock(receivable.customer)
        if InterestWaiver.objects.filter(receivable=receivable).exists():
            raise ValidationError(_("The interest on %(n)s was already waived.")
                                  % {"n": receivable.number})
        waiver = InterestWaiver.objects.create(receivable=receivable, reason=reason,
                                               waived_by=staff_of(actor))
        action_log(actor=actor, customer=receivable.customer, kind="finance.interest_waive",
                   message=N_("Interest on %(n)s deleted from the list: %(r)s"),
                   params={"n": receivable.number, "r": reason})
    return waiver
