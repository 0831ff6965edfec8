"""API of the helpdesk's reports part: the figures of the staff page's tables as JSON.

``GET /api/v1/helpdesk/reports/<table>/?date_from=&date_to=`` (both days included, local
time; none: the last 30 days; at most 366 days), ``<table>`` one of ``queue-load``,
``sla``, ``topics-daily``, ``handling-topic``, ``handling-agent``, ``case-times``.
Reading needs ``helpdesk.view_case``.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantViewSet

from ..forms_reports import ReportPeriodForm
from ..models import Case
from ..selectors import reports

PERIOD = [
    OpenApiParameter("date_from", OpenApiTypes.DATE,
                     description="First day (YYYY-MM-DD), included. Default: 29 days "
                                 "before date_to."),
    OpenApiParameter("date_to", OpenApiTypes.DATE,
                     description="Last day (YYYY-MM-DD), included. Default: today."),
]


class PeriodSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()


class QueueLoadRowSerializer(serializers.Serializer):
    queue_id = serializers.IntegerField(allow_null=True)
    queue = serializers.CharField()
    created = serializers.IntegerField(help_text="Cases created in the period.")
    resolved = serializers.IntegerField(help_text="Cases resolved in the period.")
    open_at_end = serializers.IntegerField(
        help_text="Created before the end of the period, neither resolved nor closed by then.")


class QueueLoadSerializer(PeriodSerializer):
    rows = QueueLoadRowSerializer(many=True)
    total = QueueLoadRowSerializer()


class SlaRowSerializer(serializers.Serializer):
    queue = serializers.CharField()
    case_type = serializers.CharField()
    resolved = serializers.IntegerField(help_text="Cases resolved in the period.")
    met = serializers.IntegerField(help_text="Resolved at or before the resolution due moment.")
    breached = serializers.IntegerField(help_text="Resolved after the due moment.")
    without_target = serializers.IntegerField(help_text="Resolved without a resolution target.")
    percent = serializers.FloatField(allow_null=True,
                                     help_text="met / (met + breached) × 100; null: no target.")


class SlaSerializer(PeriodSerializer):
    rows = SlaRowSerializer(many=True)
    total = SlaRowSerializer()


class TopicDailyRowSerializer(serializers.Serializer):
    topic_id = serializers.IntegerField()
    topic = serializers.CharField(help_text='The topic with its ancestors, "reason › topic".')
    counts = serializers.ListField(child=serializers.IntegerField(),
                                   help_text="Interactions on each day of ``days``.")
    total = serializers.IntegerField()


class TopicDailySerializer(PeriodSerializer):
    days = serializers.ListField(child=serializers.DateField())
    rows = TopicDailyRowSerializer(many=True)
    day_totals = serializers.ListField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class HandlingRowSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True, help_text="The topic's or agent's id.")
    name = serializers.CharField()
    interactions = serializers.IntegerField()
    timed = serializers.IntegerField(help_text="Interactions with a duration.")
    total_seconds = serializers.IntegerField()
    average_seconds = serializers.FloatField(allow_null=True)


class HandlingSerializer(PeriodSerializer):
    rows = HandlingRowSerializer(many=True)
    total = HandlingRowSerializer()


class CaseTimesRowSerializer(serializers.Serializer):
    case_type = serializers.CharField(help_text='"" on the total row.')
    created = serializers.IntegerField()
    responded = serializers.IntegerField()
    first_response_seconds = serializers.FloatField(allow_null=True)
    resolved = serializers.IntegerField()
    resolution_seconds = serializers.FloatField(allow_null=True)


class CaseTimesSerializer(PeriodSerializer):
    rows = CaseTimesRowSerializer(many=True)


class ReportViewSet(TenantViewSet):
    """The call-centre reports of a period."""

    model = Case
    pagination_class = None

    def _period(self) -> reports.Period:
        form = ReportPeriodForm(self.request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(
                {name: [e["message"] for e in errors]
                 for name, errors in form.errors.get_json_data().items()})
        return form.period()

    def _answer(self, serializer_class, period, **data) -> Response:
        return Response(serializer_class({"date_from": period.date_from,
                                          "date_to": period.date_to, **data}).data)

    @extend_schema(parameters=PERIOD, responses=QueueLoadSerializer)
    @action(detail=False, methods=["get"], url_path="queue-load")
    def queue_load(self, request):
        """Per queue: created, resolved, open at the end of the period."""
        period = self._period()
        rows = reports.queue_load(period)
        return self._answer(QueueLoadSerializer, period, rows=rows,
                            total=reports.queue_load_total(rows))

    @extend_schema(parameters=PERIOD, responses=SlaSerializer)
    @action(detail=False, methods=["get"])
    def sla(self, request):
        """Per queue and case type: resolved within the SLA and breached."""
        period = self._period()
        rows = reports.sla_compliance(period)
        return self._answer(SlaSerializer, period, rows=rows, total=reports.sla_total(rows))

    @extend_schema(parameters=PERIOD, responses=TopicDailySerializer)
    @action(detail=False, methods=["get"], url_path="topics-daily")
    def topics_daily(self, request):
        """Interactions per topic per local day."""
        period = self._period()
        data = reports.interactions_per_topic_day(period)
        return self._answer(TopicDailySerializer, period, days=data.days, rows=data.rows,
                            day_totals=data.day_totals, total=data.total)

    @extend_schema(parameters=PERIOD, responses=HandlingSerializer)
    @action(detail=False, methods=["get"], url_path="handling-topic")
    def handling_topic(self, request):
        """Average interaction duration per topic."""
        period = self._period()
        rows = reports.handling_per_topic(period)
        return self._answer(HandlingSerializer, period, rows=rows,
                            total=reports.handling_total(rows))

    @extend_schema(parameters=PERIOD, responses=HandlingSerializer)
    @action(detail=False, methods=["get"], url_path="handling-agent")
    def handling_agent(self, request):
        """Average interaction duration per agent (``key`` null: no agent)."""
        period = self._period()
        rows = reports.handling_per_agent(period)
        return self._answer(HandlingSerializer, period, rows=rows,
                            total=reports.handling_total(rows))

    @extend_schema(parameters=PERIOD, responses=CaseTimesSerializer)
    @action(detail=False, methods=["get"], url_path="case-times")
    def case_times(self, request):
        """Per case type, of the cases created in the period: average time to the first
        response and to resolution (seconds, wall-clock); the total row last."""
        period = self._period()
        return self._answer(CaseTimesSerializer, period, rows=reports.case_times(period))


def register(router) -> None:
    router.register("helpdesk/reports", ReportViewSet, basename="helpdesk-report")
