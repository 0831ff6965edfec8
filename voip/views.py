"""Staff pages of the VoIP app: the card's "Telefony" section (Loginy/Hasła → Telefony)
and its buttons. A generated SIP password is shown once, in the answer that made it."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.forms import form_write
from core.views import staff_view
from customers.models import Customer
from customers.views.base import render_section, section_call, section_done_showing

from . import asterisk, selectors, services
from .forms import PhoneForm
from .models import VoipPhone

SECTION = "phones"
_SHOWN = "voip_password_shown"


def _form(data=None, *, initial=None, ranges=None, groups=None):
    ranges = selectors.range_choices() if ranges is None else ranges
    groups = selectors.billing_group_choices() if groups is None else groups
    return PhoneForm(data, initial=initial, ranges=ranges, groups=groups,
                     auto_id="phone_add_%s")


def phones_section_context(customer, request):
    """The card's "Telefony": the customer's phones and the add form. Queries: the phones
    with numbers, their groups and free numbers; for a user who may add, the ranges, the
    billing groups and the tariffs with a subtariff script."""
    can_add = request.user.has_perm("voip.add_voipphone")
    ranges = selectors.range_choices() if can_add else []
    return {
        "phones": selectors.phone_card_list(customer_id=customer.pk),
        "phone_form": _form(ranges=ranges,
                            groups=selectors.billing_group_choices() if can_add else []),
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
    """The add form prefilled from a tariff's subtariff script (``?tariff=<id>``)."""
    from finance.models import Tariff

    customer = get_object_or_404(Customer, pk=customer_id)
    initial = None
    if request.GET.get("tariff"):
        tariff = get_object_or_404(Tariff, pk=request.GET["tariff"])
        initial = services.phone_defaults(tariff)
    return render_section(request, customer.pk, SECTION,
                          forms={"phone_form": _form(initial=initial)})


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
