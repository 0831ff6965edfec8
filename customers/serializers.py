"""API shapes of the customer card.

Read serializers render rows the api module's selectors already loaded (no queries of
their own). Input serializers only parse: every write goes to one service, which does
the validating that matters (PESEL, IBAN, conflicts) and the action log. ``tenant`` is
never an input field: a forged one in a payload is simply ignored.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import TenantPrimaryKeyRelatedField
from core.models import ActionLog
from core.validation import NOTE_MAX_LENGTH

from .models import (
    Address,
    Annotation,
    AttributeType,
    AttributeValue,
    BankAccount,
    Consent,
    Customer,
    CustomerGroup,
    Email,
    Folder,
    GroupMembership,
    Phone,
    Scan,
)

# --------------------------------------------------------------------------- customer


class GroupBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerGroup
        fields = ["id", "name"]


class CustomerSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)
    groups = GroupBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id", "number", "kind", "status", "display_name", "first_name", "last_name",
            "company_name", "pesel", "nip", "regon", "id_document_type", "id_document_number",
            "spouse_first_name", "spouse_last_name", "spouse_pesel", "virtual_account",
            "groups", "created_at", "updated_at",
        ]
        read_only_fields = fields


class CustomerInputSerializer(serializers.Serializer):
    """The fields of ``services.customer_create`` / ``customer_update``."""

    number = serializers.IntegerField(required=False, min_value=1)
    kind = serializers.ChoiceField(choices=Customer.Kind.choices, required=False)
    status = serializers.ChoiceField(choices=Customer.Status.choices, required=False)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    company_name = serializers.CharField(max_length=250, required=False, allow_blank=True)
    pesel = serializers.CharField(max_length=20, required=False, allow_blank=True)
    nip = serializers.CharField(max_length=20, required=False, allow_blank=True)
    regon = serializers.CharField(max_length=20, required=False, allow_blank=True)
    id_document_type = serializers.ChoiceField(choices=Customer.IdDocumentType.choices,
                                               required=False, allow_blank=True)
    id_document_number = serializers.CharField(max_length=30, required=False,
                                               allow_blank=True)
    spouse_first_name = serializers.CharField(max_length=100, required=False,
                                              allow_blank=True)
    spouse_last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    spouse_pesel = serializers.CharField(max_length=20, required=False, allow_blank=True)


class CustomerUpdateSerializer(CustomerInputSerializer):
    """The number is given once, at creation."""

    number = None


# --------------------------------------------------------------------------- contacts


class PhoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Phone
        fields = ["id", "number", "label", "for_notifications", "for_invoices"]
        read_only_fields = fields


class PhoneInputSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=30)
    label = serializers.CharField(max_length=50, required=False, allow_blank=True)
    for_notifications = serializers.BooleanField(required=False)
    for_invoices = serializers.BooleanField(required=False)


class EmailSerializer(serializers.ModelSerializer):
    class Meta:
        model = Email
        fields = ["id", "address", "label", "for_notifications", "for_invoices"]
        read_only_fields = fields


class EmailInputSerializer(serializers.Serializer):
    # A CharField: the service says what is wrong with an address, in the user's words.
    address = serializers.CharField(max_length=254)
    label = serializers.CharField(max_length=50, required=False, allow_blank=True)
    for_notifications = serializers.BooleanField(required=False)
    for_invoices = serializers.BooleanField(required=False)


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = ["id", "kind", "granted", "given_on"]
        read_only_fields = fields


class ConsentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Consent.Kind.choices)
    granted = serializers.BooleanField()
    given_on = serializers.DateField()


# --------------------------------------------------------------------------- addresses


class AddressSerializer(serializers.ModelSerializer):
    text = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Address
        fields = ["id", "kind", "street", "building_no", "apartment_no", "postal_code", "city",
                  "country", "latitude", "longitude", "teryt_terc", "teryt_simc",
                  "teryt_ulic", "text"]
        read_only_fields = fields


class AddressInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Address.Kind.choices)
    street = serializers.CharField(max_length=150, required=False, allow_blank=True)
    building_no = serializers.CharField(max_length=20)
    apartment_no = serializers.CharField(max_length=20, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=10)
    city = serializers.CharField(max_length=100)
    country = serializers.CharField(max_length=2, required=False)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False,
                                        allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False,
                                         allow_null=True)
    teryt_terc = serializers.CharField(max_length=7, required=False, allow_blank=True)
    teryt_simc = serializers.CharField(max_length=7, required=False, allow_blank=True)
    teryt_ulic = serializers.CharField(max_length=5, required=False, allow_blank=True)


# --------------------------------------------------------------------------- attributes


class AttributeTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = AttributeType
        fields = ["id", "name", "value_type", "choices"]
        read_only_fields = fields


class AttributeTypeInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    value_type = serializers.ChoiceField(choices=AttributeType.ValueType.choices)
    choices = serializers.ListField(child=serializers.CharField(max_length=200),
                                    required=False)


class AttributeValueSerializer(serializers.ModelSerializer):
    attribute_type_name = serializers.CharField(source="attribute_type.name", read_only=True)

    class Meta:
        model = AttributeValue
        fields = ["id", "attribute_type", "attribute_type_name", "value"]
        read_only_fields = fields


class AttributeSetSerializer(serializers.Serializer):
    attribute_type = TenantPrimaryKeyRelatedField(model=AttributeType)
    value = serializers.CharField(max_length=500, allow_blank=True)


# --------------------------------------------------------------------------- folders, scans


class FolderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Folder
        fields = ["id", "name", "archive_location", "created_at"]
        read_only_fields = fields


class FolderInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    archive_location = serializers.CharField(max_length=150, required=False, allow_blank=True)


class ScanSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Scan
        fields = ["id", "folder", "original_name", "content_type", "size", "description",
                  "uploaded_by", "uploaded_at", "download_url"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_download_url(self, scan) -> str:
        return reverse("api:customer-scans-download",
                       kwargs={"customer_pk": scan.customer_id, "pk": scan.pk})


class ScanInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    folder = TenantPrimaryKeyRelatedField(model=Folder, required=False, allow_null=True)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)


# --------------------------------------------------------------------------- bank accounts


class BankAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankAccount
        fields = ["id", "iban", "description", "created_at"]
        read_only_fields = fields


class BankAccountInputSerializer(serializers.Serializer):
    iban = serializers.CharField(max_length=50)
    description = serializers.CharField(max_length=100, required=False, allow_blank=True)


# --------------------------------------------------------------------------- groups


class CustomerGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerGroup
        fields = ["id", "name", "description"]
        read_only_fields = fields


class CustomerGroupInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)


class GroupMembershipSerializer(serializers.ModelSerializer):
    group = GroupBriefSerializer(read_only=True)

    class Meta:
        model = GroupMembership
        fields = ["id", "group", "added_at"]
        read_only_fields = fields


class GroupMembershipInputSerializer(serializers.Serializer):
    group = TenantPrimaryKeyRelatedField(model=CustomerGroup)


# --------------------------------------------------------------------------- annotations


class AnnotationSerializer(serializers.ModelSerializer):
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Annotation
        fields = ["id", "text", "pinned", "created_by", "created_by_name", "created_at"]
        read_only_fields = fields

    def get_created_by_name(self, annotation) -> str:
        user = annotation.created_by
        return (user.get_full_name() or user.get_username()) if user else ""


class AnnotationInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=NOTE_MAX_LENGTH)
    pinned = serializers.BooleanField(required=False, default=False)


class AnnotationPinSerializer(serializers.Serializer):
    pinned = serializers.BooleanField()


# --------------------------------------------------------------------------- panel


class PanelAccountSerializer(serializers.Serializer):
    """What staff may know of the panel account: never a hash, never the PIN."""

    exists = serializers.BooleanField()
    login = serializers.CharField(allow_null=True)
    has_password = serializers.BooleanField()
    has_pin = serializers.BooleanField(help_text="A one-time PIN is set, unused and unexpired.")
    pin_created_at = serializers.DateTimeField(allow_null=True)
    pin_expires_at = serializers.DateTimeField(allow_null=True)
    must_change_password = serializers.BooleanField()
    locked_until = serializers.DateTimeField(allow_null=True)
    last_login_at = serializers.DateTimeField(allow_null=True)

    @staticmethod
    def from_account(account) -> dict:
        if account is None:
            return {"exists": False, "login": None, "has_password": False, "has_pin": False,
                    "pin_created_at": None, "pin_expires_at": None,
                    "must_change_password": False,
                    "locked_until": None, "last_login_at": None}
        return {"exists": True, "login": account.login,
                "has_password": bool(account.password_hash),
                "has_pin": account.pin_valid, "pin_created_at": account.pin_created_at,
                "pin_expires_at": account.pin_expires_at if account.pin_hash else None,
                "must_change_password": account.must_change_password,
                "locked_until": account.locked_until, "last_login_at": account.last_login_at}


class PanelCredentialsInputSerializer(serializers.Serializer):
    login = serializers.CharField(max_length=50)
    password = serializers.CharField(required=False, write_only=True,
                                     style={"input_type": "password"}, trim_whitespace=False)


class PanelPinSerializer(serializers.Serializer):
    pin = serializers.CharField(allow_null=True, help_text=(
        "Shown once; only its hash is kept. Null when it was sent by SMS."))
    sms_to = serializers.CharField(required=False, help_text=(
        "The phone (E.164) the PIN was sent to by SMS, when ``sms_phone`` was given."))


class PanelPinInputSerializer(serializers.Serializer):
    sms_phone = serializers.IntegerField(
        required=False, allow_null=True, default=None,
        help_text="Id of one of the customer's phones: the PIN goes there by SMS (needs "
                  "the messaging.add_message permission) and is not returned.")


# --------------------------------------------------------------------------- action log


class ActionLogChangeSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="The field's name in the request's language.")
    before = serializers.CharField(allow_null=True,
                                   help_text="The value before, in words; null when the "
                                             "change has one value (e.g. a secret changed).")
    after = serializers.CharField(help_text="The value after, in words.")


class ActionLogSerializer(serializers.ModelSerializer):
    """An entry rendered in the request's language (``Accept-Language``): ``text`` and
    ``kind_label``; ``message_id`` and ``params`` as stored, for programs."""

    actor_name = serializers.CharField(source="actor_display", read_only=True)
    kind_label = serializers.CharField(read_only=True, help_text="The kind in words.")
    text = serializers.CharField(read_only=True, help_text="What happened, in words.")
    message = serializers.CharField(source="text", read_only=True,
                                    help_text="Deprecated: the same as ``text``.")
    message_id = serializers.CharField(source="message", read_only=True,
                                       help_text="The untranslated sentence (a msgid), "
                                                 "``%(name)s`` filled from ``params``.")
    change_rows = ActionLogChangeSerializer(many=True, read_only=True,
                                            help_text="``changes`` in words.")

    class Meta:
        model = ActionLog
        fields = ["id", "at", "actor_kind", "actor_name", "kind", "kind_label", "text",
                  "message", "message_id", "params", "changes", "change_rows"]
        read_only_fields = fields
