from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm, DateInput


class ImportStartForm(BootstrapForm):
    """Where the LMS database is, and how to import it (lmsimport.services.import_run_start)."""

    host = forms.CharField(label=_("Server"), max_length=255,
                           help_text=_("Host name or IP address of LMS's PostgreSQL server."))
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, initial=5432)
    database = forms.CharField(label=_("Database"), max_length=255, initial="lms")
    user = forms.CharField(label=_("User"), max_length=255)
    password = forms.CharField(label=_("Password"), required=False, strip=False,
                               widget=forms.PasswordInput(render_value=False))
    dry_run = forms.BooleanField(label=_("Dry run: everything is checked and reported, "
                                         "nothing is kept"), required=False, initial=True)
    since = forms.DateField(label=_("History since"), required=False, widget=DateInput(),
                            help_text=_("Documents and payments before this day come as each "
                                        "customer's opening balance. Empty: the whole "
                                        "history."))
