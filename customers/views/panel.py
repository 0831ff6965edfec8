"""The customer panel part of the card's "Customer data" section: the login and password
(typed or generated), the one-time PIN, the lifting of a login lock, and "Zaloguj do panelu
jako klient" (staff open the panel as the customer: panel.session)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers import services
from customers.models import Customer
from panel import services as panel_services
from panel.session import VIEW_AS_CUSTOMER, panel_impersonate

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
    """A new one-time PIN, shown once in a message and never stored in clear; or sent by
    SMS to the phone chosen (``sms_to``: one of the customer's phones), not shown then."""
    customer = get_object_or_404(Customer, pk=customer_id)
    sms_to = request.POST.get("sms_to", "")
    if sms_to:
        if not request.user.has_perm("messaging.add_message"):
            raise PermissionDenied
        return section_call(
            request, customer_id, "data",
            lambda: services.panel_pin_generate(
                actor=request.user, customer=customer,
                sms_phone_id=int(sms_to) if sms_to.isdigit() else 0),
            _("A new one-time panel PIN is being sent to the customer by SMS."))
    return _secret_shown_once(
        request, customer_id,
        lambda: services.panel_pin_generate(actor=request.user, customer=customer),
        _("One-time panel PIN: %(secret)s. Pass it to the customer now: it will not be "
          "shown again."))


@staff_view("customers.change_panelaccount")
@require_POST
def panel_unlock(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    return section_call(request, customer_id, "data",
                        lambda: services.panel_unlock(actor=request.user, customer=customer),
                        _("Panel login unlocked."))


@staff_view("customers.change_panelaccount")
@require_POST
def panel_password_generate(request, customer_id):
    """A random panel password, shown once in a message and never stored in clear."""
    customer = get_object_or_404(Customer, pk=customer_id)
    return _secret_shown_once(
        request, customer_id,
        lambda: services.panel_password_generate(actor=request.user, customer=customer),
        _("New panel password: %(secret)s. Pass it to the customer now: it will not be "
          "shown again."))


def _secret_shown_once(request, customer_id, generate, text):
    """A PIN or password from ``generate`` (one service call), shown once in a message and
    never stored in clear; a refusal shows the service's messages."""
    try:
        secret = generate()
    except ValidationError as e:
        for message in e.messages:
            messages.error(request, message)
    else:
        messages.warning(request, text % {"secret": secret})
    return section_done(request, customer_id, "data")


@staff_view(VIEW_AS_CUSTOMER)
@require_POST
def panel_as_customer(request, customer_id):
    """"Zaloguj do panelu jako klient": the panel opens as the customer, read-only unless
    changes were asked for (administrators); the staff login stays (panel.session)."""
    customer = get_object_or_404(Customer, pk=customer_id)
    try:
        account = panel_services.panel_as_customer_start(
            actor=request.user, customer=customer,
            allow_changes=request.POST.get("allow_changes") == "1")
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
        return section_done(request, customer.pk, "data")
    # Another customer's panel open in this session: that view ends (and is logged) first.
    panel_services.impersonation_end(request, request.user, clear=False)
    panel_impersonate(request, account, allow_changes=request.POST.get("allow_changes") == "1")
    response = redirect("panel:home")
    if request.htmx:
        # A plain redirect would be followed inside the card's section.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("panel:home")
    return response
