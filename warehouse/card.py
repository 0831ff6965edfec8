"""The customer card's equipment, as the apps' card registries show it:

* "Sprzęt kliencki" (``equipment``, ``#sprzet``): the equipment at the customer — product,
  serial, MAC, the WZ that issued it, description, features, login, an ONT's place on its
  OLT — with "Wydaj z magazynu" (a WZ), "Zwrot na magazyn" (a ZW), the description edited
  in its row, the login bound, and an ONT's remote actions;
* "Dekodery STB" (``stb``, ``#dekodery``) in the "Loginy/Hasła" switch beside Komputery
  and Telefony: the STB decoders at the customer — a decoder issued by a WZ is there, one
  returned by a ZW is not, because both read where the serials are now;
* the customer's WZ and ZW on the card's "Dokumenty" list (``core.sections``' card
  documents).

Section contexts and the reads of their choices; the views are in ``card_views``.
"""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import selectors
from .forms_card import DescriptionForm, IssueForm, OntRegisterForm, ReturnForm
from .models import Olt, Product, StockDocument, Warehouse

SECTION = "equipment"
# An ONT registered on its OLT: what the card's buttons do there (warehouse.ont).
ONT_BUTTONS = (("status", gettext_lazy("read status")),
               ("profile", gettext_lazy("set profile and VLAN")),
               ("reset", gettext_lazy("reset")),
               ("remove", gettext_lazy("remove from the OLT")))
STB_SECTION = "stb"
Kind = StockDocument.Kind
Settlement = StockDocument.Settlement


# --------------------------------------------------------------------------- choices

def warehouse_choices() -> list[tuple[str, str]]:
    """The active warehouses equipment is issued from and returned to (one query)."""
    return [(str(pk), name) for pk, name in Warehouse.objects.filter(active=True)
            .order_by("name", "pk").values_list("pk", "name")]


def tariff_choices() -> list[tuple[str, str]]:
    """The active tariffs a lease may put on the customer (one query: finance's
    ``tariff_list``)."""
    from finance.billing import tariff_list

    return [(str(pk), name) for pk, name in tariff_list(active_only=True)
            .order_by("name", "pk").values_list("pk", "name")]


def login_choices(customer_id: int) -> list[tuple[str, str]]:
    """The customer's logins ("komputery") an ONT may serve (one query)."""
    from radius.models import Login

    return [(str(pk), login) for pk, login in Login.objects.filter(customer_id=customer_id)
            .order_by("login", "pk").values_list("pk", "login")]


def olt_list() -> list[Olt]:
    """The tenant's OLTs by name, the inactive ones too: a registered ONT names its OLT
    (one query)."""
    return list(Olt.objects.only("id", "name", "active").order_by("name", "pk"))


def issue_form(customer, data=None, *, actor, warehouses=None, tariffs=None):
    """"Wydaj z magazynu" for ``customer``, offering the settlements ``actor`` may charge
    by: a fresh one-time token each time it is shown (a refused form keeps the token it
    was sent with); the customer's installation address chosen first. The addresses come
    with the card's customer (prefetched)."""
    import uuid

    addresses = list(customer.addresses.all())
    installation = next((a for a in addresses if a.kind == "installation"), None)
    return IssueForm(
        data, actor=actor,
        warehouses=warehouse_choices() if warehouses is None else warehouses,
        tariffs=tariff_choices() if tariffs is None else tariffs, addresses=addresses,
        initial={"request_token": uuid.uuid4(),
                 "address": str(installation.pk) if installation else ""},
        auto_id="equipment_issue_%s")


def return_form(items, data=None, *, warehouses=None):
    import uuid

    return ReturnForm(data, warehouses=warehouse_choices() if warehouses is None
                      else warehouses, items=items, initial={"request_token": uuid.uuid4()},
                      auto_id="equipment_return_%s")


# --------------------------------------------------------------------------- documents

def _page_url(document_id: int) -> str | None:
    """The warehouse document's staff page, when the stock pages are there."""
    try:
        return reverse("warehouse:document", args=[document_id])
    except NoReverseMatch:
        return None


