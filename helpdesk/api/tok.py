"""API of the helpdesk's tok part.

``/api/v1/tok-topics/``: the topic tree (tree order), create, change, ``retire``,
``reactivate``, ``scripts`` (list, add a version). ``/api/v1/interactions/``: the list
with the staff list's filters (paged without counting), one, create (the same service as
the TOK form, routing applied), ``attach`` a zero client. ``/api/v1/call-recordings/``: a
customer's recorded calls with signed play links.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from core.api import TenantViewSet
from helpdesk import serializers_tok as s
from helpdesk.models import CallRecording, Interaction, Topic
from helpdesk.selectors import tok as selectors
from helpdesk.services import tok as services


@extend_schema_view(
    list=extend_schema(description="Every topic in tree order (a parent, then its children "
                                   "by position); retired ones too, marked.",
                       responses=s.TopicSerializer(many=True)),
    create=extend_schema(request=s.TopicInputSerializer, responses={201: s.TopicSerializer}),
    partial_update=extend_schema(request=s.TopicUpdateSerializer,
                                 responses=s.TopicSerializer),
)
class TopicViewSet(mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's TOK topics (reason → topic → detail)."""

    model = Topic
    serializer_class = s.TopicSerializer
    action_permissions = {"retire": ["helpdesk.change_topic"],
                          "reactivate": ["helpdesk.change_topic"]}

    def scoped_queryset(self):
        return Topic.objects.order_by("path")

    def list(self, request):
        page = self.paginate_queryset(selectors.topic_tree())
        return self.get_paginated_response(s.TopicSerializer(page, many=True).data)

    def create(self, request):
        data = self.parsed(s.TopicInputSerializer)
        return self.respond(services.topic_create(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        topic = self.get_object()
        data = self.parsed(s.TopicUpdateSerializer, partial=True)
        return self.respond(services.topic_update(actor=request.user, topic=topic, **data),
                            status.HTTP_200_OK)

    @extend_schema(request=None, responses=s.TopicSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """Retire the topic and its subtree (kept on old interactions)."""
        topic = self.get_object()
        services.topic_retire(actor=request.user, topic=topic)
        topic.refresh_from_db()
        return self.respond(topic, status.HTTP_200_OK)

    @extend_schema(request=None, responses=s.TopicSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        topic = services.topic_reactivate(actor=request.user, topic=self.get_object())
        return self.respond(topic, status.HTTP_200_OK)

    @extend_schema(methods=["get"], request=None, responses=s.TopicScriptVersionsSerializer)
    @extend_schema(methods=["post"], request=s.TopicScriptInputSerializer,
                   responses={201: s.TopicScriptSerializer, 200: s.TopicScriptSerializer,
                              204: OpenApiResponse(description=(
                                  "The topic has no script and the text is empty: nothing "
                                  "to add."))})
    @action(detail=True, methods=["get", "post"])
    def scripts(self, request, pk=None):
        """The script's versions, newest first; POST adds one (unchanged text: 200 with the
        current version, none added; 204 when there is no version and the text is empty)."""
        topic = self.get_object()
        if request.method == "GET":
            return Response(s.TopicScriptVersionsSerializer(
                {"topic": topic.pk, "versions": selectors.topic_script_list(topic)}).data)
        if not request.user.has_perm("helpdesk.change_topic"):
            self.permission_denied(request)
        data = self.parsed(s.TopicScriptInputSerializer)
        script = services.topic_script_save(actor=request.user, topic=topic, body=data["body"])
        if script is None:
            current = selectors.topic_script_current(topic)
            if current is None:
                return Response(status=status.HTTP_204_NO_CONTENT)
            return Response(s.TopicScriptSerializer(current).data, status=status.HTTP_200_OK)
        return Response(s.TopicScriptSerializer(script).data, status=status.HTTP_201_CREATED)


_FILTERS = [OpenApiParameter(name, OpenApiTypes.INT if kind == "int" else
                             OpenApiTypes.DATE if kind == "date" else
                             OpenApiTypes.BOOL if kind == "bool" else OpenApiTypes.STR,
                             description=text)
            for name, kind, text in (
                ("topic", "int", "A topic with its subtree."),
                ("date_from", "date", "From this local day."),
                ("date_to", "date", "To this local day, included."),
                ("channel", "str", "phone, email, panel, office, chat"),
                ("agent", "int", "The agent's user id."), ("queue", "int", "A queue's id."),
                ("customer", "int", "A customer's id."),
                ("zero", "bool", "Zero client only."))]


class SlicePagination(BasePagination):
    """Pages read as page_size + 1 rows (``core.paging.SlicePage``): no COUNT over a
    million interactions; ``has_next`` says whether to ask for the next page."""

    max_page_size = 200

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "page", "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1}, "description": "Page, from 1."},
            {"name": "page_size", "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
             "description": "Rows per page (50 when not given)."},
        ]

    def get_paginated_response_schema(self, schema):
        return {"type": "object", "required": ["page", "has_next", "results"],
                "properties": {"page": {"type": "integer"}, "has_next": {"type": "boolean"},
                               "results": schema}}


@extend_schema_view(
    list=extend_schema(parameters=_FILTERS, responses=s.InteractionSerializer(many=True)),
    create=extend_schema(request=s.InteractionInputSerializer,
                         responses={201: s.InteractionCreatedSerializer}),
)
class InteractionViewSet(mixins.RetrieveModelMixin, TenantViewSet):
    """TOK conversations: with a customer or a zero client."""

    model = Interaction
    serializer_class = s.InteractionSerializer
    # Paged by the selector without counting (a million rows): {page, has_next, results}.
    pagination_class = SlicePagination
    action_permissions = {"attach": ["helpdesk.change_interaction"]}

    def scoped_queryset(self):
        return Interaction.objects.prefetch_related("cases")

    def list(self, request):
        params = s.InteractionFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = selectors.interaction_page(params.filters(),
                                          page=params.validated_data["page"],
                                          per_page=params.validated_data["page_size"])
        return Response({"page": page.number, "has_next": page.has_next,
                         "results": s.InteractionSerializer(page.rows, many=True).data})

    def create(self, request):
        data = self.parsed(s.InteractionInputSerializer)
        interaction, case = services.interaction_create(actor=request.user, **data)
        return Response(s.InteractionCreatedSerializer(
            {"interaction": interaction, "case": case.pk if case else None}).data,
            status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AttachInputSerializer, responses=s.InteractionSerializer)
    @action(detail=True, methods=["post"])
    def attach(self, request, pk=None):
        """Attach a zero-client conversation to a customer."""
        interaction = self.get_object()
        data = self.parsed(s.AttachInputSerializer)
        return self.respond(services.interaction_attach(
            actor=request.user, interaction=interaction, customer=data["customer"]),
            status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("customer", OpenApiTypes.INT,
                                                    required=True)]),
)
class CallRecordingViewSet(mixins.ListModelMixin, TenantViewSet):
    """A customer's recorded calls, newest first, with signed play links."""

    model = CallRecording
    serializer_class = s.CallRecordingSerializer

    def scoped_queryset(self):
        if getattr(self, "action", None) != "list":
            return CallRecording.objects.all()
        params = s.RecordingFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return CallRecording.objects.filter(customer=params.validated_data["customer"]) \
            .order_by("-started_at", "-id")


def register(router) -> None:
    router.register("tok-topics", TopicViewSet, basename="tok-topic")
    router.register("interactions", InteractionViewSet, basename="interaction")
    router.register("call-recordings", CallRecordingViewSet, basename="call-recording")
