"""API shapes of the warehouse's documents, stock and serials (``warehouse.api.documents``).

Read serializers render rows the selectors loaded (no queries of their own). Input
serializers only parse the shape — which keys a line has, ids as integers, a date as a
date —; every rule of the stock (is the serial in that warehouse, is the id the tenant's,
is the quantity there) is the posting service's, which names the field it refuses
(``lines``: "Line 3: …"), so a refused document says every mistake at once. A quantity,
like a price, is read as text (``"1,5"`` or ``"1.5"``), so that ``"1e3"`` is refused
rather than read as 1000; it is answered as a string with three decimals.
"""

from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import (
    ItemMove,
    Product,
    StockDocument,
    StockDocumentLine,
    StockItem,
)
from ..services.base import MAX_SERIALS
from .serializers_catalog import OptionalBooleanField, PriceInputField, choice_input

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 3}
ID = {"min_value": 1, "max_value": 2**63 - 1}
PER_PAGE = 50
MAX_PAGE_SIZE = 200
Kind = StockDocument.Kind


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


# --------------------------------------------------------------------------- input fields

QUANTITY_PATTERN = r"^\s*[0-9]+([.,][0-9]{1,3})?\s*$"


@extend_schema_field({"type": "string", "pattern": QUANTITY_PATTERN, "example": "25.5"})
class QuantityInputField(serializers.CharField):
    """A quantity of a counted product as text: digits, a dot or a comma and at most three
    decimals. The form is checked here (``1e3`` or ``-1`` is no quantity a person types);
    the service checks the rest (above zero, not too large)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(QUANTITY_PATTERN, gettext_lazy(
            "A quantity: digits, and at most 3 decimals after a comma or a dot.")))


def _id(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(**ID, **kwargs)


def _optional_id(help_text: str) -> serializers.IntegerField:
    return _id(required=False, allow_null=True, help_text=help_text)


SERIAL_HELP = "A serial as scanned (case and spaces do not matter)."


class StockLineInputSerializer(serializers.Serializer):
    """A line that takes stock: a serial of the tenant's stock, or a product counted by
    quantity (not both)."""

    serial = serializers.CharField(required=False, max_length=100, help_text=SERIAL_HELP)
    product = _id(required=False, help_text="A counted product (cable, connectors…); "
                                            "with ``quantity``.")
    quantity = QuantityInputField(required=False, help_text="Of the counted ``product``.")

    def validate(self, attrs):
        if ("serial" in attrs) == ("product" in attrs):
            raise serializers.ValidationError(
                _("Give a serial, or a product with its quantity — one of them."))
        if "serial" in attrs and "quantity" in attrs:
            raise serializers.ValidationError({"quantity": [
                _("A serial is one piece: no quantity.")]})
        return attrs


class IssueLineInputSerializer(StockLineInputSerializer):
    unit_price = PriceInputField(required=False, help_text="Net; left out: the product's "
                                                           "default price.")


class ReturnLineInputSerializer(StockLineInputSerializer):
    state = choice_input(StockDocumentLine.ReturnState.choices, required=False, help_text=(
        "What it comes back as: working (the default), faulty or scrap (a counted "
        "product: working or scrap)."))


class InternalLineInputSerializer(StockLineInputSerializer):
    scrap = OptionalBooleanField(required=False, help_text="true: scrapped; left out or "
                                                           "false: used internally.")


class CountedLineInputSerializer(serializers.Serializer):
    product = _id(help_text="A counted product.")
    quantity = QuantityInputField(help_text="As counted (zero allowed).")


class ReceiptSerialInputSerializer(serializers.Serializer):
    serial = serializers.CharField(max_length=100, help_text=SERIAL_HELP)
    mac = serializers.CharField(required=False, allow_blank=True, max_length=30,
                                help_text="If the product carries a MAC; any usual "
                                          "notation.")
    gpon_serial = serializers.CharField(required=False, allow_blank=True, max_length=30,
                                        help_text="If the product carries one: HWTC1A2B3C4D "
                                                  "or its 16 hex digits.")
    firmware = serializers.CharField(required=False, allow_blank=True, max_length=64)


class ReceiptLineInputSerializer(serializers.Serializer):
    product = _id(help_text="An active product of the catalogue.")
    serials = ReceiptSerialInputSerializer(
        many=True, max_length=MAX_SERIALS, required=False, help_text=(
        "A serial-tracked product's new serials, as scanned one after another."))
    quantity = QuantityInputField(required=False, help_text="A counted product's quantity.")
    unit_price = PriceInputField(required=False, help_text="Net purchase price; left out: "
                                                           "the product's default price.")


class DocumentInputSerializer(serializers.Serializer):
    issued_on = serializers.DateField(required=False, help_text=(
        "The document's date; left out: today. Within the operator's allowed months back "
        "and ahead."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    request_token = serializers.UUIDField(required=False, allow_null=True, help_text=(
        "A one-time token of the client's form: the same document sent again with it "
        "answers the first one and posts nothing more."))


LINES_HELP = "At most 5000 lines and serials."


class ReceiptInputSerializer(DocumentInputSerializer):
    """PZ: a receipt from a supplier."""

    supplier = _id()
    warehouse = _id(help_text="The receiving warehouse.")
    supplier_document = serializers.CharField(required=False, allow_blank=True,
                                              max_length=100,
                                              help_text="The supplier's invoice or delivery "
                                                        "note number.")
    lines = ReceiptLineInputSerializer(many=True, max_length=MAX_SERIALS, help_text=LINES_HELP)


class IssueInputSerializer(DocumentInputSerializer):
    """WZ: an issue to a customer."""

    warehouse = _id(help_text="The issuing warehouse.")
    customer = _id()
    address = _optional_id("One of the customer's addresses (the installation).")
    settlement = choice_input(StockDocument.Settlement.choices, required=False,
                              help_text="What the customer pays: none (the default), sale "
                                        "(an invoice of the lines), lease (``lease_tariff`` "
                                        "put on the customer) or deposit (a debit note).")
    lease_tariff = _optional_id("A lease's monthly tariff.")
    deposit = PriceInputField(required=False, allow_null=True, help_text=(
        "A deposit's amount; left out: the lines' value."))
    lines = IssueLineInputSerializer(many=True, max_length=MAX_SERIALS, help_text=LINES_HELP)


class ReturnInputSerializer(DocumentInputSerializer):
    """ZW: a return from a customer."""

    customer = _id()
    warehouse = _id(help_text="The receiving warehouse.")
    lines = ReturnLineInputSerializer(many=True, max_length=MAX_SERIALS, help_text=LINES_HELP)


class MoveInputSerializer(DocumentInputSerializer):
    """MM: a move between two warehouses."""

    warehouse = _id(help_text="Where the stock is.")
    target_warehouse = _id(help_text="Where it goes.")
    lines = StockLineInputSerializer(many=True, max_length=MAX_SERIALS, help_text=LINES_HELP)


class InternalInputSerializer(DocumentInputSerializer):
    """RW: internal use or scrap."""

    warehouse = _id()
    lines = InternalLineInputSerializer(many=True, max_length=MAX_SERIALS, help_text=LINES_HELP)


class InventoryInputSerializer(DocumentInputSerializer):
    """INW: an inventory of one warehouse."""

    warehouse = _id()
    serials = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=MAX_SERIALS,
        help_text="Every serial scanned in the warehouse. One it holds but not scanned "
                  "becomes lost; a lost one scanned is found.")
    quantities = CountedLineInputSerializer(
        many=True, max_length=MAX_SERIALS, required=False, help_text=(
        "Counted products as counted; a product left out is not counted."))
    products = serializers.ListField(child=_id(), required=False, allow_null=True,
                                     max_length=1000, help_text=(
                                         "Only these products are counted (a partial "
                                         "inventory); left out: all."))


# --------------------------------------------------------------------------- documents

class StockDocumentSerializer(serializers.ModelSerializer):
    """A document as listed: its parties and how many lines it has."""

    kind = serializers.ChoiceField(choices=Kind.choices, read_only=True)
    settlement = serializers.ChoiceField(choices=StockDocument.Settlement.choices,
                                         read_only=True)
    warehouse_name = serializers.CharField(source="warehouse.name", read_only=True)
    target_warehouse_name = serializers.SerializerMethodField()
    supplier_name = serializers.SerializerMethodField()
    customer_name = serializers.SerializerMethodField()
    invoice_number = serializers.SerializerMethodField(
        help_text="A WZ's sale invoice or deposit note.")
    line_count = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True, help_text="What the printed barcode "
                                                           "encodes.")

    class Meta:
        model = StockDocument
        fields = ["id", "kind", "number", "issued_on", "warehouse", "warehouse_name",
                  "target_warehouse", "target_warehouse_name", "supplier", "supplier_name",
                  "supplier_document", "customer", "customer_name", "address", "settlement",
                  "invoice", "invoice_number", "subscription", "note", "line_count", "code",
                  "created_at"]
        read_only_fields = fields

    def get_target_warehouse_name(self, document) -> str:
        return document.target_warehouse.name if document.target_warehouse_id else ""

    def get_supplier_name(self, document) -> str:
        return document.supplier.name if document.supplier_id else ""

    def get_customer_name(self, document) -> str:
        return str(document.customer) if document.customer_id else ""

    def get_invoice_number(self, document) -> str:
        return document.invoice.number if document.invoice_id else ""


class StockDocumentLineSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit = serializers.CharField(source="product.unit", read_only=True)
    serial = serializers.SerializerMethodField()
    quantity = serializers.DecimalField(**QUANTITY, read_only=True)
    unit_price = serializers.DecimalField(**MONEY, read_only=True)
    return_state = serializers.ChoiceField(choices=StockDocumentLine.ReturnState.choices,
                                           read_only=True, allow_blank=True, help_text=(
                                               "ZW: what it came back as; RW: scrap when "
                                               "scrapped."))
    expected = serializers.DecimalField(**QUANTITY, read_only=True, allow_null=True,
                                        help_text="INW: what the warehouse held.")

    class Meta:
        model = StockDocumentLine
        fields = ["id", "product", "product_name", "unit", "item", "serial", "quantity",
                  "unit_price", "return_state", "expected"]
        read_only_fields = fields

    def get_serial(self, line) -> str:
        return line.item.serial if line.item_id else ""


class DocumentMoveSerializer(serializers.ModelSerializer):
    """A serial the document moved: from where, to where, what it became."""

    serial = serializers.CharField(source="item.serial", read_only=True)
    state_after = serializers.ChoiceField(choices=StockItem.State.choices, read_only=True)
    condition_after = serializers.ChoiceField(choices=StockItem.Condition.choices,
                                              read_only=True)

    class Meta:
        model = ItemMove
        fields = ["id", "item", "serial", "from_warehouse", "to_warehouse", "customer",
                  "state_after", "condition_after", "at"]
        read_only_fields = fields


class StockDocumentDetailSerializer(StockDocumentSerializer):
    address_text = serializers.SerializerMethodField()
    created_by_name = serializers.SerializerMethodField()
    lines = StockDocumentLineSerializer(many=True, read_only=True)
    moves = DocumentMoveSerializer(many=True, read_only=True, help_text=(
        "Each serial the document moved (an INW: those it found lost or found again)."))

    class Meta(StockDocumentSerializer.Meta):
        fields = [f for f in StockDocumentSerializer.Meta.fields if f != "line_count"] + [
            "address_text", "created_by", "created_by_name", "lines", "moves"]
        read_only_fields = fields

    def get_address_text(self, document) -> str:
        return str(document.address) if document.address_id else ""

    def get_created_by_name(self, document) -> str:
        return _name(document.created_by)


class LeaseEndedSerializer(serializers.Serializer):
    issue_document = serializers.IntegerField(source="issue_document.pk")
    issue_document_number = serializers.CharField(source="issue_document.number")
    subscription = serializers.IntegerField(source="subscription_id")
    end_date = serializers.DateField()


class DepositTakenSerializer(serializers.Serializer):
    issue_document = serializers.IntegerField(source="issue_document.pk")
    issue_document_number = serializers.CharField(source="issue_document.number")
    debit_note_number = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    all_back = serializers.BooleanField(help_text="Every serial of that WZ is back.")


class ReturnSettlementSerializer(serializers.Serializer):
    leases_ended = LeaseEndedSerializer(many=True, help_text=(
        "Leases this return ended: all their equipment is back."))
    deposits = DepositTakenSerializer(many=True, help_text=(
        "Deposits taken for the returned equipment: never refunded automatically (a KW "
        "or a correction does it)."))


class ReturnPostedSerializer(StockDocumentDetailSerializer):
    """A ZW as posted, with what it did to the settlements of the WZs."""

    return_settlement = ReturnSettlementSerializer(read_only=True)

    class Meta(StockDocumentDetailSerializer.Meta):
        fields = [*StockDocumentDetailSerializer.Meta.fields, "return_settlement"]
        read_only_fields = fields


# --------------------------------------------------------------------------- stock levels

class StockRowSerializer(serializers.Serializer):
    """One product in one warehouse: serials in stock (of them faulty) or a quantity."""

    warehouse = serializers.IntegerField(source="warehouse_id")
    warehouse_name = serializers.CharField()
    product = serializers.IntegerField(source="product_id")
    product_name = serializers.CharField()
    product_kind = serializers.ChoiceField(choices=Product.Kind.choices)
    unit = serializers.CharField()
    serial_tracked = serializers.BooleanField()
    in_stock = serializers.IntegerField(help_text="Serials in stock (0 for a counted "
                                                  "product).")
    faulty = serializers.IntegerField(help_text="Of them faulty.")
    working = serializers.IntegerField()
    quantity = serializers.DecimalField(**QUANTITY, help_text="A counted product's "
                                                              "quantity.")


# --------------------------------------------------------------------------- serials

class FeatureSerializer(serializers.Serializer):
    feature = serializers.ChoiceField(choices=Product.Feature.choices)
    value = serializers.CharField(help_text="Empty: not known.")


def features(item: StockItem) -> list[dict]:
    return [{"feature": feature, "value": getattr(item, feature, "") or ""}
            for feature in item.product.features or [] if feature in Product.Feature.values]


class EquipmentSerializer(serializers.ModelSerializer):
    """A serial at a customer ("Sprzęt kliencki"): what, by which WZ, its features."""

    product_name = serializers.CharField(source="product.name", read_only=True)
    product_kind = serializers.ChoiceField(source="product.kind", choices=Product.Kind.choices,
                                           read_only=True)
    state = serializers.ChoiceField(choices=StockItem.State.choices, read_only=True)
    condition = serializers.ChoiceField(choices=StockItem.Condition.choices, read_only=True)
    issue_document_number = serializers.SerializerMethodField()
    issued_on = serializers.DateField(source="issue_document.issued_on", read_only=True,
                                      allow_null=True, help_text="The WZ's date.")
    login_name = serializers.SerializerMethodField()
    features = serializers.SerializerMethodField()

    class Meta:
        model = StockItem
        fields = ["id", "product", "product_name", "product_kind", "serial", "mac",
                  "gpon_serial", "firmware", "state", "condition", "description",
                  "issue_document", "issue_document_number", "issued_on", "login",
                  "login_name", "olt", "olt_port", "ont_id", "features"]
        read_only_fields = fields

    def get_issue_document_number(self, item) -> str:
        return item.issue_document.number if item.issue_document_id else ""

    def get_login_name(self, item) -> str:
        return item.login.login if item.login_id else ""

    @extend_schema_field(FeatureSerializer(many=True))
    def get_features(self, item):
        return features(item)


class StockItemSerializer(EquipmentSerializer):
    """A serial wherever it is: a warehouse, a customer, or gone."""

    warehouse_name = serializers.SerializerMethodField()
    customer_name = serializers.SerializerMethodField()
    olt_name = serializers.SerializerMethodField()
    purchase_price = serializers.DecimalField(**MONEY, read_only=True)

    class Meta(EquipmentSerializer.Meta):
        fields = ["id", "product", "product_name", "product_kind", "serial", "mac",
                  "gpon_serial", "firmware", "state", "condition", "warehouse",
                  "warehouse_name", "customer", "customer_name", "description",
                  "issue_document", "issue_document_number", "issued_on", "login",
                  "login_name", "olt", "olt_name", "olt_port", "ont_id", "features",
                  "purchase_price", "created_at"]
        read_only_fields = fields

    def get_warehouse_name(self, item) -> str:
        return item.warehouse.name if item.warehouse_id else ""

    def get_customer_name(self, item) -> str:
        return str(item.customer) if item.customer_id else ""

    def get_olt_name(self, item) -> str:
        return item.olt.name if item.olt_id else ""


class ItemMoveSerializer(serializers.ModelSerializer):
    """A line of a serial's history: the document, from where, to where, which customer."""

    document_kind = serializers.ChoiceField(source="document.kind", choices=Kind.choices,
                                            read_only=True)
    document_number = serializers.CharField(source="document.number", read_only=True)
    issued_on = serializers.DateField(source="document.issued_on", read_only=True)
    from_warehouse_name = serializers.SerializerMethodField()
    to_warehouse_name = serializers.SerializerMethodField()
    customer_name = serializers.SerializerMethodField()
    state_after = serializers.ChoiceField(choices=StockItem.State.choices, read_only=True)
    condition_after = serializers.ChoiceField(choices=StockItem.Condition.choices,
                                              read_only=True)

    class Meta:
        model = ItemMove
        fields = ["id", "document", "document_kind", "document_number", "issued_on",
                  "from_warehouse", "from_warehouse_name", "to_warehouse", "to_warehouse_name",
                  "customer", "customer_name", "state_after", "condition_after", "at"]
        read_only_fields = fields

    def get_from_warehouse_name(self, move) -> str:
        return move.from_warehouse.name if move.from_warehouse_id else ""

    def get_to_warehouse_name(self, move) -> str:
        return move.to_warehouse.name if move.to_warehouse_id else ""

    def get_customer_name(self, move) -> str:
        return str(move.customer) if move.customer_id else ""


