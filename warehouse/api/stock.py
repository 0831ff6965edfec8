"""REST API of the stock and the serials (under /api/v1/):

* ``warehouse/stock/`` — what each warehouse holds per product (serials in stock, of
  them faulty, or a counted quantity), ``?warehouse=``, ``?product_kind=``, ``?search=``
  (the product's name, producer or model); paged, with the count of rows;
* ``warehouse/items/`` — the serials, ``?warehouse=`` (in stock there), ``?product=``,
  ``?state=``, ``?customer=``, ``?search=`` (a serial or its beginning, a MAC, a GPON
  serial); one serial's card; PATCH its ``description``; ``{id}/history/`` the documents
  that moved it; ``{id}/login/`` binds it to one of its customer's logins (or unbinds);
  ``find/?code=`` the serial a scanned code names (a serial, a MAC or a GPON serial);
* ``customers/{customer_pk}/equipment/`` — "Sprzęt kliencki": the serials at the
  customer, newest issue first, each with its WZ and its features.

Views parse, call one service or selector and serialize; another tenant's serial or
customer is a 404. Reading wants ``warehouse.view_*``, changing a serial
``warehouse.change_stockitem``.
"""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantViewSet, error_response
from core.paging import SlicePage, page_number, slice_page
from customers.api import CustomerNestedViewSet

from .. import selectors, services
from ..models import ItemMove, StockItem, StockLevel
from . import serializers_documents as s
from .documents import CountedSlicePagination, SlicePagination, slice_response

# --------------------------------------------------------------------------- selectors

def item_list(*, warehouse_id: int | None = None, product_id: int | None = None,
              state: str = "", customer_id: int | None = None, search: str = "",
              page=1, per_page: int = s.PER_PAGE) -> SlicePage:
    """Serials by serial number with everything their card shows joined. ``search``: a
    code as scanned — a serial's beginning, a MAC address or a GPON serial (each form it
    can be read as); nothing it can be is no row. Queries: one (the tenant's unique
    serials index keeps the order)."""
    items = StockItem.objects.select_related("product", "warehouse", "customer",
                                             "issue_document", "login", "olt")
    if warehouse_id:
        items = items.filter(warehouse_id=warehouse_id)
    if product_id:
        items = items.filter(product_id=product_id)
    if state:
        items = items.filter(state=state)
    if customer_id:
        items = items.filter(customer_id=customer_id)
    if search and search.strip():
        items = items.filter(_code_matches(search.strip()))
    return slice_page(items.order_by("serial"), page_number(page), per_page)


def _code_matches(code: str) -> Q:
    matches = Q(pk__in=[])
    for field, clean in (("serial__startswith", services.serial_clean),
                         ("mac", services.mac_clean),
                         ("gpon_serial", services.gpon_serial_clean)):
        try:
            value = clean(code)
        except ValidationError:
            continue
        if value:
            matches |= Q(**{field: value})
    return matches


def _page(request) -> dict:
    paging = s.PageSerializer(data=request.query_params)
    paging.is_valid(raise_exception=True)
    return paging.validated_data


# --------------------------------------------------------------------------- stock levels

@extend_schema_view(list=extend_schema(parameters=[s.StockFilterSerializer],
                                       responses=s.StockRowSerializer(many=True)))
class StockViewSet(TenantViewSet):
    """Stock levels: per warehouse and product, by warehouse and product name."""

    model = StockLevel
    serializer_class = s.StockRowSerializer
    pagination_class = CountedSlicePagination

    def list(self, request):
        wanted = s.StockFilterSerializer(data=request.query_params)
        wanted.is_valid(raise_exception=True)
        data, paging = wanted.validated_data, _page(request)
        page = selectors.stock_levels(
            warehouse_id=data.get("warehouse"), product_kind=data.get("product_kind", ""),
            search=data.get("search", ""), page=paging["page"], per_page=paging["page_size"])
        return slice_response(page, s.StockRowSerializer(page.rows, many=True))


# --------------------------------------------------------------------------- serials

