"""API shapes of the VoIP app (``voip.api``).

Read serializers render rows the API's querysets loaded (no queries of their own); input
serializers only parse, every write goes to one service of ``voip.services`` or
``voip.catalog``, which check the values (a refusal is a 400 naming the field).

Numbers are stored as E.164 digits and shown as ``+48…``; money is a string with two
decimals (prices per minute and connection fees keep their four). A phone's SIP password
and voicemail PIN are never read back: a generated password is in the answer that created
it, once (``VoipPhoneCreatedSerializer``).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import TenantPrimaryKeyRelatedField
from customers.models import Customer

from .models import (
    NUMBER_MIN_DIGITS,
    BillingGroup,
    Call,
    NumberRange,
    PhoneNumber,
    PrepaidEntry,
    PriceList,
    PriceRule,
    VoipPhone,
)

MONEY = {"max_digits": 14, "decimal_places": 2}
PRICE = {"max_digits": 12, "decimal_places": 4}
# What staff type as a number: "+48 22 300 00 00", "0048…", "22 300 00 00".
NUMBER_INPUT = {"max_length": 40}


def e164(digits) -> str:
    """Stored E.164 digits as ``+48…``; what is not a public number (an extension, ``s``)
    as it was dialled."""
    text = str(digits)
    if text.isascii() and text.isdigit() and len(text) >= NUMBER_MIN_DIGITS:
        return f"+{text}"
    return text


@extend_schema_field({"type": "string", "example": "+48223000000"})
class E164Field(serializers.Field):
    """A number read out in international form, ``+`` and its digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return e164(value)


# --------------------------------------------------------------------------- numbering

class NumberRangeSerializer(serializers.ModelSerializer):
    first = E164Field()
    last = E164Field()
    size = serializers.IntegerField(read_only=True, help_text="How many numbers it holds.")
    free = serializers.IntegerField(read_only=True, help_text="Numbers that can be assigned "
                                                              "now (free, or their quarantine "
                                                              "over).")

    class Meta:
        model = NumberRange
        fields = ["id", "name", "first", "last", "size", "free", "created_at"]
        read_only_fields = fields


class NumberRangeInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    first = serializers.CharField(**NUMBER_INPUT, help_text="The first number, e.g. "
                                                            "+48 22 300 00 00.")
    last = serializers.CharField(**NUMBER_INPUT, help_text="The last number, of the same "
                                                           "length; at most 100 000 in all.")


class PhoneNumberSerializer(serializers.ModelSerializer):
    number = E164Field()
    phone = serializers.SerializerMethodField(help_text="The phone it is assigned to.")

    class Meta:
        model = PhoneNumber
        fields = ["id", "range", "number", "state", "quarantined_until", "phone"]
        read_only_fields = fields

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_phone(self, number) -> int | None:
        # The reverse one-to-one is loaded with the row (select_related): no query here.
        phone = getattr(number, "phone", None) if number.state == "assigned" else None
        return phone.pk if phone is not None else None


# --------------------------------------------------------------------------- phones

class VoipPhoneSerializer(serializers.ModelSerializer):
    """A phone as staff see it; never its SIP password or voicemail PIN."""

    number = E164Field(source="number.number")
    number_id = serializers.IntegerField(read_only=True)
    range = serializers.IntegerField(source="number.range_id", read_only=True)
    free_minute_groups = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    free_numbers = serializers.SerializerMethodField()
    has_voicemail_pin = serializers.SerializerMethodField()
    # "" when there is none: not an e-mail format the schema could promise
    voicemail_email = serializers.CharField(read_only=True)
    blocked = serializers.BooleanField(read_only=True, help_text="Blocked for debt, over "
                                                                 "the amount limit or with "
                                                                 "its prepaid balance used "
                                                                 "up.")

    class Meta:
        model = VoipPhone
        fields = ["id", "customer", "number", "number_id", "range", "exchange", "server",
                  "subscription", "billing_type", "free_minutes", "free_minute_groups",
                  "free_numbers_count", "free_numbers", "amount_limit", "notify_threshold",
                  "context", "has_voicemail_pin", "voicemail_email", "fax", "blocked_debt",
                  "blocked_limit", "blocked_prepaid", "prepaid_balance", "blocked",
                  "provisioned_at", "provision_error", "created_at"]
        read_only_fields = fields

    def get_free_numbers(self, phone) -> list[str]:
        return [e164(free.number) for free in phone.free_numbers.all()]

    def get_has_voicemail_pin(self, phone) -> bool:
        return bool(phone.voicemail_pin)


