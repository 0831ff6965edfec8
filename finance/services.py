"""Every write of the ledger.

Each top-level service runs in ``transaction.atomic(durable=True)`` and locks the
customer's ``CustomerAccount`` row first, so two money operations on one customer never
interleave; the cached balance is updated in the same transaction. After a new document
the customer's open payments settle open receivables automatically (``_allocate``).
"""

import functools
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, money, sentence, staff_of
from core.amounts import amount_parse
from core.events import publish
from core.tenancy import current_tenant
from core.tenant_settings import setting_get
from customers.models import Customer

from . import numbering
from .allocation import payment_shares
from .models import (
    Allocation,
    BillingItem,
    CashPosition,
    CashRegister,
    CustomerAccount,
    FinanceDocument,
    InvoiceLine,
    Kind,
)
from .money import (
    VAT_RATES,
    AmountError,
    document_max_refusal,
    line_net,
    net_from_gross,
    round_grosz,
    to_money,
    vat_summary,
)
from .numbering import (
    number_take,
    register_patterns_validate,
    title_recogniser,
)
from .selectors import invoice_current_lines

ZERO = Decimal("0.00")
_SUM = {"output_field": DecimalField(max_digits=14, decimal_places=2)}
# The largest quantity of an invoice line (``InvoiceLine.quantity``: 12 digits, 3 places).
QUANTITY_MAX = Decimal("999999999.999")


def account_lock(customer: Customer) -> CustomerAccount:
    """The customer's account row, locked; every money service takes this lock first.

    Another tenant's customer is not found, as everywhere else."""
    if customer.tenant_id != current_tenant().pk:
        raise Customer.DoesNotExist("Customer matching query does not exist.")
    account = CustomerAccount.objects.select_for_update().filter(customer=customer).first()
    if account is None:
        try:
            with transaction.atomic():
                CustomerAccount.objects.create(customer=customer)
        except IntegrityError:
            pass  # created by a concurrent transaction
        account = CustomerAccount.objects.select_for_update().get(customer=customer)
    return account


def _own(document: FinanceDocument) -> FinanceDocument:
    """The document as the active tenant sees it: another tenant's is DoesNotExist (404)."""
    return FinanceDocument.objects.select_related("customer").get(pk=document.pk)


def document_amount_check(*amounts: Decimal | None, field: str | None = None) -> None:
    """The most one document may carry (``money.DOCUMENT_MAX``), checked where every
    document is written: ``document_create`` (each new one: invoices, corrections, KP, KW,
    transfers, debit and interest notes, technical transactions) and ``invoice_update`` (an
    invoice's new total). The bank import's set-based booking asks the same decision
    (``money.document_max_refusal``). ``None`` amounts are skipped. Refused with a
    ValidationError on ``field`` — the form's field the amount came from — or on the whole
    form."""
    for amount in amounts:
        if amount is not None and (refusal := document_max_refusal(amount)):
            error = ValidationError(refusal, code="document_max")
            raise ValidationError({field: [error]}) if field else error


def document_create(*, amount_field: str | None = None,
                    corrected_total: Decimal | None = None, **fields) -> FinanceDocument:
    """A new ledger document (``numbering.document_create``: a number clash is a clear
    error), refused before it is written when it carries more than one document may
    (``document_amount_check``): its debit, its credit and — a correction — the total of
    the invoice as corrected. ``amount_field``: the form's field a refusal names. Called in
    the transaction that took the number, which a refusal rolls back."""
    document_amount_check(fields.get("debit"), fields.get("credit"), corrected_total,
                          field=amount_field)
    return numbering.document_create(**fields)


def ledger_post(account: CustomerAccount, document: FinanceDocument) -> None:
    """Move the cached balance by a new document (with the account locked)."""
    account.balance = account.balance + document.credit - document.debit
    account.save(update_fields=["balance"])


def ledger_balance(customer: Customer) -> Decimal:
    """Σcredit − Σdebit of the ledger itself (the cached balance must equal it)."""
    totals = FinanceDocument.objects.filter(customer=customer).aggregate(
        c=Coalesce(Sum("credit"), Value(ZERO), **_SUM),
        d=Coalesce(Sum("debit"), Value(ZERO), **_SUM))
    return totals["c"] - totals["d"]


# --------------------------------------------------------------------------- allocation

