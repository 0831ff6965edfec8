"""The customer panel part of the card's "Customer data" section: the login and password,
the one-time PIN, the lifting of a login lock."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers import services
from customers.models import Customer

from .base import section_call, section_done, section_write, staff_view


@staff_view("customers.change_panelaccount")
@require_POST
def panel_credentials(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    return section_write(
        request, customer, "data", "panel_credentials",
        lambda data: services.panel_credentials_set(
            actor=request.user, customer=customer, login=data["login"],
            password=data["password"] or None),
        _("Panel account saved."))


@staff_view("customers.change_panelaccount")
@require_POST
def panel_pin(request, customer_id):
    """A new one-time PIN, shown once in a message and never stored in clear."""
    customer = get_object_or_404(Customer, pk=customer_id)
    try:
        pin = services.panel_pin_generate(actor=request.user, customer=customer)
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
    else:
        messages.warning(request, _("One-time panel PIN: %(pin)s. Pass it to the customer "
                                    "now: it will not be shown again.") % {"pin": pin})
    return section_done(request, customer_id, "data")


@staff_view("customers.change_panelaccount")
@require_POST
def panel_unlock(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    return section_call(request, customer_id, "data",
                        lambda: services.panel_unlock(actor=request.user, customer=customer),
                        _("Panel login unlocked."))
