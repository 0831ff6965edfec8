"""Bulk sends ("wysyłka masowa"): one template to a customer group or a filtered list.

Staff choose the channel, the template and the audience (a group, a status, a kind of
customer, debtors — the customer list's own filter, ``customers.filters.CustomerFilter``,
plus "balance below zero"), look at the text rendered for three of the recipients
(``bulk_preview``), see how many messages would go (``bulk_plan``: a customer without a
phone or e-mail address for notifications is skipped), then send (``bulk_send_start``).

The send is a ``BulkSend`` row and a Celery task (``bulk_send_run``) that splits the
recipients into batches of ``BATCH``, each a task of its own (``bulk_send_batch``: every
worker renders, not one), which renders the template per recipient — each context built
from that customer's own rows (``rendering.contexts_for``, keyed by customer id) — and
queues the messages through ``services.message_bulk_queue``, counting ``done`` for the
progress bar and ``processed`` until the send is finished. A task may be delivered twice
or resumed after a crash: each batch renders outside any lock, then locks the bulk send
and skips the customers who already have a message of it, so no one gets two.

Refusals come before anything is queued: more recipients than the tenant's cap
(``messaging.bulk_cap``), a template of another channel, an inactive template, nobody to
send to. The same form sent twice (a double click) carries the same ``request_token``
and is one bulk send.
"""

import logging
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, staff_of
from core.tenancy import current_tenant
from core.tenant_settings import setting_get
from customers.filters import CustomerFilter
from customers.models import Customer, CustomerGroup, Email, Phone

from . import rendering, services
from .models import BulkSend, Channel, MessageTemplate, Purpose

log = logging.getLogger(__name__)

BATCH = 500  # recipients rendered and queued per transaction
CHANNELS = (Channel.SMS, Channel.EMAIL)
PREVIEW_COUNT = 3
ERRORS_KEPT = 20  # failures named in the bulk send's error text


# --------------------------------------------------------------------------- audience

@dataclass(frozen=True)
class Audience:
    """Who a bulk send goes to: every condition given must hold (none: every customer)."""

    group_id: int | None = None
    group_name: str = ""
    status: str = ""
    kind: str = ""
    debtors: bool = False

    def as_json(self) -> dict:
        return {"group": self.group_id, "group_name": self.group_name, "status": self.status,
                "kind": self.kind, "debtors": self.debtors}

    @classmethod
    def from_json(cls, data: dict) -> "Audience":
        return cls(group_id=data.get("group"), group_name=data.get("group_name", ""),
                   status=data.get("status", ""), kind=data.get("kind", ""),
                   debtors=bool(data.get("debtors")))


def audience_clean(*, group: CustomerGroup | None = None, status: str = "", kind: str = "",
                   debtors: bool = False) -> Audience:
    """The audience, checked; ``group`` is a row of the active tenant (the caller looked
    it up through the scoped manager)."""
    errors = {}
    if status and status not in Customer.Status.values:
        errors["status"] = [_("Choose one of the listed statuses.")]
    if kind and kind not in Customer.Kind.values:
        errors["kind"] = [_("Choose one of the listed kinds.")]
    if errors:
        raise ValidationError(errors)
    return Audience(group_id=group.pk if group else None, group_name=group.name if group else "",
                    status=status or "", kind=kind or "", debtors=bool(debtors))


def audience_describe(audience: Audience) -> str:
    """The audience in words, in the active language."""
    parts = []
    if audience.group_id:
        parts.append(_("group “%(name)s”") % {"name": audience.group_name})
    if audience.status:
        parts.append(_("status: %(s)s") % {"s": Customer.Status(audience.status).label})
    if audience.kind:
        parts.append(str(Customer.Kind(audience.kind).label))
    if audience.debtors:
        parts.append(_("debtors (balance below zero)"))
    return ", ".join(parts) if parts else _("every customer")


def audience_customers(audience: Audience) -> QuerySet:
    """The customers of ``audience`` by number: the customer list's filter, plus debtors."""
    data = {"status": audience.status, "kind": audience.kind,
            "group": audience.group_id or ""}
    found = CustomerFilter(data=data, queryset=Customer.objects.all())
    if not found.is_valid():
        # The group was deleted since the audience was chosen (the only way here).
        raise ValidationError({"group": [_("The chosen customer group no longer exists.")]})
    customers = found.qs
    if audience.debtors:
        customers = customers.filter(finance_account__balance__lt=0)
    return customers.order_by("number")


