"""Input of the staff pages; the services validate the meaning, these only parse."""

from django import forms
from django.core.validators import MaxLengthValidator
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm, DateInput
from core.validation import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH

from . import services
from .models import Address, AttributeType, Consent, Customer, CustomerGroup


def _model_fields(model, names):
    """Form fields as the model describes them (labels, choices), without model validation.

    The services validate; a ModelForm would run the model's own checks a second time.
    """
    fields = fields_for_model(model, fields=names)
    for name, field in fields.items():
        field.required = False
        if name in _TYPED_NUMBERS:
            # "123-456-32-18" is a fine NIP to type; the service strips it to 10 digits.
            field.max_length = None
            field.validators = [v for v in field.validators
                                if not isinstance(v, MaxLengthValidator)]
            field.widget.attrs.pop("maxlength", None)
    return fields


_TYPED_NUMBERS = {"pesel", "nip", "regon", "spouse_pesel", "id_document_number"}


class CustomerForm(BootstrapForm):
    pass


CustomerForm.base_fields = _model_fields(Customer, services.CUSTOMER_FIELDS)
for _name in ("kind", "status"):
    CustomerForm.base_fields[_name].required = True


class PhoneForm(BootstrapForm):
    number = forms.CharField(label=_("phone number"), max_length=30)
    label = forms.CharField(label=_("label"), max_length=50, required=False)
    for_notifications = forms.BooleanField(label=_("notifications"), required=False,
                                           initial=True)
    for_invoices = forms.BooleanField(label=_("invoices"), required=False)


class EmailForm(BootstrapForm):
    # A CharField: the service says what is wrong with an address, in one place.
    address = forms.CharField(label=_("e-mail address"), max_length=254)
    label = forms.CharField(label=_("label"), max_length=50, required=False)
    for_notifications = forms.BooleanField(label=_("notifications"), required=False,
                                           initial=True)
    for_invoices = forms.BooleanField(label=_("invoices"), required=False)


class ConsentForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("consent"), choices=Consent.Kind.choices)
    granted = forms.BooleanField(label=_("granted"), required=False)
    given_on = forms.DateField(label=_("date"), widget=DateInput())


class AddressForm(BootstrapForm):
    pass


AddressForm.base_fields = _model_fields(Address, services.ADDRESS_FIELDS)
AddressForm.base_fields["kind"].required = True


class FirstAddressForm(AddressForm):
    """The first address on "New customer" (prefix ``address``): left blank, the customer
    is created without one."""

    TYPED = ("street", "building_no", "apartment_no", "postal_code", "city", "latitude",
             "longitude")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", services.FIRST_ADDRESS_PREFIX.rstrip("-"))
        super().__init__(*args, **kwargs)
        # No address at all is fine; a typed one without its kind the service refuses.
        self.fields["kind"].required = False

    def address(self) -> dict | None:
        """The cleaned address for the service, or None when nothing of it was typed."""
        if not any(self.cleaned_data.get(name) not in (None, "") for name in self.TYPED):
            return None
        return self.cleaned_data


# Declared by assignment on AddressForm, so not inherited by the metaclass.
FirstAddressForm.base_fields = AddressForm.base_fields


class AttributeForm(BootstrapForm):
    attribute_type = forms.ModelChoiceField(label=_("attribute"),
                                            queryset=AttributeType.all_tenants.none())
    value = forms.CharField(label=_("value"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The active tenant's types: the manager reads the tenant when asked, not at import.
        self.fields["attribute_type"].queryset = AttributeType.objects.all()


class AttributeValueForm(BootstrapForm):
    """The value of one known attribute: the input follows its type."""

    value = forms.CharField(label=_("value"), max_length=500, required=False)

    def __init__(self, *args, attribute_type: AttributeType, **kwargs):
        super().__init__(*args, **kwargs)
        kind = attribute_type.value_type
        if kind == AttributeType.ValueType.CHOICE:
            self.fields["value"].widget = forms.Select(
                choices=[(c, c) for c in attribute_type.choices])
        elif kind == AttributeType.ValueType.DATE:
            self.fields["value"].widget = DateInput()
        elif kind == AttributeType.ValueType.NUMBER:
            self.fields["value"].widget = forms.TextInput(attrs={"inputmode": "decimal"})
        self.style_widgets()


class AttributeTypeForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100, required=False)
    value_type = forms.ChoiceField(label=_("value type"),
                                   choices=AttributeType.ValueType.choices)
    choices = forms.CharField(label=_("choices"), required=False, max_length=COMMENT_MAX_LENGTH,
                              widget=forms.Textarea(
        attrs={"rows": 3}), help_text=_("For a choice attribute: one choice a line."))

    def clean_choices(self):
        return [line.strip() for line in self.cleaned_data["choices"].splitlines()
                if line.strip()]


class GroupAddForm(BootstrapForm):
    group = forms.ModelChoiceField(label=_("group"), queryset=CustomerGroup.all_tenants.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = CustomerGroup.objects.all()


class GroupForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100, required=False)
    description = forms.CharField(label=_("description"), max_length=255, required=False)


class FolderForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=150, required=False)
    archive_location = forms.CharField(label=_("archive location"), max_length=150,
                                       required=False)


class ScanForm(BootstrapForm):
    file = forms.FileField(label=_("file"), widget=forms.ClearableFileInput(
        attrs={"accept": ".pdf,.jpg,.jpeg,.png,.gif"}))
    folder = forms.TypedChoiceField(label=_("folder"), required=False, coerce=int,
                                    empty_value=None)
    description = forms.CharField(label=_("description"), max_length=255, required=False)

    def __init__(self, *args, folders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.folders = {f.pk: f for f in folders}
        self.fields["folder"].choices = [("", "—")] + [(f.pk, f.name) for f in folders]


class BankAccountForm(BootstrapForm):
    iban = forms.CharField(label=_("account number"), max_length=50)
    description = forms.CharField(label=_("description"), max_length=100, required=False)


class PanelCredentialsForm(BootstrapForm):
    login = forms.CharField(label=_("panel login"), max_length=50, required=False)
    password = forms.CharField(label=_("new password"), required=False, strip=False,
                               widget=forms.PasswordInput(render_value=False),
                               help_text=_("Leave empty to keep the password."))


class AnnotationForm(BootstrapForm):
    text = forms.CharField(label=_("text"), widget=forms.Textarea(attrs={"rows": 2}),
                           required=False, max_length=NOTE_MAX_LENGTH)
    pinned = forms.BooleanField(label=_("pinned"), required=False)


class PinForm(BootstrapForm):
    pinned = forms.BooleanField(required=False)



class CustomerListFilterForm(forms.Form):
    q = forms.CharField(required=False)
    status = forms.ChoiceField(required=False,
                               choices=[("", "")] + list(Customer.Status.choices))
    group = forms.IntegerField(required=False)
