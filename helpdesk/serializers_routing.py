"""Serializers of the routing part's API: rules, their input, moves and the decision."""

from rest_framework import serializers

from core.api import TenantPrimaryKeyRelatedField
from customers.models import AttributeType, Customer, CustomerGroup

from .models import (
    CaseType,
    CustomerKindMatch,
    Queue,
    RoutingAction,
    RoutingRule,
    TimeMatch,
    Topic,
    VipMatch,
)
from .services.routing import NAME_MAX

RULE_FIELDS = ["id", "position", "name", "is_active", "topic", "customer_group",
               "customer_kind", "vip_attribute", "vip", "time", "action", "target_queue",
               "extension", "case_type", "case_queue"]


class RoutingRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoutingRule
        fields = RULE_FIELDS
        read_only_fields = fields


def _rel(model, help_text):
    return TenantPrimaryKeyRelatedField(model=model, required=False, allow_null=True,
                                        help_text=help_text)


class RoutingRuleInputSerializer(serializers.Serializer):
    """A rule as created; the same checks as the settings page (the one service)."""

    name = serializers.CharField(max_length=NAME_MAX)
    is_active = serializers.BooleanField(required=False)
    topic = _rel(Topic, "The rule applies to this topic and everything under it; null: "
                        "any topic.")
    customer_group = _rel(CustomerGroup, "Only customers in this group.")
    customer_kind = serializers.ChoiceField(choices=CustomerKindMatch.choices, required=False)
    vip_attribute = _rel(AttributeType, "The attribute whose true, non-empty value marks a "
                                        "VIP (needed when vip is yes or no).")
    vip = serializers.ChoiceField(choices=VipMatch.choices, required=False)
    time = serializers.ChoiceField(choices=TimeMatch.choices, required=False)
    action = serializers.ChoiceField(choices=RoutingAction.choices)
    target_queue = _rel(Queue, "Queue to transfer to (queue, queue_or_case).")
    extension = serializers.CharField(required=False, allow_blank=True, max_length=20,
                                      help_text="Extension digits (extension).")
    case_type = _rel(CaseType, "Type of the case created (case, queue_or_case).")
    case_queue = _rel(Queue, "Queue of the case created (case, queue_or_case).")


class RoutingRuleUpdateSerializer(RoutingRuleInputSerializer):
    name = serializers.CharField(max_length=NAME_MAX, required=False)
    action = serializers.ChoiceField(choices=RoutingAction.choices, required=False)


class RoutingMoveSerializer(serializers.Serializer):
    # Plain text, not an enum: "direction" names another choice set in the schema (TOK).
    direction = serializers.CharField(max_length=4, help_text="up (tried earlier) or down.")


class RoutingReorderSerializer(serializers.Serializer):
    rule_ids = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                     max_length=10_000,
                                     help_text="Every rule's id once, in the new order.")


class RoutingDecideInputSerializer(serializers.Serializer):
    topic = TenantPrimaryKeyRelatedField(model=Topic)
    customer = TenantPrimaryKeyRelatedField(model=Customer, required=False, allow_null=True,
                                            default=None,
                                            help_text="null: a caller not in the database.")
    at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                   help_text="The moment of the contact; default: now.")


class DecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=RoutingAction.choices,
        help_text="What happens now (queue_or_case is resolved to queue or case).")
    rule = serializers.IntegerField(source="rule_id", allow_null=True,
                                    help_text="The rule that decided; null: none matched.")
    rule_action = serializers.CharField(help_text="The rule's action as configured.")
    window = serializers.ChoiceField(choices=[("business", "business"),
                                              ("outside", "outside"),
                                              ("weekend", "weekend")])
    queue = serializers.IntegerField(source="queue_id", allow_null=True)
    extension = serializers.CharField()
    case_type = serializers.IntegerField(source="case_type_id", allow_null=True)
    case_queue = serializers.IntegerField(source="case_queue_id", allow_null=True)
    target = serializers.CharField()
    explanation = serializers.CharField()