def _receivables(customer):
    return (FinanceDocument.objects.filter(customer=customer, debit__gt=0)
            .annotate(allocated=Coalesce(Sum("allocations_in__amount"), Value(ZERO), **_SUM))
            .filter(allocated__lt=F("debit")))


def _payments(customer):
    return (FinanceDocument.objects.filter(customer=customer, credit__gt=0)
            .annotate(allocated=Coalesce(Sum("allocations_out__amount"), Value(ZERO), **_SUM))
            .filter(allocated__lt=F("credit")))


def allocate_open(customer: Customer, actor) -> list[Allocation]:
    """Settle open receivables with open payments, oldest payment first (call with the
    account locked); the order is Civil Code art. 451 (``allocation.payment_shares``, the
    same function the bank import calls): the document the title names, then due
    documents by earliest due date, then documents not yet due.
    """
    open_receivables = list(_receivables(customer))
    if not open_receivables:
        return []
    payments = list(_payments(customer).order_by("issue_date", "id"))
    if not payments:
        return []
    today = timezone.localdate()
    remaining = {r.pk: r.debit - r.allocated for r in open_receivables}
    recogniser = functools.cache(title_recogniser)  # read once, only if a title needs it
    made = []
    for payment in payments:
        for receivable, amount, rule in payment_shares(
                left=payment.credit - payment.allocated, receivables=open_receivables,
                open_amounts=remaining, title=payment.title, recogniser=recogniser,
                today=today):
            made.append(Allocation(tenant=customer.tenant, payment=payment,
                                   receivable=receivable, amount=amount, rule=rule,
                                   created_by=staff_of(actor)))
            remaining[receivable.pk] -= amount
    Allocation.objects.bulk_create(made)  # bulk_create skips save(): tenant set above
    return made


@dataclass(frozen=True)
class Settlement:
    total: Decimal
    paid: Decimal

    @property
    def open(self) -> Decimal:
        return self.total - self.paid

    @property
    def status(self) -> str:
        if self.paid >= self.total:
            return "settled"
        return "partially_settled" if self.paid > 0 else "unsettled"


def invoice_settlement(invoice: FinanceDocument) -> Settlement:
    """What an invoice and its corrections come to, and how much of it is paid."""
    group = FinanceDocument.objects.filter(Q(pk=invoice.pk) | Q(corrects=invoice))
    debit = group.aggregate(v=Coalesce(Sum("debit"), Value(ZERO), **_SUM))["v"]
    down = group.filter(kind=Kind.CORRECTION).aggregate(
        v=Coalesce(Sum("credit"), Value(ZERO), **_SUM))["v"]
    paid = Allocation.objects.filter(receivable__in=group).exclude(
        payment__corrects=invoice).aggregate(v=Coalesce(Sum("amount"), Value(ZERO), **_SUM))["v"]
    return Settlement(total=debit - down, paid=paid)


# --------------------------------------------------------------------------- invoices

@dataclass(frozen=True)
class Line:
    name: str
    quantity: Decimal
    net_unit_price: Decimal
    vat_rate: str
    unit: str = "szt."
    gtu: str = ""
    annex15: bool = False
    # The line's gross value on an invoice computed from gross (finance.money); None on
    # one computed from net — what staff type. A correction fills it (``_gross_keep``).
    gross: Decimal | None = None


