"""The helpdesk mailbox's settings form (the mail part)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm

from .models import CaseType, Queue
from .models.mail import ImapSecurity, IngestOutcome


class MailboxForm(BootstrapForm):
    """The password is write-only: never put back into the page; left empty, the stored
    one stays."""

    address = forms.CharField(label=_("helpdesk address"), max_length=254,
                              help_text=_("Customers write here; mail from this address "
                                          "itself is never turned into a case."))
    host = forms.CharField(label=_("IMAP server"), max_length=255)
    port = forms.IntegerField(label=_("port"), required=False,
                              help_text=_("Empty: 993 for SSL/TLS, 143 otherwise."))
    security = forms.ChoiceField(label=_("security"), choices=ImapSecurity.choices)
    username = forms.CharField(label=_("user name"), max_length=255)
    password = forms.CharField(
        label=_("password"), required=False, max_length=1000, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))
    folder = forms.CharField(label=_("folder"), max_length=100, initial="INBOX")
    case_type = forms.ModelChoiceField(label=_("case type of new cases"), queryset=None)
    queue = forms.ModelChoiceField(label=_("queue of new cases"), queryset=None)
    sender_hourly_limit = forms.IntegerField(
        label=_("new cases per sender per hour"), initial=5,
        help_text=_("More e-mails from one sender within an hour are treated as a mail loop "
                    "and create no case."))
    is_active = forms.BooleanField(label=_("read the mailbox every minute"), required=False,
                                   initial=True)

    def __init__(self, *args, has_password: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_type"].queryset = CaseType.objects.filter(is_active=True)
        self.fields["queue"].queryset = Queue.objects.filter(is_active=True)
        if has_password:
            self.fields["password"].help_text = _("A password is stored; leave empty to keep "
                                                  "it.")


class IngestFilterForm(BootstrapForm):
    outcome = forms.ChoiceField(label=_("outcome"), required=False,
                                choices=[("", _("all"))] + list(IngestOutcome.choices))
    sender = forms.CharField(label=_("sender"), required=False, max_length=254)
