"""A new stock document, one page per kind: PZ, WZ, ZW, MM, RW, INW.

Each page is the kind's header (warehouses, supplier or customer, settlement…) and its
lines, scanned one after another into the focused scanner field (``scan.js``, as at the
approval station) or added as a counted product and its quantity. Posting calls the
kind's one service with the form's one-time ``request_token`` (sent twice, it posts one
document); a refusal is shown on the form with the lines kept, nothing posted.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import form_write
from core.views import staff_view
from finance.billing import tariff_list

from .. import services
from ..forms_documents import FORMS, Row, rows_parse
from ..models import Product, StockDocument, Supplier, Warehouse
from .document_lines import (
    ADD,
    customer_of,
    customer_parts_context,
    rows_show,
    warehouse_of,
)

Kind = StockDocument.Kind

SERVICES = {
    Kind.PZ: services.receipt_post,
    Kind.WZ: services.issue_post,
    Kind.ZW: services.return_post,
    Kind.MM: services.move_post,
    Kind.RW: services.internal_post,
    Kind.INW: services.inventory_post,
}
# What a link may choose beforehand (the card's "Issue from the warehouse": ?customer=).
PRESET = ("warehouse", "target_warehouse", "customer", "supplier")


def _titles(kind: str) -> str:
    return {
        Kind.PZ: _("New PZ — receipt from a supplier"),
        Kind.WZ: _("New WZ — issue to a customer"),
        Kind.ZW: _("New ZW — return from a customer"),
        Kind.MM: _("New MM — move between warehouses"),
        Kind.RW: _("New RW — internal use or scrap"),
        Kind.INW: _("New INW — inventory"),
    }[kind]


def _form_kwargs(kind: str, actor) -> tuple[dict, dict]:
    """The choices the kind's form offers, and the products the lines may add: a PZ
    receives active products (serial-tracked ones scanned, counted ones by quantity);
    other kinds take any counted product (an inactive one's stock still moves); a WZ
    offers the settlements ``actor`` may charge by. Queries: the warehouses, the
    products, and a PZ's suppliers or, when a lease is offered, a WZ's lease tariffs
    (read by the form only then)."""
    kwargs = {"warehouses": list(Warehouse.objects.filter(active=True).order_by("name", "pk"))}
    products = Product.objects.order_by("name", "pk")
    if kind == Kind.PZ:
        products = products.filter(active=True)
        kwargs["suppliers"] = list(Supplier.objects.order_by("name", "pk"))
    elif kind == Kind.WZ:
        kwargs["actor"] = actor
        kwargs["tariffs"] = tariff_list(active_only=True).order_by("name", "pk")
    products = list(products)
    if kind == Kind.INW:
        kwargs["products"] = products
    lists = {"scan_products": [p for p in products if p.serial_tracked and p.active],
             "counted_products": [p for p in products if not p.serial_tracked]}
    return kwargs, lists


def _preset(request) -> dict:
    initial = {}
    for name in PRESET:
        value = request.GET.get(name, "")
        if value.isdigit() and len(value) < 19:
            initial[name] = value
    return initial


def _scanned_add(form, rows: list[Row], scanned: str, data) -> None:
    """The page without its script: Enter in the scanner field sent the form. The serial
    becomes a row (nothing posted), or the reason it cannot is told."""
    form.is_valid()
    try:
        serial = services.serial_clean(scanned)
    except ValidationError as exc:
        form.add_error("lines", exc.messages)
        return
    known = set()
    for row in rows:
        try:
            known.add(services.serial_clean(row.serial))
        except ValidationError:
            continue
    if serial in known:
        form.add_error("lines", _("%(s)s is already on the list.") % {"s": serial})
        return
    rows.append(Row(serial=serial, product=data.get("scan_product", "")[:20],
                    state=data.get("scan_state", "")[:10],
                    scrap="1" if data.get("scan_scrap") else ""))


def _posted_messages(request, document) -> None:
    messages.success(request, _("%(k)s %(n)s posted.") % {"k": document.kind,
                                                          "n": document.number})
    settled = getattr(document, "return_settlement", None)
    if settled is None:
        return
    for level, text in settled.notices():
        getattr(messages, level)(request, text)


def document_page(request, kind: str):
    """The kind's page: GET the empty form (a link may preset the warehouse, the
    customer…), POST the document."""
    form_kwargs, lists = _form_kwargs(kind, request.user)
    data = request.POST if request.method == "POST" else None
    form = FORMS[kind](data, initial=_preset(request), **form_kwargs)
    rows: list[Row] = []
    if data is not None:
        rows, broken = rows_parse(data.getlist("line"))
        scanned = (data.get("scan") or "").strip()
        if scanned:
            _scanned_add(form, rows, scanned, data)
        elif broken:
            form.is_valid()
            form.add_error("lines", _("%(n)s line(s) came damaged and were left out: scan "
                                      "them again.") % {"n": broken})
        else:
            document = form_write(form, lambda _data: SERVICES[kind](
                actor=request.user, **form.service_kwargs(rows)))
            if document is not None:
                _posted_messages(request, document)
                return redirect("warehouse:document", stockdocument_id=document.pk)
    source = data if data is not None else form.initial
    customer = customer_of(source.get("customer")) if kind in (Kind.WZ, Kind.ZW) else None
    rows = rows_show(kind, rows, warehouse=warehouse_of(source.get("warehouse")),
                     customer=customer)
    return render(request, "warehouse/staff/documents/new.html", {
        "form": form, "kind": kind, "title": _titles(kind), "rows": rows,
        **lists, **customer_parts_context(kind, customer, source.get("address")),
    }, status=400 if form.errors else 200)


def _page_of(kind: str):
    @staff_view(ADD)
    @require_http_methods(["GET", "POST"])
    def view(request):
        return document_page(request, kind)

    view.__name__ = view.__qualname__ = f"document_new_{kind.lower()}"
    view.__doc__ = f"New {kind}: the kind's page (document_page)."
    return view


document_new_pz = _page_of(Kind.PZ)
document_new_wz = _page_of(Kind.WZ)
document_new_zw = _page_of(Kind.ZW)
document_new_mm = _page_of(Kind.MM)
document_new_rw = _page_of(Kind.RW)
document_new_inw = _page_of(Kind.INW)
