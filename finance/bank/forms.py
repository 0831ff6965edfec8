from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm

from .csv_profiles import csv_profiles


class BankUploadForm(BootstrapForm):
    file = forms.FileField(label=_("Statement file"))
    format = forms.ChoiceField(label=_("Format"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = [
            ("", _("Detect (MT940 or CAMT.053)")), ("mt940", "MT940"), ("camt053", "CAMT.053"),
        ] + [(f"csv:{name}", _("CSV: %(profile)s") % {"profile": name})
             for name in sorted(csv_profiles())]

    def clean_file(self):
        from .jobs import statement_upload_check

        statement_upload_check(self.cleaned_data["file"])
        return self.cleaned_data["file"]


class BankAssignForm(BootstrapForm):
    customer_id = forms.IntegerField(widget=forms.HiddenInput)
