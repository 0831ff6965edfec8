"""Payment reminders ("przypomnienia o płatności"): before and after the due date, by SMS
and/or e-mail, sent by the system itself (``tasks_auto.reminders_run_daily``, Celery beat).

Who gets one on ``today``: a customer with an open receivable due in
``messaging.reminder_days_before`` days (stage *before*) or due
``messaging.reminder_days_after`` days ago (stage *after*) — or up to ``CATCH_UP_DAYS``
days earlier than that, so a day the task did not run (a worker down, a holiday
outage) is caught up the next day; a *before* reminder never goes for a receivable
already past due — who owes money (the cached
balance below zero: a customer in credit gets none) and has a phone / an e-mail address
marked for notifications. "Open" is finance's one rule (``finance.selectors.
open_receivables``, the one the card's overdue figure uses). One message per customer,
stage and channel, naming all their open invoices.

Never twice: each reminder is recorded per receivable, stage and channel
(``ReminderSent``, unique); a run takes a per-tenant advisory lock, so two runs at once
queue each reminder once. Never to a customer who has paid since: the hand-over checks it
again (``reminder_send_check``, registered with ``services.register_send_check``) and
cancels the message with its reason.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log_bulk
from core.tenancy import current_tenant
from core.tenant_settings import setting_get
from customers.models import Customer, Email, Phone
from finance.models import CustomerAccount
from finance.selectors import open_receivables

from .models import Channel, MessageTemplate, Purpose, ReminderSent
from .rendering import TemplateError, contexts_for, message_render
from .services import message_bulk_queue, recipient_clean

Stage = ReminderSent.Stage

CHANNELS_NONE, CHANNELS_SMS, CHANNELS_EMAIL, CHANNELS_BOTH = "none", "sms", "email", "both"
_CHANNELS = {CHANNELS_NONE: (), CHANNELS_SMS: (Channel.SMS,),
             CHANNELS_EMAIL: (Channel.EMAIL,), CHANNELS_BOTH: (Channel.SMS, Channel.EMAIL)}

# How many days of missed runs the next run catches up (see the module doc).
CATCH_UP_DAYS = 3

# Advisory lock namespace of a tenant's reminder run ("RM").
LOCK_CLASS = 0x524D

# The texts used when the tenant names no template of its own (customers read Polish).
DEFAULT_TEXTS = {
    (Stage.BEFORE, Channel.SMS): (
        "",
        "{{ tenant.name }}: przypominamy o terminie płatności {{ reminder.due }}. "
        "Do zapłaty: {{ balance.debt }} zł na rachunek {{ customer.account }}."),
    (Stage.AFTER, Channel.SMS): (
        "",
        "{{ tenant.name }}: {{ reminder.due }} minął termin płatności. Prosimy o wpłatę "
        "{{ balance.debt }} zł na rachunek {{ customer.account }}. Jeśli już Państwo "
        "zapłacili, prosimy zignorować tę wiadomość."),
    (Stage.BEFORE, Channel.EMAIL): (
        "Przypomnienie o terminie płatności – {{ tenant.name }}",
        "Dzień dobry {{ customer.name }},\n\n"
        "przypominamy, że {{ reminder.due }} mija termin płatności. "
        "Do zapłaty: {{ balance.debt }} zł.\n\n"
        "{% for invoice in invoices %}{{ invoice.number }}: {{ invoice.left }} zł, "
        "termin {{ invoice.due }}\n{% endfor %}\n"
        "Prosimy o wpłatę na rachunek {{ customer.account }}.\n\n{{ tenant.name }}"),
    (Stage.AFTER, Channel.EMAIL): (
        "Zaległa płatność – {{ tenant.name }}",
        "Dzień dobry {{ customer.name }},\n\n"
        "{{ reminder.due }} minął termin płatności, a w naszych księgach wciąż brakuje "
        "wpłaty. Do zapłaty: {{ balance.debt }} zł.\n\n"
        "{% for invoice in invoices %}{{ invoice.number }}: {{ invoice.left }} zł, "
        "termin {{ invoice.due }}\n{% endfor %}\n"
        "Prosimy o wpłatę na rachunek {{ customer.account }}. Jeśli już Państwo zapłacili, "
        "prosimy zignorować tę wiadomość.\n\n{{ tenant.name }}"),
}


@dataclass
class Planned:
    """One reminder to queue: a customer, a stage, a channel and its receivables."""

    customer_id: int
    stage: str
    channel: str
    recipient: str
    due: date
    receivable_ids: list[int] = field(default_factory=list)


@dataclass
class ReminderPlan:
    """What a run on ``today`` sends (a dry run shows it; the run queues it)."""

    today: date
    reminders: list[Planned] = field(default_factory=list)
    no_contact: int = 0  # customers owed a reminder with no phone / address to send to
    in_credit: int = 0  # customers with an open receivable who owe nothing on balance

    def count(self, stage: str, channel: str) -> int:
        return sum(1 for p in self.reminders if p.stage == stage and p.channel == channel)


def reminder_stages(*, today: date) -> list[tuple[str, date]]:
    """The stages switched on and the due date each looks for on ``today`` (missed days
    add the ``CATCH_UP_DAYS`` before it: ``_due_range``)."""
    stages = []
    before = setting_get("messaging.reminder_days_before")
    after = setting_get("messaging.reminder_days_after")
    if before > 0:
        stages.append((Stage.BEFORE, today + timedelta(days=before)))
    if after > 0:
        stages.append((Stage.AFTER, today - timedelta(days=after)))
    return stages


def _due_range(stage: str, due: date, *, today: date) -> tuple[date, date]:
    """The due dates a run on ``today`` reminds of for ``stage``: the day itself and the
    days a missed run would have covered; never a past due date for *before*."""
    first = due - timedelta(days=CATCH_UP_DAYS)
    if stage == Stage.BEFORE:
        first = max(first, today)
    return first, due


def reminder_channels() -> tuple[str, ...]:
    return _CHANNELS[setting_get("messaging.reminder_channels")]


def _owing(customer_ids) -> set[int]:
    """Of ``customer_ids``, those whose balance is below zero (they owe). One query."""
    return set(CustomerAccount.objects.filter(customer_id__in=list(customer_ids),
                                              balance__lt=0)
               .values_list("customer_id", flat=True))


def _contacts(customer_ids, channel: str) -> dict[int, str]:
    """Each customer's first phone / address marked for notifications, valid for sending.
    One query."""
    if channel == Channel.SMS:
        rows = Phone.objects.filter(customer_id__in=customer_ids, for_notifications=True) \
            .order_by("customer_id", "id").values_list("customer_id", "number")
    else:
        rows = Email.objects.filter(customer_id__in=customer_ids, for_notifications=True) \
            .order_by("customer_id", "id").values_list("customer_id", "address")
    found: dict[int, str] = {}
    for customer_id, value in rows:
        if customer_id in found:
            continue
        try:
            found[customer_id] = recipient_clean(channel=channel, recipient=value)
        except ValidationError:
            continue  # an unusable number: the next one of the customer, if any
    return found


def reminders_due(*, today: date) -> ReminderPlan:
    """The reminders a run on ``today`` queues, not yet given (see the module doc).
    Queries: per stage one for the receivables and one for those already reminded; then
    one for the balances and one per channel for the contacts."""
    plan = ReminderPlan(today=today)
    channels = reminder_channels()
    if not channels:
        return plan
    # (customer, stage) -> [(receivable id, channels not yet given, its due date)]
    wanted: dict[tuple[int, str], list] = defaultdict(list)
    for stage, due in reminder_stages(today=today):
        rows = list(open_receivables().filter(due__range=_due_range(stage, due, today=today))
                    .order_by("customer_id", "id").values_list("pk", "customer_id", "due"))
        given = set(ReminderSent.objects.filter(receivable_id__in=[r[0] for r in rows],
                                                stage=stage)
                    .values_list("receivable_id", "channel"))
        for pk, customer_id, its_due in rows:
            todo = [c for c in channels if (pk, c) not in given]
            if todo:
                wanted[(customer_id, stage)].append((pk, todo, its_due))
    if not wanted:
        return plan
    customer_ids = {customer_id for customer_id, _s in wanted}
    owing = _owing(customer_ids)
    plan.in_credit = len(customer_ids - owing)
    contacts = {c: _contacts(owing, c) for c in channels}
    without = set()
    for (customer_id, stage), receivables in sorted(wanted.items()):
        if customer_id not in owing:
            continue
        sent_any = False
        for channel in channels:
            recipient = contacts[channel].get(customer_id)
            chosen = [(pk, its_due) for pk, todo, its_due in receivables if channel in todo]
            if recipient and chosen:
                # the message names the earliest due date among them
                plan.reminders.append(Planned(customer_id=customer_id, stage=stage,
                                              channel=channel, recipient=recipient,
                                              due=min(d for _pk, d in chosen),
                                              receivable_ids=[pk for pk, _d in chosen]))
                sent_any = True
        if not sent_any:
            without.add(customer_id)
    plan.no_contact = len(without)
    return plan


def _templates() -> dict[tuple[str, str], tuple[str, str, MessageTemplate | None]]:
    """(stage, channel) -> (subject, body, template): the tenant's template named in the
    settings for that stage (one per channel), else the default text. One query."""
    names = {Stage.BEFORE: setting_get("messaging.reminder_template_before"),
             Stage.AFTER: setting_get("messaging.reminder_template_after")}
    found = {(t.channel, t.name): t for t in MessageTemplate.objects.filter(
        is_active=True, name__in=[n for n in names.values() if n])}
    chosen = {}
    for (stage, channel), (subject, body) in DEFAULT_TEXTS.items():
        template = found.get((channel, names[stage]))
        chosen[(stage, channel)] = (template.subject, template.body, template) \
            if template else (subject, body, None)
    return chosen


def reminders_queue(*, today: date | None = None) -> ReminderPlan:
    """Queue the reminders due on ``today`` (default: the tenant's today) and record them.

    One transaction under the tenant's advisory lock: a second run at the same time waits
    and then finds the reminders given. The messages are handed over after commit (in
    batches); the hand-over checks again that the customer still owes. Raises
    ``ValidationError`` when a tenant's template cannot be rendered (nothing queued)."""
    today = today or timezone.localdate()
    tenant = current_tenant()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, tenant.pk])
        plan = reminders_due(today=today)
        if not plan.reminders:
            return plan
        customers = Customer.objects.defer("search_text").in_bulk(
            {p.customer_id for p in plan.reminders})
        contexts = contexts_for(list(customers.values()), tenant=tenant)
        templates = _templates()
        rows = []
        for p in plan.reminders:
            subject, body, _template = templates[(p.stage, p.channel)]
            context = {**contexts[p.customer_id],
                       "reminder": {"due": date_format(p.due, "d.m.Y"), "stage": p.stage}}
            try:
                rendered = message_render(subject=subject, body=body, context=context)
            except TemplateError as e:
                raise ValidationError(_("The reminder template cannot be used: %(error)s")
                                      % {"error": e}) from None
            rows.append({"customer": customers[p.customer_id], "channel": p.channel,
                         "recipient": p.recipient, "subject": rendered.subject,
                         "body": rendered.body})
        messages = message_bulk_queue(rows=rows, purpose=Purpose.REMINDER)
        ReminderSent.objects.bulk_create([
            ReminderSent(tenant=tenant, receivable_id=pk, customer_id=p.customer_id,
                         stage=p.stage, channel=p.channel, due_date=p.due, message=m)
            for p, m in zip(plan.reminders, messages, strict=True) for pk in p.receivable_ids])
        action_log_bulk(actor=None, kind="message.reminder", entries=[
            (p.customer_id,
             N_("Payment reminder (%(stage)s, due %(due)s) queued: %(channel)s to "
                "%(recipient)s"),
             {"stage": Stage(p.stage).label, "due": p.due,
              "channel": Channel(p.channel).label, "recipient": p.recipient})
            for p in plan.reminders])
    return plan


def reminder_send_check(messages) -> dict[int, str]:
    """The hand-over's check (``services.register_send_check``): of the reminder
    ``messages`` (locked), those to cancel, with the reason — every receivable the
    reminder was about is paid, or the customer owes nothing any more. The same rules as
    the run. Queries: three."""
    by_message: dict[int, list[int]] = defaultdict(list)
    for message_id, receivable_id in ReminderSent.objects.filter(
            message__in=[m.pk for m in messages]).values_list("message_id", "receivable_id"):
        by_message[message_id].append(receivable_id)
    still_open = set(open_receivables().filter(
        pk__in=[pk for ids in by_message.values() for pk in ids]).values_list("pk", flat=True))
    owing = _owing({m.customer_id for m in messages})
    cancel = {}
    for m in messages:
        if m.pk not in by_message:
            continue  # not one of the run's reminders: nothing to check
        if not still_open.intersection(by_message[m.pk]):
            cancel[m.pk] = _("Paid before the reminder was sent.")
        elif m.customer_id not in owing:
            cancel[m.pk] = _("The customer owes nothing any more.")
    return cancel

