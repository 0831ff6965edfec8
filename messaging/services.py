"""Every write of the messaging app: a message queued, handed to its gateway, retried,
reported on by the gateway.

A message is written first (status queued) and handed over by a Celery task after the
commit (``tasks.message_send``), so a gateway that is down loses nothing. The hand-over
is three steps so that no transaction is open while the network is used:

1. ``_claim``: lock the queued messages (``SKIP LOCKED``: two workers never take the same
   one; one held locked for a moment by another transaction is tried again after a short
   wait, ``CLAIM_WAITS``), open an attempt for each (or take up the one a temporary error
   left) and mark it *sending*; commit.
2. the gateway sends (outside any transaction);
3. ``_record``: write what the gateway answered; a temporary error is tried again later
   (bounded, with backoff), a permanent one ends the message as failed with the reply.

A task delivered twice finds its messages no longer queued (or their attempt already
sending) and sends nothing: one attempt, one hand-over. A retry asked by staff
("Ponów") is a new attempt with a new key.
"""

import logging
import time
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log
from core.events import publish
from core.tenancy import current_tenant

from . import sms
from .gateways import Accepted, GatewayError, NotConfigured, TemporaryError, gateway_for
from .models import (
    FINAL,
    Channel,
    Gateway,
    Message,
    MessageAttachment,
    MessageAttempt,
    MessageEvent,
    Purpose,
    Status,
)

log = logging.getLogger(__name__)

MAX_BODY = {Channel.SMS: 1600, Channel.EMAIL: 100_000, Channel.NOTICE: 2000}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


def recipient_clean(*, channel: str, recipient: str) -> str:
    """The recipient as stored: E.164 for a phone, the address for an e-mail; raises
    ``ValidationError`` with a message for the user."""
    recipient = (recipient or "").strip()
    if channel == Channel.SMS:
        try:
            number = phonenumbers.parse(recipient, "PL")
        except phonenumbers.NumberParseException:
            raise ValidationError({"recipient": _("Enter a valid phone number.")}) from None
        if not phonenumbers.is_valid_number(number):
            raise ValidationError({"recipient": _("Enter a valid phone number.")})
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if channel == Channel.EMAIL:
        if "\n" in recipient or "\r" in recipient:
            raise ValidationError({"recipient": _("Enter a valid e-mail address.")})
        try:
            EmailValidator()(recipient)
        except ValidationError:
            raise ValidationError({"recipient": _("Enter a valid e-mail address.")}) from None
        return recipient
    if not recipient:
        raise ValidationError({"recipient": _("The message has no recipient.")})
    return recipient


def _message_build(*, customer, channel: str, recipient: str, body: str, subject: str,
                   author, purpose: str, template, related, bulk) -> Message:
    """The unsaved message, validated: the one rule for every path (card, API, bulk,
    the system's own messages)."""
    errors = {}
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        errors["body"] = [_("The message is empty.")]
    elif len(body) > MAX_BODY[channel]:
        errors["body"] = [_("The message is longer than %(n)s characters.")
                          % {"n": MAX_BODY[channel]}]
    subject = " ".join((subject or "").split())
    if channel == Channel.EMAIL and not subject:
        errors["subject"] = [_("An e-mail needs a subject.")]
    if len(subject) > 255:
        errors["subject"] = [_("The subject is longer than 255 characters.")]
    try:
        recipient = recipient_clean(channel=channel, recipient=recipient)
    except ValidationError as e:
        errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)
    message = Message(tenant=current_tenant(), customer=customer, channel=channel,
                      recipient=recipient, subject=subject, body=body, author=author,
                      purpose=purpose, template=template, bulk=bulk)
    if related is not None:
        message.related_kind, message.related_id = related
    if channel == Channel.SMS:
        count = sms.segments(body)
        message.encoding, message.parts = count.encoding, count.parts
    return message


def _send_on_commit(ids: list[int]) -> None:
    from . import tasks

    tenant_id = current_tenant().pk
    if len(ids) == 1:
        transaction.on_commit(lambda: tasks.message_send.delay(tenant_id, ids[0]))
    else:
        transaction.on_commit(lambda: tasks.message_send_batch.delay(tenant_id, ids))


