"""The tenant's OLTs ("OLT-y"): the list, add and edit (secrets never shown back), "test
connection", "forget the host key" (an OLT replaced), the ONT profiles per tariff (set and
deleted); and an ONT's page — its place on an OLT, the actions (register, profile and
VLAN, reset, status, remove) and every recorded dialogue with the OLT.

Each view parses, calls one service (``warehouse.ont``, ``warehouse.olt_check``) or
selector and renders. The ONT actions talk to the OLT in the request — the services keep
the SSH dialogue out of every transaction, with the timeouts from the settings — and the
page then shows what was recorded. Another tenant's OLT or item is a 404.
"""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import form_write
from core.paging import page_number, slice_page
from core.views import staff_view

from .. import ont, selectors
from ..forms_card import OntRegisterForm
from ..forms_olt import OltForm, OntProfileForm
from ..models import Olt, OntAction, OntProfile, Product
from ..olt_check import host_key_fingerprint, olt_connection_check
from . import olt_selectors
from .common import confirm_page

VIEW, ADD, CHANGE = "warehouse.view_olt", "warehouse.add_olt", "warehouse.change_olt"
SEE_ACTIONS, ACT = "warehouse.view_ontaction", "warehouse.add_ontaction"
ACTIONS_PER_PAGE = 20


def _olt_or_404(olt_id) -> Olt:
    try:
        return ont.olt_get(pk=olt_id)
    except Olt.DoesNotExist:
        raise Http404 from None


# --------------------------------------------------------------------------- OLTs

@staff_view(VIEW)
@require_GET
def olt_list(request):
    """The OLTs with their vendor, address and how many ONTs each has. Queries: the OLTs
    with their counts (``olt_selectors.olt_list``)."""
    return render(request, "warehouse/staff/olts/list.html",
                  {"olts": list(olt_selectors.olt_list())})


def _form_page(request, form, *, title, olt=None):
    return render(request, "warehouse/staff/olts/form.html", {
        "form": form, "title": title, "olt": olt,
        "fingerprint": host_key_fingerprint(olt.host_key) if olt else "",
    }, status=400 if form.errors else 200)


@staff_view(ADD)
@require_http_methods(["GET", "POST"])
def olt_add(request):
    form = OltForm(request.POST or None, auto_id="olt_%s")
    if request.method == "POST":
        olt = form_write(form, lambda data: ont.olt_create(actor=request.user,
                                                           **form.service_kwargs()))
        if olt is not None:
            messages.success(request, _("OLT %(o)s added: test its connection.")
                             % {"o": olt.name})
            return redirect("warehouse:olts")
    return _form_page(request, form, title=_("Add an OLT"))


@staff_view(CHANGE)
@require_http_methods(["GET", "POST"])
def olt_edit(request, olt_id):
    olt = _olt_or_404(olt_id)
    form = OltForm(request.POST or None, editing=True, auto_id="olt_%s", initial={
        "name": olt.name, "vendor": olt.vendor, "host": olt.host, "ssh_port": olt.ssh_port,
        "username": olt.username, "snmp_port": olt.snmp_port, "active": olt.active})
    if request.method == "POST" and form_write(form, lambda data: ont.olt_update(
            actor=request.user, olt=olt, **form.service_kwargs())):
        messages.success(request, _("OLT %(o)s saved.") % {"o": form.cleaned_data["name"]})
        return redirect("warehouse:olts")
    return _form_page(request, form, title=olt.name, olt=olt)


@staff_view(CHANGE)
@require_POST
def olt_check(request, olt_id):
    """"Test connection": log in over SSH (and ask SNMP) and say how it went — a fragment
    for htmx, else back to the list with a message. Nothing is written."""
    olt = _olt_or_404(olt_id)
    check = olt_connection_check(olt=olt)
    if request.htmx:
        return render(request, "warehouse/staff/olts/_check.html", {"check": check, "olt": olt})
    (messages.success if check.ok else messages.error)(
        request, f"{olt.name}: {check.message}")
    return redirect("warehouse:olts")


@staff_view(CHANGE)
@require_http_methods(["GET", "POST"])
def olt_forget_host_key(request, olt_id):
    """An OLT replaced (a new SSH host key): the kept key is forgotten and the next
    connection keeps what the OLT shows then. Logged."""
    olt = _olt_or_404(olt_id)
    back = reverse("warehouse:olt_edit", args=[olt.pk])
    return confirm_page(
        request, title=_("Forget the host key of %(o)s") % {"o": olt.name},
        question=_("Forget the SSH host key kept for %(o)s (%(f)s)? Do it only when the OLT "
                   "was replaced or its key renewed: the next connection trusts whatever "
                   "key answers at %(a)s.") % {"o": olt.name, "a": olt.host,
                                                "f": host_key_fingerprint(olt.host_key)},
        refusal="" if olt.host_key else _("No host key is kept for %(o)s.") % {"o": olt.name},
        button=_("Forget the key"),
        act=lambda: ont.olt_update(actor=request.user, olt=olt, forget_host_key=True),
        done_message=_("The host key of %(o)s is forgotten.") % {"o": olt.name},
        done_url=back, cancel_url=back)


