"""REST API of the warehouse's documents (under /api/v1/warehouse/):

* ``warehouse/documents/`` — ``?kind=``, ``?warehouse=`` (either side of an MM),
  ``?customer=``, ``?date_from=``, ``?date_to=``, ``?search=`` (the number, the supplier's
  document number, a serial it moved): the list, newest first, paged without counting;
  one document with its lines and the serials it moved; ``{id}/pdf/`` the printed
  document (Polish, the barcode of its code in the footer);
* ``POST warehouse/documents/pz/``, ``wz/``, ``zw/``, ``mm/``, ``rw/``, ``inw/`` — a
  document of each kind, posted at once (``warehouse.services``): each kind its own
  request shape. A refusal is a 400 naming the field (every wrong line at once, on
  ``lines``: "Line 3: …"), and nothing is posted. ``request_token``: the same document
  sent again answers the first one and posts nothing more.

Views parse, call one service or selector and serialize. Every lookup goes through the
scoped managers: another tenant's document is a 404, another tenant's id in a body the
service's "No such …" (a 400). Reading wants ``warehouse.view_stockdocument``, posting
``warehouse.add_stockdocument``.
"""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from core.api import TenantViewSet

from .. import printing, selectors, services
from ..models import StockDocument
from . import serializers_documents as s


class SlicePagination(BasePagination):
    """Pages a selector reads as page_size + 1 rows (``core.paging.SlicePage``): no COUNT
    over half a million serials; ``has_next`` says whether there is a next page. The
    view answers ``{page, has_next, results}`` itself."""

    counted = False

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "page", "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1}, "description": "Page, from 1."},
            {"name": "page_size", "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": s.MAX_PAGE_SIZE},
             "description": f"Rows per page, at most {s.MAX_PAGE_SIZE} (default "
                            f"{s.PER_PAGE})."},
        ]

    def get_paginated_response_schema(self, schema):
        properties = {"page": {"type": "integer"}, "has_next": {"type": "boolean"},
                      "results": schema}
        if self.counted:
            properties = {"count": {"type": "integer", "description": "Rows in all pages."},
                          **properties}
        return {"type": "object", "required": list(properties), "properties": properties}


class CountedSlicePagination(SlicePagination):
    """The same with ``count``, where the selector knows it anyway."""

    counted = True


def slice_response(page, serializer) -> Response:
    body = {"page": page.number, "has_next": page.has_next, "results": serializer.data}
    if page.count is not None:
        body = {"count": page.count, **body}
    return Response(body)


def _file_name(document: StockDocument) -> str:
    # Numbers look like "WZ/2026/03/7": slashes are not allowed in a file name.
    return document.number.replace("/", "-")


