"""The month chooser of the sales VAT register and the period of the revenue report."""

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .registers import MAX_REVENUE_MONTHS, month_add, month_range

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
# Far-past and far-future months are typing mistakes, never a tax period of an ISP.
FIRST_YEAR, LAST_YEAR = 2000, 2099


class MonthField(forms.Field):
    """A calendar month typed as YYYY-MM (the browser's ``<input type="month">``); its
    value is the month's first day."""

    widget = forms.TextInput(attrs={"type": "month", "class": "form-control",
                                    "placeholder": "YYYY-MM"})

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, date):
            return value.replace(day=1)
        match = MONTH_PATTERN.match(str(value).strip())
        if not match or not 1 <= int(match[2]) <= 12:
            raise ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-03."), code="invalid")
        year = int(match[1])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValidationError(_("Choose a month between %(a)s and %(b)s.")
                                  % {"a": FIRST_YEAR, "b": LAST_YEAR}, code="invalid")
        return date(year, int(match[2]), 1)

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, date) else value


class SalesRegisterForm(forms.Form):
    FORMATS = [("pdf", "PDF"), ("xlsx", "XLSX"), ("csv", "CSV")]

    month = MonthField(label=gettext_lazy("month"))
    format = forms.ChoiceField(choices=FORMATS, required=False)


class RevenueForm(forms.Form):
    BY = [("tariff", gettext_lazy("per tariff")), ("group", gettext_lazy("per customer group"))]
    FORMATS = [("xlsx", "XLSX"), ("csv", "CSV")]

    month_from = MonthField(label=gettext_lazy("from month"))
    month_to = MonthField(label=gettext_lazy("to month"))
    by = forms.ChoiceField(label=gettext_lazy("rows"), choices=BY, initial="tariff",
                           widget=forms.Select(attrs={"class": "form-select"}))
    format = forms.ChoiceField(choices=FORMATS, required=False)

    def clean(self):
        data = super().clean()
        first, last = data.get("month_from"), data.get("month_to")
        if first and last:
            if last < first:
                self.add_error("month_to", _("The last month is before the first."))
            elif len(month_range(first, last)) > MAX_REVENUE_MONTHS:
                self.add_error("month_to", _("Choose at most %(n)s months.")
                               % {"n": MAX_REVENUE_MONTHS})
        return data


def default_revenue_period(today: date) -> dict:
    """The last twelve months up to the current one."""
    current = today.replace(day=1)
    return {"month_from": month_add(current, -11), "month_to": current, "by": "tariff"}
