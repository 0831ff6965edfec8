"""What the customers app does when another app's event concerns a customer (core.events,
subscribed in ``CustomersConfig.ready``)."""

from decimal import Decimal

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from .models import Customer


def on_voip_threshold_crossed(*, customer_id, number, amount, threshold, **_ignored) -> None:
    """"Próg powiadamiania": a note on the card, so whoever opens it sees the phone's calls
    passed the amount the customer wanted to hear about (the message to the customer is
    the messaging app's)."""
    from .services import annotation_add

    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return
    with translation.override(settings.LANGUAGE_CODE):  # a note staff read, Polish first
        text = _("Phone +%(number)s: the calls of this period, %(amount)s, reached the "
                 "notification threshold of %(threshold)s.") % {
            "number": number, "amount": formats.number_format(Decimal(amount), 2),
            "threshold": formats.number_format(Decimal(threshold), 2)}
    annotation_add(actor=None, customer=customer, text=text)
