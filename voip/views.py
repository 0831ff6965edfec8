"""Staff pages of the VoIP app: the card's "Telefony" section (Loginy/Hasła → Telefony)
and its buttons. A generated SIP password is shown once, in the answer that made it."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.forms import form_write
from core.paging import page_number
from core.views import staff_view
from customers.models import Customer
from customers.views.base import render_section, section_call, section_done_showing

from . import asterisk, selectors, services
from .forms import PhoneForm, PrepaidForm
from .models import VoipPhone

SECTION = "phones"
_SHOWN = "voip_password_shown"


def _form(data=None, *, initial=None, ranges=None, groups=None, servers=None):
    ranges = selectors.range_choices() if ranges is None else ranges
    groups = selectors.billing_group_choices() if groups is None else groups
    servers = selectors.exchange_choices() if servers is None else servers
    # A fresh one-time token per form shown (a refused form keeps the one it was sent with).
    form = PhoneForm(data, initial={**(initial or {}), "request_token": uuid.uuid4()},
                     ranges=ranges, groups=groups, servers=servers, auto_id="phone_add_%s")
    form.prefilled = bool(initial)  # from a tariff's script: shown unfolded
    return form


def phones_section_context(customer, request):
    """The card's "Telefony": the customer's phones and the add form. Queries: the phones
    with numbers, their groups and free numbers; for a user who may add, the ranges, the
    billing groups and the tariffs with a subtariff script."""
    can_add = request.user.has_perm("voip.add_voipphone")
    ranges = selectors.range_choices() if can_add else []
    return {
        "phones": selectors.phone_card_list(customer_id=customer.pk),
        "phone_form": _form(ranges=ranges,
                            groups=selectors.billing_group_choices() if can_add else [],
                            servers=selectors.exchange_choices() if can_add else []),
        "has_ranges": bool(ranges),
        "script_tariffs": selectors.script_tariff_choices() if can_add else [],
        "provisioning": asterisk.enabled(),
        "password_shown": getattr(request, _SHOWN, None),
    }


def _done(request, customer_id, *, forms=None, message=None, shown=None):
    return section_done_showing(request, customer_id, SECTION, attr=_SHOWN, shown=shown,
                                forms=forms, message=message)


@staff_view("voip.add_voipphone")
@require_POST
def phone_add(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    form = _form(request.POST)
    created = form_write(form, lambda data: services.phone_create(
        actor=request.user, customer=customer, **form.service_kwargs()))
    if created is None:
        return _done(request, customer.pk, forms={"phone_form": form})
    phone, generated = created
    number = f"+{phone.number.number}"
    return _done(request, customer.pk, message=_("Phone %(n)s added.") % {"n": number},
                 shown={"number": number, "password": generated} if generated else None)


@staff_view("voip.add_voipphone")
@require_GET
def phone_form(request, customer_id):
    """The add form prefilled from a tariff's subtariff script (``?tariff=<id>``); an id
    that is no tariff of the tenant (not a number, another tenant's) is a 404."""
    from finance.models import Tariff

    customer = get_object_or_404(Customer, pk=customer_id)
    initial = None
    if request.GET.get("tariff"):
        tariff_id = _id_param(request.GET["tariff"])
        if tariff_id is None:
            raise Http404
        tariff = get_object_or_404(Tariff, pk=tariff_id)
        initial = services.phone_defaults(tariff)
    return render_section(request, customer.pk, SECTION,
                          forms={"phone_form": _form(initial=initial)})


def _id_param(value: str) -> int | None:
    """A positive id as a query string gives it ("12"), else None; never past bigint."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        return None
    return int(value)


def _phone_or_404(customer_id, phone_id) -> VoipPhone:
    return get_object_or_404(VoipPhone.objects.select_related("number", "customer"),
                             pk=phone_id, customer_id=customer_id)


@staff_view("voip.delete_voipphone")
@require_POST
def phone_delete(request, customer_id, voipphone_id):
    phone = _phone_or_404(customer_id, voipphone_id)
    number = f"+{phone.number.number}"
    return section_call(request, customer_id, SECTION,
                        lambda: services.phone_remove(actor=request.user, phone=phone),
                        _("Phone %(n)s removed; the number is in quarantine.") % {"n": number})


@staff_view("voip.change_voipphone")
@require_POST
def phone_unblock(request, customer_id, voipphone_id):
    """Lift the amount-limit block by hand (the debt block follows the customer's)."""
    phone = _phone_or_404(customer_id, voipphone_id)
    return section_call(request, customer_id, SECTION,
                        lambda: services.phone_block_set(actor=request.user, phone=phone,
                                                         limit=False),
                        _("Phone %(n)s unblocked.") % {"n": f"+{phone.number.number}"})


# --------------------------------------------------------------------------- invoices

def invoice_panel_context(request, document):
    """The invoice page's "Call list" panel (core.document_hooks): the calls the invoice
    bills, with the CSV; none for a document without calls. Queries: two."""
    from . import billing

    if document.kind != "invoice":
        return None
    summary = billing.invoice_calls_summary(document.pk)
    if not summary["count"]:
        return None
    return {"summary": summary, "document": document}


@staff_view("voip.view_call")
@require_GET
def invoice_calls_csv(request, financedocument_id):
    from finance.models import FinanceDocument

    from .panel_views import csv_response

    document = get_object_or_404(FinanceDocument, pk=financedocument_id)
    return csv_response(document.pk)


# --------------------------------------------------------------------------- phone window

@staff_view("voip.view_voipphone")
@require_GET
def phone_window(request, customer_id, voipphone_id):
    """A phone's window: its settings, its writing to the exchange, its usage this period,
    a prepaid phone's balance with its top-ups; the exchange's live state comes into it by
    ``phone_live`` (the page never waits for the exchange)."""
    phone = _phone_or_404(customer_id, voipphone_id)
    return _window(request, phone)


def _window(request, phone, *, prepaid_form=None, status=200):
    prepaid = phone.billing_type == VoipPhone.BillingType.PREPAID
    context = {
        "phone": phone, "customer": phone.customer,
        "usage": selectors.phone_usage_get(phone=phone,
                                           period=timezone.localdate().replace(day=1)),
        "provisioning": asterisk.enabled(), "prepaid": prepaid}
    if prepaid:
        context["entries"] = selectors.prepaid_entries_page(
            phone=phone, page=page_number(request.GET.get("page")))
        if request.user.has_perm("voip.add_prepaidentry"):
            context["prepaid_form"] = prepaid_form or PrepaidForm(
                user=request.user, initial={"kind": "top_up", "request_token": uuid.uuid4()})
    return render(request, "voip/phone_window.html", context, status=status)


@staff_view("voip.add_prepaidentry")
@require_POST
def phone_prepaid_add(request, customer_id, voipphone_id):
    """A prepaid phone's top-up (an invoice) or, for the accountant, a correction
    (``services.prepaid_entry_add``)."""
    phone = _phone_or_404(customer_id, voipphone_id)
    if phone.billing_type != VoipPhone.BillingType.PREPAID:
        messages.error(request, _("The phone is postpaid: its calls are invoiced, it has no "
                                  "balance."))
        return redirect("voip:phone_window", customer_id, phone.pk)
    form = PrepaidForm(request.POST, user=request.user)
    entry = form_write(form, lambda data: services.prepaid_entry_add(
        actor=request.user, phone=phone, **data))
    if entry is None:
        return _window(request, phone, prepaid_form=form, status=400)
    messages.success(request, _("Balance of +%(n)s: %(b)s zł.")
                     % {"n": phone.number.number, "b": entry.balance_after})
    return redirect("voip:phone_window", customer_id, phone.pk)


@staff_view("voip.view_voipphone")
@require_GET
def phone_live(request, customer_id, voipphone_id):
    """The phone's registration and current calls from the exchange's AMI (a fragment)."""
    phone = _phone_or_404(customer_id, voipphone_id)
    return render(request, "voip/_phone_live.html",
                  {"phone": phone, **selectors.phone_live_status(phone)})
