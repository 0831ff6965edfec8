"""REST API of hosted mail (/api/v1/mail-domains/, /api/v1/customers/{id}/mailboxes/,
/api/v1/customers/{id}/mail-forwards/).

Passwords are write-only: a mailbox's password is given (or generated) and never read
back; a generated one is in the answer that made it, once, uncached.
"""

from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantPrimaryKeyRelatedField, TenantViewSet
from customers.models import Customer

from . import selectors, services
from .models import Mailbox, MailDomain, MailForward

CUSTOMER_PK = OpenApiParameter("customer_pk", OpenApiTypes.INT, OpenApiParameter.PATH,
                               description="Id of the customer.")
NO_STORE = {"Cache-Control": "no-store"}


# --------------------------------------------------------------------------- serializers

class MailDomainSerializer(serializers.ModelSerializer):
    name_unicode = serializers.CharField(source="display_name", read_only=True,
                                         help_text="The domain as people read it.")

    class Meta:
        model = MailDomain
        fields = ["id", "name", "name_unicode", "active", "created_at"]
        read_only_fields = fields


class MailDomainInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=253, help_text="Unicode or IDNA; stored as IDNA.")


class MailDomainUpdateSerializer(serializers.Serializer):
    active = serializers.BooleanField()


class MailboxSerializer(serializers.ModelSerializer):
    address = serializers.CharField(read_only=True)
    domain = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Mailbox
        fields = ["id", "address", "domain", "local_part", "quota_mb", "active",
                  "created_at", "updated_at", "password_changed_at"]
        read_only_fields = fields


class MailboxCreatedSerializer(MailboxSerializer):
    generated_password = serializers.CharField(
        read_only=True, help_text="The generated password, in this answer only; empty "
                                  "when one was given.")

    class Meta(MailboxSerializer.Meta):
        fields = [*MailboxSerializer.Meta.fields, "generated_password"]
        read_only_fields = fields


class MailboxInputSerializer(serializers.Serializer):
    domain = TenantPrimaryKeyRelatedField(model=MailDomain)
    local_part = serializers.CharField(max_length=200)
    password = serializers.CharField(required=False, allow_blank=True, write_only=True,
                                     trim_whitespace=False, max_length=200,
                                     help_text="Empty or left out: one is generated.")
    quota_mb = serializers.IntegerField(required=False, default=1024)
    active = serializers.BooleanField(required=False, default=True)


class MailboxUpdateSerializer(serializers.Serializer):
    quota_mb = serializers.IntegerField(required=False)
    active = serializers.BooleanField(required=False)


class PasswordInputSerializer(serializers.Serializer):
    password = serializers.CharField(required=False, allow_blank=True, write_only=True,
                                     trim_whitespace=False, max_length=200,
                                     help_text="Empty or left out: one is generated.")


class PasswordSetSerializer(serializers.Serializer):
    generated_password = serializers.CharField(help_text="Empty when one was given.")


class MailForwardSerializer(serializers.ModelSerializer):
    address = serializers.CharField(read_only=True)
    domain = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = MailForward
        fields = ["id", "address", "domain", "local_part", "destinations", "keep_copy",
                  "active", "created_at", "updated_at"]
        read_only_fields = fields


class MailForwardInputSerializer(serializers.Serializer):
    domain = TenantPrimaryKeyRelatedField(model=MailDomain)
    local_part = serializers.CharField(max_length=200)
    destinations = serializers.ListField(child=serializers.CharField(max_length=320),
                                         max_length=100)
    keep_copy = serializers.BooleanField(required=False, default=False)
    active = serializers.BooleanField(required=False, default=True)


class MailForwardUpdateSerializer(serializers.Serializer):
    destinations = serializers.ListField(child=serializers.CharField(max_length=320),
                                         max_length=100, required=False)
    keep_copy = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False)


def _writes(input_serializer, output_serializer, code=201):
    return extend_schema(request=input_serializer, responses={code: output_serializer})


# --------------------------------------------------------------------------- domains

