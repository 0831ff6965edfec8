"""API shapes of the customer's ledger.

Read serializers render rows the ledger API's selectors already loaded (status
annotations, prefetched lines and allocations: no queries of their own). Input
serializers check what can be checked at the edge — amounts positive with at most two
decimal places, VAT rates and GTU codes from their lists, ids of the active tenant (and,
for documents, of the customer in the URL) — and every write goes to one service of
``finance.services`` or ``finance.interest_notes``, which does the rest in one
transaction.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.amounts import amount_parse
from core.api import TenantPrimaryKeyRelatedField

from .models import MONEY, Allocation, CashPosition, CashRegister, FinanceDocument, InvoiceLine
from .money import AMOUNT_MAX, VAT_RATES
from .selectors import STATUS_CHOICES

GTU_CODES = [f"GTU_{n:02d}" for n in range(1, 14)]
POSITIVE = {"min_value": _("The amount must be above zero.")}


class MoneyField(serializers.DecimalField):
    """``money_field``'s field: an amount read by the one parser of amounts
    (``core.amounts.amount_parse``) — "12.50", "12,50", "1 234,56", a JSON number —, an
    exponent ("1e3"), NaN, infinity or a fraction of a grosz refused with its reason."""

    def to_internal_value(self, data):
        # A JSON number with a point or an exponent arrives parsed as a float: its shortest
        # text (12.5 → "12.5"; a float too large for that text, 1e+21, is refused).
        if isinstance(data, float):
            data = repr(data)
        if isinstance(data, str) and not data.strip():
            self.fail("invalid")
        try:
            return amount_parse(data, maximum=AMOUNT_MAX, signed=True)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages, code=error.code) from None


def money_field(**kwargs) -> serializers.DecimalField:
    """An amount in PLN: a decimal string (or a JSON number) with at most two decimal
    places, read as ``MoneyField`` reads it."""
    return MoneyField(**MONEY, **kwargs)


def amount_field(**kwargs) -> serializers.DecimalField:
    """An amount that must be above zero (0.01 PLN or more)."""
    return money_field(min_value=Decimal("0.01"), error_messages=POSITIVE, **kwargs)


class CustomerDocumentField(TenantPrimaryKeyRelatedField):
    """Id of a financial document of the customer in the URL (``context["customer"]``);
    another customer's or another tenant's id "does not exist"."""

    def __init__(self, **kwargs):
        super().__init__(model=FinanceDocument, **kwargs)

    def get_queryset(self):
        return FinanceDocument.objects.filter(customer=self.context["customer"])


# --------------------------------------------------------------------------- reading


class DocumentRefSerializer(serializers.ModelSerializer):
    """Another document named by this one: enough to show and to follow it."""

    class Meta:
        model = FinanceDocument
        fields = ["id", "kind", "number", "issue_date", "debit", "credit"]
        read_only_fields = fields


class FinanceDocumentSerializer(serializers.ModelSerializer):
    """A ledger entry as the transaction history lists it (``selectors.customer_history``).

    A receivable's ``status`` follows what it ``owed`` — an invoice after its
    corrections — and what ``paid`` it; a payment has no status but ``unallocated``
    money: the customer's credit.
    """

    status = serializers.ChoiceField(
        source="settlement_status", choices=STATUS_CHOICES, read_only=True, allow_null=True,
        help_text="Receivables only (invoices, notes, KW, charges); null for payments and "
        "corrections.")
    owed = money_field(read_only=True, help_text="A receivable's amount after corrections.")
    paid = money_field(read_only=True, help_text="How much of a receivable is paid.")
    unallocated = money_field(read_only=True,
                              help_text="A payment's money not linked to anything yet.")
    corrected = serializers.BooleanField(
        read_only=True, help_text="The \"K\" marker: a correction refers to this invoice.")
    corrects = DocumentRefSerializer(read_only=True, allow_null=True,
                                     help_text="The invoice this correction corrects.")
    cash_register = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = FinanceDocument
        fields = ["id", "kind", "number", "issue_date", "due_date", "debit", "credit", "status",
                  "owed", "paid", "unallocated", "corrected", "corrects", "title", "reason",
                  "cash_register", "bank_reference", "counterparty_account", "created_at"]
        read_only_fields = fields


class HistoryRowSerializer(FinanceDocumentSerializer):
    running_balance = money_field(read_only=True, help_text="The balance after this "
                                  "document, over the whole ledger in date order.")

    class Meta(FinanceDocumentSerializer.Meta):
        fields = [*FinanceDocumentSerializer.Meta.fields, "running_balance"]
        read_only_fields = fields


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = ["position", "name", "quantity", "unit", "net_unit_price", "vat_rate", "gtu",
                  "annex15", "net"]
        read_only_fields = fields


class CashPositionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CashPosition
        fields = ["position", "name", "amount"]
        read_only_fields = fields


class VatRateTotalSerializer(serializers.Serializer):
    vat_rate = serializers.CharField()
    net = money_field()
    vat = money_field()
    gross = money_field()


class AllocationSerializer(serializers.ModelSerializer):
    """``amount`` of ``payment`` settles ``receivable``; ``rule`` says why: the document
    named in the title, a due one, one not yet due, a correction, or a manual link."""

    payment_number = serializers.CharField(source="payment.number", read_only=True)
    receivable_number = serializers.CharField(source="receivable.number", read_only=True)

    class Meta:
        model = Allocation
        fields = ["id", "payment", "payment_number", "receivable", "receivable_number",
                  "amount", "rule", "created_at"]
        read_only_fields = fields


class FinanceDocumentDetailSerializer(FinanceDocumentSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    vat_summary = serializers.SerializerMethodField(
        help_text="Net, VAT and gross per VAT rate; VAT is rounded once per rate.")
    allocations_in = AllocationSerializer(source="links.paid_by", many=True, read_only=True,
                                          help_text="What pays this document.")
    allocations_out = AllocationSerializer(source="links.pays", many=True, read_only=True,
                                           help_text="What this document pays.")
    corrections = DocumentRefSerializer(many=True, read_only=True)
    positions = serializers.SerializerMethodField(
        help_text="A KP's positions (the invoices it pays and the free ones); empty for "
        "other documents.")

    class Meta(FinanceDocumentSerializer.Meta):
        fields = [*FinanceDocumentSerializer.Meta.fields, "lines", "vat_summary",
                  "allocations_in", "allocations_out", "corrections", "positions"]
        read_only_fields = fields

    @extend_schema_field(CashPositionSerializer(many=True))
    def get_positions(self, document) -> list[dict]:
        return CashPositionSerializer(getattr(document, "positions", []), many=True).data

    @extend_schema_field(VatRateTotalSerializer(many=True))
    def get_vat_summary(self, document) -> list[dict]:
        return VatRateTotalSerializer(
            [{"vat_rate": rate, "net": t.net, "vat": t.vat, "gross": t.gross}
             for rate, t in document.vat_rows], many=True).data


class CorrectionResultSerializer(FinanceDocumentDetailSerializer):
    warnings = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="What the operator should check, e.g. the cycle counter of the payment "
        "schedule after a correction to zero.")

    class Meta(FinanceDocumentDetailSerializer.Meta):
        fields = [*FinanceDocumentDetailSerializer.Meta.fields, "warnings"]
        read_only_fields = fields


class FinanceAccountSerializer(serializers.Serializer):
    """The card's "Rachunek"."""

    balance = money_field(help_text="Σ credit − Σ debit of the ledger; negative: the "
                          "customer owes.")
    virtual_account = serializers.CharField(help_text="The customer's individual account "
                                            "number (26 digits); empty if none.")
    open_receivables = money_field(help_text="What is still owed on unsettled documents.")
    overdue = money_field(help_text="The part of it past its due date.")
    credit = money_field(help_text="Payments not yet linked to anything: an overpayment.")


