"""Forms of the SLA settings: the week of business hours, a day off, an SLA target.
They only parse; the services (helpdesk.services.sla) check and save."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm, DateField

from .business_time import DEFAULT_HOURS
from .models import CaseType, Priority, Weekday
from .services.sla import MINUTES_MAX


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class BusinessHoursForm(BootstrapForm):
    """Seven rows: open or not, opening and closing hour (23:59 = until midnight)."""

    def __init__(self, *args, current: dict | None = None, **kwargs):
        current = current or DEFAULT_HOURS
        initial = {}
        for weekday in Weekday.values:
            span = current.get(weekday)
            initial[f"open_{weekday}"] = span is not None
            initial[f"opens_{weekday}"] = span[0] if span else None
            initial[f"closes_{weekday}"] = span[1] if span else None
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for weekday, label in Weekday.choices:
            self.fields[f"open_{weekday}"] = forms.BooleanField(label=label, required=False)
            self.fields[f"opens_{weekday}"] = forms.TimeField(
                label=_("opens"), required=False, widget=TimeInput())
            self.fields[f"closes_{weekday}"] = forms.TimeField(
                label=_("closes"), required=False, widget=TimeInput())
        self.style_widgets()

    def rows(self):
        for weekday, label in Weekday.choices:
            yield (weekday, label, self[f"open_{weekday}"], self[f"opens_{weekday}"],
                   self[f"closes_{weekday}"], self.errors.get(f"day_{weekday}", []))

    def add_error(self, field, error):
        # The service names a day ``day_<n>``: shown on that day's row.
        if isinstance(field, str) and field.startswith("day_"):
            self._errors.setdefault(field, self.error_class()).extend(
                error if isinstance(error, list) else [error])
            return
        super().add_error(field, error)

    def hours(self) -> dict:
        data = self.cleaned_data
        return {wd: ((data.get(f"opens_{wd}"), data.get(f"closes_{wd}"))
                     if data.get(f"open_{wd}") else None) for wd in Weekday.values}


class HolidayForm(BootstrapForm):
    date = DateField(label=_("date"))
    name = forms.CharField(label=_("name"), max_length=100, required=False,
                           help_text=_("Empty on a public holiday: its name."))
    closed = forms.TypedChoiceField(
        label=_("kind"), coerce=lambda v: v == "1", initial="1",
        choices=[("1", _("day off")), ("0", _("working day on a public holiday"))])


class SlaTargetForm(BootstrapForm):
    case_type = forms.ModelChoiceField(label=_("case type"), queryset=CaseType.all_tenants.none())
    priority = forms.TypedChoiceField(label=_("priority"), choices=Priority.choices,
                                      coerce=int, initial=Priority.NORMAL)
    first_response_minutes = forms.IntegerField(
        label=_("first response (business minutes)"), min_value=1, max_value=MINUTES_MAX)
    resolution_minutes = forms.IntegerField(
        label=_("resolution (business minutes)"), min_value=1, max_value=MINUTES_MAX)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:  # a target's type and priority stay; another pair is another target
            del self.fields["case_type"], self.fields["priority"]
        else:
            self.fields["case_type"].queryset = CaseType.objects.filter(is_active=True)
