"""``/api/v1/message-gateways/``: the tenant's SMTP server and SMS gateway (administrators).

One gateway per channel. ``password`` (a password or a provider's token) is write-only:
never in an answer; a change that leaves it out keeps the stored one. ``report_url`` is
the delivery report address with the tenant's secret; ``rotate-secret`` makes a new one.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantViewSet

from .. import gateway_config
from ..models import Channel, Gateway


class GatewaySerializer(serializers.ModelSerializer):
    has_password = serializers.SerializerMethodField()
    report_url = serializers.SerializerMethodField(
        help_text="Where the gateway reports delivery ({key}: each message's attempt key); "
                  "empty for e-mail.")

    class Meta:
        model = Gateway
        fields = ["id", "channel", "kind", "host", "port", "url", "username", "has_password",
                  "use_tls", "use_ssl", "from_address", "rate_per_second", "options",
                  "report_url", "updated_at"]
        read_only_fields = fields

    def get_has_password(self, gateway) -> bool:
        return bool(gateway.password)

    def get_report_url(self, gateway) -> str:
        return gateway_config.gateway_report_url(gateway)


class _GatewayFields(serializers.Serializer):
    host = serializers.CharField(required=False, allow_blank=True, max_length=255)
    port = serializers.IntegerField(required=False, allow_null=True)
    url = serializers.CharField(required=False, allow_blank=True, max_length=500)
    username = serializers.CharField(required=False, allow_blank=True, max_length=200)
    password = serializers.CharField(required=False, allow_blank=True, write_only=True,
                                     trim_whitespace=False, max_length=1000,
                                     help_text="Write-only; left out or empty: unchanged.")
    use_tls = serializers.BooleanField(required=False)
    use_ssl = serializers.BooleanField(required=False)
    from_address = serializers.CharField(required=False, allow_blank=True, max_length=254)
    rate_per_second = serializers.IntegerField(required=False)
    options = serializers.DictField(required=False)


class GatewayInputSerializer(_GatewayFields):
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="sms or email.")
    kind = serializers.ChoiceField(choices=Gateway.Kind.choices)


class GatewayUpdateSerializer(_GatewayFields):
    kind = serializers.ChoiceField(choices=Gateway.Kind.choices, required=False)


@extend_schema_view(
    create=extend_schema(request=GatewayInputSerializer, responses={201: GatewaySerializer}),
    partial_update=extend_schema(request=GatewayUpdateSerializer,
                                 responses=GatewaySerializer),
)
class GatewayViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's gateways; administrators only."""

    model = Gateway
    serializer_class = GatewaySerializer
    action_permissions = {"rotate_secret": ["messaging.change_gateway"]}

    def scoped_queryset(self):
        return Gateway.objects.order_by("channel")

    def create(self, request):
        data = self.parsed(GatewayInputSerializer)
        return self.respond(gateway_config.gateway_create(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        gateway = self.get_object()  # first: another tenant's gateway is a 404
        data = self.parsed(GatewayUpdateSerializer, partial=True)
        return self.respond(gateway_config.gateway_update(actor=request.user, gateway=gateway,
                                                          **data), status.HTTP_200_OK)

    def destroy(self, request, pk=None):
        gateway_config.gateway_delete(actor=request.user, gateway=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=GatewaySerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret", url_name="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret in the report address; reports with the old one are refused."""
        gateway = gateway_config.gateway_dlr_rotate(actor=request.user,
                                                    gateway=self.get_object())
        return self.respond(gateway, status.HTTP_200_OK)


def register(router) -> None:
    router.register("message-gateways", GatewayViewSet, basename="message-gateway")
