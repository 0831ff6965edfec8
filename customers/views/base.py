"""What every page of the customer card shares: the card, its sections, its forms."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.forms import apply_service_errors
from core.sections import card_sections_for
from core.views import staff_view  # noqa: F401  (the views of this package import it from here)
from customers import selectors_ui
from customers.forms import (
    AddressForm,
    AnnotationForm,
    AttributeForm,
    BankAccountForm,
    ConsentForm,
    EmailForm,
    FolderForm,
    GroupAddForm,
    PanelCredentialsForm,
    PhoneForm,
    ScanForm,
)
from customers.models import Customer


def _panel_form(customer, **kwargs):
    # The card's customer comes with its account; a view's own lookup asks for it. No
    # account raises RelatedObjectDoesNotExist, an AttributeError.
    panel = getattr(customer, "panel_account", None)
    return PanelCredentialsForm(initial={"login": panel.login if panel else ""}, **kwargs)


# The forms shown inside the card's sections, by name. A refused one is shown again,
# bound, with the service's messages; the others blank.
CARD_FORMS = {
    "phone_add": lambda customer, **kw: PhoneForm(**kw),
    "email_add": lambda customer, **kw: EmailForm(**kw),
    "consent_set": lambda customer, **kw: ConsentForm(
        initial={"granted": True, "given_on": timezone.localdate()}, **kw),
    "address_add": lambda customer, **kw: AddressForm(initial={"country": "PL"}, **kw),
    "attribute_set": lambda customer, **kw: AttributeForm(**kw),
    "group_add": lambda customer, **kw: GroupAddForm(**kw),
    "folder_add": lambda customer, **kw: FolderForm(**kw),
    "scan_add": lambda customer, **kw: ScanForm(folders=list(customer.folders.all()), **kw),
    "bank_account_add": lambda customer, **kw: BankAccountForm(**kw),
    "panel_credentials": _panel_form,
    "annotation_add": lambda customer, **kw: AnnotationForm(**kw),
}


def card_form(name, customer, data=None, files=None):
    return CARD_FORMS[name](customer, data=data, files=files, auto_id=f"{name}_%s")


def card_url(customer_id, section_key: str | None = None) -> str:
    url = reverse("customers:card", kwargs={"customer_id": customer_id})
    return f"{url}#section-{section_key}" if section_key else url


def load_card(customer_id) -> Customer:
    try:
        return selectors_ui.customer_card_display(pk=customer_id)
    except Customer.DoesNotExist:
        raise Http404 from None


def _render_section(request, customer, section, forms) -> str:
    context = {"customer": customer, "section": section, "forms": forms}
    if section.context:
        context.update(section.context(customer, request))
    return render_to_string("customers/card/_section.html", context, request=request)


def _card_forms(customer, forms):
    blank = {name: card_form(name, customer) for name in CARD_FORMS}
    return {**blank, **(forms or {})}


def _render_lazy(request, customer, section) -> str:
    return render_to_string("customers/card/_section_lazy.html",
                            {"customer": customer, "section": section}, request=request)


def render_card(request, customer_id, *, forms=None):
    customer = load_card(customer_id)
    in_place = forms is not None or bool(request.GET)  # a refused form, filters, ?full=1
    forms = _card_forms(customer, forms)
    sections = [mark_safe(  # noqa: S308
        _render_lazy(request, customer, section) if section.lazy and not in_place
        else _render_section(request, customer, section, forms))
        for section in card_sections_for(request.user)]
    return render(request, "customers/card.html", {
        "customer": customer, "sections": sections,
        "show_annotations": request.user.has_perm("customers.view_annotation"),
    })


def render_section(request, customer_id, key, *, forms=None):
    """One section, as htmx swaps it in place (404 if the user may not see it)."""
    section = next((s for s in card_sections_for(request.user) if s.key == key), None)
    if section is None:
        raise Http404
    customer = load_card(customer_id)
    return HttpResponse(_render_section(request, customer, section,
                                        _card_forms(customer, forms)))


def section_done(request, customer_id, key, *, forms=None, message=None):
    """After a write or a refused one: htmx gets the section again, a plain form the card."""
    failed = any(form.errors for form in (forms or {}).values())
    if message and not failed:
        messages.success(request, message)
    if request.htmx:
        response = render_section(request, customer_id, key, forms=forms)
        if not failed:
            # Other sections (the action log) refresh themselves on this event.
            response["HX-Trigger"] = "card-changed"
        return response
    if failed:
        return render_card(request, customer_id, forms=forms)
    return redirect(card_url(customer_id, key))


def section_write(request, customer, key, form_name, write, message):
    """Parse the card form ``form_name``, hand its data to ``write`` (one service call)."""
    form = card_form(form_name, customer, request.POST, request.FILES)
    if form.is_valid():
        try:
            write(form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
    return section_done(request, customer.pk, key, forms={form_name: form}, message=message)


def section_call(request, customer_id, key, call, message):
    """A write without a form (remove, pin): refused writes show as an error message."""
    try:
        call()
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
        message = None
    return section_done(request, customer_id, key, message=message)


def edit_page(request, *, customer, form, key, title, save, template="customers/edit.html"):
    """GET: the form on its own page; POST: ``save`` (one service call), back to the card."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect(card_url(customer.pk, key))
    return render(request, template, {
        "customer": customer, "form": form, "title": title,
        "cancel_url": card_url(customer.pk, key),
    })