@dataclass
class Recipients:
    rows: list[tuple[int, str]]  # (customer id, phone or address), by customer number
    skipped: int  # customers of the audience with nothing to send to


def recipients_for(*, channel: str, audience: Audience, limit: int | None = None) -> Recipients:
    """Each customer's first phone (SMS) or e-mail address marked for notifications, as
    the message will be addressed; a customer without a valid one is skipped. One query;
    ``limit``: stop after that many recipients (a preview needs three, not all)."""
    if channel == Channel.SMS:
        contact = Phone.objects.filter(customer=OuterRef("pk"), for_notifications=True)
        value = "number"
    else:
        contact = Email.objects.filter(customer=OuterRef("pk"), for_notifications=True)
        value = "address"
    found = (audience_customers(audience)
             .annotate(to=Subquery(contact.order_by("pk").values(value)[:1]))
             .values_list("pk", "to"))
    rows, skipped = [], 0
    for pk, to in (found.iterator(chunk_size=100) if limit else found):
        if limit and len(rows) >= limit:
            break
        if not to:
            skipped += 1
            continue
        try:
            rows.append((pk, services.recipient_clean(channel=channel, recipient=to)))
        except ValidationError:
            skipped += 1
    return Recipients(rows=rows, skipped=skipped)


# --------------------------------------------------------------------------- checks

def _template_check(*, channel: str, template: MessageTemplate) -> None:
    if channel not in CHANNELS:
        raise ValidationError({"channel": [_("A bulk send goes by SMS or by e-mail.")]})
    if template.channel != channel:
        raise ValidationError({"template": [
            _("The template “%(name)s” is for %(channel)s; choose one for %(wanted)s.")
            % {"name": template.name, "channel": template.get_channel_display(),
               "wanted": Channel(channel).label}]})
    if not template.is_active:
        raise ValidationError({"template": [_("The template “%(name)s” is inactive.")
                                            % {"name": template.name}]})


def bulk_cap() -> int:
    return setting_get("messaging.bulk_cap")


def cap_error(count: int, cap: int) -> ValidationError:
    return ValidationError(_(
        "%(n)s recipients are more than the %(cap)s messages one bulk send may queue "
        "(setting “messaging.bulk_cap”). Nothing was sent: narrow the recipients, e.g. "
        "by group, or ask an administrator to raise the limit.") % {"n": count, "cap": cap})


@dataclass
class Plan:
    """What a send would do (the dry run)."""

    recipients: int
    skipped: int
    cap: int

    @property
    def over_cap(self) -> bool:
        return self.recipients > self.cap


def bulk_plan(*, channel: str, template: MessageTemplate, audience: Audience) -> Plan:
    """The dry run: how many messages would be queued and how many customers skipped."""
    _template_check(channel=channel, template=template)
    found = recipients_for(channel=channel, audience=audience)
    return Plan(recipients=len(found.rows), skipped=found.skipped, cap=bulk_cap())


@dataclass
class Sample:
    customer: Customer
    recipient: str
    subject: str = ""
    body: str = ""
    error: str = ""
    segments: object = field(default=None)


def bulk_preview(*, channel: str, template: MessageTemplate, audience: Audience,
                 count: int = PREVIEW_COUNT) -> list[Sample]:
    """The template rendered for the first ``count`` recipients, each with their own data;
    a recipient whose text does not render shows the error instead."""
    from . import sms

    _template_check(channel=channel, template=template)
    rows = recipients_for(channel=channel, audience=audience, limit=count).rows
    customers = Customer.objects.in_bulk([pk for pk, _to in rows])
    contexts = rendering.contexts_for([customers[pk] for pk, _to in rows],
                                      tenant=current_tenant())
    samples = []
    for pk, to in rows:
        sample = Sample(customer=customers[pk], recipient=to)
        try:
            rendered = rendering.message_render(subject=template.subject, body=template.body,
                                                context=contexts[pk])
        except rendering.TemplateError as e:
            sample.error = str(e)
        else:
            sample.subject, sample.body = rendered.subject, rendered.body
            if channel == Channel.SMS:
                sample.segments = sms.segments(rendered.body)
        samples.append(sample)
    return samples


