"""Forms of the scheduler's pages: they parse; the services decide."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm, DateField
from customers.models import Address
from radius.models import Login

from .models import Case, EventType
from .services.schedule import MAX_MINUTES, MIN_MINUTES, TEXT_MAX, TITLE_MAX

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    """``<input type="datetime-local">``: ISO without a zone, in every language."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=LOCAL_FORMAT)


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time in the tenant's zone (Europe/Warsaw). A time the clock skips or
    repeats (02:30 on the last Sundays of March and October) is refused with the reason
    rather than silently moved."""

    widget = LocalDateTimeInput

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", [LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S",
                                            "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"])
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip()
        try:
            return super().to_python(value)
        except ValidationError as e:
            if e.code == "ambiguous_timezone":
                raise ValidationError(_("The clock change skips or repeats this time on that "
                                        "day (summer time); choose another."),
                                      code="clock_change") from None
            raise


def user_label(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return user_label(obj)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return user_label(obj)


class EventForm(BootstrapForm):
    """New event and the event's edit form (the calendar's move without JavaScript)."""

    event_type = forms.ModelChoiceField(label=_("type"), queryset=EventType.all_tenants.none())
    title = forms.CharField(label=_("title"), max_length=TITLE_MAX)
    starts_at = LocalDateTimeField(label=_("starts"))
    duration_minutes = forms.IntegerField(
        label=_("duration (minutes)"), required=False, min_value=MIN_MINUTES,
        max_value=MAX_MINUTES, help_text=_("Empty: the type's usual duration."))
    staff = StaffMultipleChoiceField(label=_("assigned staff"), required=False,
                                     queryset=EventType.all_tenants.none(),
                                     widget=forms.SelectMultiple(attrs={"size": 5}))
    address = forms.ModelChoiceField(label=_("place"), required=False,
                                     queryset=Address.all_tenants.none())
    login = forms.ModelChoiceField(label=_("login"), required=False,
                                   queryset=Login.all_tenants.none())
    case = forms.ModelChoiceField(label=_("case"), required=False,
                                  queryset=Case.all_tenants.none())
    description = forms.CharField(label=_("description"), required=False, max_length=TEXT_MAX,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, customer=None, event=None, types, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        current_type = event.event_type_id if event is not None else None
        self.fields["event_type"].queryset = EventType.objects.filter(
            pk__in=[t.pk for t in types if t.is_active or t.pk == current_type])
        self.fields["staff"].queryset = staff
        if customer is None:
            for name in ("address", "login", "case"):
                del self.fields[name]
        else:
            # Any of the tenant's rows is a valid choice to the form: the service says
            # "not the customer's" in words, as the API does.
            self.fields["address"].queryset = Address.objects.all()
            self.fields["address"].widget.choices = [("", "—")] + [
                (a.pk, str(a)) for a in Address.objects.filter(customer=customer)]
            self.fields["login"].queryset = Login.objects.all()
            self.fields["login"].widget.choices = [("", "—")] + [
                (login.pk, login.login) for login in Login.objects.filter(customer=customer)
                .only("id", "login")]
            self.fields["case"].queryset = Case.objects.all()
            self.fields["case"].widget.choices = [("", "—")] + [
                (c.pk, str(c)) for c in Case.objects.filter(customer=customer)
                .only("id", "number", "title")[:100]]

    def service_args(self) -> dict:
        data = dict(self.cleaned_data)
        data["staff"] = list(data["staff"])
        data["customer"] = self.customer
        for name in ("address", "login", "case"):
            data.setdefault(name, None)
        return data


class EventMoveForm(forms.Form):
    """What the calendar's drag posts: the new start, and optionally a duration and the
    staff member whose column it was dropped in."""

    starts_at = LocalDateTimeField()
    duration_minutes = forms.IntegerField(required=False, min_value=MIN_MINUTES,
                                          max_value=MAX_MINUTES)
    staff = StaffChoiceField(required=False, queryset=EventType.all_tenants.none())

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff


class EventCloseForm(BootstrapForm):
    note = forms.CharField(label=_("how it went"), max_length=TEXT_MAX,
                           widget=forms.Textarea(attrs={"rows": 3}))


class EventTypeForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100)
    color = forms.CharField(label=_("colour"), max_length=7,
                            widget=forms.TextInput(attrs={"type": "color"}))
    default_minutes = forms.IntegerField(label=_("default duration (minutes)"),
                                         min_value=MIN_MINUTES, max_value=MAX_MINUTES)
    position = forms.IntegerField(label=_("order"), min_value=0, max_value=10_000, initial=0)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def style_widgets(self) -> None:
        super().style_widgets()
        self.fields["color"].widget.attrs["class"] = "form-control form-control-sm " \
                                                     "form-control-color"


VIEWS = [("day", _("day")), ("week", _("week")), ("month", _("month"))]


class CalendarForm(forms.Form):
    view = forms.ChoiceField(choices=VIEWS, required=False)
    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    staff = StaffChoiceField(required=False, queryset=EventType.all_tenants.none(),
                             empty_label=_("everyone"))

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff

    def clean_date(self):
        day = self.cleaned_data.get("date")
        if day is not None and not datetime.date(1900, 1, 1) <= day <= datetime.date(2999, 1, 1):
            raise ValidationError(_("Choose a date between 1900 and 2999."))
        return day


STATES = [("open", _("open")), ("closed", _("closed (archive)")), ("all", _("all"))]


class EventFilterForm(BootstrapForm):
    event_type = forms.ModelChoiceField(label=_("type"), required=False,
                                        queryset=EventType.all_tenants.none(),
                                        empty_label=_("any type"))
    staff = StaffChoiceField(label=_("staff member"), required=False,
                             queryset=EventType.all_tenants.none(), empty_label=_("anyone"))
    date_from = DateField(label=_("from"), required=False)
    date_to = DateField(label=_("to"), required=False)
    state = forms.ChoiceField(label=_("state"), choices=STATES, required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000,
                              widget=forms.HiddenInput)

    def __init__(self, *args, types, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_type"].queryset = EventType.objects.filter(
            pk__in=[t.pk for t in types])
        self.fields["staff"].queryset = staff

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The period ends before it starts."))
        return data
