"""``/api/v1/message-templates/``: the tenant's message templates.

List (filter by channel), read, create, change, delete (refused when a bulk send used
it), and ``preview``: an unsaved text rendered for a customer (or the sample customer),
with an SMS's characters and parts. A template that does not render on the sample
customer is refused with the reason, and nothing is saved.
"""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantPrimaryKeyRelatedField, TenantViewSet
from customers.models import Customer

from .. import templates_admin
from ..models import Channel, MessageTemplate


class MessageTemplateFilter(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = MessageTemplate
        fields = ["channel", "is_active"]


class MessageTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = MessageTemplate
        fields = ["id", "channel", "name", "subject", "body", "is_active", "created_at",
                  "updated_at"]
        read_only_fields = fields


class MessageTemplateInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    name = serializers.CharField(max_length=templates_admin.NAME_MAX)
    subject = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="E-mail only; an SMS has none.")
    body = serializers.CharField(trim_whitespace=False)
    is_active = serializers.BooleanField(required=False, default=True)


class MessageTemplateUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=templates_admin.NAME_MAX)
    subject = serializers.CharField(required=False, allow_blank=True)
    body = serializers.CharField(required=False, trim_whitespace=False)
    is_active = serializers.BooleanField(required=False)


class TemplatePreviewInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    subject = serializers.CharField(required=False, allow_blank=True, default="")
    body = serializers.CharField(trim_whitespace=False)
    customer = TenantPrimaryKeyRelatedField(
        model=Customer, required=False, allow_null=True, default=None,
        help_text="The customer to render for; none: the sample customer.")


class SegmentsSerializer(serializers.Serializer):
    encoding = serializers.CharField()
    units = serializers.IntegerField(help_text="Characters as counted for the encoding.")
    parts = serializers.IntegerField()


class TemplatePreviewSerializer(serializers.Serializer):
    subject = serializers.CharField()
    body = serializers.CharField()
    customer = serializers.SerializerMethodField(help_text="The customer's id; null: the "
                                                          "sample customer.")
    segments = SegmentsSerializer(allow_null=True, help_text="SMS only.")

    def get_customer(self, preview) -> int | None:
        return preview.customer.pk if preview.customer is not None else None


@extend_schema_view(
    create=extend_schema(request=MessageTemplateInputSerializer,
                         responses={201: MessageTemplateSerializer}),
    partial_update=extend_schema(request=MessageTemplateUpdateSerializer,
                                 responses=MessageTemplateSerializer),
    destroy=extend_schema(description="Refused (400) when a bulk send used the template."),
)
class MessageTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's SMS, e-mail and device message templates."""

    model = MessageTemplate
    serializer_class = MessageTemplateSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MessageTemplateFilter
    action_permissions = {"preview": ["messaging.view_messagetemplate"]}

    def scoped_queryset(self):
        return MessageTemplate.objects.order_by("channel", "name")

    def create(self, request):
        data = self.parsed(MessageTemplateInputSerializer)
        return self.respond(templates_admin.message_template_create(actor=request.user,
                                                                    **data))

    def partial_update(self, request, pk=None):
        template = self.get_object()  # first: another tenant's template is a 404, not a 400
        data = self.parsed(MessageTemplateUpdateSerializer, partial=True)
        return self.respond(templates_admin.message_template_update(
            actor=request.user, template=template, **data), status.HTTP_200_OK)

    def destroy(self, request, pk=None):
        templates_admin.message_template_delete(actor=request.user,
                                                template=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=TemplatePreviewInputSerializer,
                   responses=TemplatePreviewSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """An unsaved text rendered for a customer (the sample customer when none)."""
        data = self.parsed(TemplatePreviewInputSerializer)
        preview = templates_admin.message_template_preview(**data)
        return Response(TemplatePreviewSerializer(preview).data)


def register(router) -> None:
    router.register("message-templates", MessageTemplateViewSet, basename="message-template")
