"""Payment demands ("wezwanie do zapłaty"): for each chosen debtor a numbered demand
listing the overdue receivables, the account to pay to and the deadline, stored with its
PDF; where the tenant charges a fee, finance's debit note ("nota obciążeniowa") for it.

Many customers go through a ``DemandJob`` run by Celery (``demand_job_run_task``) with
its progress on the job row. Each customer is its own transactions, so a failure or a
crash stops the job, not the demands already issued; the job resumes where it stopped.

Idempotent: one demand per customer and day is a database constraint
(``paymentdemand_once_a_day``), checked under finance's lock of the customer's account,
so the same selection twice, or two jobs at once, issue one demand and one fee.

The fee's debit note is finance's (``finance.services.debit_note_issue``, durable: it
cannot run inside our transaction). Hence three steps: the demand is committed with its
fee amount, the note issued, then linked. A crash between them leaves a demand without
its note; running the job again finds the note by its title (which names the demand) or
issues it.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, money, staff_of
from core.events import publish
from core.numbering import number_next, pattern_validate
from core.tenant_settings import setting_get
from customers.models import Customer
from documents import rendering
from finance.dashboard import overdue_receivables
from finance.models import FinanceDocument, Kind
from finance.printing import LAYOUTS, account_text, amount_in_words, money_text
from finance.seller import buyer_get, seller_get
from finance.services import account_lock, debit_note_issue

from .models import DemandJob, PaymentDemand, PaymentDemandItem

log = logging.getLogger(__name__)

ZERO = Decimal("0.00")
SERIES = "accounting.demand"
LANGUAGE = "pl"  # a demand is a Polish legal letter, whatever the operator's language
LAYOUT = Path(__file__).parent / "print_templates" / "demand.html"
MAX_CUSTOMERS = 200_000
# The title of the fee's debit note, as printed on it (Polish, like the note itself);
# it names the demand, which is how a resumed job finds a note issued before a crash.
FEE_TITLE = "Opłata za wezwanie do zapłaty {number}"

ISSUED = "issued"
BELOW_THRESHOLD = "below_threshold"
NOTHING_OVERDUE = "nothing_overdue"
ALREADY_DEMANDED = "already_demanded"
NOT_FOUND = "not_found"


@dataclass(frozen=True)
class DemandOutcome:
    """What ``demand_issue`` did for one customer: ``ISSUED`` (``demand`` set) or why not."""

    status: str
    demand: PaymentDemand | None = None


# --------------------------------------------------------------------------- settings

def fee_clean(value: str) -> str:
    """The fee setting as typed ("20", "20,50"): a non-negative amount, stored with a dot."""
    try:
        amount = Decimal(value.replace(",", ".") or "0")
    except InvalidOperation:
        raise ValidationError(_("Enter an amount such as 20.00.")) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")) \
            or amount >= Decimal("1000000"):
        raise ValidationError(_("Enter an amount such as 20.00 (0: no fee)."))
    return f"{amount:.2f}"


def demand_fee() -> Decimal:
    """The active tenant's fee for a demand (0: none)."""
    try:
        return Decimal(fee_clean(str(setting_get("accounting.demand_fee"))))
    except ValidationError:
        return ZERO


def numbers_in_use(series: str, numbers: list[str]) -> set[str]:
    """Which of ``numbers`` a demand of the active tenant already bears (core.numbering)."""
    return set(PaymentDemand.objects.filter(number__in=numbers).values_list("number", flat=True))


# --------------------------------------------------------------------------- the job