class InterestItemSerializer(serializers.Serializer):
    """One row of "Odsetki ustawowe": interest not yet charged nor waived."""

    receivable = serializers.IntegerField(source="receivable.pk")
    receivable_number = serializers.CharField(source="receivable.number")
    principal = money_field()
    due_date = serializers.DateField()
    since = serializers.DateField(help_text="The first day not yet charged.")
    until = serializers.DateField(help_text="The day of full payment, or the day the list "
                                  "is made for.")
    paid = serializers.BooleanField()
    amount = money_field()


class InterestWaiverSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    receivable = serializers.IntegerField(source="receivable_id")
    reason = serializers.CharField()
    waived_at = serializers.DateTimeField()


class CashRegisterSerializer(serializers.ModelSerializer):
    kp_number_pattern = serializers.CharField(source="kp_pattern", read_only=True,
                                              help_text="The pattern of its KP numbers.")
    kw_number_pattern = serializers.CharField(source="kw_pattern", read_only=True,
                                              help_text="The pattern of its KW numbers.")

    class Meta:
        model = CashRegister
        fields = ["id", "name", "symbol", "kp_number_pattern", "kw_number_pattern"]
        read_only_fields = fields


class RemovedLinksSerializer(serializers.Serializer):
    removed = serializers.IntegerField(help_text="How many links were removed.")