# --------------------------------------------------------------------------- send

def bulk_send_start(*, actor, channel: str, template: MessageTemplate, audience: Audience,
                    request_token: uuid.UUID | None = None) -> BulkSend:
    """Start a bulk send: the row, one action log entry, the task queued on commit.

    Refused (``ValidationError``, nothing written) past the cap or with nobody to send
    to. ``request_token``: the form's one-time token — the same token again (a double
    click, a resent request, even at the same moment) returns the first bulk send."""
    from . import tasks_bulk

    _template_check(channel=channel, template=template)
    if request_token is not None:
        existing = BulkSend.objects.filter(request_token=request_token).first()
        if existing is not None:
            return existing
    found = recipients_for(channel=channel, audience=audience)
    cap = bulk_cap()
    if len(found.rows) > cap:
        raise cap_error(len(found.rows), cap)
    if not found.rows:
        raise ValidationError(
            _("None of the chosen customers has a phone for notifications; nothing to send.")
            if channel == Channel.SMS else
            _("None of the chosen customers has an e-mail address for notifications; "
              "nothing to send."))
    tenant_id = current_tenant().pk
    try:
        with transaction.atomic():
            bulk = BulkSend.objects.create(
                channel=channel, template=template, audience=audience.as_json(),
                audience_text=audience_describe(audience)[:500], total=len(found.rows),
                skipped=found.skipped, created_by=staff_of(actor), request_token=request_token)
            action_log(actor=actor, kind="bulk.send",
                       message=N_("Bulk send by %(channel)s with template “%(template)s” to "
                                  "%(audience)s: %(n)s messages, %(skipped)s skipped"),
                       params={"channel": Channel(channel).label, "template": template.name,
                               "audience": bulk.audience_text, "n": len(found.rows),
                               "skipped": found.skipped})
            transaction.on_commit(lambda: tasks_bulk.bulk_send_run.delay(tenant_id, bulk.pk))
    except IntegrityError:
        if request_token is None:
            raise
        # The same form won the race a moment ago: that send is this one.
        return BulkSend.objects.get(request_token=request_token)
    return bulk


def _queue(rows: list[dict], *, bulk: BulkSend) -> tuple[int, list[str]]:
    """Queue the rendered rows; a row the message rule refuses (too long after
    rendering, ...) is left out with its reason and the others still go."""
    def queue(some):
        with transaction.atomic():
            return services.message_bulk_queue(rows=some, author=bulk.created_by, bulk=bulk,
                                               purpose=Purpose.BULK, template=bulk.template)
    try:
        return len(queue(rows)), []
    except ValidationError:
        pass
    queued, failed = 0, []
    for row in rows:
        try:
            queued += len(queue([row]))
        except ValidationError as e:
            failed.append(f"{row['customer'].number}: {'; '.join(e.messages)}")
    return queued, failed


def _batch_run(bulk_id: int, batch: list, tenant) -> BulkSend:
    """Render one batch (no lock held: batches render side by side in the workers), then
    queue it with the bulk send locked, leaving out whoever got a message of it meanwhile
    (see the module doc). The batch that completes ``processed`` finishes the send."""
    bulk = BulkSend.objects.select_related("template").get(pk=bulk_id)
    if bulk.state == BulkSend.State.FAILED:
        return bulk
    ids = [pk for pk, _to in batch]
    already = set(bulk.messages.filter(customer_id__in=ids)
                  .values_list("customer_id", flat=True))
    batch = [(pk, to) for pk, to in batch if pk not in already]
    customers = Customer.objects.in_bulk([pk for pk, _to in batch])
    gone = len([pk for pk, _to in batch if pk not in customers])  # deleted meanwhile
    batch = [(pk, to) for pk, to in batch if pk in customers]
    contexts = rendering.contexts_for([customers[pk] for pk, _to in batch], tenant=tenant)
    rows, failed = [], []
    template = bulk.template
    for pk, to in batch:
        try:
            rendered = rendering.message_render(subject=template.subject,
                                                body=template.body, context=contexts[pk])
        except rendering.TemplateError as e:
            failed.append(f"{customers[pk].number}: {e}")
            continue
        rows.append({"customer": customers[pk], "channel": bulk.channel, "recipient": to,
                     "subject": rendered.subject, "body": rendered.body})
    with transaction.atomic():
        bulk = BulkSend.objects.select_for_update(of=("self",)) \
            .select_related("template", "created_by").get(pk=bulk_id)
        if bulk.state == BulkSend.State.FAILED:
            return bulk
        meanwhile = set(bulk.messages.filter(customer_id__in=[r["customer"].pk for r in rows])
                        .values_list("customer_id", flat=True))
        rows = [r for r in rows if r["customer"].pk not in meanwhile]
        queued, refused = _queue(rows, bulk=bulk) if rows else (0, [])
        failed += refused
        bulk.done += queued
        bulk.skipped += len(failed)
        bulk.processed += queued + len(failed) + gone
        fields = ["done", "skipped", "processed", "error"]
        if failed:
            bulk.error = "\n".join([*bulk.error.splitlines(), *failed][:ERRORS_KEPT])
        if bulk.processed >= bulk.total and bulk.state == BulkSend.State.RUNNING:
            bulk.state = BulkSend.State.DONE
            bulk.finished_at = timezone.now()
            fields += ["state", "finished_at"]
        bulk.save(update_fields=fields)
    return bulk