def _customer_ids_clean(customer_ids) -> list[int]:
    try:
        ids = list(dict.fromkeys(int(i) for i in customer_ids or ()))
    except (TypeError, ValueError):
        raise ValidationError({"customers": [_("Customer ids must be numbers.")]}) from None
    if not ids:
        raise ValidationError({"customers": [_("Select at least one customer.")]})
    if len(ids) > MAX_CUSTOMERS:
        raise ValidationError({"customers": [_("At most %(n)s customers at once.")
                                             % {"n": MAX_CUSTOMERS}]})
    found = set(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        # Another tenant's customer is as unknown as one that never existed.
        raise ValidationError({"customers": [_("Unknown customers: %(ids)s.") % {
            "ids": ", ".join(map(str, missing[:10]))}]})
    return ids


def demands_start(*, actor, customer_ids, threshold: Decimal = ZERO) -> DemandJob:
    """Queue a job issuing demands to ``customer_ids`` (the active tenant's, else a
    ValidationError naming the unknown ids); each customer is checked again against
    ``threshold`` when the job reaches it. The Celery task is queued on commit."""
    threshold = Decimal(threshold or 0)
    if threshold < 0:
        raise ValidationError({"threshold": [_("The minimum debt cannot be negative.")]})
    ids = _customer_ids_clean(customer_ids)
    with transaction.atomic():
        job = DemandJob.objects.create(customer_ids=ids, total=len(ids), threshold=threshold,
                                       created_by=staff_of(actor))
        action_log(actor=actor, kind="accounting.demand_job",
                   message=N_("Payment demands ordered for %(n)s customers"),
                   params={"n": len(ids)})
        tenant_id, actor_id = job.tenant_id, getattr(staff_of(actor), "pk", None)
        transaction.on_commit(lambda: demand_job_run_task.delay(tenant_id, job.pk, actor_id))
    return job


def demand_job_run(*, job: DemandJob, actor, today: date | None = None) -> DemandJob:
    """Issue the job's demands, customer by customer, from where it stopped (``done``).
    A finished job is left as it is. Progress is written after each customer."""
    if job.status in (DemandJob.Status.DONE, DemandJob.Status.FAILED):
        return job
    DemandJob.objects.filter(pk=job.pk).update(status=DemandJob.Status.RUNNING)
    try:
        for customer_id in job.customer_ids[job.done:]:
            outcome = demand_issue(actor=actor, customer_id=customer_id,
                                   threshold=job.threshold, job=job, today=today)
            issued = outcome.status == ISSUED
            DemandJob.objects.filter(pk=job.pk).update(
                done=F("done") + 1, issued=F("issued") + int(issued),
                skipped=F("skipped") + int(not issued))
    except Exception as exc:
        log.exception("payment demand job %s failed", job.pk)
        DemandJob.objects.filter(pk=job.pk).update(status=DemandJob.Status.FAILED,
                                                   error=str(exc)[:2000],
                                                   finished_at=timezone.now())
        raise
    DemandJob.objects.filter(pk=job.pk).update(status=DemandJob.Status.DONE,
                                               finished_at=timezone.now())
    job.refresh_from_db()
    return job


@shared_task(acks_late=True)
def demand_job_run_task(tenant_id: int, job_id: int, actor_id: int | None):
    """Celery: ``demand_job_run``. Delivered twice, it continues from ``done``; issued
    demands are never issued again (one a day per customer)."""
    from core.models import Tenant, User
    from core.tenancy import tenant_context

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        job = DemandJob.objects.get(pk=job_id)
        demand_job_run(job=job, actor=User.objects.filter(pk=actor_id).first()
                       if actor_id else None)


# --------------------------------------------------------------------------- one demand

def demand_issue(*, actor, customer_id: int, threshold: Decimal = ZERO,
                 job: DemandJob | None = None, today: date | None = None) -> DemandOutcome:
    """The demand of one customer for its receivables overdue on ``today``, unless its
    debt is below ``threshold`` (or nothing is owed or overdue) or it already has one
    today. Locks the customer's finance account while deciding (a payment booked at the
    same moment is either seen or waits); charges the fee after commit (module doc) and
    publishes ``payment_demand.issued``."""
    today = today or timezone.localdate()
    fee = demand_fee()
    try:
        outcome = _demand_create(actor=actor, customer_id=customer_id, threshold=threshold,
                                 job=job, today=today, fee=fee)
    except IntegrityError:
        # The same customer demanded at the same moment by another request: it won.
        return DemandOutcome(ALREADY_DEMANDED)
    if outcome.status == ALREADY_DEMANDED and outcome.demand and job \
            and outcome.demand.job_id == job.pk:
        _fee_charge(actor=actor, demand=outcome.demand)  # a resumed job: finish its fee
        return outcome
    if outcome.status != ISSUED:
        return outcome
    demand = _fee_charge(actor=actor, demand=outcome.demand)
    publish("payment_demand.issued", demand_id=demand.pk, customer_id=demand.customer_id)
    if setting_get("accounting.demand_email"):
        demand_mail_request(demand)
    return DemandOutcome(ISSUED, demand)


# The e-mail that carries a demand's PDF (customers read Polish, as the demand itself).
MAIL_SUBJECT = "Wezwanie do zapłaty {number}"
MAIL_BODY = ("Dzień dobry,\n\nw załączniku przesyłamy wezwanie do zapłaty {number} na kwotę "
             "{amount} zł. Prosimy o wpłatę do {deadline}{account}.\n\nJeśli należność "
             "została już uregulowana, prosimy uznać to wezwanie za bezprzedmiotowe.\n")


def demand_mail_request(demand: PaymentDemand) -> None:
    """Ask for the demand's PDF to be e-mailed to the customer (``document.mail_requested``:
    the messaging app sends it once, to the address for notifications)."""
    account = f" na rachunek {account_text(demand.pay_to)}" if demand.pay_to else ""
    publish("document.mail_requested", customer_id=demand.customer_id,
            kind="payment_demand", object_id=demand.pk,
            subject=MAIL_SUBJECT.format(number=demand.number),
            body=MAIL_BODY.format(number=demand.number, amount=money_text(demand.amount),
                                  deadline=demand.deadline.strftime("%d.%m.%Y"),
                                  account=account),
            filename=demand.number.replace("/", "-") + ".pdf", content=bytes(demand.pdf))


def _demand_create(*, actor, customer_id, threshold, job, today, fee) -> DemandOutcome:
    with transaction.atomic(durable=True):
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            return DemandOutcome(NOT_FOUND)
        account = account_lock(customer)
        existing = PaymentDemand.objects.filter(customer=customer, issue_date=today).first()
        if existing is not None:
            return DemandOutcome(ALREADY_DEMANDED, existing)
        debt = -account.balance
        if debt <= 0 or debt < threshold:
            return DemandOutcome(BELOW_THRESHOLD)
        receivables = list(overdue_receivables(today=today).filter(customer=customer)
                           .order_by("due", "id"))
        if not receivables:
            return DemandOutcome(NOTHING_OVERDUE)
        demand = _demand_write(actor=actor, customer=customer, receivables=receivables,
                               balance=account.balance, job=job, today=today, fee=fee)
    return DemandOutcome(ISSUED, demand)


def _demand_write(*, actor, customer, receivables, balance, job, today, fee) -> PaymentDemand:
    seller = seller_get()
    customer = Customer.objects.prefetch_related("addresses").get(pk=customer.pk)
    buyer = buyer_get(customer)
    number = number_next(series=SERIES, when=today, pattern=pattern_validate(
        setting_get("accounting.demand_number_pattern")))
    demand = PaymentDemand.objects.create(
        customer=customer, number=number, issue_date=today,
        deadline=today + timedelta(days=setting_get("accounting.demand_days")),
        amount=sum((r.left for r in receivables), ZERO), balance=balance, fee=fee,
        pay_to=buyer.account or seller.bank_account, job=job, created_by=staff_of(actor),
        pdf=b"")
    demand.items_cache = PaymentDemandItem.objects.bulk_create([
        PaymentDemandItem(tenant=customer.tenant, demand=demand, receivable=r, number=r.number,
                          due_date=r.due, amount=r.left) for r in receivables])
    demand.pdf = demand_pdf_render(demand=demand, seller=seller, buyer=buyer,
                                   items=demand.items_cache)
    demand.save(update_fields=["pdf"])
    action_log(actor=actor, customer=customer, kind="accounting.demand",
               message=N_("Payment demand %(n)s issued: %(a)s, to be paid by %(d)s"),
               params={"n": number, "a": money(demand.amount), "d": demand.deadline})
    return demand


def _fee_charge(*, actor, demand: PaymentDemand) -> PaymentDemand:
    """The fee's debit note (finance's service), once: found by its title when a crash
    came between issuing and linking it."""
    if demand.fee <= 0 or demand.fee_note_id:
        return demand
    title = FEE_TITLE.format(number=demand.number)
    note = (FinanceDocument.objects.filter(customer_id=demand.customer_id,
                                           kind=Kind.DEBIT_NOTE, title=title).first()
            or debit_note_issue(actor=actor, customer=demand.customer, amount=demand.fee,
                                title=title, due_date=demand.deadline))
    with transaction.atomic(durable=True):
        locked = PaymentDemand.objects.select_for_update().get(pk=demand.pk)
        if locked.fee_note_id is None:
            locked.fee_note = note
            locked.save(update_fields=["fee_note"])
    demand.fee_note = note
    return demand


# --------------------------------------------------------------------------- the PDF

@cache
def _layout() -> str:
    return LAYOUT.read_text(encoding="utf-8")


@cache
def _css() -> str:
    return (LAYOUTS / "finance.css").read_text(encoding="utf-8")


def _date(value) -> str:
    with translation.override(LANGUAGE):
        return date_format(value, "SHORT_DATE_FORMAT") if value else ""


def demand_pdf_render(*, demand: PaymentDemand, seller, buyer, items) -> bytes:
    """The demand as printed: the overdue receivables with what is left of each, the total,
    the fee, the account and the deadline (Polish, through the documents engine)."""
    context = {
        "demand": {"number": demand.number, "issue_date": _date(demand.issue_date),
                   "deadline": _date(demand.deadline), "amount": money_text(demand.amount),
                   "amount_words": amount_in_words(demand.amount),
                   "fee": money_text(demand.fee) if demand.fee > 0 else "",
                   "pay_to": account_text(demand.pay_to)},
        "seller": {"name": seller.name, "street": seller.street,
                   "city_line": seller.address_line2, "nip": seller.nip},
        "buyer": {"name": buyer.name, "address": buyer.address, "number": buyer.number,
                  "nip": buyer.nip},
        "items": [{"number": i.number, "due_date": _date(i.due_date),
                   "amount": money_text(i.amount)} for i in items],
    }
    with translation.override(LANGUAGE):
        html = rendering.render_html(_layout(), context)
        return rendering.render_pdf(html_body=html, css=_css(), number=demand.number,
                                    code=demand.number if demand.number.isascii()
                                    else f"WZ{demand.pk}")