def _clean_lines(lines, *, allow_negative=False, allow_zero=False) -> list[Line]:
    """``allow_zero``: a correction states a line cancelled by its quantity or price 0."""
    if not lines:
        raise ValidationError({"lines": [_("An invoice needs at least one line.")]})
    cleaned = []
    for index, raw in enumerate(lines, start=1):
        line = raw if isinstance(raw, Line) else Line(**raw)
        # Read as every amount is (core.amounts): NaN, infinity, "1e3", more places than
        # the column keeps are refused with the reason, never rounded.
        try:
            quantity = amount_parse(line.quantity, maximum=QUANTITY_MAX, places=3,
                                    signed=True)
        except ValidationError as error:
            raise ValidationError({"lines": [_("Line %(n)s, quantity: %(reason)s") % {
                "n": index, "reason": " ".join(error.messages)}]}) from None
        try:
            price = to_money(line.net_unit_price)
            gross = None if line.gross is None else to_money(line.gross)
        except AmountError as error:
            raise ValidationError({"lines": [_("Line %(n)s, price: %(reason)s") % {
                "n": index, "reason": " ".join(error.messages)}]}) from None
        if not line.name.strip():
            raise ValidationError({"lines": [_("Line %(n)s needs a name.") % {"n": index}]})
        if line.vat_rate not in VAT_RATES:
            raise ValidationError({"lines": [_("Line %(n)s: unknown VAT rate “%(r)s”.")
                                             % {"n": index, "r": line.vat_rate}]})
        if not allow_negative and (quantity < 0 or price < 0 or (quantity == 0
                                                                 and not allow_zero)):
            raise ValidationError({"lines": [_("Line %(n)s: the quantity must be positive and "
                                               "the price not negative.") % {"n": index}]})
        cleaned.append(Line(line.name.strip(), quantity, price, line.vat_rate,
                            line.unit or "szt.", line.gtu or "", bool(line.annex15), gross))
    if len({line.gross is None for line in cleaned}) > 1:
        # One invoice is computed either from net or from gross (finance.money), never both.
        raise ValidationError({"lines": [_("Give the gross value of every line or of none.")]})
    return cleaned


def _line_net(line: Line) -> Decimal:
    """A line's net: quantity × net unit price, or — computed from gross — its gross's."""
    if line.gross is not None:
        return net_from_gross(line.gross, line.vat_rate)
    return line_net(line.quantity, line.net_unit_price)


def _gross(lines: list[Line]) -> Decimal:
    summary = vat_summary((line.vat_rate, _line_net(line), line.gross) for line in lines)
    return sum((t.gross for t in summary.values()), ZERO)


def _gross_keep(lines: list[Line], before) -> list[Line]:
    """The lines of a correction of an invoice computed from gross, computed from gross
    too: a line as it was (name, quantity, net unit price, rate) keeps its gross to the
    grosz; a changed one takes the gross of its new net. So correcting one line never
    moves the others by a grosz. An invoice computed from net: the lines as typed."""
    if not before or any(line.gross is None for line in before):
        return lines
    kept = {(b.name, b.quantity, b.net_unit_price, b.vat_rate): b.gross for b in before}
    filled = []
    for line in lines:
        gross = line.gross
        if gross is None:
            gross = kept.get((line.name, line.quantity, line.net_unit_price, line.vat_rate))
        if gross is None:
            gross = round_grosz(line_net(line.quantity, line.net_unit_price)
                                * (1 + VAT_RATES[line.vat_rate]))
        filled.append(replace(line, gross=gross))
    return filled


def _write_lines(document, lines):
    InvoiceLine.objects.bulk_create([
        InvoiceLine(tenant=document.tenant, document=document, position=i, name=line.name,
                    quantity=line.quantity,
                    unit=line.unit, net_unit_price=line.net_unit_price, vat_rate=line.vat_rate,
                    gtu=line.gtu, annex15=line.annex15, net=_line_net(line), gross=line.gross)
        for i, line in enumerate(lines, start=1)])


def invoice_issue(*, actor, customer: Customer, lines, issue_date: date | None = None,
                  due_date: date | None = None, nested: bool = False) -> FinanceDocument:
    """A VAT invoice: number from the tenant's pattern (gapless: taken in this transaction),
    gross = Σ per-rate totals. Locks the customer's account; settles with open credit.
    ``nested``: called inside the caller's transaction, which then owns the commit."""
    lines = _clean_lines(lines)
    gross = _gross(lines)
    if gross <= 0:
        raise ValidationError({"lines": [_("An invoice's total must be above zero.")]})
    issue_date = issue_date or timezone.localdate()
    due_date = due_date or issue_date + timedelta(days=setting_get("finance.payment_days"))
    if due_date < issue_date:
        raise ValidationError({"due_date": [_("The due date is before the issue date.")]})
    with transaction.atomic(durable=not nested):
        account = account_lock(customer)
        number = number_take(Kind.INVOICE, issue_date)
        invoice = document_create(
            customer=customer, kind=Kind.INVOICE, number=number, issue_date=issue_date,
            due_date=due_date, debit=gross, created_by=staff_of(actor), amount_field="lines")
        _write_lines(invoice, lines)
        ledger_post(account, invoice)
        allocate_open(customer, actor)
        action_log(actor=actor, customer=customer, kind="finance.invoice",
                   message=N_("Invoice %(n)s issued: %(a)s"),
                   params={"n": number, "a": money(gross)})
        publish("invoice.issued", invoice_id=invoice.pk, customer_id=customer.pk)
    return invoice


