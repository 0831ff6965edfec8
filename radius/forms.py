"""Staff forms of the RADIUS app. They only parse: the services validate (MAC for DHCP,
addresses inside the pool, attribute names) and the views show their messages."""

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm
from core.validation import NOTE_MAX_LENGTH

from .models import IpPool, Login, LoginAttribute, Nas, NasKind


def _address_label(address) -> str:
    return f"{address.get_kind_display()}: {address}"


def _subscription_label(subscription) -> str:
    def day(value):
        return date_format(value, "SHORT_DATE_FORMAT")

    end = f" – {day(subscription.end_date)}" if subscription.end_date else ""
    return f"{subscription.tariff.name} ({day(subscription.start_date)}{end})"


class LoginForm(BootstrapForm):
    """Add or edit a "komputer". Empty login and password are generated on adding (from the
    tenant's patterns); on editing, an empty password keeps the current one."""

    auth_type = forms.ChoiceField(label=_("authorization type"), choices=Login.AuthType.choices)
    login = forms.CharField(label=_("login"), max_length=64, required=False)
    password = forms.CharField(label=_("password"), max_length=128, required=False,
                               strip=False)
    mac = forms.CharField(label=_("MAC address"), max_length=17, required=False)
    subscription = forms.ModelChoiceField(label=_("tariff"), required=False,
                                          queryset=Login.all_tenants.none())
    installation_address = forms.ModelChoiceField(label=_("installation address"),
                                                  required=False, queryset=Login.all_tenants.none())
    pool = forms.ModelChoiceField(label=_("IP pool"), required=False,
                                  queryset=IpPool.all_tenants.none())
    ip = forms.CharField(label=_("IP address"), max_length=15, required=False)
    ip_reserved = forms.BooleanField(label=_("IP reserved (taken out of its pool)"),
                                     required=False)
    nases = forms.ModelMultipleChoiceField(
        label=_("allowed NAS devices"), required=False, queryset=Nas.all_tenants.none(),
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, customer, addresses, subscriptions, pools, nases,
                 editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        fields = self.fields
        fields["subscription"].queryset = subscriptions
        fields["subscription"].label_from_instance = _subscription_label
        fields["subscription"].empty_label = _("no tariff")
        fields["installation_address"].queryset = addresses
        fields["installation_address"].label_from_instance = _address_label
        fields["pool"].queryset = pools
        fields["pool"].empty_label = _("no pool")
        fields["nases"].queryset = nases
        fields["nases"].widget.attrs["class"] = "list-unstyled small mb-0"
        fields["nases"].help_text = _("None ticked: any NAS.")
        fields["ip"].help_text = _("Empty: the pool's first free address.")
        fields["mac"].help_text = _("Required for DHCP.")
        if editing:
            fields["login"].required = True
            fields["password"].help_text = _("Empty: keep the current password.")
            fields["installation_address"].empty_label = _("none")
        else:
            fields["login"].help_text = _("Empty: generated from the tenant's pattern.")
            fields["password"].help_text = _("Empty: generated from the tenant's pattern.")
            fields["installation_address"].empty_label = _(
                "the customer's installation address, else residence")

    def service_kwargs(self) -> dict:
        """The arguments for ``login_create`` / ``login_update``: on editing only what was
        changed, so that a new pool without a typed IP takes the pool's first free one."""
        data = self.cleaned_data
        names = [n for n in self.fields if n != "nases"]
        if self.editing:
            names = [n for n in names if n in self.changed_data
                     and not (n == "password" and not data[n])]
        kwargs = {n: data[n] for n in names}
        if "ip" in kwargs:
            kwargs["ip"] = kwargs["ip"] or None
        if not self.editing and kwargs["subscription"] is None:
            kwargs.pop("subscription")  # the service's default: no tariff
        kwargs["nases"] = list(data["nases"])
        return kwargs


class AttributeRowForm(forms.Form):
    """One extra RADIUS attribute; a row with no attribute name is ignored."""

    attribute = forms.CharField(label=_("attribute"), max_length=64, required=False,
                                widget=forms.TextInput(attrs={
                                    "class": "form-control form-control-sm",
                                    "placeholder": "Mikrotik-Address-List"}))
    op = forms.ChoiceField(label=_("operator"), choices=LoginAttribute.Op.choices,
                           widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    value = forms.CharField(label=_("value"), max_length=253, required=False,
                            widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))


AttributeFormSet = forms.formset_factory(AttributeRowForm, extra=2)


def attribute_rows(formset) -> list[tuple[str, str, str]]:
    return [(f.cleaned_data["attribute"], f.cleaned_data["op"], f.cleaned_data["value"])
            for f in formset.forms
            if f.cleaned_data.get("attribute", "").strip() or f.cleaned_data.get("value")]


class NasForm(BootstrapForm):
    """A NAS; the shared secret is never shown back: empty on editing keeps it."""

    name = forms.CharField(label=_("name"), max_length=100)
    ip = forms.CharField(label=_("IP address"), max_length=39)
    secret = forms.CharField(label=_("shared secret"), max_length=128, strip=False,
                             widget=forms.PasswordInput(render_value=False,
                                                        attrs={"autocomplete": "off"}))
    kind = forms.ChoiceField(label=_("type"), choices=NasKind.choices)
    coa_port = forms.IntegerField(label=_("CoA port"), initial=3799, min_value=1,
                                  max_value=65535)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["secret"].required = False
            self.fields["secret"].help_text = _("Empty: keep the current secret.")

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        if not data["secret"]:
            data.pop("secret")
        return data


class PoolForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100)
    network = forms.CharField(label=_("network"), max_length=18,
                              widget=forms.TextInput(attrs={"placeholder": "100.64.0.0/24"}))
    range_start = forms.CharField(label=_("first address"), max_length=15)
    range_end = forms.CharField(label=_("last address"), max_length=15)
    gateway = forms.CharField(label=_("gateway"), max_length=15, required=False)
    ipv6_prefix = forms.CharField(label=_("IPv6 delegated prefixes"), max_length=43,
                                  required=False,
                                  widget=forms.TextInput(attrs={"placeholder": "2001:db8::/40"}))
    ipv6_prefix_length = forms.IntegerField(label=_("length of a delegated prefix"),
                                            required=False, min_value=1, max_value=128)


