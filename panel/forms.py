from django import forms
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm


class PanelLoginForm(BootstrapForm):
    login = forms.CharField(label=_("Login"), max_length=50,
                            widget=forms.TextInput(attrs={"autocomplete": "username",
                                                          "autofocus": True}))
    secret = forms.CharField(label=_("Password or one-time PIN"), max_length=128,
                             strip=False,
                             widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class PanelPasswordForm(BootstrapForm):
    """A new password typed twice; the current one too unless the change is forced
    (after a one-time PIN the customer has none to type)."""

    current_password = forms.CharField(
        label=_("Current password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(
        label=_("New password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password_again = forms.CharField(
        label=_("New password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        if account.must_change_password:
            del self.fields["current_password"]

    def clean_current_password(self):
        value = self.cleaned_data["current_password"]
        if not (self.account.password_hash and check_password(value,
                                                              self.account.password_hash)):
            raise ValidationError(_("The current password is wrong."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password_again") and \
                data["new_password"] != data["new_password_again"]:
            self.add_error("new_password_again", _("The two passwords differ."))
        return data
