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
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api import TenantViewSet
from core.models import ActionLog
from core.schema import OneObjectSchema
from core.search import search_hits

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

def customer_list_for_api(*, query: str = "", also_ids=()) -> QuerySet:
    """The search of ``selectors.customer_list`` with the groups every row shows;
    ``also_ids``: the customers the other apps found (``core.search``)."""
    return selectors.customer_list(query=query, also_ids=also_ids).prefetch_related(
        Prefetch("groups", queryset=CustomerGroup.objects.order_by("name")))


def attribute_list(*, customer) -> QuerySet:
    return AttributeValue.objects.filter(customer=customer).select_related("attribute_type")


def membership_list(*, customer) -> QuerySet:
    return GroupMembership.objects.filter(customer=customer).select_related("group")


def annotation_list(*, customer) -> QuerySet:
    return Annotation.objects.filter(customer=customer).select_related("created_by")


# --------------------------------------------------------------------------- base classes

@extend_schema(parameters=[CUSTOMER_PK])
class CustomerNestedViewSet(TenantViewSet):
    """A sub-resource of one customer; the customer is found in the active tenant or 404."""

    @cached_property
    def customer(self) -> Customer:
        return get_object_or_404(Customer, pk=self.kwargs["customer_pk"])

    def scoped_queryset(self):
        return self.model.objects.filter(customer=self.customer)


def _writes(input_serializer, output_serializer, code=201):
    return extend_schema(request=input_serializer, responses={code: output_serializer})


# --------------------------------------------------------------------------- customers

@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter(
        "search", str, description="Name, PESEL, NIP, REGON, number, phone, e-mail or "
        "address (every word must match), or what the other apps find: a RADIUS login, an "
        "IP or MAC address, an invoice or document number, a document's barcode code.")]),
    create=_writes(serializers.CustomerInputSerializer, serializers.CustomerSerializer),
    partial_update=_writes(serializers.CustomerUpdateSerializer, serializers.CustomerSerializer,
                           200),
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = Customer
    serializer_class = serializers.CustomerSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = CustomerFilter
    ordering_fields = ["number", "last_name", "company_name", "status", "created_at"]
    ordering = ["number"]

    def scoped_queryset(self):
        query = self.request.query_params.get("search", "")
        if self.action != "list" or not query.strip():
            return customer_list_for_api(query=query)
        # The one search of the staff list (core.search), as the user may see it.
        return customer_list_for_api(query=query, also_ids=search_hits(
            query=query, user=self.request.user, exclude={"customers"}))

    def create(self, request):
        data = self.parsed(serializers.CustomerInputSerializer)
        customer = services.customer_create(actor=request.user, **data)
        return self.respond(customer_list_for_api().get(pk=customer.pk))

    def partial_update(self, request, pk=None):
        customer = self.get_object()  # first: another tenant's customer is a 404, not a 400
        data = self.parsed(serializers.CustomerUpdateSerializer)
        customer = services.customer_update(actor=request.user, customer=customer, **data)
        return self.respond(customer_list_for_api().get(pk=customer.pk), status.HTTP_200_OK)


# --------------------------------------------------------------------------- contacts

