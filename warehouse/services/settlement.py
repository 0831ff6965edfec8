"""What the customer pays for equipment a WZ issues, through finance's own services, in
the WZ's own transaction.

* **sale**: a VAT invoice with a line per WZ line (``finance.services.invoice_issue``),
  linked on ``StockDocument.invoice``;
* **lease**: the lease tariff chosen on the WZ put on the customer
  (``finance.billing.subscription_add``, billed monthly by the billing run), linked on
  ``StockDocument.subscription``; a ZW that brings back the last of the WZ's equipment
  (its serials; its counted goods, first in, first out: ``counted``) ends it
  (``finance.billing.subscription_end``);
* **deposit**: a debit note ("nota obciążeniowa": a deposit is no sale, so outside VAT)
  for the deposit (``finance.services.debit_note_issue``), linked on
  ``StockDocument.invoice``; a ZW does not refund it (staff do, by a KW or a correction)
  but says it was taken.

Finance's services are called with ``nested=True``: their document commits with the WZ
(or the ZW) or not at all. A refusal by finance (a ``ValidationError``: a number pattern
that does not work, a line it does not take) refuses the whole document, told on
``settlement``.

Lock order, the same in every path that moves stock and money, so that two WZs of one
customer, a WZ and a payment, or a ZW and the billing run never wait on each other in a
circle: the warehouse a document puts stock into and its products, FOR SHARE
(``base.stock_targets_hold``: only changing them waits for that, taking no other lock) →
**the customer's finance account** (``finance.services.account_lock``, the lock every
money service and the billing run take first) → the serials in primary-key order → the
stock levels → the warehouse document's number series → what finance locks after its
account (its number series; the subscription row). A WZ with a settlement and every ZW take
the account first (``account_first``); a WZ with no settlement touches no money and skips
it.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, money
from finance.models import Tariff
from finance.money import round_grosz

from ..models import ItemMove, StockDocument, StockItem
from . import counted
from .base import own

Settlement = StockDocument.Settlement
Kind = StockDocument.Kind
DEPOSIT_TITLE = "Kaucja za sprzęt wydany dokumentem {number}"


@dataclass(frozen=True)
class SettlementPlan:
    settlement: str = Settlement.NONE
    tariff: Tariff | None = None
    deposit: Decimal | None = None


def settlement_clean(*, settlement, lease_tariff=None, deposit=None, issued_on=None,
                     actor=None) -> SettlementPlan:
    """The WZ's settlement as chosen: a lease needs an active tariff of the tenant (its
    monthly price) starting on the WZ's date; a deposit's amount, when typed, is above
    zero (left out: the lines' value). What it issues in finance, ``actor`` must be
    allowed to issue there (``settlement_allowed``)."""
    from finance.billing import subscription_start_check

    settlement = settlement or Settlement.NONE
    if settlement not in Settlement.values:
        raise ValidationError({"settlement": [_("Choose no charge, sale, lease or deposit.")]})
    if not settlement_allowed(actor, settlement):
        raise ValidationError({"settlement": [
            _("You may not charge the customer this way: a sale issues an invoice, a "
              "deposit a debit note, a lease a subscription — ask someone who may issue "
              "them, or issue the equipment with no charge.")]})
    if lease_tariff not in (None, "") and settlement != Settlement.LEASE:
        raise ValidationError({"lease_tariff": [_("A tariff is chosen for a lease only.")]})
    if deposit not in (None, "") and settlement != Settlement.DEPOSIT:
        raise ValidationError({"deposit": [_("An amount of deposit is for a deposit only.")]})
    if settlement == Settlement.LEASE:
        return SettlementPlan(settlement, tariff=_lease_tariff(lease_tariff, issued_on,
                                                               subscription_start_check))
    if settlement == Settlement.DEPOSIT:
        return SettlementPlan(settlement, deposit=_deposit_clean(deposit))
    return SettlementPlan(settlement)


def settlement_allowed(actor, settlement: str) -> bool:
    """May ``actor`` charge by ``settlement``: what it issues in finance is theirs to issue
    (``finance.permissions.can_issue``; a lease: ``finance.add_subscription``)? No actor
    (the system's own work): yes."""
    from finance.models import Kind
    from finance.permissions import can_issue

    if actor is None or settlement == Settlement.NONE:
        return True
    if settlement == Settlement.SALE:
        return can_issue(actor, Kind.INVOICE)
    if settlement == Settlement.DEPOSIT:
        return can_issue(actor, Kind.DEBIT_NOTE)
    return bool(actor.is_authenticated and actor.has_perm("finance.add_subscription"))


def _lease_tariff(value, issued_on, start_check) -> Tariff:
    if value in (None, ""):
        raise ValidationError({"lease_tariff": [_("Choose the tariff of the lease.")]})
    tariff = own(Tariff, value, field="lease_tariff", message=_("No such tariff."))
    if not tariff.is_active:
        raise ValidationError({"lease_tariff": [_("Tariff %(t)s is not active.")
                                                % {"t": tariff.name}]})
    if issued_on is not None:
        try:
            start_check(issued_on)
        except ValidationError as exc:
            raise ValidationError({"issued_on": exc.messages}) from None
    return tariff


def _deposit_clean(value) -> Decimal | None:
    from ..catalog import price_clean

    if value in (None, ""):
        return None
    try:
        amount = price_clean(value)
    except ValidationError as exc:
        raise ValidationError({"deposit": exc.messages}) from None
    if amount <= 0:
        raise ValidationError({"deposit": [_("The deposit must be above zero.")]})
    return amount


def lines_value(lines) -> Decimal:
    """The net value of a document's lines (quantity × unit price, to the grosz)."""
    return sum((round_grosz(line.quantity * line.unit_price) for line in lines),
               Decimal("0.00"))


def settlement_value_check(plan: SettlementPlan, lines) -> None:
    """Inside the WZ's transaction, once its lines have their prices: a sale, or a deposit
    taken at the lines' value, needs a value above zero."""
    if plan.settlement == Settlement.SALE and lines_value(lines) <= 0:
        raise ValidationError({"lines": [_("A sale needs prices: the lines come to 0.00.")]})
    if plan.settlement == Settlement.DEPOSIT and plan.deposit is None \
            and lines_value(lines) <= 0:
        raise ValidationError({"deposit": [_("Give the amount of the deposit: the lines "
                                             "come to 0.00.")]})


def account_first(customer) -> None:
    """The customer's finance account, locked (created when missing): the first lock of a
    WZ with a settlement, and of a ZW after its warehouse and products (``base.
    stock_targets_hold``, which only changing those waits for); every money service takes
    it first (module docstring)."""
    from finance.services import account_lock

    account_lock(customer)


# --------------------------------------------------------------------------- WZ

REFUSED = {
    Settlement.SALE: N_("Finance did not issue the invoice of the sale: %(e)s"),
    Settlement.LEASE: N_("Finance did not put the lease on the customer: %(e)s"),
    Settlement.DEPOSIT: N_("Finance did not issue the debit note of the deposit: %(e)s"),
}


def document_settle(*, actor, document: StockDocument, plan: SettlementPlan, lines) -> None:
    """Inside the WZ's transaction, after ``account_first``: finance's document of the
    sale, the lease or the deposit issued, linked on the WZ and logged. ``lines``: the
    WZ's lines as written (with their products and serials). A refusal by finance is a
    ``ValidationError`` on ``settlement`` and the whole WZ is refused with it."""
    if plan.settlement == Settlement.NONE:
        return
    try:
        message, params = _settle(actor=actor, document=document, plan=plan, lines=lines)
    except ValidationError as exc:
        raise ValidationError({"settlement": [_(REFUSED[plan.settlement]) % {
            "e": " ".join(exc.messages)}]}) from None
    StockDocument.objects.filter(pk=document.pk).update(
        invoice=document.invoice, subscription=document.subscription)
    action_log(actor=actor, customer=document.customer, kind="stockdocument.settle",
               message=message, params={"n": document.number, **params})


def _settle(*, actor, document: StockDocument, plan: SettlementPlan, lines
            ) -> tuple[str, dict]:
    from finance.billing import subscription_add
    from finance.services import debit_note_issue, invoice_issue

    if plan.settlement == Settlement.SALE:
        document.invoice = invoice_issue(actor=actor, customer=document.customer,
                                         lines=_invoice_lines(lines),
                                         issue_date=document.issued_on, nested=True)
        return N_("%(n)s: sold on invoice %(d)s (%(a)s)"), {
            "d": document.invoice.number, "a": money(document.invoice.debit)}
    if plan.settlement == Settlement.LEASE:
        document.subscription = subscription_add(
            actor=actor, customer=document.customer, tariff=plan.tariff,
            start_date=document.issued_on, note=document.number, nested=True)
        return N_("%(n)s: leased on tariff %(t)s from %(s)s"), {
            "t": plan.tariff.name, "s": document.issued_on}
    amount = plan.deposit or lines_value(lines)
    document.invoice = debit_note_issue(
        actor=actor, customer=document.customer, amount=amount,
        title=DEPOSIT_TITLE.format(number=document.number), issue_date=document.issued_on,
        nested=True)
    return N_("%(n)s: deposit of %(a)s charged by debit note %(d)s"), {
        "d": document.invoice.number, "a": money(document.invoice.debit)}


def _invoice_lines(lines) -> list[dict]:
    """A line of the invoice per line of the WZ, at its net price and its product's VAT
    rate: a serial names itself."""
    rows = []
    for line in lines:
        name = line.product.name if line.item is None \
            else f"{line.product.name} S/N {line.item.serial}"
        rows.append({"name": name[:250], "quantity": line.quantity,
                     "net_unit_price": line.unit_price, "vat_rate": line.product.vat_rate,
                     "unit": line.product.unit or "szt."})
    return rows


# --------------------------------------------------------------------------- ZW

@dataclass(frozen=True)
class LeaseEnded:
    """A lease a ZW ended: every serial its WZ issued is back."""

    issue_document: StockDocument
    subscription_id: int
    end_date: date


@dataclass(frozen=True)
class DepositTaken:
    """A deposit the WZ took for equipment a ZW brings back. Never refunded automatically:
    staff refund it by a KW (cash) or settle it otherwise; ``all_back``: every serial of
    that WZ is back now."""

    issue_document: StockDocument
    debit_note_number: str
    amount: Decimal
    all_back: bool


@dataclass(frozen=True)
class ReturnSettlement:
    """What a ZW did to (or found of) the settlements of the WZs its serials came by: the
    ``return_post`` result's ``document.return_settlement``, for the page to show."""

    leases_ended: list[LeaseEnded] = field(default_factory=list)
    deposits: list[DepositTaken] = field(default_factory=list)

    def notices(self) -> list[tuple[str, str]]:
        """What staff are told after the ZW, as ``(level, text)`` ("info" a lease ended,
        "warning" a deposit to refund or still held) — the card and the staff page say
        the same."""
        from django.utils.formats import date_format

        from core.templatetags.money import money_format

        notices = [("info", _("All the equipment of %(w)s is back: its lease ends on %(d)s.")
                    % {"w": lease.issue_document.number,
                       "d": date_format(lease.end_date, "SHORT_DATE_FORMAT")})
                   for lease in self.leases_ended]
        for deposit in self.deposits:
            params = {"w": deposit.issue_document.number, "a": money_format(deposit.amount),
                      "d": deposit.debit_note_number}
            if deposit.all_back:
                text = _("%(w)s took a deposit of %(a)s (debit note %(d)s) and all its "
                         "equipment is back: the deposit is not refunded automatically — "
                         "refund it by a KW or settle it by a correction.") % params
            else:
                text = _("%(w)s took a deposit of %(a)s (debit note %(d)s); some of its "
                         "equipment is still at the customer.") % params
            notices.append(("warning", text))
        return notices


SETTLED = (Settlement.LEASE, Settlement.DEPOSIT)


def _counted_products(zw: StockDocument) -> set[int]:
    return set(zw.lines.filter(item__isnull=True).values_list("product_id", flat=True))


def _issue_documents_of(zw: StockDocument) -> list[StockDocument]:
    """The lease and deposit WZs the ZW brings equipment back from: each serial's last WZ
    before this ZW in its history, and each WZ whose counted goods this ZW is the first
    to cover entirely (first in, first out: ``counted``)."""
    last_wz = (ItemMove.objects.filter(item_id=OuterRef("item_id"), document__kind=Kind.WZ,
                                       pk__lt=OuterRef("pk"))
               .order_by("-pk").values("document_id")[:1])
    ids = set(ItemMove.objects.filter(document=zw).annotate(wz=Subquery(last_wz))
              .values_list("wz", flat=True)) - {None}
    products = _counted_products(zw)
    if products:
        before = counted.issues_out(zw.customer_id, products, upto_document=zw.pk - 1)
        after = counted.issues_out(zw.customer_id, products, upto_document=zw.pk)
        ids |= before - after
    return list(StockDocument.objects.filter(pk__in=ids, settlement__in=SETTLED)
                .select_related("invoice", "subscription").order_by("pk"))


def _still_out(zw: StockDocument, documents) -> set[int]:
    """Of these WZs, those with a serial still at the customer by them, or counted goods
    not all back as of ``zw``."""
    out = set(StockItem.objects.filter(issue_document__in=[d.pk for d in documents])
              .values_list("issue_document_id", flat=True).distinct())
    counted_lines = set(StockDocument.objects.filter(
        pk__in=[d.pk for d in documents], lines__item__isnull=True)
        .values_list("lines__product_id", flat=True))
    if counted_lines:
        out |= counted.issues_out(zw.customer_id, counted_lines, upto_document=zw.pk)
    return out


def lease_end_date(subscription, returned_on: date) -> date | None:
    """The day a lease ends when its equipment is back on ``returned_on``: that day, or the
    last day already invoiced when later (an invoiced period is not taken back here: a
    correction of its invoice does that); None when it ends by then already."""
    if subscription.end_date is not None and subscription.end_date <= returned_on:
        return None
    return max(returned_on, subscription.billed_until or returned_on)


def return_settle(*, actor, document: StockDocument) -> ReturnSettlement:
    """Inside the ZW's transaction, after its serials are back (the account locked first,
    ``account_first``): the lease of each WZ whose last equipment this ZW brings back ends on
    the ZW's date (``subscription_end(nested=True)``: locks the subscription); a deposit is
    only reported. A ZW dated before the lease starts is refused on ``issued_on``.
    Returns what the page shows (``ReturnSettlement``)."""
    from finance.billing import subscription_end

    documents = _issue_documents_of(document)
    out = _still_out(document, documents)
    ended = []
    for wz in documents:
        if wz.settlement != Settlement.LEASE or wz.pk in out or wz.subscription is None:
            continue
        subscription = wz.subscription
        if document.issued_on < subscription.start_date:
            raise ValidationError({"issued_on": [_(
                "The return is dated %(d)s, before the lease of %(n)s starts (%(s)s).") % {
                "d": document.issued_on, "n": wz.number, "s": subscription.start_date}]})
        end_date = lease_end_date(subscription, document.issued_on)
        if end_date is None:
            continue
        subscription_end(actor=actor, subscription=subscription, end_date=end_date,
                         nested=True)
        action_log(actor=actor, customer=document.customer, kind="stockdocument.settle",
                   message=N_("%(n)s: all the equipment of %(w)s is back; its lease ends "
                              "on %(e)s"),
                   params={"n": document.number, "w": wz.number, "e": end_date})
        ended.append(LeaseEnded(wz, subscription.pk, end_date))
    return ReturnSettlement(leases_ended=ended, deposits=_deposits(documents, out))


def _deposits(documents, out: set[int]) -> list[DepositTaken]:
    return [DepositTaken(wz, wz.invoice.number, wz.invoice.debit, wz.pk not in out)
            for wz in documents if wz.settlement == Settlement.DEPOSIT
            and wz.invoice is not None]


def return_settlement_get(document: StockDocument) -> ReturnSettlement:
    """The same for a ZW already posted (its form sent again): the deposits as they stand,
    the leases of its WZs that are all back and ended."""
    documents = _issue_documents_of(document)
    out = _still_out(document, documents)
    return ReturnSettlement(
        leases_ended=[LeaseEnded(wz, wz.subscription.pk, wz.subscription.end_date)
                      for wz in documents if wz.settlement == Settlement.LEASE
                      and wz.pk not in out and wz.subscription is not None
                      and wz.subscription.end_date is not None],
        deposits=_deposits(documents, out))