@extend_schema_view(
    create=_writes(MailDomainInputSerializer, MailDomainSerializer),
    partial_update=_writes(MailDomainUpdateSerializer, MailDomainSerializer, 200),
)
class MailDomainViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = MailDomain
    serializer_class = MailDomainSerializer

    def scoped_queryset(self):
        return MailDomain.objects.order_by("name")

    def create(self, request):
        data = self.parsed(MailDomainInputSerializer)
        return self.respond(services.maildomain_add(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        domain = self.get_object()
        data = self.parsed(MailDomainUpdateSerializer)
        return self.respond(services.maildomain_update(actor=request.user, domain=domain,
                                                       **data), status.HTTP_200_OK)

    def destroy(self, request, pk=None):
        services.maildomain_remove(actor=request.user, domain=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- per customer

@extend_schema(parameters=[CUSTOMER_PK])
class _CustomerNested(TenantViewSet):
    @cached_property
    def customer(self) -> Customer:
        return get_object_or_404(Customer, pk=self.kwargs["customer_pk"])


@extend_schema_view(
    create=_writes(MailboxInputSerializer, MailboxCreatedSerializer),
    partial_update=_writes(MailboxUpdateSerializer, MailboxSerializer, 200),
    password=_writes(PasswordInputSerializer, PasswordSetSerializer, 200),
)
class MailboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _CustomerNested):
    model = Mailbox
    serializer_class = MailboxSerializer
    action_permissions = {"password": ["mailhosting.change_mailbox"]}

    def scoped_queryset(self):
        return selectors.mailbox_list(customer=self.customer)

    def create(self, request, customer_pk=None):
        data = self.parsed(MailboxInputSerializer)
        mailbox, generated = services.mailbox_create(actor=request.user,
                                                     customer=self.customer, **data)
        mailbox.generated_password = generated
        return Response(MailboxCreatedSerializer(mailbox).data,
                        status=status.HTTP_201_CREATED, headers=NO_STORE)

    def partial_update(self, request, customer_pk=None, pk=None):
        mailbox = self.get_object()
        data = self.parsed(MailboxUpdateSerializer, partial=True)
        return self.respond(services.mailbox_update(actor=request.user, mailbox=mailbox,
                                                    **data), status.HTTP_200_OK)

    def destroy(self, request, customer_pk=None, pk=None):
        services.mailbox_remove(actor=request.user, mailbox=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def password(self, request, customer_pk=None, pk=None):
        mailbox = self.get_object()
        data = self.parsed(PasswordInputSerializer)
        generated = services.mailbox_password_set(actor=request.user, mailbox=mailbox,
                                                  password=data.get("password") or None)
        return Response({"generated_password": generated}, headers=NO_STORE)


@extend_schema_view(
    create=_writes(MailForwardInputSerializer, MailForwardSerializer),
    partial_update=_writes(MailForwardUpdateSerializer, MailForwardSerializer, 200),
)
class MailForwardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _CustomerNested):
    model = MailForward
    serializer_class = MailForwardSerializer

    def scoped_queryset(self):
        return selectors.mailforward_list(customer=self.customer)

    def create(self, request, customer_pk=None):
        data = self.parsed(MailForwardInputSerializer)
        return self.respond(services.mailforward_create(actor=request.user,
                                                        customer=self.customer, **data))

    def partial_update(self, request, customer_pk=None, pk=None):
        forward = self.get_object()
        data = self.parsed(MailForwardUpdateSerializer, partial=True)
        return self.respond(services.mailforward_update(actor=request.user, forward=forward,
                                                        **data), status.HTTP_200_OK)

    def destroy(self, request, customer_pk=None, pk=None):
        services.mailforward_remove(actor=request.user, forward=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    nested = r"customers/(?P<customer_pk>\d+)"
    router.register("mail-domains", MailDomainViewSet, basename="mail-domain")
    router.register(f"{nested}/mailboxes", MailboxViewSet, basename="customer-mailboxes")
    router.register(f"{nested}/mail-forwards", MailForwardViewSet,
                    basename="customer-mail-forwards")