@extend_schema_view(
    create=_writes(serializers.PhoneInputSerializer, serializers.PhoneSerializer),
    partial_update=_writes(serializers.PhoneInputSerializer, serializers.PhoneSerializer, 200),
)
class PhoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CustomerNestedViewSet):
    model = Phone
    serializer_class = serializers.PhoneSerializer

    def create(self, request, customer_pk=None):
        data = self.parsed(serializers.PhoneInputSerializer)
        return self.respond(services.phone_add(actor=request.user, customer=self.customer,
                                               **data))

    def partial_update(self, request, customer_pk=None, pk=None):
        phone = self.get_object()
        data = self.parsed(serializers.PhoneInputSerializer, partial=True)
        phone = services.phone_update(actor=request.user, phone=phone, **data)
        return self.respond(phone, status.HTTP_200_OK)

    def destroy(self, request, customer_pk=None, pk=None):
        services.phone_remove(actor=request.user, phone=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=_writes(serializers.EmailInputSerializer, serializers.EmailSerializer),
    partial_update=_writes(serializers.EmailInputSerializer, serializers.EmailSerializer, 200),
)
class EmailViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CustomerNestedViewSet):
    model = Email
    serializer_class = serializers.EmailSerializer

    def create(self, request, customer_pk=None):
        data = self.parsed(serializers.EmailInputSerializer)
        return self.respond(services.email_add(actor=request.user, customer=self.customer,
                                               **data))

    def partial_update(self, request, customer_pk=None, pk=None):
        email = self.get_object()
        data = self.parsed(serializers.EmailInputSerializer, partial=True)
        email = services.email_update(actor=request.user, email=email, **data)
        return self.respond(email, status.HTTP_200_OK)

    def destroy(self, request, customer_pk=None, pk=None):
        services.email_remove(actor=request.user, email=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=_writes(serializers.ConsentInputSerializer, serializers.ConsentSerializer, 200),
)
class ConsentViewSet(mixins.ListModelMixin, CustomerNestedViewSet):
    """Consents are set, not added: a POST grants or withdraws one kind."""

    model = Consent
    serializer_class = serializers.ConsentSerializer

    def create(self, request, customer_pk=None):
        data = self.parsed(serializers.ConsentInputSerializer)
        consent = services.consent_set(actor=request.user, customer=self.customer, **data)
        return self.respond(consent, status.HTTP_200_OK)


# --------------------------------------------------------------------------- addresses

@extend_schema_view(
    create=_writes(serializers.AddressInputSerializer, serializers.AddressSerializer),
    partial_update=_writes(serializers.AddressInputSerializer, serializers.AddressSerializer,
                           200),
)
class AddressViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CustomerNestedViewSet):
    model = Address
    serializer_class = serializers.AddressSerializer

    def create(self, request, customer_pk=None):
        data = self.parsed(serializers.AddressInputSerializer)
        return self.respond(services.address_add(actor=request.user, customer=self.customer,
                                                 **data))

    def partial_update(self, request, customer_pk=None, pk=None):
        address = self.get_object()
        data = self.parsed(serializers.AddressInputSerializer, partial=True)
        address = services.address_update(actor=request.user, address=address, **data)
        return self.respond(address, status.HTTP_200_OK)

    def destroy(self, request, customer_pk=None, pk=None):
        services.address_remove(actor=request.user, address=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- attributes

@extend_schema_view(
    create=_writes(serializers.AttributeSetSerializer, serializers.AttributeValueSerializer,
                   200),
)
class AttributeViewSet(mixins.ListModelMixin, CustomerNestedViewSet):
    """A POST sets the value of one attribute type (adding the attribute if need be)."""

    model = AttributeValue
    serializer_class = serializers.AttributeValueSerializer

    def scoped_queryset(self):
        return attribute_list(customer=self.customer)

    def create(self, request, customer_pk=None):
        data = self.parsed(serializers.AttributeSetSerializer)
        attribute = services.attribute_set(actor=request.user, customer=self.customer, **data)
        return self.respond(attribute, status.HTTP_200_OK)

    def destroy(self, request, customer_pk=None, pk=None):
        services.attribute_remove(actor=request.user, attribute=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=_writes(serializers.AttributeTypeInputSerializer,
                   serializers.AttributeTypeSerializer),
)
class AttributeTypeViewSet(mixins.ListModelMixin, TenantViewSet):
    model = AttributeType
    serializer_class = serializers.AttributeTypeSerializer

    def create(self, request):
        data = self.parsed(serializers.AttributeTypeInputSerializer)
        return self.respond(services.attribute_type_create(actor=request.user, **data))


# --------------------------------------------------------------------------- folders, scans

@extend_schema_view(
    create=_writes(serializers.FolderInputSerializer, serializers.FolderSerializer),
    partial_update=_writes(serializers.FolderInputSerializer, serializers.FolderSerializer,
                           200),
)
class FolderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CustomerNestedViewSet):
    model = Folder
    serializer_class = serializers.FolderSerializer

    def create(self, request, customer_pk=None):
        data = self.parsed(serializers.FolderInputSerializer)
        return self.respond(services.folder_create(actor=request.user, customer=self.customer,
                                                   **data))

    def partial_update(self, request, customer_pk=None, pk=None):
        folder = self.get_object()
        data = self.parsed(serializers.FolderInputSerializer, partial=True)
        folder = services.folder_update(actor=request.user, folder=folder, **data)
        return self.respond(folder, status.HTTP_200_OK)

    def destroy(self, request, customer_pk=None, pk=None):
        """Remove an empty folder; one holding scans is a 400 naming them."""
        services.folder_remove(actor=request.user, folder=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=_writes(serializers.ScanInputSerializer, serializers.ScanSerializer),
)
class ScanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CustomerNestedViewSet):
    model = Scan
    serializer_class = serializers.ScanSerializer
    parser_classes = [MultiPartParser, FormParser]

    def create(self, request, customer_pk=None):
        data = self.parsed(serializers.ScanInputSerializer)
        scan = services.scan_add(actor=request.user, customer=self.customer,
                                 uploaded_file=data["file"], folder=data.get("folder"),
                                 description=data.get("description", ""))
        return self.respond(scan)

    def destroy(self, request, customer_pk=None, pk=None):
        services.scan_remove(actor=request.user, scan=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, customer_pk=None, pk=None):
        scan = self.get_object()
        # The stored type was sniffed from the content at upload, so it is safe to send.
        return FileResponse(scan.file.open("rb"), as_attachment=True,
                            filename=scan.original_name, content_type=scan.content_type)