def invoice_update(*, actor, invoice: FinanceDocument, lines) -> FinanceDocument:
    """Edit an invoice under its number, allowed only in the statuses listed in the tenant
    setting ``finance.edycja_faktur`` (default: unsettled); otherwise correct it."""
    lines = _clean_lines(lines)
    gross = _gross(lines)
    if gross <= 0:
        raise ValidationError({"lines": [_("An invoice's total must be above zero.")]})
    document_amount_check(gross, field="lines")  # the edited invoice is one document still
    allowed = {s.strip() for s in setting_get("finance.edycja_faktur").split(",") if s.strip()}
    invoice = _own(invoice)
    with transaction.atomic(durable=True):
        account = account_lock(invoice.customer)
        invoice = FinanceDocument.objects.select_for_update().get(pk=invoice.pk)
        if invoice.kind != Kind.INVOICE:
            raise ValidationError(_("Only an invoice can be edited."))
        status = invoice_settlement(invoice).status
        if status not in allowed or invoice.corrections.exists():
            raise ValidationError(_("Invoice %(n)s is %(s)s and cannot be edited any more "
                                    "(tenant setting “edycja_faktur”); issue a correction.")
                                  % {"n": invoice.number, "s": status.replace("_", " ")})
        paid = invoice_settlement(invoice).paid
        if gross < paid:
            raise ValidationError({"lines": [_("The new total is below what was already paid "
                                               "(%(p)s PLN).") % {"p": paid}]})
        before = invoice.debit
        invoice.lines.all().delete()
        _write_lines(invoice, lines)
        account.balance += before - gross
        account.save(update_fields=["balance"])
        invoice.debit = gross
        invoice.save(update_fields=["debit"])
        allocate_open(invoice.customer, actor)
        action_log(actor=actor, customer=invoice.customer, kind="finance.invoice_edit",
                   message=N_("Invoice %(n)s edited"), params={"n": invoice.number},
                   changes={"gross": [str(before), str(gross)]})
    return invoice


@dataclass(frozen=True)
class CorrectionWarning:
    """What the operator should check after a correction: it reads as its ``message``.

    ``line``: the name of the line corrected to 0, if the warning is about one;
    ``subscription_id``: the subscription that line billed (its billing item), whose cycle
    counter of the payment schedule counted the period — None when the line was not billed
    by the billing run or cannot be told apart."""

    message: str
    line: str = ""
    subscription_id: int | None = None

    def __str__(self) -> str:
        return self.message


def _billed_subscription(name: str, items: list[BillingItem], own: list) -> int | None:
    """The subscription an invoice line named ``name`` billed: the billing item whose
    tariff and period the run wrote into the line's name, else — the billing run writes a
    line and its item in the same order — the item at the position of the invoice's own
    line (``own``) of that name."""
    by_label = {item.subscription_id for item in items
                if item.subscription.tariff.name in name and str(item.period_start) in name
                and str(item.period_end) in name}
    if len(by_label) == 1:
        return by_label.pop()
    if by_label or len(own) != len(items):
        return None
    positions = [index for index, line in enumerate(own) if line.name == name]
    return items[positions[0]].subscription_id if len(positions) == 1 else None


def _zeroed_line_warnings(invoice, before, after: list[Line]) -> list[CorrectionWarning]:
    """A warning per line this correction brings to 0 — its quantity or its value (a line
    worth 0 whose namesake was worth something before, or not there); with no lines at all,
    every line that was worth something. Each names the subscription it billed, if any."""
    if after:
        already_zero = {line.name for line in before if line.net == 0} - {
            line.name for line in before if line.net != 0}
        zeroed = [line.name for line in after
                  if line_net(line.quantity, line.net_unit_price) == 0
                  and line.name not in already_zero]
    else:
        zeroed = [line.name for line in before if line.net != 0]
    if not zeroed:
        return []
    items = list(BillingItem.objects.filter(invoice=invoice)
                 .select_related("subscription__tariff").order_by("id"))
    subscriptions = {item.subscription_id: item.subscription for item in items}
    own = list(invoice.lines.all()) if items else []
    warnings = []
    for name in dict.fromkeys(zeroed):
        subscription_id = _billed_subscription(name, items, own) if items else None
        subscription = subscriptions.get(subscription_id)
        if subscription is None:
            message = _("Line “%(line)s” was corrected to 0: check the cycle counter of the "
                        "payment schedule.") % {"line": name}
        else:
            message = _("Line “%(line)s” was corrected to 0: check the cycle counter of "
                        "tariff %(tariff)s (from %(start)s) in the payment schedule.") % {
                "line": name, "tariff": subscription.tariff.name,
                "start": subscription.start_date}
        warnings.append(CorrectionWarning(message, name, subscription_id))
    return warnings


