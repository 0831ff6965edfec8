"""API shapes of a customer's messages.

Read serializers render rows the selectors loaded (author, attempts, events, attachments
without their bytes): no queries of their own. Input serializers only parse; the service
(``services.message_queue``) validates the text, and the recipient must be one of the
customer's own (``selectors.recipient_find``), as on the card.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import selectors, services
from .models import Channel, Message, MessageAttachment, MessageAttempt, MessageEvent


def _user_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


class MessageAttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = MessageAttachment
        fields = ["id", "filename", "content_type", "size", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        message = self.context["message"]
        return reverse("api:customer-messages-attachment",
                       kwargs={"customer_pk": message.customer_id, "pk": message.pk,
                               "messageattachment_pk": attachment.pk})


class MessageAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = MessageAttempt
        fields = ["number", "key", "gateway", "state", "gateway_id", "reply", "tries",
                  "created_at", "finished_at"]
        read_only_fields = fields


class MessageEventSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    attempt = serializers.IntegerField(source="attempt.number", read_only=True,
                                       allow_null=True, default=None,
                                       help_text="The attempt's number, if the event is "
                                                 "about one.")

    class Meta:
        model = MessageEvent
        fields = ["status", "status_display", "detail", "attempt", "at"]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    """A message as the history shows it; the text of a message with a secret (a panel
    PIN) is the masked one, never the secret."""

    status_display = serializers.CharField(
        source="get_status_display", read_only=True,
        help_text="The status in the language of the request (Accept-Language).")
    author_name = serializers.SerializerMethodField()
    retryable = serializers.BooleanField(read_only=True,
                                         help_text="May be sent again (POST .../retry/).")
    attachments_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "channel", "purpose", "recipient", "subject", "body", "encoding",
                  "parts", "status", "status_display", "status_reason", "status_at",
                  "created_at", "sent_at", "read_at", "author", "author_name",
                  "attempts_count", "attachments_count", "retryable", "template",
                  "related_kind", "related_id"]
        read_only_fields = fields

    def get_author_name(self, message) -> str:
        return _user_name(message.author)


class MessageDetailSerializer(MessageSerializer):
    attempts = MessageAttemptSerializer(many=True, read_only=True)
    events = MessageEventSerializer(many=True, read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta(MessageSerializer.Meta):
        fields = [*MessageSerializer.Meta.fields, "attempts", "events", "attachments"]
        read_only_fields = fields

    @extend_schema_field(MessageAttachmentSerializer(many=True))
    def get_attachments(self, message) -> list[dict]:
        return MessageAttachmentSerializer(message.attachments.all(), many=True,
                                           context={**self.context, "message": message}).data

    def to_representation(self, message):
        message.attachments_count = len(message.attachments.all())
        return super().to_representation(message)


class MessageSendSerializer(serializers.Serializer):
    """An SMS or an e-mail to the customer: to one of the customer's own phones or
    addresses."""

    channel = serializers.ChoiceField(choices=[(Channel.SMS, Channel.SMS.label),
                                               (Channel.EMAIL, Channel.EMAIL.label)])
    recipient = serializers.CharField(
        max_length=254, help_text="One of the customer's phone numbers (any usual "
                                  "notation, e.g. 600 100 200 or +48600100200) for an SMS, "
                                  "one of the customer's e-mail addresses for an e-mail.")
    subject = serializers.CharField(max_length=255, required=False, allow_blank=True,
                                    default="", help_text="E-mail only; required there.")
    body = serializers.CharField(max_length=100_000, allow_blank=True, trim_whitespace=False)
    template = serializers.IntegerField(required=False, allow_null=True, default=None,
                                        help_text="The template the text was made from "
                                                  "(recorded with the message).")

    def validate(self, data):
        customer = self.context["customer"]
        channel = data["channel"]
        try:
            value = services.recipient_clean(channel=channel, recipient=data["recipient"])
        except DjangoValidationError:  # not a number / an address: not the customer's either
            value = data["recipient"]
        found = selectors.recipient_find(customer=customer, channel=channel, value=value)
        if found is None:
            raise serializers.ValidationError({"recipient": [
                _("Not one of the customer's phone numbers.") if channel == Channel.SMS
                else _("Not one of the customer's e-mail addresses.")]})
        data["recipient"] = found.value
        if data["template"] is not None:
            template = selectors.template_find(pk=data["template"], channel=channel)
            if template is None:
                raise serializers.ValidationError(
                    {"template": [_("No such template for this channel.")]})
            data["template"] = template
        return data