def bulk_send_batch_run(*, bulk_id: int, batch: list) -> BulkSend:
    """One batch's task body (``_batch_run``); a failure fails the send with the reason
    instead of leaving its progress bar running for ever."""
    try:
        return _batch_run(bulk_id, batch, current_tenant())
    except Exception as e:
        log.exception("bulk send %s failed", bulk_id)
        _finish(bulk_id, state=BulkSend.State.FAILED, error=f"{type(e).__name__}: {e}")
        raise


def _finish(bulk_id: int, *, state: str, error: str = "") -> BulkSend:
    with transaction.atomic():
        bulk = BulkSend.objects.select_for_update().get(pk=bulk_id)
        if bulk.state == BulkSend.State.RUNNING:
            bulk.state = state
            bulk.finished_at = timezone.now()
            if error:
                bulk.error = error
            bulk.save(update_fields=["state", "finished_at", "error"])
    return bulk


def bulk_send_run(*, bulk_id: int) -> BulkSend | None:
    """The task's body: split the recipients into batches, each queued as a task of its
    own (``bulk_send_batch``; see the module doc). The audience is read again now (a
    customer who left the group since is not sent to); past the cap now, nothing more is
    queued and the send fails with the reason."""
    bulk = BulkSend.objects.filter(pk=bulk_id).first()
    if bulk is None or bulk.state != BulkSend.State.RUNNING:
        return bulk
    try:
        found = recipients_for(channel=bulk.channel, audience=Audience.from_json(bulk.audience))
        done = set(bulk.messages.values_list("customer_id", flat=True))
        todo = [(pk, to) for pk, to in found.rows if pk not in done]
        cap = bulk_cap()
        if len(done) + len(todo) > cap:
            return _finish(bulk_id, state=BulkSend.State.FAILED,
                           error=cap_error(len(done) + len(todo), cap).messages[0])
        BulkSend.objects.filter(pk=bulk_id).update(total=len(done) + len(todo),
                                                   skipped=found.skipped, processed=len(done))
        if todo:
            from . import tasks_bulk

            tenant_id = current_tenant().pk
            for start in range(0, len(todo), BATCH):
                tasks_bulk.bulk_send_batch.delay(tenant_id, bulk_id, todo[start:start + BATCH])
            return BulkSend.objects.get(pk=bulk_id)
    except ValidationError as e:
        return _finish(bulk_id, state=BulkSend.State.FAILED, error=" ".join(e.messages))
    except Exception as e:  # a bug must not leave the progress bar running for ever
        log.exception("bulk send %s failed", bulk_id)
        _finish(bulk_id, state=BulkSend.State.FAILED, error=f"{type(e).__name__}: {e}")
        raise
    return _finish(bulk_id, state=BulkSend.State.DONE)


# --------------------------------------------------------------------------- reads

def bulk_send_list(*, limit: int = 50) -> QuerySet:
    """The recent bulk sends with their template and author (one query)."""
    return BulkSend.objects.select_related("template", "created_by").order_by(
        "-created_at", "-pk")[:limit]


def bulk_send_get(*, pk) -> BulkSend:
    return BulkSend.objects.select_related("template", "created_by").get(pk=pk)
