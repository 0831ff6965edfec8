"""Forms of the VoIP app: they parse; the services say what is wrong, in one place."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm

from .models import VoipPhone


class PhoneForm(BootstrapForm):
    """"Dodaj telefon → Centrala Asterisk"."""

    numbers_range = forms.ChoiceField(label=_("number range"), choices=[])
    number = forms.CharField(label=_("phone number"), required=False, max_length=30,
                             help_text=_("Empty: the first free number of the range."))
    password = forms.CharField(
        label=_("SIP password"), required=False, strip=False, max_length=80,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Empty: a random password (“Losowe hasło”), shown once."))
    billing_type = forms.ChoiceField(label=_("billing type"),
                                     choices=VoipPhone.BillingType.choices)
    free_minutes = forms.IntegerField(label=_("free minutes"), initial=0, min_value=0)
    free_minute_groups = forms.MultipleChoiceField(
        label=_("billing groups"), required=False, choices=[],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The groups the free minutes apply to."))
    free_numbers_count = forms.IntegerField(label=_("free numbers"), initial=0, min_value=0)
    free_numbers = forms.CharField(label=_("numbers called free"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text=_("One number per line."))
    amount_limit = forms.CharField(label=_("amount limit"), required=False, max_length=20)
    notify_threshold = forms.CharField(label=_("notification threshold"), required=False,
                                       max_length=20)
    context = forms.CharField(label=_("context"), initial="default", max_length=40)
    voicemail_pin = forms.CharField(label=_("voicemail PIN"), required=False, max_length=10)
    voicemail_email = forms.CharField(label=_("voicemail e-mail"), required=False,
                                      max_length=254)
    fax = forms.BooleanField(label=_("fax"), required=False)
    server = forms.ChoiceField(label=_("exchange"), required=False, choices=[],
                               help_text=_("Empty: the company's only exchange."))
    # One-time token: the same form sent twice adds one phone (services.phone_create).
    request_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, ranges=(), groups=(), servers=(), **kwargs):
        super().__init__(*args, **kwargs)
        if len(servers) > 1:
            self.fields["server"].choices = [("", "—")] + [(str(s.pk), s.name) for s in servers]
        else:  # one exchange or none: nothing to choose
            del self.fields["server"]
        self.ranges = {str(r.pk): r for r in ranges}
        self.fields["numbers_range"].choices = [(str(r.pk), str(r)) for r in ranges]
        self.fields["free_minute_groups"].choices = [(str(g.pk), g.name) for g in groups]

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["numbers_range"] = self.ranges[data["numbers_range"]]
        data["number"] = data["number"] or None
        if "server" in data:
            data["server"] = data["server"] or None
        data["free_numbers"] = [line for line in data["free_numbers"].splitlines()
                                if line.strip()]
        return data


class PrepaidForm(BootstrapForm):
    """A prepaid phone's top-up or correction; the service checks the amount."""

    kind = forms.ChoiceField(label=_("type"), choices=[
        ("top_up", _("top-up")), ("correction", _("correction"))])
    amount = forms.CharField(label=_("amount"), max_length=20,
                             help_text=_("A correction may be below zero (a refund)."))
    reference = forms.CharField(label=_("payment reference"), required=False, max_length=100,
                                help_text=_("What the customer paid by: a KP number, a "
                                            "transfer's title."))
    note = forms.CharField(label=_("note"), required=False, max_length=500)
    request_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.has_perm("voip.correct_prepaidentry"):
            # a correction moves the balance without a sale: the accountant's
            self.fields["kind"].choices = [("top_up", _("top-up"))]
