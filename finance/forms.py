"""Staff forms of the ledger: they parse what was typed; the services decide and write."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.amounts import amount_parse
from core.forms import BootstrapForm, DateInput
from core.templatetags.money import money_format

from .models import CashRegister, FinanceDocument, Kind
from .money import VAT_RATES, net_unit_price_from_gross
from .selectors import STATUS_CHOICES

GTU_CODES = [("", "—")] + [(f"GTU_{n:02d}", f"GTU_{n:02d}") for n in range(1, 14)]
VAT_CHOICES = [(rate, f"{rate} %" if rate[0].isdigit() else rate) for rate in VAT_RATES]
MONEY = {"max_digits": 14, "decimal_places": 2}


def _date_widget():
    return DateInput()


class _ChoiceList:
    """Checkboxes or radio buttons in Bootstrap's form-check markup, one per line (or in a
    row: ``inline``)."""

    template_name = "finance/widgets/choices.html"
    option_template_name = "finance/widgets/choice.html"

    def __init__(self, *args, inline=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.inline = inline

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["inline"] = self.inline
        return context


class CheckboxList(_ChoiceList, forms.CheckboxSelectMultiple):
    pass


class RadioList(_ChoiceList, forms.RadioSelect):
    pass


class TypedDecimalField(forms.DecimalField):
    """A decimal as people type it, "1 234,56" or "1234.56", read by the one parser of
    amounts (``core.amounts.amount_parse``): a text input, since a number input refuses
    the Polish decimal comma. Signed (a negative is the service's to refuse, with its
    message); refused with the parser's reason: an exponent ("1e3"), NaN, infinity, more
    decimal places than the field's or more than its digits hold."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal"})

    def to_python(self, value):
        if value in self.empty_values:
            return None
        places = self.decimal_places
        maximum = (Decimal(10) ** (self.max_digits - places)
                   - Decimal(1).scaleb(-places))
        return amount_parse(value, maximum=maximum, places=places, signed=True, blank=True)


