"""Forms of the card's "Wiadomości" section: an SMS or an e-mail to one customer.

The recipient is chosen from the customer's own phones or addresses by id: a forged id
(another customer's phone, another tenant's) is not among the choices and is refused.
The text is validated by the service (``services.message_queue``), the one rule for every
path.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm
from customers.validators import format_phone

from . import selectors
from .models import Channel


def _label(recipient: selectors.Recipient, shown: str) -> str:
    return f"{shown} ({recipient.label})" if recipient.label else shown


class _SendForm(BootstrapForm):
    channel: str

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.recipients = {r.pk: r for r in
                           selectors.recipient_choices(customer=customer, channel=self.channel)}
        self.fields["to"].choices = [
            (r.pk, _label(r, format_phone(r.value) if self.channel == Channel.SMS else r.value))
            for r in self.recipients.values()]

    def clean(self):
        data = super().clean()
        if data.get("to") is not None:
            data["recipient"] = self.recipients[data["to"]].value
        return data


class SmsSendForm(_SendForm):
    channel = Channel.SMS

    to = forms.TypedChoiceField(label=_("phone number"), coerce=int)
    body = forms.CharField(label=_("text"), required=False, strip=False,
                           widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # messaging/static/messaging/sms_counter.js counts what is typed into the element
        # the attribute names.
        self.fields["body"].widget.attrs["data-sms-counter"] = f"{self.auto_id % 'counter'}"


class EmailSendForm(_SendForm):
    channel = Channel.EMAIL

    to = forms.TypedChoiceField(label=_("e-mail address"), coerce=int)
    template = forms.TypedChoiceField(label=_("template"), coerce=int, required=False,
                                      empty_value=None)
    subject = forms.CharField(label=_("subject"), required=False, max_length=255)
    body = forms.CharField(label=_("text"), required=False,
                           widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = {t.pk: t for t in templates}
        self.fields["template"].choices = [("", _("— none —"))] + [
            (t.pk, t.name) for t in self.templates.values()]

    def clean(self):
        data = super().clean()
        data["template_obj"] = self.templates.get(data.get("template"))
        return data
