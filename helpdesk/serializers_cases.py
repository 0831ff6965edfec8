"""Serializers of the cases part's API: they parse; the services validate (the same
``case_data_clean`` the staff form uses) and their errors come back as 400s by field."""

from rest_framework import serializers

from core.api import TenantPrimaryKeyRelatedField
from helpdesk.models import (
    Case,
    CaseAttachment,
    CaseComment,
    CaseField,
    CaseJournal,
    CaseSource,
    CaseStatus,
    CaseType,
    CommentSource,
    FieldKind,
    JournalKind,
    Priority,
    Queue,
    Topic,
)


def _values(choices) -> str:
    return ", ".join(str(v) for v, _label in choices)


# Choice fields as plain text/integers with their values in the help text: the names
# "status", "kind", "source" and "priority" are taken by other apps' enums in the schema.
def _text(choices, **kw):
    return serializers.CharField(help_text=f"One of: {_values(choices)}.", **kw)


def _priority(**kw):
    return serializers.IntegerField(help_text=f"One of: {_values(Priority.choices)} "
                                              "(low … urgent).", **kw)


class CaseFieldSerializer(serializers.ModelSerializer):
    kind = _text(FieldKind.choices, read_only=True)

    class Meta:
        model = CaseField
        fields = ["id", "key", "label", "kind", "required", "choices", "help_text",
                  "position", "is_active"]
        read_only_fields = fields


class CaseTypeSerializer(serializers.ModelSerializer):
    case_fields = CaseFieldSerializer(source="fields", many=True, read_only=True)
    default_priority = _priority(read_only=True)

    class Meta:
        model = CaseType
        fields = ["id", "name", "description", "is_active", "panel_visible",
                  "default_queue", "default_priority", "position", "case_fields"]
        read_only_fields = fields


class CaseTypeInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=250, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False, default=True)
    panel_visible = serializers.BooleanField(required=False, default=False)
    default_queue = TenantPrimaryKeyRelatedField(model=Queue, required=False, allow_null=True)
    default_priority = _priority(required=False)
    position = serializers.IntegerField(min_value=0, max_value=100_000, required=False)


class CaseFieldInputSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=50, required=False, allow_blank=True)
    label = serializers.CharField(max_length=100)
    kind = _text(FieldKind.choices, max_length=10)
    required = serializers.BooleanField(required=False, default=False)
    choices = serializers.ListField(child=serializers.CharField(max_length=100),
                                    required=False, max_length=200)
    help_text = serializers.CharField(max_length=250, required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    is_active = serializers.BooleanField(required=False, default=True)


class QueueSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = Queue
        fields = ["id", "name", "description", "extension", "is_active", "position",
                  "members"]
        read_only_fields = fields

    def get_members(self, queue) -> list[int]:
        return sorted(m.user_id for m in queue.memberships.all())


class QueueInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=250, required=False, allow_blank=True)
    extension = serializers.CharField(max_length=20, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False, default=True)
    position = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    members = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                    required=False, max_length=1000,
                                    help_text="Staff user ids; the queue's members exactly.")


class CaseSerializer(serializers.ModelSerializer):
    is_returned = serializers.BooleanField(read_only=True)
    status = _text(CaseStatus.choices, read_only=True)
    priority = _priority(read_only=True)
    source = _text(CaseSource.choices, read_only=True)
    # Plain text, not ``format: email``: a case without a contact e-mail answers "".
    contact_email = serializers.CharField(read_only=True, help_text=(
        "The contact's e-mail address; empty when none was given."))

    class Meta:
        model = Case
        fields = ["id", "number", "case_type", "title", "description", "priority", "topic",
                  "customer", "contact_name", "contact_phone", "contact_email", "status",
                  "queue", "owner", "created_by", "source", "interaction", "data",
                  "is_returned", "returned_reason", "returned_at", "created_at",
                  "updated_at", "first_response_at", "resolved_at", "closed_at",
                  "sla_first_response_due", "sla_resolution_due", "sla_breached"]
        read_only_fields = fields


class CaseCreateSerializer(serializers.Serializer):
    case_type = TenantPrimaryKeyRelatedField(model=CaseType)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    queue = TenantPrimaryKeyRelatedField(model=Queue, required=False, allow_null=True)
    priority = _priority(required=False)
    topic = TenantPrimaryKeyRelatedField(model=Topic, required=False, allow_null=True)
    customer = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    contact_email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    data = serializers.DictField(required=False,
                                 help_text="The type's fields: {key: value}.")

    def validate_customer(self, value):
        if value is None:
            return None
        from customers.models import Customer

        customer = Customer.objects.filter(pk=value).first()
        if customer is None:
            raise serializers.ValidationError("Unknown customer.")
        return customer


class CaseUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    priority = _priority(required=False)
    case_type = TenantPrimaryKeyRelatedField(model=CaseType, required=False)
    topic = TenantPrimaryKeyRelatedField(model=Topic, required=False, allow_null=True)
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    contact_email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    data = serializers.DictField(required=False)


class CaseSendSerializer(serializers.Serializer):
    queue = TenantPrimaryKeyRelatedField(model=Queue)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class CaseReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CaseCompleteSerializer(serializers.Serializer):
    data = serializers.DictField()


class CaseStatusSerializer(serializers.Serializer):
    status = _text(CaseStatus.choices, max_length=12)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class CaseCommentSerializer(serializers.ModelSerializer):
    source = _text(CommentSource.choices, read_only=True)

    class Meta:
        model = CaseComment
        fields = ["id", "author", "by_customer", "body", "is_public", "source", "created_at"]
        read_only_fields = fields


class CaseCommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20_000)
    is_public = serializers.BooleanField(required=False, default=True)


class CaseAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseAttachment
        fields = ["id", "comment", "name", "content_type", "size", "is_public",
                  "uploaded_by", "created_at"]
        read_only_fields = fields


class CaseAttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    is_public = serializers.BooleanField(required=False, default=True)


class CaseJournalSerializer(serializers.ModelSerializer):
    kind = _text(JournalKind.choices, read_only=True)

    class Meta:
        model = CaseJournal
        fields = ["id", "kind", "actor", "by_customer", "data", "created_at"]
        read_only_fields = fields
