"""What the customer card's panel PIN form asks of messaging: may the PIN go by SMS."""

from django import template

from customers.validators import format_phone

from ..pin import pin_sms_phones as _pin_sms_phones

register = template.Library()


@register.simple_tag
def pin_sms_phones(customer) -> list:
    """The customer's phones the PIN may be sent to (each with ``display``); empty when the
    ISP has no SMS gateway. Queries: one (the gateway), the phones come with the card."""
    phones = _pin_sms_phones(customer=customer)
    for phone in phones:
        if not hasattr(phone, "display"):
            phone.display = format_phone(phone.number)
    return phones
