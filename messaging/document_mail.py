"""A document by e-mail for any app (a payment demand, ...): the app publishes
``document.mail_requested`` with the customer, what the document is (``kind``,
``object_id``), the subject and text, and the PDF; messaging queues one e-mail with the
PDF attached to the customer's first address marked for notifications.

Once per document: a message already related to ``(kind, object_id)`` with the purpose
"document" is not queued again (an event delivered twice, a job resumed). A customer
without such an address gets nothing (the requesting app's record of the document
stands). The hand-over to the SMTP server is the worker's, after commit, like every
message."""

import logging

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from customers.models import Customer, Email

from .models import Channel, Message, Purpose
from .services import Attachment, message_queue, recipient_clean

log = logging.getLogger(__name__)

# pg_advisory_xact_lock(LOCK_SPACE, object id): one queuing per document at a time.
LOCK_SPACE = 1_408_140_002


def _address(customer_id: int) -> str | None:
    for address in (Email.objects.filter(customer_id=customer_id, for_notifications=True)
                    .order_by("id").values_list("address", flat=True)):
        try:
            return recipient_clean(channel=Channel.EMAIL, recipient=address)
        except ValidationError:
            continue
    return None


def document_mail_queue(*, customer_id: int, kind: str, object_id: int, subject: str,
                        body: str, filename: str, content: bytes,
                        content_type: str = "application/pdf") -> Message | None:
    """Queue the e-mail of one document (see the module doc); None when the customer has
    no address for notifications or the document was already queued."""
    customer = Customer.objects.defer("search_text").filter(pk=customer_id).first()
    address = _address(customer_id) if customer else None
    if address is None:
        return None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                               [LOCK_SPACE, object_id])
        if Message.objects.filter(purpose=Purpose.DOCUMENT, related_kind=kind,
                                  related_id=object_id).exists():
            return None
        return message_queue(customer=customer, channel=Channel.EMAIL, recipient=address,
                             subject=subject, body=body, purpose=Purpose.DOCUMENT,
                             related=(kind, object_id),
                             attachments=[Attachment(filename, bytes(content), content_type)])


def on_document_mail_requested(*, customer_id, kind, object_id, subject, body, filename,
                               content, **_data) -> None:
    try:
        document_mail_queue(customer_id=customer_id, kind=kind, object_id=object_id,
                            subject=subject, body=body, filename=filename, content=content)
    except ValidationError as e:  # a subject or text the gateway refuses: say so
        log.warning("document %s %s not e-mailed: %s", kind, object_id, "; ".join(e.messages))
