"""The stock documents: the list (by kind, warehouse, dates, a number, a customer or a
serial it moved), a document's page with its lines and the serials it moved, its PDF."""


from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.http import pdf_response
from core.paging import page_number
from core.views import staff_view

from .. import selectors
from ..forms_documents import DocumentFilterForm
from ..models import StockDocument, StockItem, Warehouse
from ..printing import document_pdf
from ..services.base import quantity_plain
from .common import query_rest
from .document_lines import ADD
from .items import object_or_404

VIEW = "warehouse.view_stockdocument"
Kind = StockDocument.Kind
# The kinds the "New document" buttons offer, in the order staff meet them.
NEW_KINDS = (Kind.PZ, Kind.WZ, Kind.ZW, Kind.MM, Kind.RW, Kind.INW)


@staff_view(VIEW)
@require_GET
def document_list(request):
    """Documents, newest first, filtered and paged (``selectors.document_list``)."""
    warehouses = list(Warehouse.objects.order_by("name", "pk"))
    filters = DocumentFilterForm(request.GET, warehouses=warehouses)
    values = filters.values()
    page = selectors.document_list(**values, page=page_number(request.GET.get("page")))
    context = {
        "filters": filters, "page": page, "new_kinds": NEW_KINDS,
        "extra": query_rest(kind=values["kind"], warehouse=values["warehouse_id"],
                            customer=values["customer_id"], q=values["search"],
                            date_from=values["date_from"] and values["date_from"].isoformat(),
                            date_to=values["date_to"] and values["date_to"].isoformat()),
    }
    template = "warehouse/staff/documents/_list.html" if request.htmx \
        else "warehouse/staff/documents/list.html"
    return render(request, template, context)


def _moves_with_places(document: StockDocument) -> list:
    """The serials the document moved, each with the names of the warehouses it left and
    entered — one of the document's own (read with it), so no query."""
    places = {document.warehouse_id: document.warehouse}
    if document.target_warehouse_id:
        places[document.target_warehouse_id] = document.target_warehouse
    moves = list(document.moves.all())
    for move in moves:
        move.from_place = places.get(move.from_warehouse_id)
        move.to_place = places.get(move.to_warehouse_id)
    return moves


@staff_view(VIEW)
@require_GET
def document_detail(request, stockdocument_id):
    """A document: its header (parties, settlement and its invoice or lease), its lines
    (product, serial, MAC, quantity, price, state), the serials it moved. Queries: the
    document with its parties, its lines, its moves (``selectors.document_get``)."""
    document = object_or_404(selectors.document_get, stockdocument_id)
    lines = list(document.lines.all())
    for line in lines:
        line.qty = quantity_plain(line.quantity)
        line.expected_qty = quantity_plain(line.expected) if line.expected is not None else None
        item = line.item
        # A WZ's serial back from the customer (by a ZW) since.
        line.returned = (document.kind == Kind.WZ and item is not None
                         and not (item.state == StockItem.State.ISSUED
                                  and item.issue_document_id == document.pk))
    return render(request, "warehouse/staff/documents/detail.html", {
        "document": document, "lines": lines, "moves": _moves_with_places(document),
        "priced": document.kind in (Kind.PZ, Kind.WZ),
        "title": _("%(k)s %(n)s") % {"k": document.get_kind_display(), "n": document.number},
        "can_post": request.user.has_perm(ADD),
    })


@staff_view(VIEW)
@require_GET
def document_pdf_download(request, stockdocument_id):
    """The document on paper (the documents engine), named by its number (``/`` → ``_``)."""
    document = object_or_404(lambda pk: StockDocument.objects.get(pk=pk), stockdocument_id)
    return pdf_response(document_pdf(document), document.number, attachment=True)