@transaction.atomic
def message_queue(*, customer, channel: str, recipient: str, body: str, subject: str = "",
                  author=None, purpose: str = Purpose.MANUAL, template=None,
                  attachments: list[Attachment] | tuple = (), related: tuple | None = None,
                  bulk=None, send: bool = True, body_secret: str = "",
                  client_key: str = "") -> Message:
    """Write a message (status queued) and queue its hand-over after commit.

    ``client_key``: the API client's ``Idempotency-Key``. A second call with the same key
    (a retry after a timeout, or both at once) returns the first message and queues
    nothing; ``message.replayed`` is then True. The key names one request: used again
    for a different message it is refused.
    ``related``: ``(kind, id)`` of what the message is about (``("invoice", 7)``).
    ``send=False`` leaves the queuing to the caller (a bulk send queues batches).
    ``body_secret``: the text the gateway sends when ``body`` shows a secret masked (a
    panel PIN); kept encrypted, and such a message is never sent again.
    Raises ``ValidationError``; nothing is written then."""
    message = _message_build(customer=customer, channel=channel, recipient=recipient,
                             body=body, subject=subject, author=author, purpose=purpose,
                             template=template, related=related, bulk=bulk)
    message.body_secret = body_secret
    message.client_key = client_key
    message.replayed = False
    if client_key:
        earlier = _client_key_saved(message)
        if earlier is not None:
            return earlier
    else:
        message.save()
    for a in attachments:
        MessageAttachment.objects.create(message=message, filename=a.filename,
                                         content_type=a.content_type, content=a.content,
                                         size=len(a.content))
    MessageEvent.objects.create(message=message, status=Status.QUEUED)
    if author is not None and customer is not None:
        action_log(actor=author, kind="message.queue", customer=customer,
                   message=N_("%(channel)s to %(recipient)s queued"),
                   params={"channel": message.get_channel_display(),
                           "recipient": message.recipient})
    if send:
        _send_on_commit([message.pk])
    return message


def _client_key_saved(message: Message) -> Message | None:
    """Save ``message`` unless its client key was used: then the earlier message (the
    unique constraint decides between two requests at once)."""
    def earlier_of() -> Message | None:
        found = Message.objects.filter(client_key=message.client_key).first()
        if found is None:
            return None
        same = (found.customer_id, found.channel, found.recipient, found.subject,
                found.body) == (message.customer_id, message.channel, message.recipient,
                                message.subject, message.body)
        if not same:
            raise ValidationError(_("This Idempotency-Key was already used for another "
                                    "message."))
        found.replayed = True
        return found

    if (found := earlier_of()) is not None:
        return found
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if (found := earlier_of()) is not None:  # the other request committed first
            return found
        raise
    return None


def message_bulk_queue(*, rows: list[dict], author=None, purpose: str = Purpose.BULK,
                       bulk=None, template=None) -> list[Message]:
    """Many messages at once (a bulk send, the invoices of a billing run): each row holds
    ``customer``, ``channel``, ``recipient``, ``body``, ``subject`` and optionally
    ``related`` and ``attachments``. Validated by the same rule as one message; a row that
    fails raises ``ValidationError`` naming its recipient and nothing is written. Queued
    for sending in batches after commit. The caller holds the transaction."""
    built = []
    for row in rows:
        try:
            built.append(_message_build(
                customer=row["customer"], channel=row["channel"], recipient=row["recipient"],
                body=row["body"], subject=row.get("subject", ""), author=author,
                purpose=purpose, template=template, related=row.get("related"), bulk=bulk))
        except ValidationError as e:
            raise ValidationError(f"{row['recipient']}: {'; '.join(e.messages)}") from None
    messages = Message.objects.bulk_create(built, batch_size=1000)
    MessageEvent.objects.bulk_create(
        [MessageEvent(tenant_id=m.tenant_id, message=m, status=Status.QUEUED)
         for m in messages], batch_size=1000)
    attachments = [MessageAttachment(tenant_id=m.tenant_id, message=m, filename=a.filename,
                                     content_type=a.content_type, content=a.content,
                                     size=len(a.content))
                   for m, row in zip(messages, rows, strict=True)
                   for a in row.get("attachments", ())]
    MessageAttachment.objects.bulk_create(attachments, batch_size=200)
    ids = [m.pk for m in messages]
    size = settings.MESSAGING_BATCH_SIZE
    for start in range(0, len(ids), size):
        _send_on_commit(ids[start:start + size])
    return messages