# --------------------------------------------------------------------------- bank accounts

@extend_schema_view(
    create=_writes(serializers.BankAccountInputSerializer, serializers.BankAccountSerializer),
)
class BankAccountViewSet(mixins.ListModelMixin, CustomerNestedViewSet):
    model = BankAccount
    serializer_class = serializers.BankAccountSerializer

    def create(self, request, customer_pk=None):
        data = self.parsed(serializers.BankAccountInputSerializer)
        return self.respond(services.bank_account_add(actor=request.user,
                                                      customer=self.customer, **data))

    def destroy(self, request, customer_pk=None, pk=None):
        services.bank_account_remove(actor=request.user, account=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- groups

@extend_schema_view(
    create=_writes(serializers.CustomerGroupInputSerializer,
                   serializers.CustomerGroupSerializer),
)
class CustomerGroupViewSet(mixins.ListModelMixin, TenantViewSet):
    model = CustomerGroup
    serializer_class = serializers.CustomerGroupSerializer

    def create(self, request):
        data = self.parsed(serializers.CustomerGroupInputSerializer)
        return self.respond(services.group_create(actor=request.user, **data))


@extend_schema_view(
    create=_writes(serializers.GroupMembershipInputSerializer,
                   serializers.GroupMembershipSerializer),
)
class GroupMembershipViewSet(mixins.ListModelMixin, CustomerNestedViewSet):
    """The customer's groups; ``pk`` of a DELETE is the membership's id."""

    model = GroupMembership
    serializer_class = serializers.GroupMembershipSerializer

    def scoped_queryset(self):
        return membership_list(customer=self.customer)

    def create(self, request, customer_pk=None):
        data = self.parsed(serializers.GroupMembershipInputSerializer)
        membership = services.customer_group_add(actor=request.user, customer=self.customer,
                                                 group=data["group"])
        return self.respond(membership)

    def destroy(self, request, customer_pk=None, pk=None):
        services.customer_group_remove(actor=request.user, membership=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- annotations

@extend_schema_view(
    create=_writes(serializers.AnnotationInputSerializer, serializers.AnnotationSerializer),
    pin=_writes(serializers.AnnotationPinSerializer, serializers.AnnotationSerializer, 200),
)
class AnnotationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        CustomerNestedViewSet):
    model = Annotation
    serializer_class = serializers.AnnotationSerializer
    action_permissions = {"pin": ["customers.change_annotation"]}

    def scoped_queryset(self):
        return annotation_list(customer=self.customer)

    def create(self, request, customer_pk=None):
        data = self.parsed(serializers.AnnotationInputSerializer)
        return self.respond(services.annotation_add(actor=request.user,
                                                    customer=self.customer, **data))

    def destroy(self, request, customer_pk=None, pk=None):
        services.annotation_delete(actor=request.user, annotation=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def pin(self, request, customer_pk=None, pk=None):
        annotation = self.get_object()
        data = self.parsed(serializers.AnnotationPinSerializer)
        annotation = services.annotation_pin(actor=request.user, annotation=annotation,
                                             pinned=data["pinned"])
        return self.respond(annotation, status.HTTP_200_OK)


# --------------------------------------------------------------------------- panel

@extend_schema_view(
    list=extend_schema(responses=serializers.PanelAccountSerializer),
    create=_writes(serializers.PanelCredentialsInputSerializer,
                   serializers.PanelAccountSerializer, 200),
    generate_pin=extend_schema(request=serializers.PanelPinInputSerializer,
                               responses=serializers.PanelPinSerializer),
    unlock=extend_schema(request=None, responses=serializers.PanelAccountSerializer,
                         description="Lift the panel login's lock (logged); 400 when it is "
                                     "not locked."),
)
class PanelViewSet(CustomerNestedViewSet):
    """The customer's self-service panel account: one per customer, so no ``pk``."""

    model = PanelAccount
    schema = OneObjectSchema()
    serializer_class = serializers.PanelAccountSerializer
    pagination_class = None
    action_permissions = {
        "create": ["customers.add_panelaccount", "customers.change_panelaccount"],
        "generate_pin": ["customers.change_panelaccount"],
        "unlock": ["customers.change_panelaccount"],
    }

    def _account_data(self) -> dict:
        account = self.get_queryset().first()
        return serializers.PanelAccountSerializer(
            serializers.PanelAccountSerializer.from_account(account)).data

    def list(self, request, customer_pk=None):
        return Response(self._account_data())

    def create(self, request, customer_pk=None):
        data = self.parsed(serializers.PanelCredentialsInputSerializer)
        services.panel_credentials_set(actor=request.user, customer=self.customer, **data)
        return Response(self._account_data())

    @action(detail=False, methods=["post"], url_path="generate-pin")
    def generate_pin(self, request, customer_pk=None):
        customer = self.customer
        phone_id = self.parsed(serializers.PanelPinInputSerializer)["sms_phone"]
        if phone_id is not None:
            if not request.user.has_perm("messaging.add_message"):
                raise PermissionDenied
            services.panel_pin_generate(actor=request.user, customer=customer,
                                        sms_phone_id=phone_id)
            return Response({"pin": None,
                             "sms_to": customer.phones.get(pk=phone_id).number})
        pin = services.panel_pin_generate(actor=request.user, customer=customer)
        # Shown once: no cache on the way may keep it.
        return Response({"pin": pin}, headers={"Cache-Control": "no-store"})

    @action(detail=False, methods=["post"])
    def unlock(self, request, customer_pk=None):
        services.panel_unlock(actor=request.user, customer=self.customer)
        return Response(self._account_data())


# --------------------------------------------------------------------------- action log

@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("kind", str, description="Kind, or its prefix: \"phone\" matches "
                     "\"phone.add\"."),
    OpenApiParameter("actor", str, description="Part of the actor's name."),
]))
class ActionLogViewSet(mixins.ListModelMixin, CustomerNestedViewSet):
    """"Akcje Klient System": what was done to the customer, by whom, newest first."""

    model = ActionLog
    serializer_class = serializers.ActionLogSerializer

    def scoped_queryset(self):
        params = self.request.query_params
        return selectors.action_log_list(customer=self.customer, kind=params.get("kind", ""),
                                         actor=params.get("actor", ""))


def register(router) -> None:
    """Add the customer card's routes to the project's one router."""
    nested = r"customers/(?P<customer_pk>\d+)"
    router.register("customers", CustomerViewSet, basename="customer")
    router.register("customer-groups", CustomerGroupViewSet, basename="customer-group")
    router.register("attribute-types", AttributeTypeViewSet, basename="attribute-type")
    for prefix, viewset, basename in (
        ("phones", PhoneViewSet, "customer-phones"),
        ("emails", EmailViewSet, "customer-emails"),
        ("consents", ConsentViewSet, "customer-consents"),
        ("addresses", AddressViewSet, "customer-addresses"),
        ("attributes", AttributeViewSet, "customer-attributes"),
        ("folders", FolderViewSet, "customer-folders"),
        ("scans", ScanViewSet, "customer-scans"),
        ("bank-accounts", BankAccountViewSet, "customer-bank-accounts"),
        ("groups", GroupMembershipViewSet, "customer-memberships"),
        ("annotations", AnnotationViewSet, "customer-annotations"),
        ("panel", PanelViewSet, "customer-panel"),
        ("action-log", ActionLogViewSet, "customer-action-log"),
    ):
        router.register(f"{nested}/{prefix}", viewset, basename=basename)
