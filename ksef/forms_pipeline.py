"""Forms of the KSeF pipeline's pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm

from .models import KsefProfile, KsefSubmission


class ProfileForm(BootstrapForm):
    """The tenant's KSeF profile; the token is write-only (never put back in the page)."""

    nip = forms.CharField(label=_("seller NIP"), max_length=13)
    environment = forms.ChoiceField(label=_("KSeF environment"),
                                    choices=KsefProfile.Environment.choices)
    custom_url = forms.URLField(label=_("KSeF API address"), required=False, max_length=300,
                                assume_scheme="https",
                                help_text=_("Only for \"Another address\"."))
    token = forms.CharField(
        label=_("KSeF token"), required=False, max_length=2000, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))
    enabled = forms.BooleanField(label=_("sending enabled"), required=False)
    send_after_billing = forms.BooleanField(label=_("send the invoices of a billing run"),
                                            required=False)
    send_on_issue = forms.BooleanField(label=_("send an invoice issued by hand"),
                                       required=False)

    def __init__(self, *args, has_token: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if has_token:
            self.fields["token"].help_text = _("A token is stored; leave empty to keep it.")


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(required=False,
                              choices=[("", _("all states")), *KsefSubmission.State.choices])
    q = forms.CharField(required=False, max_length=60)