def correction_issue(*, actor, invoice: FinanceDocument, lines, reason: str,
                     issue_date: date | None = None
                     ) -> tuple[FinanceDocument, list[CorrectionWarning]]:
    """A correcting invoice: ``lines`` are the invoice as it should be now.

    The difference is a new ledger document referring to the invoice: downward it credits
    the customer — allocations above the corrected total are released into credit —,
    upward it is a new receivable that reopens the invoice; a correction of data alone
    moves no money. Returns the correction and warnings for the operator: a line corrected
    to 0 (quantity or value) — or the whole invoice — may have counted a cycle of a
    subscription's payment schedule, whose counter staff then correct by hand.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("A correction needs its reason.")]})
    lines = _clean_lines(lines, allow_zero=True) if lines else []
    issue_date = issue_date or timezone.localdate()
    invoice = _own(invoice)
    with transaction.atomic(durable=True):
        account = account_lock(invoice.customer)
        invoice = FinanceDocument.objects.select_for_update().get(pk=invoice.pk)
        if invoice.kind != Kind.INVOICE:
            raise ValidationError(_("Only an invoice can be corrected."))
        settlement = invoice_settlement(invoice)
        before = invoice_current_lines(invoice=invoice)  # the state this one corrects
        lines = _gross_keep(lines, before if before else list(invoice.lines.all()))
        new_total = _gross(lines) if lines else ZERO
        difference = new_total - settlement.total
        number = number_take(Kind.CORRECTION, issue_date)
        correction = document_create(
            customer=invoice.customer, kind=Kind.CORRECTION, number=number,
            issue_date=issue_date, due_date=invoice.due_date if difference > 0 else None,
            debit=max(difference, ZERO), credit=max(-difference, ZERO), corrects=invoice,
            reason=reason, created_by=staff_of(actor), corrected_total=new_total,
            amount_field="lines")
        if lines:
            _write_lines(correction, lines)
        if difference < 0:
            group = [invoice, *invoice.corrections.filter(debit__gt=0).order_by("id")]
            _release_over_allocation(group, settlement.paid - new_total)
            _settle_group(correction, group, actor)
        ledger_post(account, correction)
        allocate_open(invoice.customer, actor)
        warnings = _zeroed_line_warnings(invoice, before, lines)
        if new_total == 0 and not warnings:
            warnings.append(CorrectionWarning(_(
                "The invoice was corrected to zero: check the cycle counter of the payment "
                "schedule.")))
        action_log(actor=actor, customer=invoice.customer, kind="finance.correction",
                   message=N_("Correction %(c)s of invoice %(n)s: %(d)s (%(r)s)"),
                   params={"c": number, "n": invoice.number, "d": money(difference),
                           "r": reason})
        publish("correction.issued", correction_id=correction.pk, invoice_id=invoice.pk,
                customer_id=invoice.customer_id)
    return correction, warnings


def _release_over_allocation(group, excess: Decimal) -> None:
    """Shrink the newest payment allocations on the invoice and its upward corrections by
    ``excess``: that money becomes the customer's credit again."""
    for allocation in (Allocation.objects.select_for_update()
                       .filter(receivable__in=group).exclude(rule="correction").order_by("-id")):
        if excess <= 0:
            break
        cut = min(excess, allocation.amount)
        if cut == allocation.amount:
            allocation.delete()
        else:
            allocation.amount -= cut
            allocation.save(update_fields=["amount"])
        excess -= cut


