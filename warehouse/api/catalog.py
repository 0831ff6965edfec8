"""REST API of the warehouse's catalogue (under /api/v1/warehouse/):

* ``warehouse/warehouses/`` — ``?search=`` (the name), ``?kind=``, ``?active=``: list,
  one, create, change (PATCH; ``active: false`` deactivates), ``deactivate`` (refused
  while it holds stock), delete (refused once a document or stock names it: deactivate
  it instead);
* ``warehouse/suppliers/`` — ``?search=`` (name, NIP, e-mail, address): list, one,
  create, change, delete (refused once a PZ names it);
* ``warehouse/products/`` — ``?search=`` (name, producer, model), ``?kind=``,
  ``?active=``, ``?serial_tracked=``: list, one, create (the type's defaults for what is
  left out), change (kept by serial or counted: fixed once it has stock), ``deactivate``,
  delete (refused once a document or stock names it).

Views parse, call one service (warehouse.catalog) and serialize; every queryset goes
through the scoped managers, so another tenant's id is a 404. The permissions are the
staff pages': ``warehouse.view_*`` to read, ``add_*``/``change_*``/``delete_*`` to write.
"""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantViewSet, error_response

from .. import catalog
from ..models import Product, Supplier, Warehouse
from ..staff import selectors
from . import serializers_catalog as s


def _writes(input_serializer, output_serializer, code=201, **kwargs):
    return extend_schema(request=input_serializer, responses={code: output_serializer},
                         **kwargs)


def _deletes(refused: str):
    return extend_schema(responses={204: None, 400: error_response(refused)})


def _deactivates(output_serializer, refused: str | None = None, **kwargs):
    responses = {200: output_serializer}
    if refused:
        responses[400] = error_response(refused)
    return extend_schema(request=None, responses=responses, **kwargs)


# --------------------------------------------------------------------------- warehouses

class WarehouseFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=100,
                                       label="Every word is in the name.")
    kind = django_filters.ChoiceFilter(choices=Warehouse.Kind.choices)
    active = django_filters.BooleanFilter()

    class Meta:
        model = Warehouse
        fields = ["search", "kind", "active"]

    def filter_search(self, queryset, name, value):
        return selectors.warehouse_search(queryset, value)


def warehouse_queryset():
    """Warehouses by name with their keepers. Queries: one."""
    return selectors.warehouse_list()


