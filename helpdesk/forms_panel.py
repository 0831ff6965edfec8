"""Forms of the customer panel's tickets ("Zgłoszenia")."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm, DateInput

from .case_fields import case_data_clean
from .models import FieldKind

FIELD_PREFIX = "f_"
TITLE_MAX = 200
BODY_MAX = 20_000


def _field_for(case_field) -> forms.Field:
    """A form field for one of the type's fields. Every one is optional here: whether it
    is mandatory and what it accepts is ``case_data_clean``'s (one rule for every path);
    the browser is told ``required`` for a mandatory one."""
    attrs = {"required": True} if case_field.required else {}
    kind = case_field.kind
    if kind == FieldKind.CHOICE:
        choices = [("", "—"), *[(str(c), str(c)) for c in case_field.choices or []]]
        # A CharField: whether the value is one of the choices is case_data_clean's.
        field = forms.CharField(widget=forms.Select(choices=choices, attrs=attrs))
    elif kind == FieldKind.DATE:
        field = forms.CharField(widget=DateInput(attrs=attrs))
    elif kind == FieldKind.ADDRESS:
        field = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, **attrs}))
    elif kind == FieldKind.PHONE:
        field = forms.CharField(widget=forms.TextInput(attrs={"type": "tel", **attrs}))
    elif kind == FieldKind.NUMBER:
        field = forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                              **attrs}))
    else:
        field = forms.CharField(widget=forms.TextInput(attrs=attrs))
    field.required = False
    field.label = f"{case_field.label}{' *' if case_field.required else ''}"
    field.help_text = case_field.help_text
    return field


class TicketNewForm(BootstrapForm):
    """A new ticket of one case type: subject, description, the type's fields, a file."""

    title = forms.CharField(label=_("Subject"), max_length=TITLE_MAX)
    description = forms.CharField(label=_("Description"), max_length=BODY_MAX,
                                  widget=forms.Textarea(attrs={"rows": 5}))
    file = forms.FileField(label=_("File (PDF, JPG, PNG, GIF)"), required=False)

    def __init__(self, *args, case_type, **kwargs):
        super().__init__(*args, **kwargs)
        self.case_type = case_type
        self.case_fields = list(case_type.active_fields)
        for case_field in self.case_fields:
            self.fields[FIELD_PREFIX + case_field.key] = _field_for(case_field)
        self.style_widgets()

    def type_fields(self):
        return [self[FIELD_PREFIX + f.key] for f in self.case_fields]

    def clean(self):
        cleaned = super().clean()
        raw = {f.key: cleaned.get(FIELD_PREFIX + f.key, "") for f in self.case_fields}
        try:
            cleaned["data"] = case_data_clean(self.case_type, raw, require_mandatory=True,
                                              fields=self.case_fields)
        except ValidationError as e:
            for key, messages in e.message_dict.items():
                name = FIELD_PREFIX + key
                self.add_error(name if name in self.fields else None, messages)
        return cleaned


class TicketReplyForm(BootstrapForm):
    body = forms.CharField(label=_("Your reply"), max_length=BODY_MAX,
                           widget=forms.Textarea(attrs={"rows": 4}))
    file = forms.FileField(label=_("File (PDF, JPG, PNG, GIF)"), required=False)


class TicketAttachForm(BootstrapForm):
    file = forms.FileField(label=_("File (PDF, JPG, PNG, GIF)"))