def _values(data: dict) -> dict:
    """The parsed input as the services take it: nested shapes as plain dicts and lists,
    only the keys that were sent (a service refuses keys it does not know)."""
    if isinstance(data, dict):
        return {key: _values(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_values(value) for value in data]
    return data


def _posts(input_serializer, output_serializer=s.StockDocumentDetailSerializer, **kwargs):
    return extend_schema(request=input_serializer, responses={201: output_serializer},
                         **kwargs)


@extend_schema_view(
    list=extend_schema(parameters=[s.DocumentFilterSerializer],
                       responses=s.StockDocumentSerializer(many=True)),
    retrieve=extend_schema(responses=s.StockDocumentDetailSerializer),
)
class StockDocumentViewSet(TenantViewSet):
    """Warehouse documents: PZ, WZ, ZW, MM, RW, INW — posted when made; a mistake is
    undone by another document."""

    model = StockDocument
    serializer_class = s.StockDocumentDetailSerializer
    pagination_class = SlicePagination

    def get_serializer_class(self):
        return s.StockDocumentSerializer if self.action == "list" else \
            s.StockDocumentDetailSerializer

    def get_object(self) -> StockDocument:
        """The document with its parties, lines and moves (``selectors.document_get``)."""
        try:
            return selectors.document_get(pk=int(self.kwargs["pk"]))
        except (StockDocument.DoesNotExist, ValueError):
            raise Http404 from None

    def list(self, request):
        wanted = s.DocumentFilterSerializer(data=request.query_params)
        wanted.is_valid(raise_exception=True)
        paging = s.PageSerializer(data=request.query_params)
        paging.is_valid(raise_exception=True)
        data = wanted.validated_data
        page = selectors.document_list(
            kind=data.get("kind", ""), warehouse_id=data.get("warehouse"),
            customer_id=data.get("customer"), search=data.get("search", ""),
            date_from=data.get("date_from"), date_to=data.get("date_to"),
            page=paging.validated_data["page"], per_page=paging.validated_data["page_size"])
        return slice_response(page, s.StockDocumentSerializer(page.rows, many=True))

    def retrieve(self, request, pk=None):
        return Response(s.StockDocumentDetailSerializer(self.get_object()).data)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """The document on paper (Polish), the barcode of its code in every page's footer."""
        document = self.get_object()
        return HttpResponse(printing.document_pdf(document), content_type="application/pdf",
                            headers={"Content-Disposition":
                                     f'attachment; filename="{_file_name(document)}.pdf"'})

    # ------------------------------------------------------------------ posting

    def _posted(self, document, serializer_class=s.StockDocumentDetailSerializer) -> Response:
        fresh = selectors.document_get(pk=document.pk)
        if hasattr(document, "return_settlement"):
            fresh.return_settlement = document.return_settlement
        return Response(serializer_class(fresh).data, status=status.HTTP_201_CREATED)

    @_posts(s.ReceiptInputSerializer, description=(
        "PZ: equipment received from a supplier into a warehouse. A serial-tracked "
        "product's line lists its new serials (each with the MAC, GPON serial and firmware "
        "its product carries); a serial, MAC or GPON serial the operator already knows is "
        "refused, naming where the first one is. A counted product's line gives its "
        "quantity."))
    @action(detail=False, methods=["post"])
    def pz(self, request):
        data = _values(self.parsed(s.ReceiptInputSerializer))
        return self._posted(services.receipt_post(actor=request.user, **data))

    @_posts(s.IssueInputSerializer, description=(
        "WZ: serials and counted quantities issued from a warehouse to a customer. Each "
        "serial must be in that warehouse, in stock and working; of the same serial issued "
        "twice at once exactly one WZ wins. ``settlement``: sale (an invoice of the lines), "
        "lease (the tariff put on the customer), deposit (a debit note) — refused by "
        "finance, the WZ is refused whole."))
    @action(detail=False, methods=["post"])
    def wz(self, request):
        data = _values(self.parsed(s.IssueInputSerializer))
        return self._posted(services.issue_post(actor=request.user, **data))

    @_posts(s.ReturnInputSerializer, s.ReturnPostedSerializer, description=(
        "ZW: serials (and counted quantities) a customer returns into a warehouse, each "
        "working, faulty or to scrap. Each serial must be at that customer. A lease whose "
        "last serial comes back ends; a deposit is only reported (``return_settlement``)."))
    @action(detail=False, methods=["post"])
    def zw(self, request):
        data = _values(self.parsed(s.ReturnInputSerializer))
        return self._posted(services.return_post(actor=request.user, **data),
                            s.ReturnPostedSerializer)

    @_posts(s.MoveInputSerializer, description=(
        "MM: serials (working or faulty) and counted quantities moved between two "
        "warehouses of the operator."))
    @action(detail=False, methods=["post"])
    def mm(self, request):
        data = _values(self.parsed(s.MoveInputSerializer))
        return self._posted(services.move_post(actor=request.user, **data))

    @_posts(s.InternalInputSerializer, description=(
        "RW: serials and counted quantities taken out of a warehouse for internal use, or "
        "scrapped (a line's ``scrap``)."))
    @action(detail=False, methods=["post"])
    def rw(self, request):
        data = _values(self.parsed(s.InternalInputSerializer))
        return self._posted(services.internal_post(actor=request.user, **data))

    @_posts(s.InventoryInputSerializer, description=(
        "INW: what was counted in a warehouse, its differences booked — a serial held but "
        "not scanned becomes lost, a lost one scanned is found, a counted product's stock "
        "is set to the count. A scanned serial that is anywhere else is refused."))
    @action(detail=False, methods=["post"])
    def inw(self, request):
        data = _values(self.parsed(s.InventoryInputSerializer))
        return self._posted(services.inventory_post(actor=request.user, **data))


def register(router) -> None:
    router.register("warehouse/documents", StockDocumentViewSet,
                    basename="warehouse-document")