def document_urls(customer_id: int, document_id: int) -> tuple[str, str]:
    """(the page to open, the PDF) of the customer's WZ or ZW: the document's staff page
    if it exists, else its PDF."""
    pdf = reverse("warehouse:card_document_pdf", kwargs={"customer_id": customer_id,
                                                         "stockdocument_id": document_id})
    return _page_url(document_id) or pdf, pdf


def _document_title(document: StockDocument) -> str:
    count = getattr(document, "line_count", 0)
    if document.kind == Kind.WZ:
        return _("from %(w)s, %(n)s line(s)") % {"w": document.warehouse.name, "n": count}
    return _("to %(w)s, %(n)s line(s)") % {"w": document.warehouse.name, "n": count}


def _document_status(document: StockDocument) -> str:
    if document.settlement == Settlement.NONE:
        return ""
    status = document.get_settlement_display()
    return f"{status} {document.invoice.number}" if document.invoice_id else status


def card_documents(customer, request, limit: int):
    """The customer's WZ and ZW as rows of the card's "Dokumenty" list (one query:
    ``selectors.document_list``, the newest ``limit``)."""
    from core.sections import CardDocument

    rows = []
    for document in selectors.document_list(customer_id=customer.pk, per_page=limit).rows:
        url, pdf = document_urls(customer.pk, document.pk)
        rows.append(CardDocument(
            key=f"stockdocument-{document.pk}", date=document.issued_on,
            at=document.created_at, kind=document.get_kind_display(),
            number=document.number, title=_document_title(document), url=url, file_url=pdf,
            status=_document_status(document)))
    return rows


# --------------------------------------------------------------------------- sections

def _with_places(items, olts: dict) -> None:
    """Each item's WZ links and, for an ONT, the name of its OLT (no query)."""
    for item in items:
        item.is_ont = item.product.kind == Product.Kind.ONT
        item.olt_name = olts[item.olt_id].name if item.olt_id in olts else ""
        if item.issue_document_id:
            item.document_url, item.document_pdf = document_urls(item.customer_id,
                                                                 item.issue_document_id)


def equipment_section_context(customer, request):
    """The card's "Sprzęt kliencki". Queries: the equipment with products, WZs and logins
    (``selectors.customer_equipment_list``); for a user who may issue or return, the
    active warehouses and tariffs; who may bind a login, the customer's logins; with an
    ONT among the equipment, the tenant's OLTs; the counted goods at the customer (one
    query, two when the customer has some: ``selectors.customer_counted_list``)."""
    user = request.user
    items = selectors.customer_equipment_list(customer_id=customer.pk)
    can_move = user.has_perm("warehouse.add_stockdocument")
    warehouses = warehouse_choices() if can_move else []
    has_ont = any(item.product.kind == Product.Kind.ONT for item in items)
    olts = olt_list() if has_ont else []
    _with_places(items, {olt.pk: olt for olt in olts})
    active_olts = [olt for olt in olts if olt.active]
    if active_olts and user.has_perm("warehouse.add_ontaction"):
        for item in items:
            if item.is_ont and not item.olt_id:
                item.register_form = OntRegisterForm(
                    olts=active_olts, item=item, auto_id=f"equipment_ont_{item.pk}_%s")
    return {
        "items": items,
        "counted": selectors.customer_counted_list(customer_id=customer.pk),
        "issue_form": issue_form(customer, actor=user, warehouses=warehouses,
                                 tariffs=tariff_choices() if can_move else []),
        "return_form": return_form(items, warehouses=warehouses),
        "description_form": DescriptionForm(auto_id="equipment_description_%s"),
        "logins": login_choices(customer.pk) if user.has_perm("warehouse.change_stockitem")
        else [],
        "olts": active_olts,
        "ont_buttons": ONT_BUTTONS,
    }


def stb_section_context(customer, request):
    """"Dekodery STB" (Loginy/Hasła): the STB decoders at the customer, newest first.
    Queries: one (``selectors.customer_equipment_list``, the decoders kept)."""
    items = [item for item in selectors.customer_equipment_list(customer_id=customer.pk)
             if item.product.kind == Product.Kind.STB]
    _with_places(items, {})
    return {"decoders": items}