@transaction.atomic
def message_retry(*, message: Message, actor) -> Message:
    """Send a failed or undelivered message again ("Ponów", "Wyślij ponownie"): a new
    attempt of the same message. Locks the message."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if not message.retryable:
        raise ValidationError(_("Only a failed or undelivered message can be sent again."))
    _status_set(message, Status.QUEUED, reason="", attempt=None,
                detail=_("sent again by %(user)s") % {"user": actor.get_username()}
                if actor else "")
    if message.customer_id is not None:
        action_log(actor=actor, kind="message.retry", customer=message.customer,
                   message=N_("%(channel)s to %(recipient)s sent again"),
                   params={"channel": message.get_channel_display(),
                           "recipient": message.recipient})
    _send_on_commit([message.pk])
    return message


def _status_set(message: Message, status: str, *, reason: str | None = None, attempt=None,
                detail: str = "") -> None:
    """Change the message's status and write it in its history (inside a transaction)."""
    message.status = status
    message.status_at = timezone.now()
    fields = ["status", "status_at"]
    if reason is not None:
        message.status_reason = reason
        fields.append("status_reason")
    message.save(update_fields=fields)
    MessageEvent.objects.create(message=message, attempt=attempt, status=status, detail=detail)
    publish("message.status_changed", message_id=message.pk, customer_id=message.customer_id,
            status=status)


# --- the hand-over -------------------------------------------------------------------

def gateway_config(channel: str) -> Gateway | None:
    return Gateway.objects.filter(channel=channel).first()


# purpose -> check(messages) -> {message id: reason}: messages that must not go any more.
_SEND_CHECKS: dict[str, list] = {}


def register_send_check(purpose: str, check) -> None:
    """Run ``check(messages)`` on the messages of ``purpose`` at hand-over time, inside
    the claim's transaction with the messages locked; each message id it returns (with a
    reason) is cancelled instead of sent. A payment reminder to a customer who has paid
    since it was queued is cancelled this way."""
    if check not in _SEND_CHECKS.setdefault(purpose, []):
        _SEND_CHECKS[purpose].append(check)


def _cancel_checked(messages: list[Message]) -> list[Message]:
    by_purpose: dict[str, list] = {}
    for m in messages:
        by_purpose.setdefault(m.purpose, []).append(m)
    cancel: dict[int, str] = {}
    for purpose, group in by_purpose.items():
        for check in _SEND_CHECKS.get(purpose, ()):
            cancel.update(check(group))
    for m in messages:
        if m.pk in cancel:
            _status_set(m, Status.CANCELLED, reason=cancel[m.pk], detail=cancel[m.pk])
    return [m for m in messages if m.pk not in cancel]


# Seconds to wait before claiming again the queued messages another transaction held
# locked (a refused "Ponów" click, a delivery report, a worker's own claim): the row is
# held for a moment; the hand-over must not be lost for it.
CLAIM_WAITS = (0.05, 0.2, 0.5)


def _claim(ids) -> list[tuple[Message, MessageAttempt]]:
    """Lock the queued messages of ``ids`` and open an attempt for each (see module doc).
    A queued message SKIP LOCKED passed over is tried again after a short wait
    (``CLAIM_WAITS``): once its holder is done it is claimed, or — a task delivered twice —
    found in the other worker's hands and left to it."""
    ids, claimed = list(ids), []
    for wait in (*CLAIM_WAITS, None):
        taken, busy = _claim_once(ids)
        claimed += taken
        if not busy or wait is None:
            break
        time.sleep(wait)
        ids = busy
    return claimed


def _claim_once(ids) -> tuple[list[tuple[Message, MessageAttempt]], list[int]]:
    """One claim (``_claim``); also the queued messages of ``ids`` it passed over because
    another transaction held them locked."""
    claimed = []
    with transaction.atomic():
        messages = list(Message.objects.select_for_update(skip_locked=True, of=("self",))
                        .filter(pk__in=ids, status=Status.QUEUED).defer("raw")
                        .order_by("pk"))
        locked = [] if len(messages) == len(ids) else sorted(
            set(Message.objects.filter(pk__in=ids, status=Status.QUEUED)
                .values_list("pk", flat=True)) - {m.pk for m in messages})
        messages = _cancel_checked(messages)
        if not messages:
            return [], locked
        open_attempts = {a.message_id: a for a in MessageAttempt.objects.select_for_update()
                         .filter(message__in=messages,
                                 state__in=[MessageAttempt.State.TEMPORARY,
                                            MessageAttempt.State.SENDING])}
        new, taken = [], []
        for m in messages:
            attempt = open_attempts.get(m.pk)
            if attempt is not None and attempt.state == MessageAttempt.State.SENDING:
                continue  # in another worker's hands (a task delivered twice)
            if attempt is None:
                m.attempts_count += 1
                attempt = MessageAttempt(tenant_id=m.tenant_id, message=m,
                                         number=m.attempts_count)
                new.append(attempt)
            else:
                taken.append(attempt)
            attempt.state = MessageAttempt.State.SENDING
            attempt.tries += 1
            claimed.append((m, attempt))
        MessageAttempt.objects.bulk_create(new)
        _rows_update(MessageAttempt, ["state", "tries"], taken)
        Message.objects.filter(pk__in=[a.message_id for a in new]) \
            .update(attempts_count=F("attempts_count") + 1)
    return claimed, locked