def _settle_group(correction, group, actor) -> None:
    """A downward correction pays its own invoice (and upward corrections of it) as far as
    they are still open; anything left stays as the customer's credit."""
    left = correction.credit
    for receivable in group:
        taken = Allocation.objects.filter(receivable=receivable).aggregate(
            v=Coalesce(Sum("amount"), Value(ZERO), **_SUM))["v"]
        part = min(left, receivable.debit - taken)
        if part > 0:
            Allocation.objects.create(payment=correction, receivable=receivable, amount=part,
                                      rule="correction", created_by=staff_of(actor))
            left -= part


# --------------------------------------------------------------------------- payments

def _positive(amount, field="amount") -> Decimal:
    """An amount typed, above zero; what one document may carry is checked where the
    document is written (``document_create``)."""
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        raise ValidationError({field: [_("Enter an amount.")]})
    try:
        value = to_money(amount)
    except AmountError as error:
        raise ValidationError({field: error.error_list}) from None
    if value <= 0:
        raise ValidationError({field: [_("The amount must be above zero.")]})
    return value


def _cash_positions(positions) -> list[tuple[str, Decimal]]:
    """The free positions of a KP as typed: each needs a name and an amount above zero."""
    cleaned, errors = [], []
    for index, (name, amount) in enumerate(positions, start=1):
        name = (name or "").strip()
        if not name:
            errors.append(_("Position %(n)s: enter what was paid for.") % {"n": index})
        try:
            value = to_money(amount)
        except AmountError as error:  # not an amount: why, said of the position
            errors.append(_("Position %(n)s: %(reason)s") % {
                "n": index, "reason": " ".join(error.messages)})
            continue
        if value <= 0:
            errors.append(_("Position %(n)s: the amount must be above zero.") % {"n": index})
            continue
        if len(name) > 250:
            errors.append(_("Position %(n)s: the name is longer than 250 characters.")
                          % {"n": index})
        cleaned.append((name, value))
    if errors:
        raise ValidationError({"positions": errors})
    return cleaned


def kp_issue(*, actor, customer: Customer, register: CashRegister, amount=None,
             positions=(), invoices=(), title: str = "",
             issue_date: date | None = None) -> FinanceDocument:
    """KP ("Kasa Przyjęła", cash in): its positions are the ``invoices`` ticked as paid
    (each for what it still owes, settled by the KP) and the free ``positions`` — pairs of
    a name and an amount; the KP's credit is their sum, and whatever is not one of the
    ticked invoices pays the oldest open documents or stays as the customer's credit.

    ``amount`` (instead of ``positions``) is the total paid, as before positions existed:
    it settles the ticked invoices in due order as far as it goes, and any rest is one
    free position named by ``title`` ("Payment" without one).

    Locks the customer's account. Refuses with nothing written: an empty name, an amount
    not above zero, no position and no invoice, an invoice not this customer's."""
    issue_date = issue_date or timezone.localdate()
    free = _cash_positions(positions)
    if amount is not None and free:
        raise ValidationError({"amount": [_("Enter either the amount or the positions, "
                                            "not both.")]})
    total = _positive(amount) if amount is not None else None
    with transaction.atomic(durable=True):
        account = account_lock(customer)
        ticked = list(FinanceDocument.objects.filter(customer=customer, debit__gt=0,
                                                     pk__in=[i.pk for i in invoices]))
        if len(ticked) != len({i.pk for i in invoices}):
            raise ValidationError({"invoices": [_("An invoice is not this customer's.")]})
        open_amounts = {r.pk: r.debit - r.allocated for r in _receivables(customer)
                        .filter(pk__in=[t.pk for t in ticked])}
        paid = []                                    # (invoice, the amount it gets)
        left = total
        for receivable in sorted(ticked, key=lambda r: (r.due_date or r.issue_date, r.pk)):
            part = open_amounts.get(receivable.pk, ZERO)
            if left is not None:
                part = min(part, left)
                left -= part
            if part > 0:
                paid.append((receivable, part))
        if left:
            with translation.override(settings.LANGUAGE_CODE):  # printed on the KP
                free = [(title.strip() or _("Payment"), left)]
        with translation.override(settings.LANGUAGE_CODE):
            rows = [(_("Payment for %(number)s") % {"number": r.number}, part)
                    for r, part in paid]
        rows += free
        if not rows:
            raise ValidationError({"positions": [
                _("Add a position or tick the invoices paid.") if not ticked else
                _("The invoices ticked are already paid: add a position.")]})
        value = sum((part for _name, part in rows), ZERO)
        number = number_take(Kind.KP, issue_date, register=register)
        if not title:
            title = ", ".join([t.number for t in ticked]
                              + ([] if amount is not None else [n for n, _a in free]))
        kp = document_create(
            customer=customer, kind=Kind.KP, number=number, issue_date=issue_date, credit=value,
            cash_register=register, created_by=staff_of(actor), title=title[:500],
            amount_field="amount" if amount is not None else "positions")
        # bulk_create skips save(): the tenant is set here.
        CashPosition.objects.bulk_create(
            CashPosition(tenant=kp.tenant, document=kp, position=index, name=name[:250],
                         amount=part)
            for index, (name, part) in enumerate(rows, start=1))
        Allocation.objects.bulk_create(
            Allocation(tenant=kp.tenant, payment=kp, receivable=receivable, amount=part,
                       rule="named", created_by=staff_of(actor))
            for receivable, part in paid)
        ledger_post(account, kp)
        allocate_open(customer, actor)
        action_log(actor=actor, customer=customer, kind="finance.kp",
                   message=N_("KP %(n)s: %(a)s (%(p)s)"), params={
                       "n": number, "a": money(value),
                       "p": [sentence(N_("%(name)s: %(amount)s"),
                                      {"name": name, "amount": money(part)})
                             for name, part in rows]})
    return kp