@extend_schema_view(
    create=_writes(s.WarehouseInputSerializer, s.WarehouseSerializer,
                   description="A warehouse: the main store, a technician's van (``keeper``: "
                               "whose) or a branch. Its name is one per operator."),
    partial_update=_writes(s.WarehouseUpdateSerializer, s.WarehouseSerializer, 200),
    deactivate=_deactivates(s.WarehouseSerializer,
                            "Refused: the warehouse holds stock; move it elsewhere first.",
                            description="Deactivate the warehouse: it stays in its "
                                        "documents and is offered for no new one."),
    destroy=_deletes("Refused: documents or stock name the warehouse; deactivate it "
                     "instead."),
)
class WarehouseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The operator's warehouses: the main store, technicians' vans, branches."""

    model = Warehouse
    serializer_class = s.WarehouseSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = WarehouseFilter
    action_permissions = {"deactivate": ["warehouse.change_warehouse"]}

    def scoped_queryset(self):
        return warehouse_queryset()

    def _fresh(self, warehouse, code=status.HTTP_200_OK) -> Response:
        return self.respond(warehouse_queryset().get(pk=warehouse.pk), code)

    def create(self, request):
        data = self.parsed(s.WarehouseInputSerializer)
        return self._fresh(catalog.warehouse_create(actor=request.user, **data),
                           status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        warehouse = self.get_object()  # first: another tenant's is a 404, not a 400
        data = self.parsed(s.WarehouseUpdateSerializer, partial=True)
        return self._fresh(catalog.warehouse_update(actor=request.user, warehouse=warehouse,
                                                    **data))

    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        warehouse = self.get_object()
        return self._fresh(catalog.warehouse_deactivate(actor=request.user,
                                                        warehouse=warehouse))

    def destroy(self, request, pk=None):
        catalog.warehouse_delete(actor=request.user, warehouse=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- suppliers

class SupplierFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=100,
                                       label="Every word is in the name, the NIP, the "
                                             "e-mail or the address.")

    class Meta:
        model = Supplier
        fields = ["search"]

    def filter_search(self, queryset, name, value):
        return selectors.supplier_search(queryset, value)


@extend_schema_view(
    create=_writes(s.SupplierInputSerializer, s.SupplierSerializer,
                   description="A supplier equipment is received from (PZ); ``tax_id`` a "
                               "Polish NIP, checked, kept as 10 digits."),
    partial_update=_writes(s.SupplierUpdateSerializer, s.SupplierSerializer, 200),
    destroy=_deletes("Refused: receipts (PZ) name the supplier."),
)
class SupplierViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Suppliers of equipment and materials."""

    model = Supplier
    serializer_class = s.SupplierSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = SupplierFilter

    def scoped_queryset(self):
        # Queries: one.
        return selectors.supplier_list()

    def create(self, request):
        data = self.parsed(s.SupplierInputSerializer)
        return self.respond(catalog.supplier_create(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        supplier = self.get_object()
        data = self.parsed(s.SupplierUpdateSerializer, partial=True)
        return self.respond(catalog.supplier_update(actor=request.user, supplier=supplier,
                                                    **data), status.HTTP_200_OK)

    def destroy(self, request, pk=None):
        catalog.supplier_delete(actor=request.user, supplier=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- products

class ProductFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=100,
                                       label="Every word is in the name, the producer or "
                                             "the model.")
    kind = django_filters.ChoiceFilter(choices=Product.Kind.choices)
    active = django_filters.BooleanFilter()
    serial_tracked = django_filters.BooleanFilter()

    class Meta:
        model = Product
        fields = ["search", "kind", "active", "serial_tracked"]

    def filter_search(self, queryset, name, value):
        return selectors.product_search(queryset, value)


@extend_schema_view(
    create=_writes(s.ProductInputSerializer, s.ProductSerializer,
                   description="A catalogue entry; what is left out is the type's: ONT/ONU, "
                               "router, STB decoder and switch kept by serial (an ONT with "
                               "its GPON serial and MAC, a router or decoder its MAC), "
                               "cable (in metres) and consumables counted."),
    partial_update=_writes(s.ProductUpdateSerializer, s.ProductSerializer, 200),
    deactivate=_deactivates(s.ProductSerializer,
                            description="Deactivate the product: offered on no new receipt; "
                                        "its stock can still be issued and returned."),
    destroy=_deletes("Refused: documents or stock name the product; deactivate it instead."),
)
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The product catalogue."""

    model = Product
    serializer_class = s.ProductSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProductFilter
    action_permissions = {"deactivate": ["warehouse.change_product"]}

    def scoped_queryset(self):
        # Queries: one.
        return selectors.product_list()

    def create(self, request):
        data = self.parsed(s.ProductInputSerializer)
        return self.respond(catalog.product_create(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        product = self.get_object()
        data = self.parsed(s.ProductUpdateSerializer, partial=True)
        return self.respond(catalog.product_update(actor=request.user, product=product,
                                                   **data), status.HTTP_200_OK)

    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        product = catalog.product_deactivate(actor=request.user, product=self.get_object())
        return self.respond(product, status.HTTP_200_OK)

    def destroy(self, request, pk=None):
        catalog.product_delete(actor=request.user, product=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    """Add the catalogue's routes to the project's one router."""
    router.register("warehouse/warehouses", WarehouseViewSet, basename="warehouse-warehouse")
    router.register("warehouse/suppliers", SupplierViewSet, basename="warehouse-supplier")
    router.register("warehouse/products", ProductViewSet, basename="warehouse-product")
