"""API shapes of the RADIUS app.

Read serializers render rows the selectors loaded (no queries of their own); input
serializers only parse, every write goes to one service. A NAS's shared secret is never
read back through the API; a login's password is, as the card shows it.
"""

from rest_framework import serializers

from core.api import TenantPrimaryKeyRelatedField
from core.validation import NOTE_MAX_LENGTH
from customers.models import Address, Customer
from finance.models import Subscription

from .models import IpPool, Login, LoginAttribute, Nas, NasKind, RadiusSession


class NasSerializer(serializers.ModelSerializer):
    class Meta:
        model = Nas
        fields = ["id", "name", "ip", "kind", "coa_port", "created_at"]
        read_only_fields = fields


class NasInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    ip = serializers.CharField(max_length=45)
    secret = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    kind = serializers.ChoiceField(choices=NasKind.choices, required=False)
    coa_port = serializers.IntegerField(required=False)


class IpPoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = IpPool
        fields = ["id", "name", "network", "range_start", "range_end", "gateway",
                  "ipv6_prefix", "ipv6_prefix_length", "created_at"]
        read_only_fields = fields


class IpPoolInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    network = serializers.CharField(max_length=18)
    range_start = serializers.CharField(max_length=15)
    range_end = serializers.CharField(max_length=15)
    gateway = serializers.CharField(max_length=15, required=False, allow_blank=True,
                                    allow_null=True)
    ipv6_prefix = serializers.CharField(max_length=43, required=False, allow_blank=True)
    ipv6_prefix_length = serializers.IntegerField(required=False, allow_null=True)


class LoginAttributeSerializer(serializers.ModelSerializer):
    class Meta:
        model = LoginAttribute
        fields = ["attribute", "op", "value"]


class LoginAttributeInputSerializer(serializers.Serializer):
    """One extra attribute of the Access-Accept; ``op`` defaults to ``:=``."""

    attribute = serializers.CharField(max_length=64)
    op = serializers.ChoiceField(choices=LoginAttribute.Op.choices, default=LoginAttribute.Op.SET)
    value = serializers.CharField(max_length=253, trim_whitespace=False)


class LoginSerializer(serializers.ModelSerializer):
    attributes = LoginAttributeSerializer(many=True, read_only=True)

    class Meta:
        model = Login
        fields = ["id", "customer", "auth_type", "login", "password", "mac", "pool", "ip",
                  "ip_reserved", "installation_address", "subscription", "notes", "enabled",
                  "disabled_reason", "block", "block_reason", "temp_download_kbps",
                  "temp_upload_kbps", "temp_speed_until", "nases", "attributes",
                  "reload_status", "reload_at", "reload_detail", "created_at", "updated_at"]
        read_only_fields = fields


class LoginInputSerializer(serializers.Serializer):
    """The fields of ``services.login_create`` / ``login_update``; empty login or password
    on create: generated from the tenant's patterns."""

    customer = TenantPrimaryKeyRelatedField(model=Customer)
    auth_type = serializers.ChoiceField(choices=Login.AuthType.choices, required=False)
    login = serializers.CharField(max_length=64, required=False, allow_blank=True)
    password = serializers.CharField(max_length=128, required=False, allow_blank=True,
                                     trim_whitespace=False)
    mac = serializers.CharField(max_length=17, required=False, allow_blank=True)
    pool = TenantPrimaryKeyRelatedField(model=IpPool, required=False, allow_null=True)
    ip = serializers.CharField(max_length=15, required=False, allow_blank=True,
                               allow_null=True)
    ip_reserved = serializers.BooleanField(required=False)
    installation_address = TenantPrimaryKeyRelatedField(model=Address, required=False,
                                                        allow_null=True)
    subscription = TenantPrimaryKeyRelatedField(model=Subscription, required=False,
                                                allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)
    nases = TenantPrimaryKeyRelatedField(model=Nas, many=True, required=False)
    attributes = LoginAttributeInputSerializer(many=True, required=False)

    def validate_attributes(self, value):
        # A PATCH is partial all the way down, so the nested default is not applied there.
        return [(a["attribute"], a.get("op", LoginAttribute.Op.SET), a["value"])
                for a in value]


class LoginUpdateSerializer(LoginInputSerializer):
    customer = None


class LoginDisableSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class LoginBlockSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class CustomerBlockSerializer(serializers.Serializer):
    """Block every login of ``customer`` by staff, with one reason."""

    customer = TenantPrimaryKeyRelatedField(model=Customer)
    reason = serializers.CharField(max_length=200)


class CustomerUnblockSerializer(serializers.Serializer):
    customer = TenantPrimaryKeyRelatedField(model=Customer)


class LoginCountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many logins changed.")


class LoginTempSpeedSerializer(serializers.Serializer):
    """The temporary speed ("prędkość tymczasowa"), kbit/s, until a moment in the future."""

    download_kbps = serializers.IntegerField(min_value=1)
    upload_kbps = serializers.IntegerField(min_value=1)
    until = serializers.DateTimeField()


class RadiusSessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RadiusSession
        fields = ["id", "login", "nas", "nas_ip", "username", "acct_session_id", "framed_ip",
                  "calling_station_id", "started_at", "updated_at", "stopped_at",
                  "session_time", "input_bytes", "output_bytes", "terminate_cause"]
        read_only_fields = fields


class TrafficSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    download_bytes = serializers.IntegerField()
    upload_bytes = serializers.IntegerField()
    download_bps = serializers.IntegerField()
    upload_bps = serializers.IntegerField()


class RadiusKeySerializer(serializers.Serializer):
    """A FreeRADIUS key as listed: never the key itself, only its first characters."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    prefix = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)


class RadiusKeyIssuedSerializer(RadiusKeySerializer):
    """A key just created or rotated: ``key`` is shown this once and never stored."""

    key = serializers.CharField(read_only=True)


class RadiusKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class RadiusKeyRotateSerializer(serializers.Serializer):
    grace_hours = serializers.FloatField(required=False, min_value=0, max_value=24 * 90)
