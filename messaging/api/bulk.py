"""``/api/v1/bulk-sends/``: bulk sends to a customer group or a filtered customer list.

``POST`` with ``dry_run: true`` answers 200 with the count (and the text rendered for
three recipients) and sends nothing; without it, 201 with the bulk send, whose
``progress`` (or the send itself) tells how far the worker is. More recipients than the
tenant's cap is a 400 before anything is queued. ``request_token``: a client's one-time
key — the same token again returns the first send instead of sending twice.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantPrimaryKeyRelatedField, TenantViewSet
from customers.models import Customer, CustomerGroup

from .. import bulk
from ..models import BulkSend, Channel, MessageTemplate


class BulkSendSerializer(serializers.ModelSerializer):
    template = serializers.IntegerField(source="template_id")
    template_name = serializers.CharField(source="template.name")
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = BulkSend
        fields = ["id", "channel", "template", "template_name", "audience", "audience_text",
                  "total", "done", "skipped", "state", "error", "created_by", "created_at",
                  "finished_at"]
        read_only_fields = fields

    def get_created_by(self, send) -> str:
        return send.created_by.get_username() if send.created_by else ""


class BulkProgressSerializer(serializers.ModelSerializer):
    percent = serializers.SerializerMethodField()

    class Meta:
        model = BulkSend
        fields = ["id", "state", "total", "done", "skipped", "percent", "error", "finished_at"]
        read_only_fields = fields

    def get_percent(self, send) -> int:
        return 100 * send.done // send.total if send.total else 100


class BulkSendInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="sms or email.")
    template = TenantPrimaryKeyRelatedField(model=MessageTemplate)
    group = TenantPrimaryKeyRelatedField(model=CustomerGroup, required=False, allow_null=True,
                                         default=None)
    status = serializers.ChoiceField(choices=Customer.Status.choices, required=False,
                                     allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Customer.Kind.choices, required=False,
                                   allow_blank=True, default="")
    debtors = serializers.BooleanField(required=False, default=False,
                                       help_text="Only customers whose balance is below zero.")
    dry_run = serializers.BooleanField(required=False, default=False)
    request_token = serializers.UUIDField(required=False, allow_null=True, default=None)


class SampleSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer.pk")
    recipient = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()
    error = serializers.CharField()


class DryRunSerializer(serializers.Serializer):
    recipients = serializers.IntegerField(help_text="Messages that would be queued.")
    skipped = serializers.IntegerField(help_text="Customers without a phone or address for "
                                                 "notifications.")
    cap = serializers.IntegerField()
    over_cap = serializers.BooleanField()
    samples = SampleSerializer(many=True)


@extend_schema_view(
    create=extend_schema(request=BulkSendInputSerializer,
                         responses={200: DryRunSerializer, 201: BulkSendSerializer}),
)
class BulkSendViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's bulk sends, newest first."""

    model = BulkSend
    serializer_class = BulkSendSerializer
    action_permissions = {"progress": ["messaging.view_bulksend"]}

    def scoped_queryset(self):
        return BulkSend.objects.select_related("template", "created_by").order_by(
            "-created_at", "-pk")

    def create(self, request):
        data = self.parsed(BulkSendInputSerializer)
        args = {"channel": data["channel"], "template": data["template"],
                "audience": bulk.audience_clean(group=data["group"], status=data["status"],
                                                kind=data["kind"], debtors=data["debtors"])}
        if data["dry_run"]:
            plan = bulk.bulk_plan(**args)
            return Response(DryRunSerializer({
                "recipients": plan.recipients, "skipped": plan.skipped, "cap": plan.cap,
                "over_cap": plan.over_cap, "samples": bulk.bulk_preview(**args)}).data)
        sent = bulk.bulk_send_start(actor=request.user, request_token=data["request_token"],
                                    **args)
        return self.respond(self.scoped_queryset().get(pk=sent.pk))

    @extend_schema(responses=BulkProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """How far the worker is: ``done`` of ``total`` queued; ``state`` running until
        it is over."""
        return Response(BulkProgressSerializer(self.get_object()).data)


def register(router) -> None:
    router.register("bulk-sends", BulkSendViewSet, basename="bulk-send")
