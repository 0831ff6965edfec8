"""Forms of the offline part: declaring and ending a KSeF outage, uploading the offline
certificate. They parse; the rules are ksef.offline's."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm

from .models import OutageKind

# Certificates and keys are a few kilobytes; anything much larger is not one.
UPLOAD_MAX_BYTES = 64 * 1024


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class OutageDeclareForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("kind"), choices=OutageKind.choices,
                             help_text=_("As the Ministry of Finance announced it (BIP, the "
                                         "KSeF API)."))
    starts_at = forms.DateTimeField(label=_("start"), widget=DateTimeInput)
    ends_at = forms.DateTimeField(label=_("end"), widget=DateTimeInput, required=False,
                                  help_text=_("Empty while the outage goes on."))
    note = forms.CharField(label=_("note"), max_length=500, required=False)


class OutageEndForm(BootstrapForm):
    ends_at = forms.DateTimeField(label=_("end"), widget=DateTimeInput)


def _read(upload) -> bytes:
    if upload.size > UPLOAD_MAX_BYTES:
        raise forms.ValidationError(_("The file is larger than %(n)s kB: it is not a "
                                      "certificate or a key.") % {"n": UPLOAD_MAX_BYTES // 1024})
    return upload.read()


class OfflineCertificateForm(BootstrapForm):
    certificate = forms.FileField(label=_("certificate (PEM or DER)"))
    private_key = forms.FileField(label=_("private key (PEM or DER)"))
    password = forms.CharField(label=_("private key's password"), required=False,
                               strip=False, widget=forms.PasswordInput(render_value=False))

    def clean_certificate(self) -> bytes:
        return _read(self.cleaned_data["certificate"])

    def clean_private_key(self) -> bytes:
        return _read(self.cleaned_data["private_key"])
