"""A phone's calls reached its notification threshold (``voip.threshold_crossed``, published
by voip once per phone and billing period): the customer is told by SMS to the first
phone and by e-mail to the first address marked for notifications, as the tenant's
``messaging.voip_threshold_channels`` says (default: both). The card's note is the
customers app's reaction to the same event."""

import logging

from django.core.exceptions import ValidationError

from core.tenant_settings import setting_get
from customers.models import Customer

from .models import Channel, Purpose
from .reminders import _CHANNELS, _contacts
from .services import message_queue

log = logging.getLogger(__name__)

# Customers read Polish; a text the customer gets, not the staff's UI (no gettext).
SUBJECT = "{isp}: próg powiadomienia o kosztach połączeń"
TEXT = ("{isp}: połączenia z numeru +{number} kosztują w tym okresie rozliczeniowym "
        "{amount} zł netto i osiągnęły ustawiony próg powiadomienia {threshold} zł.")


def _zl(amount: str) -> str:
    return str(amount).replace(".", ",")


def threshold_messages_queue(*, phone_id: int, customer_id: int, number: str, amount: str,
                             threshold: str) -> list:
    """Queue the messages (one per channel with a contact); a channel that cannot send
    (no gateway, a bad contact) is logged and skipped — the card's note still says it."""
    channels = _CHANNELS[setting_get("messaging.voip_threshold_channels")]
    if not channels:
        return []
    customer = Customer.objects.select_related("tenant").get(pk=customer_id)
    values = {"isp": customer.tenant.name, "number": number, "amount": _zl(amount),
              "threshold": _zl(threshold)}
    queued = []
    for channel in channels:
        recipient = _contacts([customer_id], channel).get(customer_id)
        if not recipient:
            continue
        try:
            queued.append(message_queue(
                customer=customer, channel=channel, recipient=recipient,
                subject=SUBJECT.format(**values) if channel == Channel.EMAIL else "",
                body=TEXT.format(**values), purpose=Purpose.VOIP,
                related=("voip_phone", phone_id)))
        except ValidationError as exc:
            log.warning("VoIP threshold message to customer %s by %s not queued: %s",
                        customer_id, channel, exc.messages)
    return queued


def on_threshold_crossed(*, phone_id, customer_id, number, amount, threshold,
                         **_ignored) -> None:
    threshold_messages_queue(phone_id=phone_id, customer_id=customer_id, number=number,
                             amount=amount, threshold=threshold)
