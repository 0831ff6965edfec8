"""``/api/v1/customers/{customer_pk}/messages/``: a customer's SMS and e-mails.

List (filter by channel and status, paged), one message with its attempts and status
history, send an SMS or an e-mail to one of the customer's own phones or addresses, send a
failed one again, download an attachment. Another tenant's customer, message or
attachment is a 404, as is a message of another customer of the same tenant.
"""

import django_filters
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError

from customers.api import CustomerNestedViewSet

from .. import selectors, serializers, services
from ..models import Channel, Message, MessageAttachment, Status


class MessageFilter(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    status = django_filters.ChoiceFilter(choices=Status.choices)

    class Meta:
        model = Message
        fields = ["channel", "status"]


@extend_schema_view(
    list=extend_schema(description="The customer's messages, newest first."),
    retrieve=extend_schema(responses=serializers.MessageDetailSerializer,
                           description="One message with its attempts (each hand-over to "
                                       "the gateway) and its status history."),
    create=extend_schema(
        request=serializers.MessageSendSerializer,
        responses={201: serializers.MessageDetailSerializer,
                   200: serializers.MessageDetailSerializer},
        parameters=[OpenApiParameter(
            "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
            description="Up to 100 characters naming this request: sent again (a retry "
                        "after a timeout, or twice at once) it answers 200 with the first "
                        "message and sends nothing more. Used for a different message: "
                        "400.")],
        description="Send an SMS or an e-mail to the customer. The message is written "
                    "first (status `queued`) and handed to the tenant's gateway by a "
                    "worker; follow its status here. The recipient must be one of the "
                    "customer's own phone numbers or e-mail addresses."),
)
class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CustomerNestedViewSet):
    """A customer's messages: SMS, e-mails and device messages."""

    model = Message
    serializer_class = serializers.MessageSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MessageFilter
    action_permissions = {
        "retry": ["messaging.change_message"],
        "attachment": ["messaging.view_message"],
    }

    def scoped_queryset(self):
        return selectors.customer_message_list(customer=self.customer)

    def get_serializer_class(self):
        if self.action in ("retrieve", "retry"):
            return serializers.MessageDetailSerializer
        return super().get_serializer_class()

    def _detail(self, pk) -> Message:
        try:
            return selectors.message_get(pk=pk, customer=self.customer)
        except Message.DoesNotExist:
            raise NotFound() from None

    def retrieve(self, request, customer_pk=None, pk=None):
        return self.respond(self._detail(pk), status.HTTP_200_OK)

    def create(self, request, customer_pk=None):
        data = self.parsed(serializers.MessageSendSerializer)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 100 or not key.isprintable():
            raise ValidationError({"Idempotency-Key": [
                _("The Idempotency-Key must be printable text of at most 100 characters.")]})
        message = services.message_queue(
            customer=self.customer, channel=data["channel"], recipient=data["recipient"],
            body=data["body"], subject=data["subject"], author=request.user,
            template=data["template"], client_key=key)
        if message.replayed:
            return self.respond(self._detail(message.pk), status.HTTP_200_OK)
        return self.respond(self._detail(message.pk))

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if "customer_pk" in self.kwargs and not getattr(self, "swagger_fake_view", False):
            context["customer"] = self.customer
        return context

    @extend_schema(request=None, responses=serializers.MessageDetailSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, customer_pk=None, pk=None):
        """Send a failed, undelivered, expired or rejected message again: a new attempt of
        the same message ("Ponów"). Any other status answers 400."""
        message = self.get_object()  # first: another tenant's message is a 404
        services.message_retry(message=message, actor=request.user)
        return self.respond(self._detail(message.pk), status.HTTP_200_OK)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
                   parameters=[OpenApiParameter("messageattachment_pk", int, OpenApiParameter.PATH,
                                                description="The attachment.")])
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<messageattachment_pk>\d+)",
            url_name="attachment")
    def attachment(self, request, customer_pk=None, pk=None, messageattachment_pk=None):
        """An attachment of an e-mail, as it was sent (e.g. the invoice's PDF)."""
        try:
            attachment = selectors.attachment_get(message_id=pk, pk=messageattachment_pk,
                                                  customer=self.customer)
        except MessageAttachment.DoesNotExist:
            raise NotFound() from None
        response = HttpResponse(bytes(attachment.content),
                                content_type=attachment.content_type)
        response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
        return response


def register(router) -> None:
    router.register(r"customers/(?P<customer_pk>\d+)/messages", MessageViewSet,
                    basename="customer-messages")
