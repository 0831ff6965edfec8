"""Forms of the jpk part: the month of a JPK file and a purchase document."""

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm, DateInput
from finance.money import VAT_RATES

from .models import PurchaseDocument


class MonthInput(forms.TextInput):
    input_type = "month"


class MonthField(forms.CharField):
    """A month typed as YYYY-MM (the browser's month picker); cleans to its first day."""

    widget = MonthInput

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", value.strip())
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
            raise ValidationError(_("Enter the month as YYYY-MM, e.g. 2026-03."))
        return date(int(match[1]), int(match[2]), 1)

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, date) else value


def previous_month() -> date:
    first = timezone.localdate().replace(day=1)
    return (first.replace(year=first.year - 1, month=12) if first.month == 1
            else first.replace(month=first.month - 1))


class JpkMonthForm(BootstrapForm):
    period = MonthField(label=_("month"))


class PurchaseFilterForm(BootstrapForm):
    q = forms.CharField(label=_("search"), required=False, max_length=100,
                        help_text=_("Number, supplier or NIP."))
    period = MonthField(label=_("deducted in"), required=False)


class PurchaseForm(BootstrapForm):
    supplier_name = forms.CharField(label=_("supplier"), max_length=240)
    supplier_nip = forms.CharField(label=_("supplier's NIP"), max_length=20)
    number = forms.CharField(label=_("invoice number"), max_length=256)
    issue_date = forms.DateField(label=_("issue date"), widget=DateInput())
    receipt_date = forms.DateField(label=_("receipt date"), widget=DateInput(),
                                   required=False)
    period = MonthField(label=_("deducted in"),
                        help_text=_("The month of receipt or one of the next three."))
    category = forms.ChoiceField(label=_("kind"), choices=PurchaseDocument.Category.choices)
    net = forms.CharField(label=_("net"), required=False, max_length=20,
                          help_text=_("Empty for an adjustment of VAT alone."))
    vat_rate = forms.ChoiceField(label=_("VAT rate"), required=False,
                                 choices=[("", "—"), *((r, r) for r in VAT_RATES)],
                                 help_text=_("With the VAT left empty it is computed from "
                                             "the net."))
    vat = forms.CharField(label=_("VAT"), required=False, max_length=20)
    ksef_number = forms.CharField(label=_("KSeF number"), required=False, max_length=40)
    ksef_marker = forms.ChoiceField(label=_("marker without a KSeF number"),
                                    choices=PurchaseDocument.Marker.choices)
    document_type = forms.ChoiceField(label=_("document type"), required=False,
                                      choices=PurchaseDocument.DocumentType.choices)

    @classmethod
    def initial_of(cls, document: PurchaseDocument) -> dict:
        return {name: getattr(document, name) for name in cls.base_fields
                if hasattr(document, name)}
