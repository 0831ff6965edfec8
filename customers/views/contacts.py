"""Phones, e-mails and consents of the "Customer data" section."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from customers import services
from customers.forms import EmailForm, PhoneForm
from customers.models import Customer, Email, Phone

from .base import edit_page, section_call, section_write, staff_view

CONTACT_FIELDS = ("label", "for_notifications", "for_invoices")


@staff_view("customers.add_phone")
@require_POST
def phone_add(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    return section_write(
        request, customer, "data", "phone_add",
        lambda data: services.phone_add(actor=request.user, customer=customer, **data),
        _("Phone added."))


@staff_view("customers.change_phone")
@require_http_methods(["GET", "POST"])
def phone_edit(request, customer_id, phone_id):
    phone = get_object_or_404(Phone.objects.select_related("customer"), pk=phone_id,
                              customer_id=customer_id)
    initial = {name: getattr(phone, name) for name in ("number", *CONTACT_FIELDS)}
    return edit_page(
        request, customer=phone.customer, key="data", title=_("Edit phone"),
        form=PhoneForm(request.POST or None, initial=initial),
        save=lambda data: services.phone_update(actor=request.user, phone=phone, **data))


@staff_view("customers.delete_phone")
@require_POST
def phone_remove(request, customer_id, phone_id):
    phone = get_object_or_404(Phone.objects.select_related("customer"), pk=phone_id,
                              customer_id=customer_id)
    return section_call(request, customer_id, "data",
                        lambda: services.phone_remove(actor=request.user, phone=phone),
                        _("Phone removed."))


@staff_view("customers.add_email")
@require_POST
def email_add(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    return section_write(
        request, customer, "data", "email_add",
        lambda data: services.email_add(actor=request.user, customer=customer, **data),
        _("E-mail added."))


@staff_view("customers.change_email")
@require_http_methods(["GET", "POST"])
def email_edit(request, customer_id, email_id):
    email = get_object_or_404(Email.objects.select_related("customer"), pk=email_id,
                              customer_id=customer_id)
    initial = {name: getattr(email, name) for name in ("address", *CONTACT_FIELDS)}
    return edit_page(
        request, customer=email.customer, key="data", title=_("Edit e-mail"),
        form=EmailForm(request.POST or None, initial=initial),
        save=lambda data: services.email_update(actor=request.user, email=email, **data))


@staff_view("customers.delete_email")
@require_POST
def email_remove(request, customer_id, email_id):
    email = get_object_or_404(Email.objects.select_related("customer"), pk=email_id,
                              customer_id=customer_id)
    return section_call(request, customer_id, "data",
                        lambda: services.email_remove(actor=request.user, email=email),
                        _("E-mail removed."))


@staff_view("customers.change_consent")
@require_POST
def consent_set(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    return section_write(
        request, customer, "data", "consent_set",
        lambda data: services.consent_set(actor=request.user, customer=customer, **data),
        _("Consent saved."))
