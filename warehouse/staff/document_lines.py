"""The lines of a new document as the page shows them, and the small requests the page
makes while staff scan (``scan.js``): a scanned serial (or a counted product) as a new
row, all the rows again when the warehouse or the customer changes, the customer picker
and the chosen customer's addresses or equipment.

A row says what the serial is and where it is now; one that cannot go on this document
(not in the chosen warehouse, not at this customer, already known to a PZ) is shown in
red with why — by the services' own rules (``serial_issue_refusal``,
``serial_return_refusal``): the page only warns, the service refuses when posting.
"""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.views import staff_view
from customers.models import Address, Customer
from customers.selectors import customer_list

from ..forms_documents import FORMS, Row, row_from, rows_parse
from ..models import Product, StockDocument, StockItem, Warehouse
from ..selectors import customer_equipment_list
from ..services import serial_clean, where_text
from ..services.inventory import scan_refusal
from ..services.issues import serial_issue_refusal
from ..services.returns import serial_return_refusal

Kind = StockDocument.Kind
State = StockItem.State
Feature = Product.Feature
ADD = "warehouse.add_stockdocument"
PICKER_LIMIT = 10
# A scanned serial leaves this kind's warehouse (checked against the chosen one).
TAKES_FROM_WAREHOUSE = (Kind.WZ, Kind.MM, Kind.RW)


def _pk(value) -> int | None:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk < 2**63 else None


def warehouse_of(value) -> Warehouse | None:
    pk = _pk(value)
    return Warehouse.objects.filter(pk=pk).first() if pk else None


def customer_of(value) -> Customer | None:
    pk = _pk(value)
    return Customer.objects.filter(pk=pk).first() if pk else None


def _serial_status(kind: str, row: Row, item, *, warehouse, customer) -> None:
    """Where the row's serial is, and why it cannot go on this document ("" if it can)."""
    row.item = item
    row.where = where_text(item) if item is not None else ""
    if kind == Kind.PZ:
        if item is not None:
            row.problem = _("Already known: %(where)s.") % {"where": row.where}
        return
    if item is not None:
        row.product_row = item.product
    if kind in TAKES_FROM_WAREHOUSE:
        if warehouse is not None:
            row.problem = serial_issue_refusal(item, row.serial, warehouse,
                                               faulty_refused=kind == Kind.WZ)
        elif item is None:
            row.problem = _("Not known: receive it by a PZ first.")
    elif kind == Kind.ZW:
        if customer is not None:
            row.problem = serial_return_refusal(item, row.serial, customer)
        elif item is None:
            row.problem = _("Not known.")
    elif kind == Kind.INW:
        if warehouse is not None or item is None:
            row.problem = scan_refusal(item, row.serial, warehouse)
        if item is not None and item.state == State.LOST:
            row.notice = _("Lost: it will be booked as found here.")


def rows_show(kind: str, rows: list[Row], *, warehouse=None, customer=None) -> list[Row]:
    """The rows with what the page shows of each. Queries: two at most (the products
    named, the serials scanned with their product and place)."""
    serials = {}
    for row in rows:
        if not row.serial:
            continue
        try:
            row.serial = serial_clean(row.serial)
        except ValidationError as exc:
            row.problem = " ".join(exc.messages)
            continue
        serials[row.serial] = None
    product_ids = {_pk(row.product) for row in rows if row.counted or kind == Kind.PZ}
    products = Product.objects.in_bulk(product_ids - {None}) if product_ids - {None} else {}
    items = {item.serial: item for item in StockItem.objects.filter(serial__in=list(serials))
             .select_related("product", "warehouse", "customer")} if serials else {}
    for row in rows:
        row.product_row = products.get(_pk(row.product))
        if row.serial and not row.problem:
            _serial_status(kind, row, items.get(row.serial), warehouse=warehouse,
                           customer=customer)
        if kind == Kind.PZ and row.serial and row.product_row is not None:
            row.features = [(feature, Feature(feature).label, getattr(row, feature))
                            for feature in row.product_row.features or []
                            if feature in Feature.values]
        if row.counted and row.product_row is None:
            row.problem = _("No such product.")
    return rows


def rows_render(request, kind: str, rows: list[Row]) -> str:
    return render(request, "warehouse/staff/documents/_rows.html",
                  {"rows": rows, "kind": kind}).content.decode()


