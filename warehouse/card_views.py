"""What the buttons of the card's "Sprzęt kliencki" do: each parses its form, calls one
service and comes back as the section re-rendered (htmx) or the card open at it (a plain
form). A refused write shows the service's reasons in the section and posts nothing.

Another tenant's customer, item or document, or an item that is not at this customer, is
a 404 (every lookup goes through the tenant's scope and names the customer).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import form_write
from core.http import pdf_response
from core.views import staff_view
from customers.models import Customer
from customers.views.base import render_card, section_call, section_done

from . import selectors, services
from .card import SECTION, issue_form, olt_list, return_form
from .forms_card import DescriptionForm, LoginBindForm, OntRegisterForm
from .models import Product, StockDocument, StockItem


def _customer_or_404(customer_id) -> Customer:
    return get_object_or_404(Customer, pk=customer_id)


def _item_or_404(customer_id, stockitem_id) -> StockItem:
    """The equipment at this customer now (its product joined); anything else a 404."""
    return get_object_or_404(StockItem.objects.select_related("product"), pk=stockitem_id,
                             customer_id=customer_id, state=StockItem.State.ISSUED)


def _done(request, customer_id, *, form_name=None, form=None, message=None):
    return section_done(request, customer_id, SECTION,
                        forms={form_name: form} if form is not None else None, message=message)


# --------------------------------------------------------------------------- WZ and ZW

@staff_view("warehouse.add_stockdocument")
@require_POST
def equipment_issue(request, customer_id):
    """"Wydaj z magazynu": a WZ of the scanned serials from the chosen warehouse."""
    customer = _customer_or_404(customer_id)
    form = issue_form(customer, request.POST, actor=request.user)
    document = form_write(form, lambda data: services.issue_post(
        actor=request.user, customer=customer, **form.service_kwargs()))
    if document is None:
        return _done(request, customer.pk, form_name="equipment_issue", form=form)
    return _done(request, customer.pk, message=_("WZ %(n)s posted: issued from %(w)s.") % {
        "n": document.number, "w": document.warehouse.name})


def _return_message(document) -> str:
    parts = [_("ZW %(n)s posted: returned to %(w)s.") % {"n": document.number,
                                                        "w": document.warehouse.name}]
    settled = getattr(document, "return_settlement", None)
    if settled is not None:
        parts += [text for _level, text in settled.notices()]
    return " ".join(parts)


@staff_view("warehouse.add_stockdocument")
@require_POST
def equipment_return(request, customer_id):
    """"Zwrot na magazyn": a ZW of the chosen items of this customer, each with its state."""
    customer = _customer_or_404(customer_id)
    items = selectors.customer_equipment_list(customer_id=customer.pk)
    form = return_form(items, request.POST)
    document = form_write(form, lambda data: services.return_post(
        actor=request.user, customer=customer, **form.service_kwargs()))
    if document is None:
        return _done(request, customer.pk, form_name="equipment_return", form=form)
    return _done(request, customer.pk, message=_return_message(document))


# --------------------------------------------------------------------------- an item's card

@staff_view("warehouse.change_stockitem")
@require_http_methods(["GET", "POST"])
def equipment_description(request, customer_id, stockitem_id):
    """GET: the description's field in its row (htmx), or the card with it open; POST: the
    description saved (``services.item_description_set``)."""
    item = _item_or_404(customer_id, stockitem_id)
    if request.method == "GET":
        form = DescriptionForm(initial={"description": item.description}, item=item,
                               auto_id=f"equipment_description_{item.pk}_%s")
        if request.htmx:
            return render(request, "warehouse/card/_description_form.html",
                          {"form": form, "item": item, "customer_id": item.customer_id})
        return render_card(request, customer_id, forms={"equipment_description": form},
                           active=SECTION)
    form = DescriptionForm(request.POST, item=item,
                           auto_id=f"equipment_description_{item.pk}_%s")
    saved = form_write(form, lambda data: services.item_description_set(
        actor=request.user, item=item, description=data["description"]))
    if saved is None:
        return _done(request, customer_id, form_name="equipment_description", form=form)
    return _done(request, customer_id, message=_("Description of S/N %(s)s saved.")
                 % {"s": item.serial})


@staff_view("warehouse.change_stockitem")
@require_POST
def equipment_login(request, customer_id, stockitem_id):
    """The login (installation) the item serves; empty unbinds it. Another customer's
    login is refused by the service, said in the section."""
    item = _item_or_404(customer_id, stockitem_id)
    form = LoginBindForm(request.POST)
    login = form.cleaned_data["login"] if form.is_valid() else "-"
    return section_call(
        request, customer_id, SECTION,
        lambda: services.item_login_bind(actor=request.user, item=item, login=login or None),
        _("Login of S/N %(s)s saved.") % {"s": item.serial})


@staff_view("warehouse.view_stockitem")
@require_GET
def equipment_item(request, customer_id, stockitem_id):
    """An item's features, its history (every document that moved it) and, for an ONT,
    its actions on the OLT: a fragment the row unfolds (htmx), or a page."""
    item = _item_or_404(customer_id, stockitem_id)
    item = selectors.item_get(pk=item.pk)
    context = {"item": item, "customer": item.customer,
               "features": selectors.features_of(item),
               "history": selectors.item_history(item_id=item.pk), "ont_actions": []}
    if item.product.kind == Product.Kind.ONT:
        from .ont import ont_action_list

        context["ont_actions"] = list(ont_action_list(item=item)[:20])
    template = "warehouse/card/_item.html" if request.htmx else "warehouse/card/item.html"
    return render(request, template, context)


# --------------------------------------------------------------------------- ONT on its OLT

def _ont_done(request, customer_id, action):
    """What the OLT answered, from the recorded ``OntAction``: done, or why not."""
    text = f"{action.get_action_display()}: {action.message or action.get_outcome_display()}"
    if action.outcome == action.Outcome.OK:
        return _done(request, customer_id, message=text)
    messages.error(request, f"{action.get_outcome_display()} — {text}")
    return _done(request, customer_id)


@staff_view("warehouse.add_ontaction")
@require_POST
def ont_register(request, customer_id, stockitem_id):
    """Register the ONT on the chosen OLT at a port as an ONT id (``ont.ont_register``:
    talks to the OLT, records what it answered)."""
    from . import ont

    item = _item_or_404(customer_id, stockitem_id)
    olts = {str(olt.pk): olt for olt in olt_list() if olt.active}
    form = OntRegisterForm(request.POST, olts=olts.values(), item=item,
                           auto_id=f"equipment_ont_{item.pk}_%s")
    action = form_write(form, lambda data: ont.ont_register(
        actor=request.user, item=item, olt=olts[data["olt"]], port=data["port"],
        ont_id=data["ont_id"]))
    if action is None:
        return _done(request, customer_id, form_name="equipment_ont", form=form)
    return _ont_done(request, customer_id, action)


def _ont_call(request, customer_id, stockitem_id, service: str):
    """One action on a registered ONT (``warehouse.ont``: talks to the OLT, records what it
    answered); refused before connecting (not registered, OLT inactive): said why."""
    from . import ont

    item = _item_or_404(customer_id, stockitem_id)
    try:
        record = getattr(ont, service)(actor=request.user, item=item)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return _done(request, customer_id)
    return _ont_done(request, customer_id, record)


@staff_view("warehouse.add_ontaction")
@require_POST
def ont_status(request, customer_id, stockitem_id):
    """Read the ONT's state and optical power."""
    return _ont_call(request, customer_id, stockitem_id, "ont_status")