class VoipPhoneCreatedSerializer(VoipPhoneSerializer):
    password = serializers.CharField(
        source="generated_password", read_only=True, allow_null=True,
        help_text="The generated SIP password, shown this once; null when it was typed.")

    class Meta(VoipPhoneSerializer.Meta):
        fields = [*VoipPhoneSerializer.Meta.fields, "password"]
        read_only_fields = fields


class _VoipPhoneValuesSerializer(serializers.Serializer):
    """The settings ``phone_create`` and ``phone_update`` take; the service checks them."""

    billing_type = serializers.ChoiceField(choices=VoipPhone.BillingType.choices,
                                           required=False)
    free_minutes = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)
    free_minute_groups = serializers.ListField(
        child=TenantPrimaryKeyRelatedField(model=BillingGroup), required=False,
        max_length=100, help_text="Billing groups the free minutes apply to.")
    free_numbers_count = serializers.IntegerField(min_value=0, max_value=100, required=False)
    free_numbers = serializers.ListField(
        child=serializers.CharField(**NUMBER_INPUT), required=False, max_length=100,
        help_text="Numbers calls to which are free (at most free_numbers_count).")
    amount_limit = serializers.DecimalField(**MONEY, min_value=0, allow_null=True,
                                            required=False)
    notify_threshold = serializers.DecimalField(**MONEY, min_value=0, allow_null=True,
                                                required=False)
    context = serializers.CharField(max_length=40, required=False)
    voicemail_pin = serializers.CharField(max_length=10, required=False, allow_blank=True,
                                          write_only=True)
    voicemail_email = serializers.EmailField(required=False, allow_blank=True)
    fax = serializers.BooleanField(required=False)
    password = serializers.CharField(max_length=80, required=False, allow_blank=True,
                                     write_only=True, trim_whitespace=False)


class VoipPhoneCreateSerializer(_VoipPhoneValuesSerializer):
    customer = TenantPrimaryKeyRelatedField(model=Customer)
    range = TenantPrimaryKeyRelatedField(model=NumberRange,
                                         help_text="The range the number is taken from.")
    number = serializers.CharField(**NUMBER_INPUT, required=False, allow_blank=True,
                                   help_text="A free number of the range; none: the first "
                                             "free one.")
    password = serializers.CharField(
        max_length=80, required=False, allow_blank=True, write_only=True,
        trim_whitespace=False,
        help_text="The SIP password; none: a strong one is generated and answered once.")


class VoipPhoneUpdateSerializer(_VoipPhoneValuesSerializer):
    pass


class VoipPhoneBlockSerializer(serializers.Serializer):
    debt = serializers.BooleanField(required=False, help_text="Blocked for debt.")
    limit = serializers.BooleanField(required=False,
                                     help_text="Blocked over the amount limit.")

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(_("Give debt, limit or both."))
        return attrs


class PrepaidEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = PrepaidEntry
        fields = ["id", "phone", "number", "kind", "amount", "balance_after", "invoice",
                  "reference", "note", "created_at", "created_by"]
        read_only_fields = fields


class PrepaidEntryInputSerializer(serializers.Serializer):
    """A top-up (above zero) or a correction (either sign, with a note)."""

    kind = serializers.ChoiceField(choices=PrepaidEntry.Kind.choices, default="top_up")
    # as text: the service parses it (no floats, no exponents)
    amount = serializers.CharField(max_length=20, help_text="e.g. 20.00")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                      help_text="What the customer paid by.")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)
    request_token = serializers.UUIDField(required=False, help_text=(
        "A one-time token: the same request sent twice enters the money once."))


# --------------------------------------------------------------------------- prices

class BillingGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillingGroup
        fields = ["id", "name", "code"]
        read_only_fields = fields


class BillingGroupInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    code = serializers.SlugField(max_length=40, help_text="A short name the price rules "
                                                          "and free minutes use.")


class BillingGroupUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class PriceListSerializer(serializers.ModelSerializer):
    rules = serializers.IntegerField(read_only=True, source="rule_count",
                                     help_text="How many price rules it has.")

    class Meta:
        model = PriceList
        fields = ["id", "name", "valid_from", "rules", "created_at"]
        read_only_fields = fields


class PriceListInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    valid_from = serializers.DateField()
    copy_from = TenantPrimaryKeyRelatedField(model=PriceList, required=False, allow_null=True,
                                             help_text="A price list whose rules to copy.")


class PriceRuleSerializer(serializers.ModelSerializer):
    billing_group_code = serializers.CharField(source="billing_group.code", read_only=True)

    class Meta:
        model = PriceRule
        fields = ["id", "price_list", "prefix", "billing_group", "billing_group_code",
                  "price_per_minute", "first_increment", "next_increment", "connection_fee"]
        read_only_fields = fields


class PriceRuleInputSerializer(serializers.Serializer):
    """A rule of a price list; a prefix the list has already is changed, not doubled."""

    price_list = TenantPrimaryKeyRelatedField(model=PriceList)
    prefix = serializers.RegexField(r"^[0-9]{1,15}$", max_length=15,
                                    help_text="Digits of dialled E.164 numbers, e.g. 4860.")
    billing_group = TenantPrimaryKeyRelatedField(model=BillingGroup)
    price_per_minute = serializers.DecimalField(**PRICE, min_value=0)
    first_increment = serializers.IntegerField(min_value=1, max_value=3600, default=60)
    next_increment = serializers.IntegerField(min_value=1, max_value=3600, default=60)
    connection_fee = serializers.DecimalField(**PRICE, min_value=0, default=0)


class PriceRulesImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=(
        "CSV text (UTF-8), one rule a line: prefix; billing group code; price per minute "
        "[; first increment; next increment; connection fee]; an optional header line."))
    replace = serializers.BooleanField(default=False,
                                       help_text="Remove the list's other rules first.")


class PriceRulesImportedSerializer(serializers.Serializer):
    rules = serializers.IntegerField(help_text="Rules written (added or changed).")


# --------------------------------------------------------------------------- calls

class CallSerializer(serializers.ModelSerializer):
    """A rated call: what it cost and why (``reason``: priced, free_number, free_minutes,
    unanswered, no_rule, emergency — an emergency number, free —, internal — a short or
    internal number, never matched against the international prefixes, free)."""

    number = E164Field(source="phone.number.number", allow_null=True, default=None,
                       help_text="The phone's number.")
    caller = E164Field()
    destination = E164Field()

    class Meta:
        model = Call
        fields = ["id", "phone", "customer", "number", "unique_id", "caller", "destination",
                  "started_at", "seconds", "billed_seconds", "free_seconds", "amount",
                  "reason", "period", "rule", "invoice"]
        read_only_fields = fields


class CallDetailSerializer(CallSerializer):
    priced_by = serializers.DictField(
        read_only=True, help_text="The rule as it priced the call: prefix, group, "
                                  "price_per_minute, increments, connection_fee.")

    class Meta(CallSerializer.Meta):
        fields = [*CallSerializer.Meta.fields, "priced_by"]
        read_only_fields = fields


class CdrUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A CDR file in Asterisk's Master.csv layout.")


class CdrImportResultSerializer(serializers.Serializer):
    read = serializers.IntegerField(help_text="CDRs in the file.")
    rated = serializers.IntegerField(help_text="Calls rated and stored now.")
    already = serializers.IntegerField(help_text="Rated before (a file sent again).")
    unknown_phone = serializers.ListField(
        child=serializers.CharField(), help_text="Unique ids of CDRs of no phone of this "
                                                 "operator (not stored).")
    no_rule = serializers.IntegerField(help_text="Calls no price rule matched.")
    internal = serializers.IntegerField(
        help_text="Calls to short or internal numbers (extensions, emergency numbers): "
                  "free, never priced by the international prefixes.")
    out_of_range = serializers.ListField(
        child=serializers.CharField(),
        help_text="Unique ids of impossible CDRs (not rated): started before 2000, ending "
                  "more than a day ahead, answered longer than they lasted, or a dialled "
                  "number longer than 15 digits.")
    amount = serializers.DecimalField(**MONEY, help_text="The amount of the rated calls.")
    blocked = serializers.ListField(child=serializers.IntegerField(),
                                    help_text="Phones blocked now over their amount limit.")
    exhausted = serializers.ListField(child=serializers.IntegerField(),
                                      help_text="Prepaid phones blocked now: their balance "
                                                "ran out.")
