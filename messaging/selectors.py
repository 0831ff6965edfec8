"""Reads of the messaging app: a customer's messages (the card's histories, the API), one
message with its attempts and events, what exactly an e-mail said, and the recipients
staff may choose for a customer.

The lists never load a message's raw MIME nor an attachment's bytes: only the preview
and the download read them, one message at a time.
"""

import email
import email.policy
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from . import rendering
from .models import Channel, Message, MessageAttachment, MessageAttempt, MessageTemplate, Status

HISTORY_PAGE_SIZE = 10
# A history page with one of these refreshes itself until the gateway has answered.
PENDING = {Channel.SMS: (Status.QUEUED, Status.SENT), Channel.EMAIL: (Status.QUEUED,)}


# --------------------------------------------------------------------------- recipients

@dataclass(frozen=True)
class Recipient:
    pk: int
    value: str  # E.164 phone or e-mail address, as stored on the customer
    label: str


def recipient_choices(*, customer, channel: str) -> list[Recipient]:
    """The customer's own phones (SMS) or e-mail addresses: the only recipients staff may
    choose, on the card and in the API. Uses the card's prefetch when there is one."""
    if channel == Channel.SMS:
        return [Recipient(p.pk, p.number, p.label) for p in customer.phones.all()]
    if channel == Channel.EMAIL:
        return [Recipient(e.pk, e.address, e.label) for e in customer.emails.all()]
    return []


def recipient_find(*, customer, channel: str, value: str) -> Recipient | None:
    """The customer's phone or address ``value`` names (a phone as E.164, an address in
    any letter case), or None."""
    value = (value or "").strip()
    choices = recipient_choices(customer=customer, channel=channel)
    if channel == Channel.EMAIL:
        return next((r for r in choices if r.value.lower() == value.lower()), None)
    return next((r for r in choices if r.value == value), None)


# --------------------------------------------------------------------------- lists

def _attachments_count():
    return Coalesce(Subquery(
        MessageAttachment.objects.filter(message=OuterRef("pk")).values("message")
        .annotate(n=Count("pk")).values("n")), 0)


def customer_message_list(*, customer, channel: str = "", status: str = "") -> QuerySet:
    """The customer's messages, newest first, with their author and number of
    attachments: one query for any page."""
    messages = (Message.objects.filter(customer=customer).select_related("author")
                .defer("raw").annotate(attachments_count=_attachments_count()))
    if channel:
        messages = messages.filter(channel=channel)
    if status:
        messages = messages.filter(status=status)
    return messages


@dataclass
class History:
    """One page of the card's "SMSy Historia" / "E-maile Historia"."""

    channel: str
    page: Page
    pending: bool = field(default=False)  # some message still waits for the gateway


def message_history(*, customer, channel: str, page=None) -> History:
    """A page of the customer's messages of ``channel``: two queries (the count and the
    page). A page number out of range gives the last page."""
    paginator = Paginator(customer_message_list(customer=customer, channel=channel),
                          HISTORY_PAGE_SIZE)
    shown = paginator.get_page(page)
    pending = any(m.status in PENDING.get(channel, ()) for m in shown.object_list)
    return History(channel=channel, page=shown, pending=pending)


def email_template_list() -> QuerySet:
    """The tenant's active e-mail templates a message can start from."""
    return MessageTemplate.objects.filter(channel=Channel.EMAIL, is_active=True).only(
        "id", "name", "channel", "subject", "body")


def template_find(*, pk, channel: str) -> MessageTemplate | None:
    return MessageTemplate.objects.filter(pk=pk, channel=channel).first()


# --------------------------------------------------------------------------- one message

def message_get(*, pk, customer=None, with_raw: bool = False) -> Message:
    """One message with its attempts, status history and attachments (not their bytes),
    and with its raw MIME only when asked; raises ``Message.DoesNotExist``."""
    messages = Message.objects.select_related("author", "customer").prefetch_related(
        Prefetch("attempts", queryset=MessageAttempt.objects.order_by("number")),
        "events",
        Prefetch("attachments", queryset=MessageAttachment.objects.defer("content")),
    )
    if not with_raw:
        messages = messages.defer("raw")
    if customer is not None:
        messages = messages.filter(customer=customer)
    return messages.get(pk=pk)


def attachment_get(*, message_id, pk, customer=None) -> MessageAttachment:
    """An attachment of the message, with its bytes; raises ``DoesNotExist``."""
    attachments = MessageAttachment.objects.filter(message_id=message_id)
    if customer is not None:
        attachments = attachments.filter(message__customer=customer)
    return attachments.get(pk=pk)


@dataclass(frozen=True)
class Preview:
    """What the customer received: the headers and the text, as sent."""

    headers: list[tuple[str, str]]
    text: str
    raw: bool  # read from the message as handed to the server (else: as written)


PREVIEW_HEADERS = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID")


def message_preview(message: Message) -> Preview:
    """The e-mail as handed to the SMTP server (``Message.raw``): its headers and its
    text part, decoded; a message never handed over shows its subject and text."""
    if not message.raw:
        headers = [("To", message.recipient)]
        if message.subject:
            headers.append(("Subject", message.subject))
        return Preview(headers=headers, text=message.body, raw=False)
    parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
    headers = [(name, str(parsed[name])) for name in PREVIEW_HEADERS if parsed[name]]
    body = parsed.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    return Preview(headers=headers, text=text, raw=True)


def message_draft(*, customer, template: MessageTemplate) -> rendering.Rendered:
    """The template's subject and text rendered for ``customer`` (its balance, invoices,
    ...): what the card's e-mail form is filled with. Raises ``TemplateError``."""
    return rendering.message_render(subject=template.subject, body=template.body,
                                    context=rendering.context_for(customer))
