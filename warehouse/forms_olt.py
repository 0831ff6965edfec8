"""Forms of the OLT pages: they parse what was typed; the services (``warehouse.ont``) say
what is wrong, in one place — an address, a port, a profile name is text here, checked
there (a name that would cross into the OLT's CLI with a space, a line break or ``;`` is
refused by the service, next to its field).

Secrets (the password, the enable password, the SNMP community) are never drawn back
into a form: on an edit an empty field keeps the stored one, and the enable password and
the community are cleared by their own box.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm

from .models import Olt


def _secret(label, *, required=False, help_text=""):
    # strip=False: a secret is what was typed, spaces too
    return forms.CharField(label=label, required=required, strip=False, max_length=300,
                           help_text=help_text,
                           widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class OltForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=200)
    vendor = forms.ChoiceField(label=_("vendor"), choices=Olt.Vendor.choices)
    host = forms.CharField(label=_("address"), max_length=300,
                           help_text=_("An IP address or a host name."))
    ssh_port = forms.IntegerField(label=_("SSH port"), initial=22)
    username = forms.CharField(label=_("user"), max_length=200)
    password = _secret(_("password"), required=True)
    enable_password = _secret(_("enable password"),
                              help_text=_("If the OLT asks for one after “enable”."))
    snmp_port = forms.IntegerField(label=_("SNMP port"), initial=161)
    snmp_community = _secret(_("SNMP community"),
                             help_text=_("Read-only; empty: the status is read over SSH."))

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.fields["password"].required = False
            self.fields["password"].help_text = _(
                "Empty: the password stays as it is (type it again for a new address).")
            self.fields["enable_password"].help_text = _("Empty: it stays as it is.")
            self.fields["snmp_community"].help_text = _("Empty: it stays as it is.")
            self.fields["clear_enable_password"] = forms.BooleanField(
                label=_("no enable password any more"), required=False)
            self.fields["clear_snmp_community"] = forms.BooleanField(
                label=_("no SNMP community any more"), required=False)
            self.fields["active"] = forms.BooleanField(label=_("active"), required=False)
            self.style_widgets()

    def service_kwargs(self) -> dict:
        """The values as ``olt_create`` / ``olt_update`` take them."""
        data = dict(self.cleaned_data)
        if not self.editing:
            return data
        clear_enable = data.pop("clear_enable_password")
        clear_community = data.pop("clear_snmp_community")
        data["password"] = data["password"] or None
        data["enable_password"] = "" if clear_enable else (data["enable_password"] or None)
        data["snmp_community"] = "" if clear_community else (data["snmp_community"] or None)
        return data


DEFAULT_TARIFF = ""


class OntProfileForm(BootstrapForm):
    """What an ONT of a customer with a tariff gets on the OLT (no tariff: any other)."""

    tariff = forms.ChoiceField(label=_("tariff"), required=False, choices=[])
    # strip=False: " LP" is refused by the service, not silently made "LP"
    line_profile = forms.CharField(label=_("line profile"), max_length=200, strip=False)
    service_profile = forms.CharField(label=_("service profile"), max_length=200,
                                      strip=False)
    vlan = forms.IntegerField(label=_("VLAN"))

    def __init__(self, *args, tariffs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.tariffs = {str(t.pk): t for t in tariffs}
        self.fields["tariff"].choices = [
            (DEFAULT_TARIFF, _("— any other tariff (the OLT's default) —")),
            *((pk, t.name if t.is_active else f"{t.name} ({_('inactive')})")
              for pk, t in self.tariffs.items())]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"tariff": self.tariffs.get(data["tariff"]),
                "line_profile": data["line_profile"],
                "service_profile": data["service_profile"], "vlan": data["vlan"]}
