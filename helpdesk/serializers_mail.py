"""Serializers of the helpdesk mailbox and the messages read (the mail part)."""

from rest_framework import serializers

from core.api import TenantPrimaryKeyRelatedField

from .models import CaseType, Queue
from .models.mail import HelpdeskMailbox, ImapSecurity, MailIngest

# ``security`` is checked by the service (mailbox_clean), the one rule for page and API.
SECURITY_HELP = "ssl (SSL/TLS), starttls or none (a server on loopback only)."


class HelpdeskMailboxSerializer(serializers.ModelSerializer):
    has_password = serializers.SerializerMethodField()
    security = serializers.CharField(read_only=True, help_text=SECURITY_HELP)

    class Meta:
        model = HelpdeskMailbox
        fields = ["id", "address", "host", "port", "security", "username", "has_password",
                  "folder", "is_active", "case_type", "queue", "sender_hourly_limit",
                  "uidvalidity", "last_uid", "last_polled_at", "last_error"]
        read_only_fields = fields

    def get_has_password(self, mailbox) -> bool:
        return bool(mailbox.password)


class HelpdeskMailboxInputSerializer(serializers.Serializer):
    """Checked again by ``services.mail.mailbox_clean`` (the page's rule)."""

    address = serializers.CharField(max_length=254)
    host = serializers.CharField(max_length=255)
    port = serializers.IntegerField(required=False, allow_null=True)
    security = serializers.CharField(required=False, default=ImapSecurity.SSL,
                                     max_length=10, help_text=SECURITY_HELP)
    username = serializers.CharField(max_length=255)
    password = serializers.CharField(required=False, allow_blank=True, write_only=True,
                                     trim_whitespace=False, max_length=1000,
                                     help_text="Write-only; left out or empty: unchanged.")
    folder = serializers.CharField(max_length=100, required=False, default="INBOX")
    is_active = serializers.BooleanField(required=False, default=True)
    case_type = TenantPrimaryKeyRelatedField(model=CaseType)
    queue = TenantPrimaryKeyRelatedField(model=Queue)
    sender_hourly_limit = serializers.IntegerField(required=False, default=5)


class HelpdeskMailIngestSerializer(serializers.ModelSerializer):
    case_number = serializers.IntegerField(source="case.number", read_only=True,
                                           allow_null=True, default=None)

    class Meta:
        model = MailIngest
        fields = ["id", "received_at", "uid", "sender", "subject", "outcome", "detail",
                  "case", "case_number"]
        read_only_fields = fields


class HelpdeskMailboxTestResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    detail = serializers.CharField()
