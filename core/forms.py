from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import ApiToken


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ``ValidationError`` on the form: next to a field it names, else on top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def form_write(form: forms.Form, call, *formsets):
    """Run ``call(form.cleaned_data)`` — one service — when ``form`` and ``formsets`` are
    valid; a ``ValidationError`` it raises is shown on ``form``. Returns what the service
    returned (services return what they wrote), or None when nothing was written."""
    if not form.is_valid() or not all(formset.is_valid() for formset in formsets):
        return None
    try:
        return call(form.cleaned_data)
    except ValidationError as error:
        apply_service_errors(form, error)
        return None


class BootstrapForm(forms.Form):
    """A form whose widgets carry Bootstrap's classes; a field with an error is marked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            widget.attrs["class"] = css

    def add_error(self, field, error):
        super().add_error(field, error)
        names = [field] if field else []
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            names = list(error.error_dict)
        for name in names:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"


class TenantSwitchForm(forms.Form):
    tenant_id = forms.IntegerField()


class TenantSettingForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput)
    value = forms.CharField(label=_("value"), required=False, strip=False)


class LoginLockReleaseForm(forms.Form):
    """Which lock of ``core.access.login_lock_list`` to lift."""

    kind = forms.ChoiceField(choices=[("account", pgettext_lazy("login lock", "account")),
                                      ("address", pgettext_lazy("login lock", "address"))])
    value = forms.CharField(max_length=255)


class ApiTokenCreateForm(BootstrapForm):
    """A new API token: what it is for and whose it is (a member of the tenant)."""

    name = forms.CharField(label=_("what it is for"), required=False,
                           max_length=ApiToken._meta.get_field("name").max_length)
    user = forms.ModelChoiceField(label=_("user"), queryset=None,
                                  help_text=_("The token acts as this user, with the "
                                              "user's role in this tenant."))

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = (
            lambda u: f"{u.get_full_name()} ({u.get_username()})" if u.get_full_name()
            else u.get_username())
