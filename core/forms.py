from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import ApiToken
from .roles import Role


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


class DateInput(forms.DateInput):
    """``<input type="date">`` whose value is ISO (``2026-12-03``) in every language.

    A browser's date input takes and sends only ISO and shows it in the reader's own form;
    Django would render the language's first input format (``03.12.2026`` in Polish), which
    the input refuses, so the date was lost when a form came back with an error. Parsing
    accepts ISO and the Polish ``03.12.2026`` (config/formats: DATE_INPUT_FORMATS).
    """

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateField(forms.DateField):
    """A date field drawn as :class:`DateInput`."""

    widget = DateInput


class StaffCreateForm(BootstrapForm):
    """A new staff user of the tenant with a first password (core.staff.staff_create)."""

    username = forms.CharField(label=_("user name"), max_length=150)
    first_name = forms.CharField(label=_("first name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("e-mail"), required=False)
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    password = forms.CharField(
        label=_("first password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Pass it on to the user. Invitations by e-mail come with messaging."))


class StaffRoleForm(BootstrapForm):
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)


class StaffPasswordForm(BootstrapForm):
    """A new password typed by the admin; empty: a generated one, shown once."""

    password = forms.CharField(
        label=_("new password"), strip=False, required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate one; it is shown once."))


class StaffSessionEndForm(forms.Form):
    """One session of the user (its id), or all of them when empty."""

    session = forms.IntegerField(required=False)


class TenantCreateForm(BootstrapForm):
    """A new tenant, its seller data and its first administrator (core.services)."""

    name = forms.CharField(label=_("name"), max_length=200)
    slug = forms.SlugField(label=_("short name"), max_length=50,
                           help_text=_("Letters, digits and hyphens; it opens the customer "
                                       "panel's login (?isp=…)."))
    nip = forms.CharField(label=_("NIP"), max_length=20, required=False)
    seller_name = forms.CharField(label=_("Seller's name on invoices"), max_length=200,
                                  required=False, help_text=_("Empty: the tenant's name."))
    seller_regon = forms.CharField(label=_("REGON"), max_length=20, required=False)
    seller_street = forms.CharField(label=_("street and number"), max_length=200,
                                    required=False)
    seller_postal_code = forms.CharField(label=_("postal code"), max_length=6, required=False)
    seller_city = forms.CharField(label=_("city"), max_length=100, required=False)
    seller_bank_account = forms.CharField(label=_("bank account"), max_length=40,
                                          required=False)
    admin_username = forms.CharField(label=_("administrator's user name"), max_length=150)
    admin_first_name = forms.CharField(label=_("first name"), max_length=150, required=False)
    admin_last_name = forms.CharField(label=_("last name"), max_length=150, required=False)
    admin_email = forms.EmailField(label=_("e-mail"), required=False)
    admin_password = forms.CharField(
        label=_("first password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    SELLER = ("name", "regon", "street", "postal_code", "city", "bank_account")
    ADMIN = ("username", "first_name", "last_name", "email", "password")

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "slug": data["slug"], "nip": data["nip"],
                "seller": {f: data[f"seller_{f}"] for f in self.SELLER},
                "admin": {f: data[f"admin_{f}"] for f in self.ADMIN}}