def _simple_document(*, actor, customer, kind, side, amount, title, log_message,
                     number=None, issue_date=None, due_date=None, reason="", durable=True,
                     **extra):
    """One document on one side of the ledger: numbered by the tenant's pattern of its kind
    (of its cash register for a KW) in the transaction, or ``number`` as given (a bank
    reference)."""
    value = _positive(amount)
    issue_date = issue_date or timezone.localdate()
    with transaction.atomic(durable=durable):
        account = account_lock(customer)
        number = number or number_take(kind, issue_date, register=extra.get("cash_register"))
        document = document_create(
            customer=customer, kind=kind, number=number, issue_date=issue_date,
            due_date=due_date if side == "debit" else None, title=title, reason=reason,
            created_by=staff_of(actor), amount_field="amount", **{side: value}, **extra)
        ledger_post(account, document)
        allocate_open(customer, actor)
        action_log(actor=actor, customer=customer, kind=f"finance.{kind}",
                   message=log_message, params={"n": number, "a": money(value)})
    return document


def kw_issue(*, actor, customer: Customer, register: CashRegister, amount, title: str = "",
             issue_date: date | None = None) -> FinanceDocument:
    """KW ("Kasa Wydała", cash out), e.g. a refund of credit: charges the balance."""
    return _simple_document(
        actor=actor, customer=customer, kind=Kind.KW, side="debit", amount=amount, title=title,
        issue_date=issue_date, cash_register=register,
        due_date=issue_date or timezone.localdate(), log_message=N_("KW %(n)s: %(a)s"))


def bank_transfer_record(*, actor, customer: Customer, amount, booking_date: date, title: str,
                         bank_reference: str = "", bank_account: str = "",
                         counterparty_account: str = "", nested: bool = False) -> FinanceDocument:
    """A transfer received (imported or typed by hand); the bank reference is unique per
    account, so the same transfer is never recorded twice. ``nested``: called inside the
    bank import's own transaction."""
    number = bank_reference or f"BANK/{booking_date:%Y%m%d}/{timezone.now():%H%M%S%f}"
    return _simple_document(
        actor=actor, customer=customer, kind=Kind.BANK_TRANSFER, side="credit", amount=amount,
        title=title, issue_date=booking_date, number=number[:60],
        bank_reference=bank_reference, bank_account=bank_account,
        counterparty_account=counterparty_account, durable=not nested,
        log_message=N_("Bank transfer %(n)s: %(a)s"))


def debit_note_issue(*, actor, customer: Customer, amount, title: str,
                     due_date: date | None = None, issue_date: date | None = None,
                     nested: bool = False) -> FinanceDocument:
    """Nota obciążeniowa: a charge outside VAT (e.g. the fee of a payment demand), dated
    ``issue_date`` (today when not given), due the tenant's payment days later unless
    ``due_date`` is given. ``nested``: called inside the caller's transaction, which then
    owns the commit."""
    if not (title or "").strip():
        raise ValidationError({"title": [_("A debit note needs its title.")]})
    issued = issue_date or timezone.localdate()
    return _simple_document(
        actor=actor, customer=customer, kind=Kind.DEBIT_NOTE, side="debit", amount=amount,
        title=title.strip(), issue_date=issue_date,
        due_date=due_date or issued + timedelta(days=setting_get("finance.payment_days")),
        durable=not nested, log_message=N_("Debit note %(n)s: %(a)s"))


