"""Serializers of the scheduler's API: they parse like the forms; the services decide."""

from rest_framework import serializers

from core.api import TenantPrimaryKeyRelatedField
from core.models import User
from customers.models import Address, Customer
from radius.models import Login

from .models import Case, Event, EventType
from .services.schedule import MAX_MINUTES, MIN_MINUTES, TEXT_MAX, TITLE_MAX


class EventTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = EventType
        fields = ["id", "name", "color", "default_minutes", "is_active", "position"]
        read_only_fields = fields


class EventTypeInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    color = serializers.CharField(max_length=7, required=False, default="#0d6efd")
    default_minutes = serializers.IntegerField(min_value=MIN_MINUTES, max_value=MAX_MINUTES,
                                               required=False, default=60)
    is_active = serializers.BooleanField(required=False, default=True)
    position = serializers.IntegerField(min_value=0, max_value=10_000, required=False,
                                        default=0)


class StaffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name()


class EventSerializer(serializers.ModelSerializer):
    staff = serializers.SerializerMethodField()
    ends_at = serializers.SerializerMethodField()
    place = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["id", "event_type", "title", "description", "starts_at", "duration_minutes",
                  "ends_at", "staff", "customer", "address", "place", "login", "case",
                  "is_closed", "closed_at", "closed_by", "close_note", "created_by",
                  "created_at", "updated_at"]
        read_only_fields = fields

    def get_staff(self, event) -> list[int]:
        return [a.user_id for a in event.assignments.all()]

    def get_ends_at(self, event) -> str:
        import datetime

        end = event.starts_at + datetime.timedelta(minutes=event.duration_minutes)
        return serializers.DateTimeField().to_representation(end)

    def get_place(self, event) -> str:
        return str(event.address) if event.address_id else ""


def _staff_field(**kwargs):
    return serializers.ListField(
        child=TenantUserField(), max_length=20, **kwargs,
        help_text="Ids of staff users of the tenant assigned to the event.")


class TenantUserField(serializers.PrimaryKeyRelatedField):
    """A user's id; whether the user works for the tenant is the service's to say (a 400
    naming the field), as the form's."""

    def __init__(self, **kwargs):
        kwargs["queryset"] = User.objects.all()
        super().__init__(**kwargs)


class EventInputSerializer(serializers.Serializer):
    event_type = TenantPrimaryKeyRelatedField(model=EventType)
    title = serializers.CharField(max_length=TITLE_MAX)
    description = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True,
                                        default="")
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(
        min_value=MIN_MINUTES, max_value=MAX_MINUTES, required=False, allow_null=True,
        default=None, help_text="Empty: the type's usual duration.")
    staff = _staff_field(required=False, default=list)
    customer = TenantPrimaryKeyRelatedField(model=Customer, required=False, allow_null=True,
                                            default=None)
    address = TenantPrimaryKeyRelatedField(model=Address, required=False, allow_null=True,
                                           default=None,
                                           help_text="One of the customer's addresses.")
    login = TenantPrimaryKeyRelatedField(model=Login, required=False, allow_null=True,
                                         default=None, help_text="One of the customer's logins.")
    case = TenantPrimaryKeyRelatedField(model=Case, required=False, allow_null=True,
                                        default=None)


class EventUpdateSerializer(serializers.Serializer):
    event_type = TenantPrimaryKeyRelatedField(model=EventType, required=False)
    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    description = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    starts_at = serializers.DateTimeField(required=False)
    duration_minutes = serializers.IntegerField(min_value=MIN_MINUTES, max_value=MAX_MINUTES,
                                                required=False)
    staff = _staff_field(required=False)
    customer = TenantPrimaryKeyRelatedField(model=Customer, required=False, allow_null=True)
    address = TenantPrimaryKeyRelatedField(model=Address, required=False, allow_null=True)
    login = TenantPrimaryKeyRelatedField(model=Login, required=False, allow_null=True)
    case = TenantPrimaryKeyRelatedField(model=Case, required=False, allow_null=True)


class EventMoveSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(min_value=MIN_MINUTES, max_value=MAX_MINUTES,
                                                required=False, allow_null=True, default=None)
    staff = _staff_field(required=False, allow_null=True, default=None)


class EventCloseSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=TEXT_MAX)