@extend_schema_view(
    list=extend_schema(parameters=[s.ItemFilterSerializer],
                       responses=s.StockItemSerializer(many=True)),
    partial_update=extend_schema(request=s.ItemUpdateSerializer,
                                 responses={200: s.StockItemSerializer},
                                 description="The description on the equipment's card."),
)
class StockItemViewSet(TenantViewSet):
    """Serials: in a warehouse, at a customer, or gone (scrapped, lost, used)."""

    model = StockItem
    serializer_class = s.StockItemSerializer
    pagination_class = SlicePagination
    action_permissions = {"login": ["warehouse.change_stockitem"]}

    def get_object(self) -> StockItem:
        try:
            return selectors.item_get(pk=int(self.kwargs["pk"]))
        except (StockItem.DoesNotExist, ValueError):
            raise Http404 from None

    def _fresh(self, item) -> Response:
        return Response(s.StockItemSerializer(selectors.item_get(pk=item.pk)).data)

    def list(self, request):
        wanted = s.ItemFilterSerializer(data=request.query_params)
        wanted.is_valid(raise_exception=True)
        data, paging = wanted.validated_data, _page(request)
        page = item_list(warehouse_id=data.get("warehouse"), product_id=data.get("product"),
                         state=data.get("state", ""), customer_id=data.get("customer"),
                         search=data.get("search", ""), page=paging["page"],
                         per_page=paging["page_size"])
        return slice_response(page, s.StockItemSerializer(page.rows, many=True))

    def retrieve(self, request, pk=None):
        return Response(s.StockItemSerializer(self.get_object()).data)

    def partial_update(self, request, pk=None):
        item = self.get_object()  # first: another tenant's is a 404, not a 400
        data = self.parsed(s.ItemUpdateSerializer)
        return self._fresh(services.item_description_set(
            actor=request.user, item=item, description=data["description"]))

    @extend_schema(responses=s.ItemHistorySerializer)
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """The serial's card and every document that moved it, oldest first: from where,
        to where, which customer had it."""
        item = self.get_object()
        moves: list[ItemMove] = selectors.item_history(item_id=item.pk)
        return Response(s.ItemHistorySerializer({"item": item, "moves": moves}).data)

    @extend_schema(parameters=[s.ItemFindSerializer],
                   responses={200: s.StockItemSerializer,
                              404: error_response("No equipment has this code.")})
    @action(detail=False, methods=["get"])
    def find(self, request):
        """The serial a scanned code names: its serial number, else its MAC, else its GPON
        serial; 404 when none."""
        wanted = s.ItemFindSerializer(data=request.query_params)
        wanted.is_valid(raise_exception=True)
        item = selectors.item_find(code=wanted.validated_data["code"])
        if item is None:
            raise exceptions.NotFound(_("No equipment has this serial, MAC address or GPON "
                                        "serial."))
        return self._fresh(item)

    @extend_schema(request=s.ItemLoginSerializer, responses={200: s.StockItemSerializer},
                   description="Bind equipment at a customer (an ONT) to one of that "
                               "customer's logins — its installation; null unbinds it.")
    @action(detail=True, methods=["post"])
    def login(self, request, pk=None):
        item = self.get_object()
        data = self.parsed(s.ItemLoginSerializer)
        return self._fresh(services.item_login_bind(actor=request.user, item=item,
                                                    login=data["login"]))


# --------------------------------------------------------------------------- the card

class CustomerEquipmentViewSet(mixins.ListModelMixin, CustomerNestedViewSet):
    """"Sprzęt kliencki": the equipment at the customer, newest issue first."""

    model = StockItem
    serializer_class = s.EquipmentSerializer

    def list(self, request, customer_pk=None):
        # Queries: the customer (404 when not the tenant's), the equipment.
        items = selectors.customer_equipment_list(customer_id=self.customer.pk)
        page = self.paginate_queryset(items)
        return self.get_paginated_response(s.EquipmentSerializer(page, many=True).data)


def register(router) -> None:
    router.register("warehouse/stock", StockViewSet, basename="warehouse-stock")
    router.register("warehouse/items", StockItemViewSet, basename="warehouse-item")
    router.register(r"customers/(?P<customer_pk>\d+)/equipment", CustomerEquipmentViewSet,
                    basename="customer-equipment")