class ItemHistorySerializer(serializers.Serializer):
    item = StockItemSerializer()
    moves = ItemMoveSerializer(many=True, help_text="Every document that moved it, oldest "
                                                    "first.")


class ItemUpdateSerializer(serializers.Serializer):
    description = serializers.CharField(allow_blank=True, max_length=600, help_text=(
        "One line, up to 500 characters."))


class ItemLoginSerializer(serializers.Serializer):
    login = _id(allow_null=True, help_text="One of the customer's logins (the "
                                           "installation); null unbinds it.")


# --------------------------------------------------------------------------- list filters

class PageSerializer(serializers.Serializer):
    """``?page=`` and ``?page_size=`` of a list paged by its selector (documented by the
    view's pagination class)."""

    page = serializers.IntegerField(required=False, min_value=1, max_value=100_000, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, default=PER_PAGE)

    def validate_page_size(self, value):
        return min(value, MAX_PAGE_SIZE)  # more is answered with the most, as elsewhere


class DocumentFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    warehouse = _id(required=False, help_text="Either side of an MM.")
    customer = _id(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    search = serializers.CharField(required=False, max_length=100, help_text=(
        "The document's number, the supplier's document number, or a serial it moved."))

    def validate(self, data):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise serializers.ValidationError(
                {"date_to": [_("The end of the period is before its start.")]})
        return data


class StockFilterSerializer(serializers.Serializer):
    warehouse = _id(required=False)
    product_kind = serializers.ChoiceField(choices=Product.Kind.choices, required=False)
    search = serializers.CharField(required=False, max_length=100, help_text=(
        "The product's name, producer or model."))


class ItemFilterSerializer(serializers.Serializer):
    warehouse = _id(required=False, help_text="In stock there.")
    product = _id(required=False)
    state = serializers.ChoiceField(choices=StockItem.State.choices, required=False)
    customer = _id(required=False, help_text="At this customer.")
    search = serializers.CharField(required=False, max_length=100, help_text=(
        "A serial (or its beginning), a MAC address or a GPON serial, as scanned."))


class ItemFindSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=100, help_text=(
        "A scanned code: a serial, else a MAC address, else a GPON serial."))
