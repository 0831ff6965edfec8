"""API shapes of the SLA settings. Input serializers only parse; the services check."""

from rest_framework import serializers

from core.api import TenantPrimaryKeyRelatedField

from .models import BusinessDay, CaseType, Holiday, Priority, SlaTarget, Weekday
from .services.sla import MINUTES_MAX


class BusinessDaySerializer(serializers.ModelSerializer):
    weekday_display = serializers.CharField(source="get_weekday_display", read_only=True)

    class Meta:
        model = BusinessDay
        fields = ["weekday", "weekday_display", "opens", "closes"]
        read_only_fields = fields


class BusinessDayInputSerializer(serializers.Serializer):
    weekday = serializers.ChoiceField(choices=Weekday.choices)
    opens = serializers.TimeField()
    closes = serializers.TimeField(help_text="23:59 means until midnight.")


class BusinessHoursInputSerializer(serializers.Serializer):
    days = BusinessDayInputSerializer(many=True, max_length=7,
                                      help_text="The open days; a weekday left out is closed.")

    def validate_days(self, days):
        weekdays = [d["weekday"] for d in days]
        if len(set(weekdays)) != len(weekdays):
            raise serializers.ValidationError("Each weekday at most once.")
        return days


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["id", "date", "name", "closed"]
        read_only_fields = fields


class HolidayInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                 default="", help_text="Empty on a public holiday: its name.")
    closed = serializers.BooleanField(required=False, default=True,
                                      help_text="False: a public holiday the tenant works on.")


class HolidayUpdateSerializer(serializers.Serializer):
    date = serializers.DateField(required=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    closed = serializers.BooleanField(required=False)


class PublicHolidaySerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField()
    worked = serializers.BooleanField(help_text="The tenant works on this day.")


class PublicHolidaysSerializer(serializers.Serializer):
    """One year's public holidays: an object, not a bare array (at most ~14 days)."""

    year = serializers.IntegerField()
    holidays = PublicHolidaySerializer(many=True, help_text="In date order.")


class SlaTargetSerializer(serializers.ModelSerializer):
    case_type_name = serializers.CharField(source="case_type.name", read_only=True)
    priority_display = serializers.CharField(source="get_priority_display", read_only=True)

    class Meta:
        model = SlaTarget
        fields = ["id", "case_type", "case_type_name", "priority", "priority_display",
                  "first_response_minutes", "resolution_minutes"]
        read_only_fields = fields


class SlaTargetInputSerializer(serializers.Serializer):
    case_type = TenantPrimaryKeyRelatedField(model=CaseType)
    priority = serializers.ChoiceField(choices=Priority.choices)
    first_response_minutes = serializers.IntegerField(min_value=1, max_value=MINUTES_MAX)
    resolution_minutes = serializers.IntegerField(min_value=1, max_value=MINUTES_MAX)


class SlaTargetUpdateSerializer(serializers.Serializer):
    first_response_minutes = serializers.IntegerField(min_value=1, max_value=MINUTES_MAX,
                                                      required=False)
    resolution_minutes = serializers.IntegerField(min_value=1, max_value=MINUTES_MAX,
                                                  required=False)
