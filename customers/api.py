"""REST API of the customer card (/api/v1/customers/...).

Views parse, call one service or selector, and serialize. Every queryset goes through
the scoped managers, so a customer or sub-object of another tenant is a 404. The
``*_list`` functions below are this module's selectors: they own the
select_related / prefetch_related the serializers rely on.
"""

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api import TenantActionPermissions, TenantModelViewMixin
from core.models import ActionLog

from . import selectors, serializers, services
from .filters import CustomerFilter
from .models import (
    Address,
    Annotation,
    AttributeType,
    AttributeValue,
    BankAccount,
    Consent,
    Customer,
    CustomerGroup,
    Email,
    Folder,
    GroupMembership,
    PanelAccount,
    Phone,
    Scan,
)

CUSTOMER_PK = OpenApiParameter("customer_pk", OpenApiTypes.INT, OpenApiParameter.PATH,
                               description="Id of the customer.")


# --------------------------------------------------------------------------- selectors

def customer_list_for_api(*, query: str = "") -> QuerySet:
    """The search of ``selectors.customer_list`` with the groups every row shows."""
    return selectors.customer_list(query=query).prefetch_related(
        Prefetch("groups", queryset=CustomerGroup.objects.order_by("name")))


def attribute_list(*, customer) -> QuerySet:
    return AttributeValue.objects.filter(customer=customer).select_related("attribute_type")


def membership_list(*, customer) -> QuerySet:
    return GroupMembership.objects.filter(customer=customer).select_related("group")


def annotation_list(*, customer) -> QuerySet:
    return Annotation.objects.filter(customer=customer).select_related("created_by")


# --------------------------------------------------------------------------- base classes

class TenantViewSet(TenantModelViewMixin, viewsets.GenericViewSet):
    permission_classes = [TenantActionPermissions]
    # Per-viewset opt-in: an undeclared ordering would expose every serializer field.
    filter_backends = []


@extend_schema(parameters=[CUSTOMER_PK])
class CustomerNestedViewSet(TenantViewSet):
    """A sub-resource of one customer; the customer is found in the active tenant or 404."""

    @cached_property
    def customer(self) -> Customer:
        return get_object_or_404(Customer, pk=self.kwargs["customer_pk"])

    def scoped_queryset(self):
        return self.model.objects.filter(customer=self.customer)

    def respond(self, instance, status_code=status.HTTP_201_CREATED):
        return Response(self.get_serializer(instance).data, status=status_code)

    def parsed(self, serializer_class, **kwargs) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(),
                                      **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# --------------------------------------------------------------------------- customers

@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter(
        "search", str, description="Name, PESEL, NIP, REGON, number, phone, e-mail or "
        "address; every word must match.")]),
    create=extend_schema(request=serializers.CustomerInputSerializer,
                         responses={201: serializers.CustomerSerializer}),
    partial_update=extend_schema(request=serializers.CustomerUpdateSerializer,
                                 responses=serializers.CustomerSerializer),
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = Customer
    serializer_class = serializers.CustomerSerializer
    filter_backends = TenantViewSet.api_settings.DEFAULT_FILTER_BACKENDS \
        if hasattr(TenantViewSet, "api_settings") else None
    filterset_class = CustomerFilter
    ordering_fields = ["number", "last_name", "company_name", "status", "created_at"]
    ordering = ["number"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self):
        return customer_list_for_api(query=self.request.query_params.get("search", ""))

    def create(self, request):
        data = self.parsed(serializers.CustomerInputSerializer)
        customer = services.customer_create(actor=request.user, **data)
        return self.respond(customer_list_for_api().get(pk=customer.pk))

    def partial_update(self, request, pk=None):
        customer = self.get_object()
        data = self.parsed(serializers.CustomerUpdateSerializer)
        services.customer_update(actor=request.user, customer=customer, **data)
        return self.respond(customer_list_for_api().get(pk=customer.pk), status.HTTP_200_OK)

    parsed = CustomerNestedViewSet.parsed
    respond = CustomerNestedViewSet.respond
