"""API shapes of the OLTs, their ONT profiles and the ONT actions (``warehouse.api.ont``).

Read serializers render rows the querysets loaded (no queries of their own). The OLT's
secrets — the password, the enable password, the SNMP community — are input only: an
answer says whether an enable password and a community are set, never what they are.
Input serializers only parse; ``warehouse.ont`` checks every value (a name, a port or a
profile name that would cross into the OLT's CLI with a space, a line break or ``;`` is
a 400 naming the field).
"""

from rest_framework import serializers

from core.api import TenantPrimaryKeyRelatedField
from finance.models import Tariff

from ..models import Olt, OntAction, OntProfile
from ..olt_check import host_key_fingerprint
from .serializers_catalog import OptionalBooleanField, choice_input


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _secret(**kwargs) -> serializers.CharField:
    kwargs.setdefault("max_length", 255)
    return serializers.CharField(write_only=True, trim_whitespace=False,
                                 style={"input_type": "password"}, **kwargs)


# --------------------------------------------------------------------------- OLTs

class OltSerializer(serializers.ModelSerializer):
    vendor = serializers.ChoiceField(choices=Olt.Vendor.choices, read_only=True)
    has_enable_password = serializers.SerializerMethodField(
        help_text="An enable password is set (it is never answered).")
    has_snmp_community = serializers.SerializerMethodField(
        help_text="An SNMP community is set (never answered): the status is read over "
                  "SNMP first.")
    host_key_fingerprint = serializers.SerializerMethodField(
        help_text="The SHA256 fingerprint of the SSH host key kept for the OLT; \"\" until "
                  "the first connection keeps one.")
    onts_registered = serializers.IntegerField(read_only=True,
                                               help_text="ONTs registered on the OLT.")

    class Meta:
        model = Olt
        fields = ["id", "name", "vendor", "host", "ssh_port", "username", "snmp_port",
                  "active", "has_enable_password", "has_snmp_community",
                  "host_key_fingerprint", "onts_registered", "created_at"]
        read_only_fields = fields

    def get_has_enable_password(self, olt) -> bool:
        return bool(olt.enable_password)

    def get_has_snmp_community(self, olt) -> bool:
        return bool(olt.snmp_community)

    def get_host_key_fingerprint(self, olt) -> str:
        return host_key_fingerprint(olt.host_key)


class OltInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    vendor = choice_input(Olt.Vendor.choices)
    host = serializers.CharField(max_length=255, help_text=(
        "An IP address or a host name; every address it resolves to is checked (no "
        "loopback, link-local or metadata addresses)."))
    ssh_port = serializers.IntegerField(default=22)
    username = serializers.CharField(max_length=100)
    password = _secret(help_text="Kept encrypted; never answered.")
    enable_password = _secret(required=False, allow_blank=True, default="",
                              help_text="If the OLT asks for one after “enable”.")
    snmp_port = serializers.IntegerField(default=161)
    snmp_community = _secret(required=False, allow_blank=True, default="",
                             help_text="Read-only community; empty: the status is read over "
                                       "SSH.")
    active = serializers.BooleanField(default=True)


class OltUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    vendor = choice_input(Olt.Vendor.choices, required=False)
    host = serializers.CharField(max_length=255, required=False, help_text=(
        "A new address (or SSH port) forgets the kept host key and needs the password "
        "sent again."))
    ssh_port = serializers.IntegerField(required=False)
    username = serializers.CharField(max_length=100, required=False)
    password = _secret(required=False, allow_blank=True,
                       help_text="Left out or empty: it stays.")
    enable_password = _secret(required=False, allow_blank=True,
                              help_text="Left out: it stays; \"\" clears it.")
    snmp_port = serializers.IntegerField(required=False)
    snmp_community = _secret(required=False, allow_blank=True,
                             help_text="Left out: it stays; \"\" clears it.")
    active = OptionalBooleanField(required=False)
    forget_host_key = OptionalBooleanField(required=False, help_text=(
        "true: forget the kept SSH host key (the OLT was replaced); the next connection "
        "keeps the key it shows."))


# --------------------------------------------------------------------------- profiles

class OntProfileSerializer(serializers.ModelSerializer):
    tariff_name = serializers.SerializerMethodField(
        help_text="The tariff's name; \"\" for the OLT's default (any other tariff).")

    class Meta:
        model = OntProfile
        fields = ["id", "olt", "tariff", "tariff_name", "line_profile", "service_profile",
                  "vlan"]
        read_only_fields = fields

    def get_tariff_name(self, profile) -> str:
        return profile.tariff.name if profile.tariff_id else ""


class OntProfileValuesSerializer(serializers.Serializer):
    # Not trimmed: " LP" is refused by the service rather than sent as "LP".
    line_profile = serializers.CharField(max_length=200, trim_whitespace=False, help_text=(
        "As the OLT names it: letters, digits, _ . - (at most 64)."))
    service_profile = serializers.CharField(max_length=200, trim_whitespace=False,
                                            help_text="As the OLT names it.")
    vlan = serializers.IntegerField(help_text="1–4094.")


class OntProfileInputSerializer(OntProfileValuesSerializer):
    tariff = TenantPrimaryKeyRelatedField(
        model=Tariff, allow_null=True, required=False, default=None,
        help_text="The tariff it is for; null: the OLT's default for any other tariff. A "
                  "tariff that has a profile on the OLT gets it changed.")


# --------------------------------------------------------------------------- ONT actions

class ReadingSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="snmp or cli: how it was read.")
    online = serializers.BooleanField(allow_null=True, help_text="null: unknown.")
    state = serializers.CharField(help_text="The device's own word for the ONT's state.")
    rx_power_dbm = serializers.CharField(allow_null=True, help_text=(
        "Received optical power in dBm as a decimal string; null: not available."))


class OntActionSerializer(serializers.ModelSerializer):
    item_serial = serializers.CharField(source="item.serial", read_only=True)
    olt_name = serializers.CharField(source="olt.name", read_only=True)
    action = serializers.ChoiceField(choices=OntAction.Action.choices, read_only=True)
    outcome = serializers.ChoiceField(choices=OntAction.Outcome.choices, read_only=True,
                                      help_text="ok; failed: the OLT refused a command; "
                                                "timeout: it did not answer; error: no "
                                                "session (address, login, host key).")
    commands = serializers.CharField(read_only=True, help_text="Sent, one per line.")
    answer = serializers.CharField(read_only=True, help_text="What the OLT answered.")
    reading = ReadingSerializer(read_only=True, allow_null=True,
                                help_text="What a status read found (else null).")
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = OntAction
        fields = ["id", "item", "item_serial", "olt", "olt_name", "action", "outcome",
                  "message", "commands", "answer", "reading", "created_at", "created_by",
                  "created_by_name"]
        read_only_fields = fields

    def get_created_by_name(self, action) -> str:
        return _name(action.created_by)


class OntRegisterSerializer(serializers.Serializer):
    olt = TenantPrimaryKeyRelatedField(model=Olt, help_text="An active OLT of the operator.")
    port = serializers.CharField(max_length=20, trim_whitespace=False,
                                 help_text="The OLT's frame/slot/port, e.g. 0/1/0.")
    ont_id = serializers.IntegerField(help_text="The ONT's id on that port (the vendor's "
                                                "range, e.g. 0–127 on Huawei).")
