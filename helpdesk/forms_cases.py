"""Forms of the cases part: parse input; the services (helpdesk.services.cases) validate."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm
from helpdesk.case_fields import choices_parse
from helpdesk.models import CaseStatus, FieldKind, Priority


def _queue_qs():
    from helpdesk.selectors.cases import queues_active

    return queues_active()


class CaseFieldsMixin:
    """One form field per active field of the case type, named ``f_<key>``; the values
    are checked by ``case_data_clean`` in the service (errors come back by key)."""

    def add_case_fields(self, fields, *, initial=None, require_mandatory=True):
        initial = initial or {}
        for field in fields:
            name = f"f_{field.key}"
            common = {"label": field.label, "required": False,
                      "help_text": field.help_text, "initial": initial.get(field.key, "")}
            if field.kind == FieldKind.CHOICE:
                self.fields[name] = forms.ChoiceField(
                    choices=[("", "—")] + [(c, c) for c in field.choices], **common)
            elif field.kind == FieldKind.DATE:
                self.fields[name] = forms.CharField(
                    widget=forms.DateInput(attrs={"type": "date"}), **common)
            elif field.kind == FieldKind.ADDRESS:
                self.fields[name] = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}),
                                                    **common)
            else:
                self.fields[name] = forms.CharField(**common)
            if field.required and require_mandatory:
                self.fields[name].widget.attrs["data-mandatory"] = "1"
                self.fields[name].label = f"{field.label} *"
        self.case_field_keys = [f.key for f in fields]

    def case_data(self) -> dict:
        return {key: self.cleaned_data.get(f"f_{key}", "") for key in self.case_field_keys}

    def add_error(self, field, error):
        # Errors of case_data_clean are keyed by the field's key.
        from django.core.exceptions import ValidationError

        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            error = ValidationError({(f"f_{k}" if f"f_{k}" in self.fields else k): v
                                     for k, v in error.error_dict.items()})
        elif field and f"f_{field}" in self.fields:
            field = f"f_{field}"
        super().add_error(field, error)


class CaseNewForm(CaseFieldsMixin, BootstrapForm):
    case_type = forms.ModelChoiceField(label=_("case type"), queryset=None)
    title = forms.CharField(label=_("subject"), max_length=200)
    description = forms.CharField(label=_("description"), required=False, max_length=20_000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    queue = forms.ModelChoiceField(label=_("queue"), queryset=None, required=False,
                                   help_text=_("Empty: the type's default queue."))
    priority = forms.TypedChoiceField(label=_("priority"), choices=Priority.choices,
                                      coerce=int, required=False)
    contact_name = forms.CharField(label=_("contact name"), required=False, max_length=200)
    contact_phone = forms.CharField(label=_("contact phone"), required=False, max_length=32)
    contact_email = forms.CharField(label=_("contact e-mail"), required=False,
                                    max_length=254)
    attachment = forms.FileField(label=_("attachment"), required=False)

    def __init__(self, *args, case_types, case_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_type"].queryset = case_types
        self.fields["queue"].queryset = _queue_qs()
        self.add_case_fields(case_fields)
        self.style_widgets()


class CaseEditForm(CaseFieldsMixin, BootstrapForm):
    title = forms.CharField(label=_("subject"), max_length=200)
    description = forms.CharField(label=_("description"), required=False, max_length=20_000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    priority = forms.TypedChoiceField(label=_("priority"), choices=Priority.choices,
                                      coerce=int)

    def __init__(self, *args, case, case_fields, **kwargs):
        kwargs.setdefault("initial", {"title": case.title, "description": case.description,
                                      "priority": case.priority})
        super().__init__(*args, **kwargs)
        self.add_case_fields(case_fields, initial=case.data)
        self.style_widgets()


class CaseCompleteForm(CaseFieldsMixin, BootstrapForm):
    def __init__(self, *args, case, case_fields, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_case_fields(case_fields, initial=case.data)
        self.style_widgets()


class CaseSendForm(BootstrapForm):
    queue = forms.ModelChoiceField(label=_("queue"), queryset=None)
    note = forms.CharField(label=_("note"), required=False, max_length=2000)

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = _queue_qs()
        self.fields["queue"].queryset = qs.exclude(pk=case.queue_id) if case else qs


class CaseReturnForm(BootstrapForm):
    reason = forms.CharField(label=_("what is missing"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class CaseStatusForm(BootstrapForm):
    status = forms.ChoiceField(label=_("status"), choices=CaseStatus.choices)
    note = forms.CharField(label=_("note"), required=False, max_length=2000)

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if choices is not None:
            self.fields["status"].choices = choices


class CaseCommentForm(BootstrapForm):
    body = forms.CharField(label=_("text"), max_length=20_000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    is_internal = forms.BooleanField(label=_("internal note (the customer never sees it)"),
                                     required=False)
    attachment = forms.FileField(label=_("attachment"), required=False)


class CaseAttachForm(BootstrapForm):
    file = forms.FileField(label=_("file"))
    is_internal = forms.BooleanField(label=_("internal (the customer never sees it)"),
                                     required=False)


class CaseTypeForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100)
    description = forms.CharField(label=_("description"), required=False, max_length=250)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    panel_visible = forms.BooleanField(label=_("in the customer panel"), required=False)
    default_queue = forms.ModelChoiceField(label=_("default queue"), queryset=None,
                                           required=False)
    default_priority = forms.TypedChoiceField(label=_("default priority"), coerce=int,
                                              choices=Priority.choices,
                                              initial=Priority.NORMAL)
    position = forms.IntegerField(label=_("order"), min_value=0, max_value=100_000,
                                  initial=0, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_queue"].queryset = _queue_qs()


class CaseFieldForm(BootstrapForm):
    label = forms.CharField(label=_("label"), max_length=100)
    key = forms.CharField(label=_("key"), max_length=50, required=False,
                          help_text=_("Letters, digits and _; empty: made from the label. "
                                      "It cannot be changed later."))
    kind = forms.ChoiceField(label=_("kind"), choices=FieldKind.choices)
    required = forms.BooleanField(label=_("mandatory"), required=False)
    choices = forms.CharField(label=_("choices"), required=False, max_length=20_000,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("For a choice field: one per line."))
    help_text = forms.CharField(label=_("help"), required=False, max_length=250)
    position = forms.IntegerField(label=_("order"), min_value=0, max_value=100_000,
                                  initial=0, required=False)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def clean_choices(self):
        from django.core.exceptions import ValidationError

        try:
            return choices_parse(self.cleaned_data.get("choices", ""))
        except ValidationError as e:
            raise forms.ValidationError(e.messages) from None


class QueueForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100)
    description = forms.CharField(label=_("description"), required=False, max_length=250)
    extension = forms.CharField(label=_("extension"), required=False, max_length=20)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    position = forms.IntegerField(label=_("order"), min_value=0, max_value=100_000,
                                  initial=0, required=False)
    members = forms.ModelMultipleChoiceField(label=_("members"), queryset=None,
                                             required=False,
                                             widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, staff_users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = staff_users
        self.fields["members"].label_from_instance = \
            lambda u: u.get_full_name() or u.get_username()
        self.fields["members"].widget.attrs["class"] = "list-unstyled"


class CaseFindForm(forms.Form):
    number = forms.IntegerField(min_value=1, max_value=2_147_483_647)