class NotesForm(BootstrapForm):
    notes = forms.CharField(label=_("notes"), required=False, max_length=NOTE_MAX_LENGTH,
                            widget=forms.Textarea(attrs={"rows": 6}))


class PhotoForm(BootstrapForm):
    file = forms.FileField(label=_("photo (JPG or PNG)"))
    description = forms.CharField(label=_("description"), max_length=200, required=False)


class DisableForm(BootstrapForm):
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)


class BlockForm(BootstrapForm):
    """A staff block ("Blokada") of a login or of all the customer's logins; ``confirmed``
    is sent by the page that already said which sessions the block changes."""

    reason = forms.CharField(label=_("reason for the block"), max_length=200,
                             help_text=_("Shown on the card and in the action log."))
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class DisableConfirmForm(BootstrapForm):
    """Disabling an online login: the reason, and that the staff saw it disconnects."""

    reason = forms.CharField(label=_("reason"), max_length=200, required=False)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class DateTimeInput(forms.DateTimeInput):
    """``<input type="datetime-local">``: its value is ``2026-12-05T18:00`` in every
    language (the browser shows it in the reader's own form)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class TempSpeedForm(BootstrapForm):
    """"Prędkość tymczasowa": speeds in kbit/s (the tariff's unit) and when it ends."""

    download_kbps = forms.IntegerField(label=_("download (kbit/s)"), min_value=1,
                                       widget=forms.NumberInput(attrs={"placeholder": "50000"}))
    upload_kbps = forms.IntegerField(label=_("upload (kbit/s)"), min_value=1,
                                     widget=forms.NumberInput(attrs={"placeholder": "10000"}))
    until = forms.DateTimeField(label=_("until"), widget=DateTimeInput,
                                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                                               "%d.%m.%Y %H:%M"])