def _rows_update(model, fields: list[str], objs) -> None:
    """Write ``fields`` of ``objs`` (rows of ``model``) in one statement: ``UPDATE … FROM
    unnest(…)`` on PostgreSQL — Django's ``bulk_update`` builds a CASE per row and field,
    most of the CPU of recording a batch of hundreds — and ``bulk_update`` elsewhere
    (the SQLite default of ``make run``)."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=200)
        return
    meta = model._meta
    columns = [meta.pk] + [meta.get_field(f) for f in fields]
    values = [[c.get_db_prep_save(getattr(o, c.attname), connection) for o in objs]
              for c in columns]
    names = ", ".join(connection.ops.quote_name(c.column) for c in columns)
    arrays = ", ".join(f"%s::{c.cast_db_type(connection)}[]" for c in columns)
    sets = ", ".join(f"{connection.ops.quote_name(c.column)} = "
                     f"v.{connection.ops.quote_name(c.column)}" for c in columns[1:])
    pk = connection.ops.quote_name(meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {connection.ops.quote_name(meta.db_table)} AS t "  # noqa: S608
                       f"SET {sets} FROM unnest({arrays}) AS v({names}) "
                       f"WHERE t.{pk} = v.{pk}", values)


def _backoff(tries: int) -> int:
    return min(settings.MESSAGING_RETRY_BASE_SECONDS * 2 ** (tries - 1), 3600)


def _record(results: list[tuple[Message, MessageAttempt, object]]) -> list[tuple[int, int]]:
    """Write the gateway's answers, set-based (a batch of hundreds: a few statements);
    returns ``(message id, countdown)`` of the messages to hand over again after a
    temporary error."""
    again = []
    now = timezone.now()
    attempts, messages, events, changed = [], [], [], []

    def status(message, attempt, value, reason, detail):
        message.status, message.status_at, message.status_reason = value, now, reason
        events.append(MessageEvent(tenant_id=message.tenant_id, message=message,
                                   attempt=attempt, status=value, detail=detail))
        changed.append(message)

    with transaction.atomic():
        # Fresh and locked: a delivery report may have changed a message meanwhile. The
        # stored MIME of earlier attempts is not read back (``raw`` deferred).
        fresh = Message.objects.select_for_update().defer("raw", "body", "body_secret") \
            .in_bulk(sorted(m.pk for m, _a, _o in results))
        for stale, attempt, outcome in results:
            message = fresh[stale.pk]
            attempts.append(attempt)
            if isinstance(outcome, Accepted):
                attempt.state = MessageAttempt.State.ACCEPTED
                attempt.gateway_id = outcome.gateway_id[:200]
                attempt.reply = outcome.reply
                attempt.finished_at = now
                message.sent_at = now
                if outcome.raw is not None:
                    message.raw = outcome.raw
                # A delivery report may have come before the gateway's answer was recorded.
                if message.status == Status.QUEUED:
                    status(message, attempt,
                           Status.DELIVERED if outcome.delivered else Status.SENT, "",
                           outcome.reply)
                messages.append(message)
            elif isinstance(outcome, TemporaryError) and \
                    attempt.tries < settings.MESSAGING_MAX_TRIES:
                attempt.state = MessageAttempt.State.TEMPORARY
                attempt.reply = outcome.reply
                events.append(MessageEvent(tenant_id=message.tenant_id, message=message,
                                           attempt=attempt, status=Status.QUEUED,
                                           detail=outcome.reply))
                again.append((message.pk, _backoff(attempt.tries)))
            else:
                reply = getattr(outcome, "reply", "") or str(outcome)
                attempt.state = MessageAttempt.State.FAILED
                attempt.reply = reply
                attempt.finished_at = now
                status(message, attempt, Status.FAILED, reply, reply)
                messages.append(message)
        _rows_update(MessageAttempt, ["state", "gateway_id", "reply", "finished_at", "gateway"],
                     attempts)
        with_raw = [m for m in messages if "raw" in m.__dict__]
        without_raw = [m for m in messages if "raw" not in m.__dict__]
        fields = ["sent_at", "status", "status_at", "status_reason"]
        _rows_update(Message, [*fields, "raw"], with_raw)
        _rows_update(Message, fields, without_raw)
        MessageEvent.objects.bulk_create(events)
        for message in changed:
            publish("message.status_changed", message_id=message.pk,
                    customer_id=message.customer_id, status=message.status)
    return again


def _throttle(config: Gateway, count: int) -> None:
    """Wait until ``count`` more messages fit the gateway's rate (messages per second),
    counted per second in the cache: with Redis, across every worker."""
    rate = max(config.rate_per_second, 1)
    while count > 0:
        second = int(time.time())
        key = f"messaging:rate:{config.pk}:{second}"
        take = min(count, rate)
        cache.add(key, 0, timeout=5)
        used = cache.incr(key, take)
        if used <= rate:
            count -= take
            continue
        allowed = max(rate - (used - take), 0)
        count -= allowed
        time.sleep(max(second + 1 - time.time(), 0.001))


def message_send_run(*, ids) -> list[tuple[int, int]]:
    """Hand the queued messages of ``ids`` to their gateways (the Celery task's body).
    Returns ``(message id, countdown)`` to hand over again after temporary errors."""
    claimed = _claim(ids)
    if not claimed:
        return []
    by_channel: dict[str, list] = {}
    for message, attempt in claimed:
        by_channel.setdefault(message.channel, []).append((message, attempt))
    results = []
    for channel, items in by_channel.items():
        config = gateway_config(channel)
        if config is None:
            err = NotConfigured(_("No %(channel)s gateway is set up for this ISP.")
                                % {"channel": Channel(channel).label})
            results += [(m, a, err) for m, a in items]
            continue
        for _m, a in items:
            a.gateway = config.kind
        try:
            gateway = gateway_for(config)
        except GatewayError as e:
            results += [(m, a, e) for m, a in items]
            continue
        _throttle(config, len(items))
        try:
            outcomes = gateway.send_many(items)
        except GatewayError as e:  # the whole batch: the server could not be reached
            outcomes = {a.key: e for _m, a in items}
        except Exception as e:  # a gateway's bug must not leave messages "sending"
            log.exception("gateway %s failed", config.kind)
            outcomes = {a.key: TemporaryError(f"{type(e).__name__}: {e}") for _m, a in items}
        results += [(m, a, outcomes.get(a.key, TemporaryError("no answer")))
                    for m, a in items]
    return _record(results)


# Kannel's and the providers' reports, mapped by the gateways to these.
_ORDER = {Status.QUEUED: 0, Status.SENT: 1}


@transaction.atomic
def message_report(*, attempt_key, status: str, detail: str = "",
                   gateway_id: str = "") -> Message | None:
    """A delivery report for one attempt (the DLR webhook, already authenticated for the
    tenant). A report never moves a message back (a late "sent to SMSC" after
    "delivered"), and a report on an older attempt does not touch a newer one. Returns
    the message, or None when the attempt is not this tenant's."""
    attempt = (MessageAttempt.objects.select_for_update().select_related("message")
               .filter(key=attempt_key).first())
    if attempt is None:
        return None
    message = Message.objects.select_for_update().get(pk=attempt.message_id)
    if gateway_id and not attempt.gateway_id:
        attempt.gateway_id = gateway_id[:200]
        attempt.save(update_fields=["gateway_id"])
    newest = message.attempts_count == attempt.number
    MessageEvent.objects.create(message=message, attempt=attempt, status=status,
                                detail=detail)
    if not newest or message.status in FINAL:
        return message
    if status in (Status.QUEUED, Status.SENT) and \
            _ORDER[status] <= _ORDER.get(message.status, 0):
        return message
    reason = detail if status in FINAL and status != Status.DELIVERED else ""
    message.status = status
    message.status_at = timezone.now()
    message.status_reason = reason
    message.save(update_fields=["status", "status_at", "status_reason"])
    publish("message.status_changed", message_id=message.pk, customer_id=message.customer_id,
            status=status)
    return message
