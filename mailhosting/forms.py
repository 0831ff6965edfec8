"""Forms of hosted mail: they parse; the services say what is wrong, in one place."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm

from .models import QUOTA_MAX_MB, QUOTA_MIN_MB


def _domains(form, domains):
    """The active domains given to the form (a list: it costs no query)."""
    form.domains = {str(d.pk): d for d in domains}
    form.fields["domain"].choices = [(str(d.pk), f"@{d.display_name}") for d in domains]


class MailboxForm(BootstrapForm):
    local_part = forms.CharField(label=_("name before @"), max_length=64)
    domain = forms.ChoiceField(label=_("domain"), choices=[])
    password = forms.CharField(
        label=_("password"), required=False, strip=False, max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate one; it is shown once."))
    quota_mb = forms.IntegerField(label=_("quota (MB)"), initial=1024)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, domains=(), **kwargs):
        super().__init__(*args, **kwargs)
        _domains(self, domains)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["domain"] = self.domains[data["domain"]]
        return data


class MailboxEditForm(BootstrapForm):
    quota_mb = forms.IntegerField(label=_("quota (MB)"),
                                  help_text=_("From %(min)d to %(max)d MB.")
                                  % {"min": QUOTA_MIN_MB, "max": QUOTA_MAX_MB})
    active = forms.BooleanField(label=_("active"), required=False)


class MailboxPasswordForm(BootstrapForm):
    password = forms.CharField(
        label=_("new password"), required=False, strip=False, max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate one; it is shown once."))


class ForwardForm(BootstrapForm):
    local_part = forms.CharField(label=_("name before @"), max_length=64)
    domain = forms.ChoiceField(label=_("domain"), choices=[])
    destinations = forms.CharField(
        label=_("forward to"), widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One address per line."))
    keep_copy = forms.BooleanField(label=_("keep a copy in the mailbox"), required=False)

    def __init__(self, *args, domains=(), **kwargs):
        super().__init__(*args, **kwargs)
        _domains(self, domains)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["domain"] = self.domains[data["domain"]]
        return data


class ForwardEditForm(BootstrapForm):
    destinations = forms.CharField(
        label=_("forward to"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One address per line."))
    keep_copy = forms.BooleanField(label=_("keep a copy in the mailbox"), required=False)
    active = forms.BooleanField(label=_("active"), required=False)


class DomainForm(BootstrapForm):
    name = forms.CharField(label=_("domain"), max_length=253)
