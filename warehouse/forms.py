"""Forms of the warehouse's staff pages: they parse what was typed; the services
(warehouse.catalog) say what is wrong, in one place — a price is text here, read there."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm

from .catalog import VAT_RATE_CHOICES, product_defaults
from .models import Product, Warehouse
from .staff.selectors import ACTIVE, ALL, INACTIVE

STATE_CHOICES = [(ACTIVE, _("active")), (INACTIVE, _("inactive")), (ALL, _("all"))]
SERIAL, COUNTED = "serial", "counted"
TRACKING_CHOICES = [(SERIAL, _("by serial number")), (COUNTED, _("counted (quantity)"))]


class SearchForm(forms.Form):
    """A list's search box and filters; a value that is no choice is ignored."""

    q = forms.CharField(label=_("search"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("shown"), required=False, choices=STATE_CHOICES)
    kind = forms.ChoiceField(label=_("type"), required=False, choices=[])

    def __init__(self, data=None, *, kinds=None):
        super().__init__(data)
        if kinds is None:
            del self.fields["kind"]
            del self.fields["state"]
        else:
            self.fields["kind"].choices = [("", _("any type")), *kinds]

    def values(self) -> dict:
        """The filters as the selectors take them (defaults for what is wrong)."""
        data = self.cleaned_data if self.is_valid() else {}
        values = {"query": (data.get("q") or "").strip()}
        if "state" in self.fields:
            values["state"] = data.get("state") or ACTIVE
            values["kind"] = data.get("kind") or ""
        return values


class WarehouseForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100)
    kind = forms.ChoiceField(label=_("type"), choices=Warehouse.Kind.choices)
    keeper = forms.ChoiceField(label=_("keeper"), required=False, choices=[],
                               help_text=_("The technician whose van it is."))
    active = forms.BooleanField(label=_("active"), required=False)

    def __init__(self, *args, users=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keeper"].choices = [("", _("— nobody —")), *(
            (str(u.pk), u.get_full_name() or u.get_username()) for u in users)]
        if not editing:
            del self.fields["active"]

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["keeper"] = data["keeper"] or None
        return data


class SupplierForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=200)
    tax_id = forms.CharField(label=_("NIP"), max_length=20, required=False,
                             help_text=_("Empty for a supplier from abroad."))
    address = forms.CharField(label=_("address"), max_length=300, required=False)
    email = forms.CharField(label=_("e-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)


class ProductForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(label=_("type"), choices=Product.Kind.choices)
    producer = forms.CharField(label=_("producer"), max_length=100, required=False)
    model = forms.CharField(label=_("model"), max_length=100, required=False)
    tracking = forms.ChoiceField(label=_("kept"), choices=TRACKING_CHOICES,
                                 help_text=_("Equipment is kept serial by serial; cable "
                                             "and consumables by quantity."))
    unit = forms.CharField(label=_("unit"), max_length=10, required=False,
                           help_text=_("Empty: szt. (m for cable)."))
    vat_rate = forms.ChoiceField(label=_("VAT rate"),
                                 choices=[(rate, rate) for rate in VAT_RATE_CHOICES])
    default_price = forms.CharField(label=_("default price (net)"), max_length=30,
                                    help_text=_("E.g. 149.99 or 149,99"))
    features = forms.MultipleChoiceField(
        label=_("features of each serial"), required=False,
        choices=Product.Feature.choices, widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(label=_("active"), required=False)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["active"]

    def style_widgets(self) -> None:
        super().style_widgets()
        self.fields["features"].widget.attrs["class"] = "form-check-input"

    @staticmethod
    def initial_for(kind: str, typed: dict | None = None) -> dict:
        """A new product's form as its type suggests it (the type chosen, htmx asks
        again): kept, unit and features are the type's, what was typed stays."""
        initial = {"vat_rate": "23", "default_price": "0.00"}
        initial.update({k: v for k, v in (typed or {}).items() if v})
        if kind in Product.Kind.values:
            defaults = product_defaults(kind)
            initial.update(kind=kind, unit=defaults["unit"], features=defaults["features"],
                           tracking=SERIAL if defaults["serial_tracked"] else COUNTED)
        return initial

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["serial_tracked"] = data.pop("tracking") == SERIAL
        data["unit"] = data["unit"] or None
        return data
