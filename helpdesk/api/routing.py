"""``/api/v1/helpdesk-routing-rules/``: the tenant's routing rules.

List (in evaluation order; filter by ``is_active``, ``action``), read, create, change
(the same checks as the settings page), ``deactivate``, ``move`` (up/down), ``reorder``
(every rule once), and ``decide``: the decision for a topic, a caller (or a zero client)
and a moment — what the TOK save would do.
"""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantViewSet

from ..models import RoutingAction, RoutingRule
from ..routing import route_decide
from ..selectors.routing import routing_rule_list
from ..serializers_routing import (
    DecisionSerializer,
    RoutingDecideInputSerializer,
    RoutingMoveSerializer,
    RoutingReorderSerializer,
    RoutingRuleInputSerializer,
    RoutingRuleSerializer,
    RoutingRuleUpdateSerializer,
)
from ..services import routing as services


class RoutingRuleFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()
    action = django_filters.ChoiceFilter(choices=RoutingAction.choices)

    class Meta:
        model = RoutingRule
        fields = ["is_active", "action"]


@extend_schema_view(
    create=extend_schema(request=RoutingRuleInputSerializer,
                         responses={201: RoutingRuleSerializer}),
    partial_update=extend_schema(request=RoutingRuleUpdateSerializer,
                                 responses=RoutingRuleSerializer),
)
class RoutingRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Routing rules, tried in order when an interaction is saved."""

    model = RoutingRule
    serializer_class = RoutingRuleSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = RoutingRuleFilter
    action_permissions = {
        "deactivate": ["helpdesk.change_routingrule"],
        "move": ["helpdesk.change_routingrule"],
        "reorder": ["helpdesk.change_routingrule"],
        "decide": ["helpdesk.view_routingrule"],
    }

    def scoped_queryset(self):
        # The list needs only ids of related rows: no joins.
        return routing_rule_list().select_related(None)

    def create(self, request):
        data = self.parsed(RoutingRuleInputSerializer)
        return self.respond(services.routing_rule_create(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        rule = self.get_object()  # first: another tenant's rule is a 404, not a 400
        data = self.parsed(RoutingRuleUpdateSerializer, partial=True)
        return self.respond(services.routing_rule_update(actor=request.user, rule=rule,
                                                         **data), status.HTTP_200_OK)

    @extend_schema(request=None, responses=RoutingRuleSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Switch the rule off (routing skips it; history keeps it)."""
        rule = services.routing_rule_deactivate(actor=request.user, rule=self.get_object())
        return self.respond(rule, status.HTTP_200_OK)

    @extend_schema(request=RoutingMoveSerializer, responses=RoutingRuleSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """One place up (tried earlier) or down."""
        rule = self.get_object()
        data = self.parsed(RoutingMoveSerializer)
        rule = services.routing_rule_move(actor=request.user, rule=rule, **data)
        return self.respond(rule, status.HTTP_200_OK)

    @extend_schema(request=RoutingReorderSerializer,
                   responses=RoutingRuleSerializer(many=True))
    @action(detail=False, methods=["post"])
    def reorder(self, request):
        """Put every rule in the given order."""
        data = self.parsed(RoutingReorderSerializer)
        rules = services.routing_rules_reorder(actor=request.user, **data)
        return Response(RoutingRuleSerializer(rules, many=True).data)

    @extend_schema(request=RoutingDecideInputSerializer, responses=DecisionSerializer)
    @action(detail=False, methods=["post"])
    def decide(self, request):
        """The decision for a topic, a caller and a moment (nothing is saved)."""
        data = self.parsed(RoutingDecideInputSerializer)
        decision = route_decide(topic=data["topic"], customer=data["customer"],
                                at=data["at"])
        return Response(DecisionSerializer(decision).data)


def register(router) -> None:
    router.register("helpdesk-routing-rules", RoutingRuleViewSet,
                    basename="helpdesk-routing-rule")
