"""``/api/v1/customers/{customer_pk}/notices/``: a customer's device messages
("komunikaty", messaging/notices.py).

List (newest first, paged), send one (the customer's logins get the tenant's "message"
attributes and the online ones are reloaded), cancel one not read yet. Another tenant's
customer or notice, or another customer's notice, is a 404.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound

from customers.api import CustomerNestedViewSet

from .. import notices
from ..models import Message
from ..services import MAX_BODY


class NoticeSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    unread = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "recipient", "body", "status", "status_display", "unread", "author",
                  "created_at", "sent_at", "read_at", "read_from"]
        read_only_fields = fields
        extra_kwargs = {"recipient": {"help_text": "The customer's logins, as sent."},
                        "read_from": {"help_text": "The address the customer confirmed "
                                                   "it from."}}

    def get_unread(self, message) -> bool:
        return message.status in notices.UNREAD

    def get_author(self, message) -> str:
        user = message.author
        return (user.get_full_name() or user.get_username()) if user else ""


class NoticeSendSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY["notice"], trim_whitespace=False,
                                 help_text="The text shown to the customer (plain text).")


@extend_schema_view(
    list=extend_schema(description="The customer's device messages, newest first."),
    create=extend_schema(
        request=NoticeSendSerializer, responses={201: NoticeSerializer},
        description="Send a device message: until the customer confirms it on the notice "
                    "page (or in the panel), their logins get the tenant's \"message\" "
                    "RADIUS attributes (setting `messaging.notice_attributes`); the online "
                    "ones are reloaded. 400 when the customer has no login."),
    cancel=extend_schema(request=None, responses={200: NoticeSerializer},
                         description="Withdraw a message the customer has not read; 400 "
                                     "when it is read or cancelled already."),
)
class NoticeViewSet(mixins.ListModelMixin, CustomerNestedViewSet):
    """A customer's device messages."""

    model = Message
    serializer_class = NoticeSerializer
    action_permissions = {"cancel": ["messaging.change_message"]}

    def scoped_queryset(self):
        return notices.notice_list(customer=self.customer)

    def create(self, request, customer_pk=None):
        data = self.parsed(NoticeSendSerializer)
        message = notices.notice_send(customer=self.customer, text=data["body"],
                                      actor=request.user)
        return self.respond(notices.notice_list(customer=self.customer).get(pk=message.pk))

    @action(detail=True, methods=["post"])
    def cancel(self, request, customer_pk=None, pk=None):
        try:
            message = notices.notice_list(customer=self.customer).get(pk=pk)
        except (Message.DoesNotExist, ValueError):
            raise NotFound() from None
        message = notices.notice_cancel(message=message, actor=request.user)
        return self.respond(notices.notice_list(customer=self.customer).get(pk=message.pk),
                            status.HTTP_200_OK)


def register(router) -> None:
    router.register(r"customers/(?P<customer_pk>\d+)/notices", NoticeViewSet,
                    basename="customer-notices")
