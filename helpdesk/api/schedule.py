"""API of the helpdesk's schedule part ("Terminarz").

``/api/v1/event-types/``: the tenant's event types (the default five on first use);
``/api/v1/events/``: events — list with filters (type, staff, customer, period, state),
read, create, change (``PATCH``), and the actions ``move``, ``close`` (with a note) and
``reopen``. Refusals are 400s naming the fields, as the forms show them.
"""

import django_filters
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from core.api import TenantViewSet

from ..models import Event, EventStaff, EventType
from ..serializers_schedule import (
    EventCloseSerializer,
    EventInputSerializer,
    EventMoveSerializer,
    EventSerializer,
    EventTypeInputSerializer,
    EventTypeSerializer,
    EventUpdateSerializer,
)
from ..services import schedule as services


@extend_schema_view(
    create=extend_schema(request=EventTypeInputSerializer, responses={201: EventTypeSerializer}),
    partial_update=extend_schema(request=EventTypeInputSerializer(partial=True),
                                 responses=EventTypeSerializer),
)
class EventTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's scheduler event types."""

    model = EventType
    serializer_class = EventTypeSerializer

    def scoped_queryset(self):
        return EventType.objects.order_by("position", "name", "id")

    def list(self, request, *args, **kwargs):
        services.event_types_seed()
        return super().list(request, *args, **kwargs)

    def create(self, request):
        data = self.parsed(EventTypeInputSerializer)
        return self.respond(services.event_type_create(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        event_type = self.get_object()
        data = self.parsed(EventTypeInputSerializer, partial=True)
        return self.respond(services.event_type_update(
            actor=request.user, event_type=event_type, **data), status.HTTP_200_OK)


class EventFilter(django_filters.FilterSet):
    event_type = django_filters.NumberFilter(field_name="event_type_id")
    staff = django_filters.NumberFilter(field_name="assignments__user_id",
                                        label="Assigned to this user id")
    customer = django_filters.NumberFilter(field_name="customer_id")
    case = django_filters.NumberFilter(field_name="case_id")
    is_closed = django_filters.BooleanFilter()
    starts_after = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["event_type", "staff", "customer", "case", "is_closed"]


@extend_schema_view(
    create=extend_schema(request=EventInputSerializer, responses={201: EventSerializer}),
    partial_update=extend_schema(request=EventUpdateSerializer, responses=EventSerializer),
)
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Scheduler events, soonest first."""

    model = Event
    serializer_class = EventSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = EventFilter
    action_permissions = {"move": ["helpdesk.change_event"],
                          "close": ["helpdesk.change_event"],
                          "reopen": ["helpdesk.change_event"]}

    def scoped_queryset(self):
        # Queries of a page: the count, the rows, their assignees.
        return Event.objects.order_by("starts_at", "id").prefetch_related(
            Prefetch("assignments", queryset=EventStaff.objects.only("id", "event_id",
                                                                     "user_id")),
        ).select_related("address")

    def create(self, request):
        data = self.parsed(EventInputSerializer)
        return self.respond(services.event_create(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        event = self.get_object()
        data = self.parsed(EventUpdateSerializer, partial=True)
        services.event_update(actor=request.user, event=event, **data)
        return self.respond(self.get_object(), status.HTTP_200_OK)

    @extend_schema(request=EventMoveSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Another time (and optionally duration and staff) for an open event."""
        event = self.get_object()
        data = self.parsed(EventMoveSerializer)
        services.event_move(actor=request.user, event=event, **data)
        return self.respond(self.get_object(), status.HTTP_200_OK)

    @extend_schema(request=EventCloseSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close an open event with a note saying how it went."""
        event = self.get_object()
        data = self.parsed(EventCloseSerializer)
        services.event_close(actor=request.user, event=event, note=data["note"])
        return self.respond(self.get_object(), status.HTTP_200_OK)

    @extend_schema(request=None, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Open a closed event again."""
        services.event_reopen(actor=request.user, event=self.get_object())
        return self.respond(self.get_object(), status.HTTP_200_OK)


def register(router) -> None:
    router.register("event-types", EventTypeViewSet, basename="event-type")
    router.register("events", EventViewSet, basename="event")