def _kind(request, source) -> str:
    kind = source.get("kind", "")
    return kind if kind in FORMS else ""


def _refused(message: str) -> HttpResponse:
    """What the scanner field shows under itself; nothing is added."""
    return HttpResponse(message, status=422, content_type="text/plain; charset=utf-8")


@staff_view(ADD)
@require_GET
def document_line(request):
    """One new row: a scanned ``serial`` (a PZ's of the chosen ``product``, with that
    product's features to fill in) or a counted ``product`` with its ``quantity``. The
    chosen ``warehouse`` or ``customer`` says whether it can go (red when not);
    ``state`` / ``scrap``: the row's default on a ZW / an RW."""
    params = request.GET
    kind = _kind(request, params)
    if not kind:
        return _refused(_("No such kind of document."))
    row = row_from({key: params.get(key, "") for key in ("serial", "product", "quantity",
                                                          "state", "scrap")})
    if row.serial:
        try:
            row.serial = serial_clean(row.serial)
        except ValidationError as exc:
            return _refused(" ".join(exc.messages))
        if kind != Kind.PZ:
            row.product = ""
    product = Product.objects.filter(pk=_pk(row.product)).first() if row.product else None
    if kind == Kind.PZ and row.serial:
        if product is None:
            return _refused(_("Choose the product you are receiving first."))
        if not product.serial_tracked:
            return _refused(_("%(p)s is counted: add it with its quantity.")
                            % {"p": product.name})
    if row.counted:
        if product is None:
            return _refused(_("Choose the product."))
        if product.serial_tracked:
            return _refused(_("%(p)s is tracked by serial: scan its serials.")
                            % {"p": product.name})
    if kind != Kind.ZW:
        row.state = ""
    if kind != Kind.RW:
        row.scrap = ""
    rows = rows_show(kind, [row], warehouse=warehouse_of(params.get("warehouse")),
                     customer=customer_of(params.get("customer")))
    return HttpResponse(rows_render(request, kind, rows))


@staff_view(ADD)
@require_POST
def document_lines(request):
    """All the rows again, as the form holds them, for the warehouse or the customer just
    chosen (a serial not there turns red, one that is turns back)."""
    kind = _kind(request, request.POST)
    rows, _broken = rows_parse(request.POST.getlist("line"))
    if kind:
        rows = rows_show(kind, rows, warehouse=warehouse_of(request.POST.get("warehouse")),
                         customer=customer_of(request.POST.get("customer")))
    else:
        rows = []
    return HttpResponse(rows_render(request, kind, rows))


@staff_view(ADD)
@require_GET
def customer_pick(request):
    """The customer picker's answers: customers by name, number, PESEL/NIP, phone,
    address — the customer list's own search (``customers.selectors.customer_list``)."""
    query = (request.GET.get("q") or "").strip()[:100]
    customers = list(customer_list(query=query).defer("search_text")[:PICKER_LIMIT]) \
        if query else []
    return render(request, "warehouse/staff/documents/_customer_pick.html",
                  {"customers": customers, "query": query})


def customer_addresses(customer: Customer | None) -> list[Address]:
    """The customer's addresses, installation ones first (one query)."""
    if customer is None:
        return []
    return sorted(Address.objects.filter(customer=customer).order_by("pk"),
                  key=lambda a: a.kind != Address.Kind.INSTALLATION)


def customer_parts_context(kind: str, customer: Customer | None, address=None) -> dict:
    """What the page shows once a customer is chosen: a WZ the customer's addresses, a ZW
    the equipment at the customer (to return with a click)."""
    context = {"kind": kind, "customer": customer, "address": _pk(address)}
    if kind == Kind.WZ:
        context["addresses"] = customer_addresses(customer)
    elif kind == Kind.ZW and customer is not None:
        context["equipment"] = customer_equipment_list(customer_id=customer.pk)
    return context


@staff_view(ADD)
@require_GET
def customer_parts(request):
    """The chosen customer's part of the form (``customer_parts_context``); another
    tenant's customer is nobody."""
    kind = _kind(request, request.GET)
    customer = customer_of(request.GET.get("customer"))
    return render(request, "warehouse/staff/documents/_customer_parts.html",
                  customer_parts_context(kind, customer))