# --------------------------------------------------------------------------- input


class InvoiceLineInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=250)
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001"),
        error_messages={"min_value": _("The quantity must be above zero.")})
    unit = serializers.CharField(max_length=20, required=False, default="szt.")
    net_unit_price = money_field(min_value=Decimal("0"), error_messages={
        "min_value": _("The price must not be negative.")})
    vat_rate = serializers.ChoiceField(choices=list(VAT_RATES))
    gtu = serializers.ChoiceField(choices=GTU_CODES, required=False, allow_blank=True,
                                  default="", help_text="GTU code of JPK_V7, if any.")
    annex15 = serializers.BooleanField(
        required=False, default=False,
        help_text="Goods or services of Annex 15 to the VAT act (split payment).")


class InvoiceInputSerializer(serializers.Serializer):
    """``services.invoice_issue``; the number comes from the tenant's pattern."""

    lines = InvoiceLineInputSerializer(many=True, allow_empty=False)
    issue_date = serializers.DateField(required=False, help_text="Default: today.")
    due_date = serializers.DateField(required=False,
                                     help_text="Default: the tenant's days to pay later.")


class InvoiceUpdateSerializer(serializers.Serializer):
    """The invoice's lines as they should be; allowed in the statuses of the tenant
    setting ``finance.edycja_faktur`` only."""

    lines = InvoiceLineInputSerializer(many=True, allow_empty=False)


class CorrectionInputSerializer(serializers.Serializer):
    lines = InvoiceLineInputSerializer(
        many=True, allow_empty=True,
        help_text="The invoice as it should be now; empty: corrected to zero. The same "
        "lines as the invoice: a correction of data alone.")
    reason = serializers.CharField(max_length=500)
    issue_date = serializers.DateField(required=False, help_text="Default: today.")


class KpPositionInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=250, help_text="What was paid for.")
    amount = amount_field()