def technical_issue(*, actor, customer: Customer, amount, charge: bool,
                    reason: str) -> FinanceDocument:
    """An administrative charge or credit; not recommended, so a reason is mandatory."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("A technical transaction needs its reason.")]})
    return _simple_document(
        actor=actor, customer=customer, kind=Kind.TECHNICAL,
        side="debit" if charge else "credit", amount=amount, title=reason, reason=reason,
        due_date=timezone.localdate(), log_message=N_("Technical transaction %(n)s: %(a)s"))


def cash_register_create(*, actor, name: str, symbol: str, kp_number_pattern: str = "",
                         kw_number_pattern: str = "") -> CashRegister:
    """A cash desk; its symbol names its KP/KW number series and is unique per tenant.
    Its KP and KW numbers follow its own patterns (empty: ``KP/<SYMBOL>/{YYYY}/{N}``),
    which no other register may share."""
    name, symbol = (name or "").strip(), (symbol or "").strip().lower()
    if not name:
        raise ValidationError({"name": [_("A cash register needs a name.")]})
    if not re.fullmatch(r"[a-z0-9_-]{1,20}", symbol):
        raise ValidationError({"symbol": [_("Use up to 20 letters, digits, - or _.")]})
    with transaction.atomic(durable=True):
        patterns = register_patterns_validate(symbol=symbol,
                                              kp_number_pattern=kp_number_pattern,
                                              kw_number_pattern=kw_number_pattern)
        try:
            with transaction.atomic():
                register = CashRegister.objects.create(name=name, symbol=symbol, **patterns)
        except IntegrityError:
            raise ValidationError({"symbol": [_("A cash register with this symbol already "
                                                "exists.")]}) from None
        action_log(actor=actor, kind="finance.cash_register",
                   message=N_("Cash register %(n)s (%(s)s) added"),
                   params={"n": name, "s": symbol})
    return register


# --------------------------------------------------------------------------- manual links

def allocation_link(*, actor, payment: FinanceDocument, receivable: FinanceDocument,
                    amount=None) -> Allocation:
    """"Powiąż nierozliczone transakcje": link a payment to a receivable by hand."""
    payment, receivable = _own(payment), _own(receivable)
    if payment.customer_id != receivable.customer_id:
        raise ValidationError(_("Both documents must be the same customer's."))
    with transaction.atomic(durable=True):
        account_lock(payment.customer)
        free = {p.pk: p.credit - p.allocated for p in _payments(payment.customer)}.get(
            payment.pk, ZERO)
        owed = {r.pk: r.debit - r.allocated for r in _receivables(payment.customer)}.get(
            receivable.pk, ZERO)
        value = min(free, owed) if amount is None else _positive(amount)
        if value <= 0 or value > free or value > owed:
            raise ValidationError({"amount": [_(
                "At most %(m)s PLN can be linked: what is left of the payment and of the "
                "receivable.") % {"m": min(free, owed)}]})
        allocation = Allocation.objects.create(payment=payment, receivable=receivable,
                                               amount=value, rule="manual",
                                               created_by=staff_of(actor))
        action_log(actor=actor, customer=payment.customer, kind="finance.link",
                   message=N_("%(p)s linked to %(r)s: %(a)s"),
                   params={"p": payment.number, "r": receivable.number, "a": money(value)})
    return allocation


def allocations_remove(*, actor, document: FinanceDocument) -> int:
    """"Usuń powiązania": unlink a document from everything it pays or is paid by (the
    money stays on the ledger as unsettled amounts; links of corrections stay)."""
    document = _own(document)
    with transaction.atomic(durable=True):
        account_lock(document.customer)
        links = Allocation.objects.filter(Q(payment=document) | Q(receivable=document)) \
            .exclude(rule="correction")
        count = links.count()
        links.delete()
        action_log(actor=actor, customer=document.customer, kind="finance.unlink",
                   message=N_("Links of %(n)s removed (%(c)s)"),
                   params={"n": document.number, "c": count})
    return count


