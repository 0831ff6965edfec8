"""The reports' period (the staff page and the API read it through this form)."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import BootstrapForm, DateInput

from .reports_export import TABLES
from .selectors.reports import MAX_DAYS, Period, period_default


class ReportPeriodForm(BootstrapForm):
    """From/to, both days included; empty: the last 30 days."""

    date_from = forms.DateField(label=gettext_lazy("from"), required=False,
                                widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("to"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        default = period_default()
        start, end = data.get("date_from"), data.get("date_to")
        if start is None and end is None:
            start, end = default.date_from, default.date_to
        elif start is None:
            start = end - (default.date_to - default.date_from)
        elif end is None:
            end = max(start, default.date_to) if (default.date_to - start).days < MAX_DAYS \
                else start + (default.date_to - default.date_from)
        if end < start:
            self.add_error("date_to", _("The end of the period is before its start."))
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("date_to", _("A report covers at most %(days)s days.")
                           % {"days": MAX_DAYS})
        data["date_from"], data["date_to"] = start, end
        return data

    def period(self) -> Period:
        return Period(date_from=self.cleaned_data["date_from"],
                      date_to=self.cleaned_data["date_to"])


class ReportExportForm(ReportPeriodForm):
    format = forms.ChoiceField(label=gettext_lazy("file format"),
                               choices=[("csv", "CSV"), ("xlsx", "XLSX")], initial="csv")
    table = forms.ChoiceField(label=gettext_lazy("table"), choices=list(TABLES.items()))