class KpInputSerializer(serializers.Serializer):
    """KP ("Kasa Przyjęła", cash in): free positions, the invoices it settles (each a
    position for what it still owes), or both; or, instead of positions, an amount."""

    cash_register = TenantPrimaryKeyRelatedField(model=CashRegister)
    positions = KpPositionInputSerializer(
        many=True, required=False,
        help_text="Free positions; the KP's credit is their sum plus what the invoices owe.")
    amount = amount_field(required=False, help_text="Instead of positions: the total paid, "
                          "settling the invoices as far as it goes; the rest is one position "
                          "named by the title.")
    invoices = CustomerDocumentField(many=True, required=False,
                                     help_text="Receivables this KP settles first.")
    title = serializers.CharField(max_length=500, required=False, allow_blank=True)
    issue_date = serializers.DateField(required=False, help_text="Default: today.")

    def validate(self, attrs):
        if "amount" in attrs and attrs.get("positions"):
            raise serializers.ValidationError(
                {"amount": [_("Enter either the amount or the positions, not both.")]})
        if "amount" not in attrs and not attrs.get("invoices") and not attrs.get("positions"):
            raise serializers.ValidationError(
                {"amount": [_("Give the amount or the invoices to settle.")]})
        # An invoice ticked twice is still one position of the KP.
        attrs["invoices"] = list(dict.fromkeys(attrs.get("invoices", [])))
        attrs["positions"] = [(p["name"], p["amount"]) for p in attrs.get("positions", [])]
        return attrs


class KwInputSerializer(serializers.Serializer):
    """KW ("Kasa Wydała", cash out), e.g. a refund of credit."""

    cash_register = TenantPrimaryKeyRelatedField(model=CashRegister)
    amount = amount_field()
    title = serializers.CharField(max_length=500, required=False, allow_blank=True)
    issue_date = serializers.DateField(required=False, help_text="Default: today.")


class BankTransferInputSerializer(serializers.Serializer):
    amount = amount_field()
    booking_date = serializers.DateField()
    title = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                  default="")
    bank_reference = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="",
        help_text="The bank's reference: the same transfer is never recorded twice.")
    bank_account = serializers.RegexField(r"^\d{26}$", required=False, allow_blank=True,
                                          default="", help_text="The receiving account.")
    counterparty_account = serializers.RegexField(r"^\d{26}$", required=False,
                                                  allow_blank=True, default="")


class DebitNoteInputSerializer(serializers.Serializer):
    """Nota obciążeniowa: a charge outside VAT (e.g. the fee of a payment demand)."""

    amount = amount_field()
    title = serializers.CharField(max_length=500)
    due_date = serializers.DateField(required=False)


class TechnicalInputSerializer(serializers.Serializer):
    """Not recommended: an administrative charge or credit with its reason."""

    amount = amount_field()
    direction = serializers.ChoiceField(choices=[("charge", _("charge")),
                                                 ("credit", _("credit"))])
    reason = serializers.CharField(max_length=500)


class LinkInputSerializer(serializers.Serializer):
    """"Powiąż": the document in the URL with a payment (if it is owed) or a receivable
    (if it pays) of the same customer."""

    payment = CustomerDocumentField(required=False)
    receivable = CustomerDocumentField(required=False)
    amount = amount_field(required=False,
                          help_text="Default: as much as both have left.")

    def validate(self, attrs):
        if ("payment" in attrs) == ("receivable" in attrs):
            raise serializers.ValidationError(
                {"payment": [_("Name either the payment or the receivable to link.")]})
        return attrs


class InterestNoteInputSerializer(serializers.Serializer):
    receivables = CustomerDocumentField(many=True, allow_empty=False,
                                        help_text="Invoices of the interest list.")
    until = serializers.DateField(required=False, help_text="Default: today.")


class InterestQuerySerializer(serializers.Serializer):
    until = serializers.DateField(required=False)


class InterestWaiveInputSerializer(serializers.Serializer):
    receivable = CustomerDocumentField()
    reason = serializers.CharField(max_length=500)


class CashRegisterInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    symbol = serializers.SlugField(max_length=20, help_text="In KP/KW numbers, e.g. "
                                   "\"k1\" → KP/K1/2026/1.")
    kp_number_pattern = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="",
        help_text="Empty: KP/<SYMBOL>/{YYYY}/{N}. Tokens: {YYYY} {YY} {MM} {DD} {N}.")
    kw_number_pattern = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="",
        help_text="Empty: KW/<SYMBOL>/{YYYY}/{N}.")