@staff_view(VIEW)
@require_http_methods(["GET", "POST"])
def olt_profiles(request, olt_id):
    """The OLT's ONT profiles (the line and service profile and the VLAN per tariff, and
    the default for any other), and the form that sets one (``ont.ont_profile_set``)."""
    from finance.billing import tariff_list

    olt = _olt_or_404(olt_id)
    if request.method == "POST" and not request.user.has_perm(CHANGE):
        raise PermissionDenied
    tariffs = list(tariff_list().order_by("name", "pk"))
    form = OntProfileForm(request.POST or None, tariffs=tariffs, auto_id="profile_%s")
    if request.method == "POST":
        profile = form_write(form, lambda data: ont.ont_profile_set(
            actor=request.user, olt=olt, **form.service_kwargs()))
        if profile is not None:
            messages.success(request, _("ONT profile for %(t)s saved.") % {
                "t": profile.tariff.name if profile.tariff else _("any other tariff")})
            return redirect("warehouse:olt_profiles", olt_id=olt.pk)
    return render(request, "warehouse/staff/olts/profiles.html", {
        "olt": olt, "form": form,
        "profiles": list(olt_selectors.olt_profile_list(olt_id=olt.pk)),
    }, status=400 if form.errors else 200)


@staff_view(CHANGE)
@require_POST
def olt_profile_delete(request, olt_id, ontprofile_id):
    """Delete one of the OLT's ONT profiles (``ont.ont_profile_delete``; the page's button
    asks first). A profile of another OLT or tenant is a 404."""
    olt = _olt_or_404(olt_id)
    try:
        profile = olt_selectors.olt_profile_get(olt_id=olt.pk, pk=ontprofile_id)
        ont.ont_profile_delete(actor=request.user, profile=profile)
    except OntProfile.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("ONT profile for %(t)s deleted.") % {
        "t": profile.tariff.name if profile.tariff else _("any other tariff")})
    return redirect("warehouse:olt_profiles", olt_id=olt.pk)


# --------------------------------------------------------------------------- an ONT

def _ont_or_404(stockitem_id):
    """The item with its product, place and customer (``selectors.item_get``); another
    tenant's is a 404. (An item that is no ONT gets a page saying so; the services refuse
    to act on it.)"""
    try:
        return selectors.item_get(pk=stockitem_id)
    except ObjectDoesNotExist:
        raise Http404 from None


def _active_olts() -> list[Olt]:
    return list(Olt.objects.filter(active=True).only("id", "name").order_by("name", "pk"))


def _register_form(item, data=None, olts=None) -> OntRegisterForm:
    return OntRegisterForm(data, olts=_active_olts() if olts is None else olts, item=item,
                           auto_id="ont_%s")


def _ont_page(request, item, *, form=None, status=200):
    page = slice_page(ont.ont_action_list(item=item), page_number(request.GET.get("page")),
                      ACTIONS_PER_PAGE)
    for action in page.rows:
        action.reading_text = ont.reading_text(action.reading) if action.reading else ""
    is_ont = item.product.kind == Product.Kind.ONT
    can_act = is_ont and request.user.has_perm(ACT)
    if form is None and can_act and item.olt_id is None:
        form = _register_form(item)
    return render(request, "warehouse/staff/olts/ont.html", {
        "item": item, "page": page, "form": form, "can_act": can_act, "is_ont": is_ont,
    }, status=status)


@staff_view(SEE_ACTIONS)
@require_GET
def ont_page(request, stockitem_id):
    """An ONT's place on an OLT, its action buttons and its recorded actions, paged.
    Queries: the item, the active OLTs (the register form), the page of actions."""
    return _ont_page(request, _ont_or_404(stockitem_id))


def _done(request, item, record: OntAction):
    """Back to the ONT's page with what the OLT answered (the full dialogue is the
    history's first row)."""
    text = f"{record.get_action_display()}: {record.message or record.get_outcome_display()}"
    if record.outcome == OntAction.Outcome.OK:
        messages.success(request, text)
    else:
        messages.error(request, f"{record.get_outcome_display()} — {text}")
    return redirect("warehouse:ont", stockitem_id=item.pk)


@staff_view(ACT)
@require_POST
def ont_register(request, stockitem_id):
    """Register the ONT on the chosen OLT, port and ONT id (``ont.ont_register``)."""
    item = _ont_or_404(stockitem_id)
    olts = _active_olts()
    form = _register_form(item, request.POST, olts)
    by_pk = {str(olt.pk): olt for olt in olts}
    record = form_write(form, lambda data: ont.ont_register(
        actor=request.user, item=item, olt=by_pk[data["olt"]], port=data["port"],
        ont_id=data["ont_id"]))
    if record is None:
        return _ont_page(request, item, form=form, status=400)
    return _done(request, item, record)


def _act(request, stockitem_id, service):
    item = _ont_or_404(stockitem_id)
    try:
        record = service(actor=request.user, item=item)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("warehouse:ont", stockitem_id=item.pk)
    return _done(request, item, record)


@staff_view(ACT)
@require_POST
def ont_profile(request, stockitem_id):
    """Set the profile and VLAN of the customer's tariff again (``ont.ont_profile_apply``)."""
    return _act(request, stockitem_id, ont.ont_profile_apply)


@staff_view(ACT)
@require_POST
def ont_reset(request, stockitem_id):
    return _act(request, stockitem_id, ont.ont_reset)


@staff_view(ACT)
@require_POST
def ont_status(request, stockitem_id):
    return _act(request, stockitem_id, ont.ont_status)


@staff_view(ACT)
@require_POST
def ont_remove(request, stockitem_id):
    return _act(request, stockitem_id, ont.ont_remove)
