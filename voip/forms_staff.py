"""Forms of the telephony's staff pages (voip/staff/): they parse what was typed; the
services (voip.catalog, voip.services) say what is wrong, in one place."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm, DateField

from .models import PhoneNumber

# A price list or a CDR file read into memory; larger files are refused by the form.
IMPORT_MAX_BYTES = 5 * 1024 * 1024
CDR_MAX_BYTES = 20 * 1024 * 1024


class NumberRangeForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100)
    first = forms.CharField(label=_("first number"), max_length=30,
                            help_text=_("E.g. +48 22 300 00 00"))
    last = forms.CharField(label=_("last number"), max_length=30,
                           help_text=_("E.g. +48 22 300 09 99"))


class NumberFilterForm(BootstrapForm):
    """A range's numbers: in a state, from a number on."""

    state = forms.ChoiceField(label=_("state"), required=False,
                              choices=[("", _("any state")), *PhoneNumber.State.choices])
    start = forms.CharField(label=_("from number"), required=False, max_length=30)


class BillingGroupForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100)
    code = forms.CharField(label=_("code"), max_length=40,
                           help_text=_("What price lists and imported files call the group, "
                                       "e.g. mobile; it cannot be changed later."))


class BillingGroupEditForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100)


class PriceListForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100)
    valid_from = DateField(label=_("valid from"))
    copy_from = forms.ChoiceField(label=_("copy the rules of"), required=False, choices=[])

    def __init__(self, *args, price_lists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.price_lists = {str(p.pk): p for p in price_lists}
        self.fields["copy_from"].choices = [("", _("— none, start empty —")),
                                            *((k, str(p)) for k, p in self.price_lists.items())]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "valid_from": data["valid_from"],
                "copy_from": self.price_lists.get(data["copy_from"])}


class RuleSearchForm(forms.Form):
    q = forms.CharField(label=_("prefix or number"), required=False, max_length=30)

    def digits(self) -> str:
        if not self.is_valid():
            return ""
        text = "".join(ch for ch in self.cleaned_data["q"] if ch not in " +-")
        return text if text.isascii() and text.isdigit() else self.cleaned_data["q"].strip()


class PriceRuleForm(BootstrapForm):
    prefix = forms.CharField(label=_("prefix"), max_length=15,
                             help_text=_("Digits, country code first (48 50…)."))
    billing_group = forms.ChoiceField(label=_("billing group"), choices=[])
    price_per_minute = forms.CharField(label=_("price per minute"), max_length=20)
    first_increment = forms.CharField(label=_("first increment (s)"), max_length=6,
                                      initial=60)
    next_increment = forms.CharField(label=_("next increment (s)"), max_length=6, initial=60)
    connection_fee = forms.CharField(label=_("connection fee"), max_length=20, initial="0")

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["billing_group"].choices = [(str(g.pk), f"{g.name} ({g.code})")
                                                for g in groups]


class PriceImportForm(BootstrapForm):
    file = forms.FileField(label=_("CSV file"),
                           help_text=_("Columns: prefix; billing group code; price per "
                                       "minute; optionally first increment, next increment "
                                       "(seconds) and connection fee. “;” or “,” between "
                                       "them (with “,” write decimals with a dot), a header "
                                       "line allowed."))
    replace = forms.BooleanField(label=_("delete the rules the file does not have"),
                                 required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB.")
                                        % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)})
        data = upload.read()
        for encoding in ("utf-8-sig", "cp1250"):  # a Polish spreadsheet saves in either
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise forms.ValidationError(_("The file is not text (UTF-8 or Windows-1250)."))


class CdrUploadForm(BootstrapForm):
    file = forms.FileField(label=_("Master.csv file"),
                           help_text=_("Asterisk's CDR file (cdr_csv), as the exchange "
                                       "writes it."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > CDR_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB; split it.")
                                        % {"mb": CDR_MAX_BYTES // (1024 * 1024)})
        return upload.read()


class TariffScriptForm(BootstrapForm):
    text = forms.CharField(label=_("subtariff script"), required=False, strip=False,
                           widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}))


class ExchangeServerForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100)
    ami_host = forms.CharField(label=_("AMI host"), max_length=255)
    ami_port = forms.IntegerField(label=_("AMI port"), initial=5038)
    ami_username = forms.CharField(label=_("AMI user"), max_length=80)
    ami_secret = forms.CharField(
        label=_("AMI secret"), required=False, strip=False, max_length=255,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.fields["ami_secret"].help_text = _("Empty: the secret stays as it is.")
            self.fields["is_active"] = forms.BooleanField(label=_("active"), required=False)
            self.style_widgets()
        else:
            self.fields["ami_secret"].required = True
