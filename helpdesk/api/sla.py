"""API of the helpdesk's sla part (under /api/v1/):

- ``helpdesk-business-hours/``: the week (GET; the default Monday–Friday 8–16 when none
  is set, ``configured`` false) and POST to replace it;
- ``helpdesk-holidays/``: the tenant's days off and worked public holidays (filter
  ``year``), and ``public/?year=`` the Polish public holidays of a year (one object:
  ``year`` and its ``holidays``);
- ``helpdesk-sla-targets/``: targets per case type and priority (filter ``case_type``,
  ``priority``).

Everything is checked by the same services as the staff pages (400 with field names).
"""

import django_filters
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from core.api import TenantViewSet
from core.schema import OneObjectSchema

from ..business_time import DEFAULT_HOURS, YEAR_MAX, YEAR_MIN, calendar_get
from ..models import BusinessDay, Holiday, Priority, SlaTarget, Weekday
from ..serializers_sla import (
    BusinessHoursInputSerializer,
    HolidayInputSerializer,
    HolidaySerializer,
    HolidayUpdateSerializer,
    PublicHolidaysSerializer,
    SlaTargetInputSerializer,
    SlaTargetSerializer,
    SlaTargetUpdateSerializer,
)
from ..services import sla as services


class BusinessHoursSerializer(serializers.Serializer):
    configured = serializers.BooleanField(help_text="False: the default hours apply.")
    days = serializers.ListField(child=serializers.DictField(), help_text=(
        "Open days: weekday (0 = Monday), opens, closes (HH:MM:SS; 23:59 = until midnight)."))


def _week() -> dict:
    rows = list(BusinessDay.objects.order_by("weekday"))
    hours = ({d.weekday: (d.opens, d.closes) for d in rows} if rows else DEFAULT_HOURS)
    return {"configured": bool(rows), "days": [
        {"weekday": wd, "weekday_display": str(Weekday(wd).label),
         "opens": opens.isoformat(), "closes": closes.isoformat()}
        for wd, (opens, closes) in sorted(hours.items())]}


@extend_schema_view(
    list=extend_schema(responses=BusinessHoursSerializer,
                       description="The week of business hours."),
    create=extend_schema(request=BusinessHoursInputSerializer,
                         responses=BusinessHoursSerializer,
                         description="Replace the week; at least one day open."),
)
class BusinessHoursViewSet(TenantViewSet):
    model = BusinessDay
    serializer_class = BusinessHoursSerializer
    pagination_class = None
    schema = OneObjectSchema()  # GET on the collection answers the one week, not a list
    action_permissions = {"create": ["helpdesk.change_businessday"]}

    def list(self, request):
        return Response(_week())

    def create(self, request):
        data = self.parsed(BusinessHoursInputSerializer)
        services.business_hours_set(actor=request.user, hours={
            d["weekday"]: (d["opens"], d["closes"]) for d in data["days"]})
        return Response(_week(), status=status.HTTP_200_OK)


class HolidayFilter(django_filters.FilterSet):
    # Bounded like the calendar: a year out of range is a 400, not an overflow (a 500).
    year = django_filters.NumberFilter(
        field_name="date", lookup_expr="year", min_value=YEAR_MIN, max_value=YEAR_MAX,
        decimal_places=0, label=f"Year, {YEAR_MIN}–{YEAR_MAX}.")
    closed = django_filters.BooleanFilter()

    class Meta:
        model = Holiday
        fields = ["year", "closed"]


def _year_param(request) -> int:
    raw = request.query_params.get("year") or str(timezone.localdate().year)
    try:
        year = int(raw)
    except ValueError:
        year = None
    if year is None or not (YEAR_MIN <= year <= YEAR_MAX):
        raise ApiValidationError({"year": [f"Give a year between {YEAR_MIN} and {YEAR_MAX}."]})
    return year


@extend_schema_view(
    create=extend_schema(request=HolidayInputSerializer, responses={201: HolidaySerializer}),
    partial_update=extend_schema(request=HolidayUpdateSerializer, responses=HolidaySerializer),
)
class HolidayViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's own days off and the public holidays it works on."""

    model = Holiday
    serializer_class = HolidaySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = HolidayFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_permissions = {"public": ["helpdesk.view_holiday"]}

    def scoped_queryset(self):
        return Holiday.objects.order_by("date")

    def create(self, request):
        data = self.parsed(HolidayInputSerializer)
        return self.respond(services.holiday_create(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        holiday = self.get_object()
        data = self.parsed(HolidayUpdateSerializer, partial=True)
        return self.respond(services.holiday_update(actor=request.user, holiday=holiday,
                                                    **data), status.HTTP_200_OK)

    def destroy(self, request, pk=None):
        services.holiday_delete(actor=request.user, holiday=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[OpenApiParameter("year", int, description=(
        f"{YEAR_MIN}–{YEAR_MAX}; the current year when left out."))],
        responses=PublicHolidaysSerializer, filters=False)
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def public(self, request):
        """Polish public holidays of a year, and whether the tenant works on each."""
        year = _year_param(request)
        worked = set(Holiday.objects.filter(date__year=year, closed=False)
                     .values_list("date", flat=True))
        rows = [{"date": day, "name": name, "worked": day in worked}
                for day, name in calendar_get().public_holidays(year)]
        return Response(PublicHolidaysSerializer({"year": year, "holidays": rows}).data)


class SlaTargetFilter(django_filters.FilterSet):
    case_type = django_filters.NumberFilter(field_name="case_type_id")
    priority = django_filters.TypedChoiceFilter(choices=Priority.choices, coerce=int)

    class Meta:
        model = SlaTarget
        fields = ["case_type", "priority"]


@extend_schema_view(
    create=extend_schema(request=SlaTargetInputSerializer, responses={201: SlaTargetSerializer}),
    partial_update=extend_schema(request=SlaTargetUpdateSerializer,
                                 responses=SlaTargetSerializer),
)
class SlaTargetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Time to the first response and to the resolution in business minutes, per case
    type and priority."""

    model = SlaTarget
    serializer_class = SlaTargetSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = SlaTargetFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self):
        return SlaTarget.objects.select_related("case_type").order_by(
            "case_type__position", "case_type__name", "priority", "pk")

    def create(self, request):
        data = self.parsed(SlaTargetInputSerializer)
        return self.respond(services.sla_target_create(actor=request.user, **data))

    def partial_update(self, request, pk=None):
        target = self.get_object()
        data = self.parsed(SlaTargetUpdateSerializer, partial=True)
        return self.respond(services.sla_target_update(actor=request.user, target=target,
                                                       **data), status.HTTP_200_OK)

    def destroy(self, request, pk=None):
        services.sla_target_delete(actor=request.user, target=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    router.register("helpdesk-business-hours", BusinessHoursViewSet,
                    basename="helpdesk-business-hours")
    router.register("helpdesk-holidays", HolidayViewSet, basename="helpdesk-holiday")
    router.register("helpdesk-sla-targets", SlaTargetViewSet, basename="helpdesk-sla-target")