class AmountField(TypedDecimalField):
    """An amount in PLN; zero and negatives are the service's to refuse, so its message is
    the one shown."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("amount (PLN)"))
        super().__init__(**MONEY, **kwargs)


class HistoryFilterForm(forms.Form):
    """The filters above "Transaction history"; anything unknown means no filter."""

    kind = forms.ChoiceField(label=_("type"), required=False)
    status = forms.ChoiceField(label=_("status"), required=False,
                               choices=[("", _("all statuses")), *STATUS_CHOICES])
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("all types")), *Kind.choices]

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {"kind": data.get("kind") or "", "status": data.get("status") or "",
                "page_number": data.get("page") or 1}


NET, GROSS = "net", "gross"


def price_entry(data) -> str:
    """How the posted invoice lines give their prices: ``"gross"`` or ``"net"`` (also
    what a client that never sends ``entry`` gets)."""
    return GROSS if data is not None and data.get("entry") == GROSS else NET


class PriceEntryMixin(forms.Form):
    """The lines' prices are typed net or gross; the other price follows (abonent's
    finance/invoice_form.js shows it while typing, the server computes it on posting)."""

    entry = forms.ChoiceField(label=_("prices typed"), required=False, initial=NET,
                              choices=[(NET, _("net")), (GROSS, _("gross"))],
                              widget=RadioList(inline=True))


class InvoiceLineForm(BootstrapForm):
    """One line; ``entry`` says which of the two unit prices was typed: that one is
    required, the other is ignored (the script fills it in as a preview)."""

    name = forms.CharField(label=_("name"), max_length=250)
    quantity = TypedDecimalField(label=_("quantity"), max_digits=12, decimal_places=3,
                                 initial=Decimal("1"))
    unit = forms.CharField(label=_("unit"), max_length=20, initial="szt.")
    net_unit_price = AmountField(label=_("net unit price"), required=False)
    gross_unit_price = AmountField(label=_("gross unit price"), required=False)
    vat_rate = forms.ChoiceField(label=_("VAT rate"), choices=VAT_CHOICES, initial="23")
    gtu = forms.ChoiceField(label="GTU", choices=GTU_CODES, required=False)
    annex15 = forms.BooleanField(label=_("Annex 15"), required=False)

    def __init__(self, *args, entry=NET, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry = entry
        typed = "gross_unit_price" if entry == GROSS else "net_unit_price"
        for name in ("net_unit_price", "gross_unit_price"):
            attrs = self.fields[name].widget.attrs
            attrs["data-price"] = name.split("_")[0]
            if name != typed:
                attrs["tabindex"] = "-1"

    def clean(self):
        data = super().clean()
        typed = "gross_unit_price" if self.entry == GROSS else "net_unit_price"
        if data.get(typed) is None and typed not in self.errors:
            self.add_error(typed, forms.Field.default_error_messages["required"])
        return data

    def line(self) -> dict:
        data = self.cleaned_data
        line = {key: data[key] for key in ("name", "quantity", "unit", "net_unit_price",
                                           "vat_rate", "gtu", "annex15")}
        if self.entry == GROSS:
            line["net_unit_price"] = net_unit_price_from_gross(data["gross_unit_price"],
                                                               data["vat_rate"])
        return line


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        """The rows given (prefilled ones as they stand) less the deleted ones; untouched
        blank rows are left out."""
        initial = self.initial_form_count()
        return [form.line() for index, form in enumerate(self.forms)
                if (index < initial or form.has_changed()) and form.cleaned_data
                and not form.cleaned_data.get("DELETE")]


# Three blank rows, and "Add a line" (script) or "More lines" (a submit, without script)
# for more: any number of lines.
InvoiceLineFormSet = forms.formset_factory(InvoiceLineForm, formset=BaseLineFormSet, extra=3,
                                           can_delete=True)
CorrectionLineFormSet = forms.formset_factory(InvoiceLineForm, formset=BaseLineFormSet,
                                              extra=1, can_delete=True)


class InvoiceForm(PriceEntryMixin, BootstrapForm):
    issue_date = forms.DateField(label=_("issue date"), widget=_date_widget())
    due_date = forms.DateField(label=_("due date"), required=False, widget=_date_widget(),
                               help_text=_("Empty: the tenant's payment days."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"issue_date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class CorrectionForm(PriceEntryMixin, BootstrapForm):
    reason = forms.CharField(label=_("reason for the correction"), max_length=500,
                             widget=forms.TextInput)
    issue_date = forms.DateField(label=_("issue date"), widget=_date_widget())

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"issue_date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class _DocumentChoiceField(forms.ModelChoiceField):
    """A document of the list the view passes (the customer's own): anything else is
    "not one of the available choices"."""

    def label_from_instance(self, obj):
        left = getattr(obj, "left", None)
        if left is None:
            left = getattr(obj, "unallocated", obj.amount)
        return f"{obj.number} ({date_format(obj.issue_date, 'SHORT_DATE_FORMAT')}): " \
               f"{money_format(left)}"


def _choices_queryset(documents):
    return FinanceDocument.objects.filter(pk__in=[d.pk for d in documents])


class KpPositionForm(BootstrapForm):
    """A free position of a KP: what was paid for and how much."""

    name = forms.CharField(label=_("name"), max_length=250)
    amount = AmountField()

    def position(self) -> tuple:
        return self.cleaned_data["name"], self.cleaned_data["amount"]


class BaseKpPositionFormSet(forms.BaseFormSet):
    def positions(self) -> list[tuple]:
        """The rows filled in; untouched blank rows are left out."""
        return [form.position() for form in self.forms
                if form.has_changed() and form.cleaned_data]


KpPositionFormSet = forms.formset_factory(KpPositionForm, formset=BaseKpPositionFormSet,
                                          extra=3)


class KpForm(BootstrapForm):
    """KP: the ticked receivables become its positions (each for what it still owes), the
    free positions are typed below the form; instead of positions an amount may be given:
    the total paid, settling the ticked documents as far as it goes."""

    register = forms.ModelChoiceField(label=_("cash register"), queryset=None)
    invoices = forms.ModelMultipleChoiceField(label=_("documents paid"), queryset=None,
                                              required=False,
                                              widget=CheckboxList)
    amount = AmountField(required=False,
                         help_text=_("Instead of positions: the total paid, settling the "
                                     "ticked documents as far as it goes. Empty: the "
                                     "positions."))
    title = forms.CharField(label=_("title"), max_length=500, required=False)
    issue_date = forms.DateField(label=_("date"), widget=_date_widget())

    def __init__(self, *args, registers, receivables, has_positions=False, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("issue_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.has_positions = has_positions
        self.fields["register"].queryset = CashRegister.objects.filter(
            pk__in=[r.pk for r in registers])
        self.fields["register"].choices = [(r.pk, f"{r.name} ({r.symbol})") for r in registers]
        self.fields["invoices"].queryset = _choices_queryset(receivables)
        self.fields["invoices"].choices = [
            (r.pk, f"{r.number} · {capfirst(r.get_kind_display())} · {money_format(r.left)}")
            for r in receivables]
        if len(registers) == 1:
            self.fields["register"].initial = registers[0].pk

    def clean(self):
        data = super().clean()
        if (not data.get("invoices") and data.get("amount") is None and not self.has_positions
                and not self.errors):
            self.add_error("amount", _("Tick the documents paid or enter an amount."))
        return data


class KwForm(BootstrapForm):
    register = forms.ModelChoiceField(label=_("cash register"), queryset=None)
    amount = AmountField()
    title = forms.CharField(label=_("title"), max_length=500,
                            help_text=_("E.g. a refund of the customer's credit."))
    issue_date = forms.DateField(label=_("date"), widget=_date_widget())

    def __init__(self, *args, registers, **kwargs):
        kwargs.setdefault("initial", {"issue_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["register"].queryset = CashRegister.objects.filter(
            pk__in=[r.pk for r in registers])
        self.fields["register"].choices = [(r.pk, f"{r.name} ({r.symbol})") for r in registers]


class BankTransferForm(BootstrapForm):
    amount = AmountField()
    booking_date = forms.DateField(label=_("booking date"), widget=_date_widget())
    title = forms.CharField(label=_("title"), max_length=500)
    bank_reference = forms.CharField(label=_("bank reference"), max_length=100,
                                     required=False)
    counterparty_account = forms.CharField(label=_("sender's account"), max_length=34,
                                           required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"booking_date": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def clean_counterparty_account(self):
        return "".join(self.cleaned_data["counterparty_account"].split()).upper()


class DebitNoteForm(BootstrapForm):
    """Nota obciążeniowa: by hand, on termination through the customer's fault, or as the
    fee of a payment demand (wezwanie do zapłaty)."""

    PLAIN, TERMINATION, DEMAND = "plain", "termination", "payment_demand"
    REASONS = {
        PLAIN: _("debit note"),
        TERMINATION: _("termination of the contract through the customer's fault"),
        DEMAND: _("fee for a payment demand"),
    }

    note_kind = forms.ChoiceField(label=_("kind"), choices=list(REASONS.items()),
                                  initial=PLAIN)
    amount = AmountField()
    title = forms.CharField(label=_("title"), max_length=500, required=False,
                            help_text=_("Empty: the kind's name."))
    due_date = forms.DateField(label=_("due date"), required=False, widget=_date_widget(),
                               help_text=_("Empty: the tenant's payment days."))

    def note_title(self) -> str:
        data = self.cleaned_data
        kind_name = str(self.REASONS[data["note_kind"]])
        title = data["title"].strip()
        if data["note_kind"] == self.PLAIN:
            return title
        return f"{kind_name[:1].upper()}{kind_name[1:]}" + (f": {title}" if title else "")


class TechnicalForm(BootstrapForm):
    CHARGE, CREDIT = "charge", "credit"
    direction = forms.ChoiceField(label=_("direction"), widget=RadioList, choices=[
        (CHARGE, _("charge the balance")), (CREDIT, _("credit the balance"))])
    amount = AmountField()
    reason = forms.CharField(label=_("reason"), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class AllocationLinkForm(BootstrapForm):
    payment = _DocumentChoiceField(label=_("payment"), queryset=None)
    receivable = _DocumentChoiceField(label=_("receivable"), queryset=None)
    amount = AmountField(required=False,
                         help_text=_("Empty: as much as both still allow."))

    def __init__(self, *args, payments, receivables, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment"].queryset = _choices_queryset(payments)
        self.fields["payment"].choices = [("", "—")] + [
            (p.pk, self.fields["payment"].label_from_instance(p)) for p in payments]
        self.fields["receivable"].queryset = _choices_queryset(receivables)
        self.fields["receivable"].choices = [("", "—")] + [
            (r.pk, self.fields["receivable"].label_from_instance(r)) for r in receivables]


class AllocationRemoveForm(BootstrapForm):
    document = _DocumentChoiceField(label=_("document"), queryset=None)

    def __init__(self, *args, documents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = _choices_queryset(documents)
        self.fields["document"].choices = [("", "—")] + [
            (d.pk, f"{d.number} ({date_format(d.issue_date, 'SHORT_DATE_FORMAT')}): "
                   f"{money_format(d.amount)}") for d in documents]


class CashRegisterForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100)
    symbol = forms.CharField(label=_("symbol"), max_length=20,
                             help_text=_("In the KP/KW numbers, e.g. KP/MAIN/2026/1."))
    kp_number_pattern = forms.CharField(
        label=_("KP number pattern"), max_length=40, required=False,
        help_text=_("Empty: KP/<SYMBOL>/{YYYY}/{N}. Tokens: {YYYY} {YY} {MM} {DD} {N}."))
    kw_number_pattern = forms.CharField(
        label=_("KW number pattern"), max_length=40, required=False,
        help_text=_("Empty: KW/<SYMBOL>/{YYYY}/{N}. Tokens: {YYYY} {YY} {MM} {DD} {N}."))

