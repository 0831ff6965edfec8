"""API shapes of the warehouse's catalogue (``warehouse.api.catalog``).

Read serializers render rows the querysets loaded (no queries of their own); input
serializers only parse, every write goes to one service of ``warehouse.catalog``, which
checks the values (a refusal is a 400 naming the field). A price is read as text
(``"149.99"``, ``"149,99"``), so that ``"1e3"`` is refused rather than read as 1000; it is
answered as a string with two decimals.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from ..catalog import VAT_RATE_CHOICES
from ..models import Product, Supplier, Warehouse

MONEY = {"max_digits": 14, "decimal_places": 2}
VAT_HELP = f"The VAT rate, one of finance's: {', '.join(VAT_RATE_CHOICES)}."


def choice_input(choices, **kwargs) -> serializers.CharField:
    """A choice as input, checked by the service, so that a wrong one is named together
    with every other wrong value of the request. (Its values are listed in its help, not
    as an enum: the enum is the read serializer's, one OpenAPI component per choice set.)"""
    values = ", ".join(value for value, _label in choices)
    kwargs.setdefault("help_text", f"One of: {values}.")
    return serializers.CharField(max_length=20, **kwargs)


@extend_schema_field({"type": "string", "pattern": r"^\s*[0-9][0-9 ]*([.,][0-9]{1,2})?\s*$",
                      "example": "149.99"})
class PriceInputField(serializers.CharField):
    """A net price as text: digits, a dot or a comma and at most two decimals."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)


class OptionalBooleanField(serializers.BooleanField):
    """A yes/no that is left out when not sent — in a form-encoded body too, where DRF
    would read a missing box as false."""

    default_empty_html = empty


# --------------------------------------------------------------------------- warehouses

class WarehouseSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=Warehouse.Kind.choices, read_only=True)
    keeper_name = serializers.SerializerMethodField(help_text="The keeper's name.")

    class Meta:
        model = Warehouse
        fields = ["id", "name", "kind", "keeper", "keeper_name", "active", "created_at"]
        read_only_fields = fields

    def get_keeper_name(self, warehouse) -> str:
        keeper = warehouse.keeper
        return (keeper.get_full_name() or keeper.get_username()) if keeper else ""


class WarehouseInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = choice_input(Warehouse.Kind.choices, default=Warehouse.Kind.MAIN)
    keeper = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                      max_value=2**63 - 1,
                                      help_text="A staff user of the operator (whose van it "
                                                "is); null: nobody.")


class WarehouseUpdateSerializer(WarehouseInputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    kind = choice_input(Warehouse.Kind.choices, required=False)
    active = OptionalBooleanField(required=False, help_text=(
        "false deactivates it (refused while it holds stock), true activates it again."))


# --------------------------------------------------------------------------- suppliers

class SupplierSerializer(serializers.ModelSerializer):
    # "" when there is none: not an e-mail format the schema could promise
    email = serializers.CharField(read_only=True)

    class Meta:
        model = Supplier
        fields = ["id", "name", "tax_id", "address", "email", "phone", "created_at"]
        read_only_fields = fields


class SupplierInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    tax_id = serializers.CharField(max_length=20, required=False, allow_blank=True,
                                   help_text="A Polish NIP (\"PL\", spaces and dashes "
                                             "dropped); empty for a supplier from abroad.")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)


class SupplierUpdateSerializer(SupplierInputSerializer):
    name = serializers.CharField(max_length=200, required=False)


# --------------------------------------------------------------------------- products

class ProductSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=Product.Kind.choices, read_only=True)
    vat_rate = serializers.CharField(read_only=True, help_text=VAT_HELP)
    default_price = serializers.DecimalField(**MONEY, read_only=True)
    features = serializers.ListField(child=serializers.ChoiceField(
        choices=Product.Feature.choices), read_only=True,
                                     help_text="What each serial of it carries.")

    class Meta:
        model = Product
        fields = ["id", "name", "kind", "producer", "model", "unit", "serial_tracked",
                  "vat_rate", "default_price", "features", "active", "created_at"]
        read_only_fields = fields


class ProductInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = choice_input(Product.Kind.choices)
    producer = serializers.CharField(max_length=100, required=False, allow_blank=True)
    model = serializers.CharField(max_length=100, required=False, allow_blank=True)
    unit = serializers.CharField(max_length=10, required=False, help_text=(
        "Left out: szt. (m for cable)."))
    serial_tracked = OptionalBooleanField(required=False, help_text=(
        "Kept serial by serial; left out: so for ONT/ONU, router, STB decoder and switch."))
    vat_rate = serializers.CharField(max_length=6, default="23", help_text=VAT_HELP)
    default_price = PriceInputField(default="0", help_text="Net, e.g. \"149.99\".")
    features = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, max_length=10,
        help_text="What each serial carries: mac, gpon_serial, firmware. Left out: the "
                  "type's (an ONT its GPON serial and MAC, a router or a decoder its MAC).")


class ProductUpdateSerializer(ProductInputSerializer):
    name = serializers.CharField(max_length=200, required=False)
    kind = choice_input(Product.Kind.choices, required=False)
    vat_rate = serializers.CharField(max_length=6, required=False, help_text=VAT_HELP)
    default_price = PriceInputField(required=False, help_text="Net, e.g. \"149.99\".")
    serial_tracked = OptionalBooleanField(required=False, help_text=(
        "Refused to change once the product has stock or documents."))
    active = OptionalBooleanField(required=False)
