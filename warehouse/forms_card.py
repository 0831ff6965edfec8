"""Forms of the customer card's "Sprzęt kliencki": they parse what was typed or scanned;
the services (``warehouse.services``, ``warehouse.ont``) say what is wrong, in one place —
a serial, a price, a port is text here, read there."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm, DateField

from .forms_documents import SettlementField, settlement_kwargs, settlements_offer
from .models import StockDocument, StockDocumentLine

ReturnState = StockDocumentLine.ReturnState
Settlement = StockDocument.Settlement


def serial_lines(text: str) -> list[str]:
    """What a barcode reader typed into the box: one serial a line (a reader ends each scan
    with Enter), blank lines dropped; each is checked by the service ("Line 3: …")."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class IssueForm(BootstrapForm):
    """"Wydaj z magazynu": a WZ from the card. Field names are the service's, so its
    refusals land next to the field they are about. ``actor`` (who posts it) says which
    settlements are offered (``forms_documents.settlements_offer``)."""

    warehouse = forms.ChoiceField(label=_("warehouse"), choices=[])
    lines = forms.CharField(
        label=_("serial numbers"),
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false",
                                     "data-scan-field": "1"}),
        help_text=_("Scan or type the serials, one per line."))
    settlement = SettlementField()
    lease_tariff = forms.ChoiceField(label=_("lease tariff"), required=False, choices=[],
                                     help_text=_("For a lease: put on the customer monthly."))
    deposit = forms.CharField(label=_("deposit (zł)"), required=False, max_length=20,
                              help_text=_("For a deposit; empty: the equipment's value."))
    address = forms.ChoiceField(label=_("installation address"), required=False, choices=[])
    issued_on = DateField(label=_("date"), required=False,
                          help_text=_("Empty: today."))
    note = forms.CharField(label=_("note"), required=False, max_length=2000)
    # One-time token: the same form sent twice posts one WZ (services.issue_post).
    request_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, actor, warehouses=(), tariffs=(), addresses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = [("", "—"), *warehouses]
        if Settlement.LEASE in settlements_offer(self, actor):
            self.fields["lease_tariff"].choices = [("", "—"), *tariffs]
        self.fields["address"].choices = [("", _("— none —")), *(
            (str(a.pk), f"{a.get_kind_display()}: {a}") for a in addresses)]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"warehouse": data["warehouse"], "lines": serial_lines(data["lines"]),
                **settlement_kwargs(data), "address": data["address"] or None,
                "issued_on": data["issued_on"], "note": data["note"],
                "request_token": data["request_token"]}


NOT_RETURNED = ""
RETURN_CHOICES = [(NOT_RETURNED, _("— stays —")), *ReturnState.choices]


class ReturnForm(BootstrapForm):
    """"Zwrot na magazyn": a ZW of the customer's equipment; each item a state (working,
    faulty, to scrap) or left where it is."""

    warehouse = forms.ChoiceField(label=_("warehouse"), choices=[])
    issued_on = DateField(label=_("date"), required=False, help_text=_("Empty: today."))
    note = forms.CharField(label=_("note"), required=False, max_length=2000)
    request_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, warehouses=(), items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = [("", "—"), *warehouses]
        self.items = list(items)
        for item in self.items:
            self.fields[self.state_name(item)] = forms.ChoiceField(
                label=f"{item.product.name} S/N {item.serial}", required=False,
                choices=RETURN_CHOICES, widget=forms.Select(
                    attrs={"class": "form-select form-select-sm"}))

    @staticmethod
    def state_name(item) -> str:
        return f"state_{item.pk}"

    def item_fields(self):
        """(item, its state field) for the template."""
        return [(item, self[self.state_name(item)]) for item in self.items]

    def visible_fields(self):
        # the item's states are drawn in the table of equipment, not among the fields
        return [f for f in super().visible_fields() if not f.name.startswith("state_")]

    def clean(self):
        data = super().clean()
        if not self.lines():
            raise forms.ValidationError(_("Choose the equipment that comes back and its "
                                          "state."))
        return data

    def lines(self) -> list[dict]:
        data = getattr(self, "cleaned_data", {})
        return [{"serial": item.serial, "state": data[self.state_name(item)]}
                for item in self.items if data.get(self.state_name(item))]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"warehouse": data["warehouse"], "lines": self.lines(),
                "issued_on": data["issued_on"], "note": data["note"],
                "request_token": data["request_token"]}


class DescriptionForm(BootstrapForm):
    """The equipment's description, edited in its row."""

    # the service says what is too long; the form lets a few more characters through
    description = forms.CharField(label=_("description"), required=False, max_length=1000)

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.item_id = item.pk if item is not None else None


class LoginBindForm(forms.Form):
    """The login (installation) the equipment serves; empty: none. Any id is passed to
    the service, which refuses another customer's login."""

    login = forms.CharField(label=_("login"), required=False, max_length=20,
                            widget=forms.Select(attrs={"class": "form-select form-select-sm"}))

    def __init__(self, *args, logins=(), item=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].widget.choices = [("", _("— none —")), *logins]
        self.item_id = item.pk if item is not None else None


class OntRegisterForm(BootstrapForm):
    """Register an ONT on an OLT: where (the port "frame/slot/port" and the ONT id)."""

    olt = forms.ChoiceField(label=_("OLT"), choices=[])
    port = forms.CharField(label=_("port (frame/slot/port)"), max_length=20,
                           widget=forms.TextInput(attrs={"placeholder": "0/1/0"}))
    ont_id = forms.IntegerField(label=_("ONT id"), min_value=0, max_value=255)

    def __init__(self, *args, olts=(), item=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["olt"].choices = [("", "—"), *((str(o.pk), o.name) for o in olts)]
        self.item_id = item.pk if item is not None else None
