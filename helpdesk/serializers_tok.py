"""API shapes of the TOK part: topics and scripts, interactions, recordings. Input
serializers only parse; the rules are the services' (helpdesk/services/tok.py)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import TenantPrimaryKeyRelatedField
from customers.models import Customer
from helpdesk.models import (
    CallRecording,
    CaseType,
    ContactChannel,
    Direction,
    Interaction,
    Queue,
    RoutingRule,
    Topic,
    TopicScript,
)
from helpdesk.selectors import tok as selectors


class TopicSerializer(serializers.ModelSerializer):
    depth = serializers.SerializerMethodField()

    class Meta:
        model = Topic
        fields = ["id", "parent", "level", "depth", "path", "name", "position", "is_active",
                  "retired_at", "suggested_case_type", "routing_rule", "created_at"]
        read_only_fields = fields

    def get_depth(self, topic) -> int:
        return getattr(topic, "depth", topic.level - 1)


class TopicInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    parent = TenantPrimaryKeyRelatedField(model=Topic, required=False, allow_null=True,
                                          default=None)
    suggested_case_type = TenantPrimaryKeyRelatedField(model=CaseType, required=False,
                                                       allow_null=True, default=None)
    routing_rule = TenantPrimaryKeyRelatedField(model=RoutingRule, required=False,
                                                allow_null=True, default=None)
    script = serializers.CharField(required=False, allow_blank=True, default="",
                                   max_length=50_000, trim_whitespace=False,
                                   help_text="HTML; sanitized to a safe whitelist.")


class TopicUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=120)
    suggested_case_type = TenantPrimaryKeyRelatedField(model=CaseType, required=False,
                                                       allow_null=True)
    routing_rule = TenantPrimaryKeyRelatedField(model=RoutingRule, required=False,
                                                allow_null=True)


class TopicScriptSerializer(serializers.ModelSerializer):
    class Meta:
        model = TopicScript
        fields = ["id", "topic", "version", "body", "created_by", "created_at"]
        read_only_fields = fields


class TopicScriptVersionsSerializer(serializers.Serializer):
    topic = serializers.IntegerField()
    versions = TopicScriptSerializer(many=True, help_text="Newest first.")


class TopicScriptInputSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, max_length=50_000, trim_whitespace=False,
                                 help_text="HTML; sanitized. The same text as the current "
                                           "version adds no version (200 with the current).")


class InteractionSerializer(serializers.ModelSerializer):
    cases = serializers.SerializerMethodField()
    is_zero_client = serializers.BooleanField(read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", "customer", "caller_name", "number", "topic", "script", "text",
                  "direction", "channel", "agent", "queue", "office", "card_opened_at",
                  "created_at", "call_arrived_at", "call_answered_at", "call_ended_at",
                  "duration_seconds", "routing_rule", "routing_action", "routing_target",
                  "attached_at", "is_zero_client", "cases"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_cases(self, interaction) -> list[int]:
        cached = getattr(interaction, "_prefetched_objects_cache", {}).get("cases")
        return [case.pk for case in cached] if cached is not None else []


class InteractionInputSerializer(serializers.Serializer):
    topic = TenantPrimaryKeyRelatedField(model=Topic)
    text = serializers.CharField(required=False, allow_blank=True, default="",
                                 max_length=20_000, trim_whitespace=False)
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.IN)
    channel = serializers.ChoiceField(choices=ContactChannel.choices,
                                      default=ContactChannel.PHONE)
    customer = TenantPrimaryKeyRelatedField(model=Customer, required=False, allow_null=True,
                                            default=None,
                                            help_text="None: a zero client (give a name or "
                                                      "a number).")
    caller_name = serializers.CharField(required=False, allow_blank=True, default="",
                                        max_length=200)
    number = serializers.CharField(required=False, allow_blank=True, default="",
                                   max_length=32)
    card_opened_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    call_arrived_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    call_answered_at = serializers.DateTimeField(required=False, allow_null=True,
                                                 default=None)
    call_ended_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    queue = TenantPrimaryKeyRelatedField(model=Queue, required=False, allow_null=True,
                                         default=None)
    office = serializers.CharField(required=False, allow_blank=True, default="",
                                   max_length=100)
    script_version = TenantPrimaryKeyRelatedField(model=TopicScript, required=False,
                                                  allow_null=True, default=None)


class InteractionFilterSerializer(serializers.Serializer):
    topic = TenantPrimaryKeyRelatedField(model=Topic, required=False, allow_null=True,
                                         default=None, help_text="With its subtree.")
    date_from = serializers.DateField(required=False, allow_null=True, default=None)
    date_to = serializers.DateField(required=False, allow_null=True, default=None)
    channel = serializers.ChoiceField(choices=ContactChannel.choices, required=False,
                                      allow_blank=True, default="")
    agent = serializers.IntegerField(required=False, allow_null=True, default=None)
    queue = serializers.IntegerField(required=False, allow_null=True, default=None)
    customer = serializers.IntegerField(required=False, allow_null=True, default=None)
    zero = serializers.BooleanField(required=False, default=False,
                                    help_text="Zero client only.")
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200,
                                         default=selectors.PER_PAGE)

    def validate(self, data):
        if data["date_from"] and data["date_to"] and data["date_to"] < data["date_from"]:
            raise serializers.ValidationError(
                {"date_to": "The end of the period is before its start."})
        return data

    def filters(self) -> selectors.InteractionFilter:
        data = self.validated_data
        return selectors.InteractionFilter(
            topic=data["topic"], date_from=data["date_from"], date_to=data["date_to"],
            channel=data["channel"], agent_id=data["agent"], queue_id=data["queue"],
            zero_only=data["zero"], customer_id=data["customer"])


class AttachInputSerializer(serializers.Serializer):
    customer = TenantPrimaryKeyRelatedField(model=Customer)


class InteractionCreatedSerializer(serializers.Serializer):
    interaction = InteractionSerializer()
    case = serializers.IntegerField(allow_null=True,
                                    help_text="The case the routing rule created, if any.")


class CallRecordingSerializer(serializers.ModelSerializer):
    play_url = serializers.SerializerMethodField(help_text="Signed; valid for 10 minutes.")

    class Meta:
        model = CallRecording
        fields = ["id", "customer", "interaction", "started_at", "number", "duration_seconds",
                  "content_type", "play_url"]
        read_only_fields = fields

    def get_play_url(self, recording) -> str:
        request = self.context.get("request")
        url = selectors.recording_play_url(recording)
        return request.build_absolute_uri(url) if request else url


class RecordingFilterSerializer(serializers.Serializer):
    customer = TenantPrimaryKeyRelatedField(model=Customer)