@staff_view("warehouse.add_ontaction")
@require_POST
def ont_profile(request, customer_id, stockitem_id):
    """Set the line and service profile and the VLAN of the customer's tariff again."""
    return _ont_call(request, customer_id, stockitem_id, "ont_profile_apply")


@staff_view("warehouse.add_ontaction")
@require_POST
def ont_reset(request, customer_id, stockitem_id):
    return _ont_call(request, customer_id, stockitem_id, "ont_reset")


@staff_view("warehouse.add_ontaction")
@require_POST
def ont_remove(request, customer_id, stockitem_id):
    """Remove the ONT from its OLT (its place cleared once the OLT confirmed)."""
    return _ont_call(request, customer_id, stockitem_id, "ont_remove")


# --------------------------------------------------------------------------- the paper

@staff_view("warehouse.view_stockdocument")
@require_GET
def document_pdf(request, customer_id, stockdocument_id):
    """The customer's WZ or ZW as printed (the documents engine's PDF with its barcode),
    shown in the browser and named by its number as the stock pages name it
    (``core.http.pdf_response``); another customer's document is a 404."""
    from .printing import document_pdf as pdf_of

    document = get_object_or_404(StockDocument, pk=stockdocument_id, customer_id=customer_id)
    return pdf_response(pdf_of(document), document.number)

