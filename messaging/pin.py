"""The panel PIN by SMS: staff generate a one-time PIN on the card and choose one of the
customer's phones; the customers app publishes ``panel_pin.generated`` after its commit
and ``pin_sms_queue`` (subscribed in ``setup_auto``) queues the SMS.

Where the PIN travels: in memory from ``customers.services.panel_pin_generate`` to this
handler (the event's data, delivered in the same process after commit); then encrypted
in ``Message.body_secret`` (``core.crypto``), while ``Message.body`` — what the history,
the panel and the API show — has it masked; the Celery task gets only the message id;
the gateway reads ``Message.text_to_send``. Such a message is never sent again ("Ponów"
is refused): a PIN that did not arrive is replaced by a new one.
"""

from django.contrib.auth import get_user_model

from customers.models import Customer

from .models import Channel, Message, Purpose
from .services import gateway_config, message_queue

MASK = "*"


def pin_sms_phones(*, customer) -> list:
    """The customer's phones a PIN may go to by SMS (those the card shows); none when the
    ISP has no SMS gateway. Queries: one, when the phones come prefetched."""
    phones = list(customer.phones.all())
    if not phones or gateway_config(Channel.SMS) is None:
        return []
    return phones


# Customers read Polish; a text the customer gets, not the staff's UI (no gettext).
PIN_SMS_TEXT = "{isp}: jednorazowy PIN do panelu klienta: {pin}. Nie przekazuj go nikomu."


def pin_sms_text(*, pin: str, tenant_name: str) -> str:
    return PIN_SMS_TEXT.format(isp=tenant_name, pin=pin)


def pin_sms_queue(*, customer_id: int, pin: str, actor_id: int | None, phone: str) -> Message:
    """Queue the SMS with ``pin`` to ``phone`` (the ``panel_pin.generated`` handler): the
    history shows the text masked, the gateway sends it in clear (see the module doc).
    Queues the hand-over on commit; the author's action log entry is ``message.queue``."""
    customer = Customer.objects.select_related("tenant").get(pk=customer_id)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    text = pin_sms_text(pin=pin, tenant_name=customer.tenant.name)
    masked = pin_sms_text(pin=MASK * len(pin), tenant_name=customer.tenant.name)
    return message_queue(customer=customer, channel=Channel.SMS, recipient=phone, body=masked,
                         body_secret=text, author=actor, purpose=Purpose.PIN,
                         related=("panel_pin", customer.pk))


def _on_pin_generated(*, customer_id, pin, actor_id, phone, **_ignored) -> None:
    if phone:
        pin_sms_queue(customer_id=customer_id, pin=pin, actor_id=actor_id, phone=phone)
