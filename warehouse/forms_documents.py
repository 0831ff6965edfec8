"""Forms of the stock documents' staff pages: the lists' filters, each kind's header, and
the lines as the page sends them. They parse what was typed and scanned; the services
(warehouse.services) say what is wrong, in one place.

A line travels as one hidden ``line`` input per row holding the row as JSON
(``{"serial": "…", "mac": "…"}`` or ``{"product": "12", "quantity": "3"}``): a pallet of
serials, each with its MAC and price, would otherwise pass Django's limit on the number of
fields a form may send. ``scan.js`` writes the row's visible inputs into it; the server
reads only it.
"""

import json
import uuid
from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm, DateField

from .models import Product, StockDocument, StockDocumentLine, StockItem

Kind = StockDocument.Kind
Settlement = StockDocument.Settlement
ReturnState = StockDocumentLine.ReturnState

ROW_KEYS = ("serial", "product", "quantity", "mac", "gpon_serial", "firmware", "unit_price",
            "state", "scrap")
ROW_VALUE_MAX = 200
# The service refuses more than MAX_SERIALS (5000) lines; this only stops a runaway page.
ROWS_MAX = 6000


# --------------------------------------------------------------------------- lists

def _choices(rows, empty) -> list:
    return [("", empty), *((str(row.pk), str(row)) for row in rows)]


class DocumentFilterForm(forms.Form):
    """The documents list's filters; a value that is no choice is ignored."""

    kind = forms.ChoiceField(label=_("type"), required=False)
    warehouse = forms.ChoiceField(label=_("warehouse"), required=False)
    date_from = DateField(label=_("from"), required=False)
    date_to = DateField(label=_("to"), required=False)
    q = forms.CharField(label=_("search"), required=False, max_length=100)
    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, data=None, *, warehouses=()):
        super().__init__(data)
        self.fields["kind"].choices = [("", _("any type")), *Kind.choices]
        self.fields["warehouse"].choices = _choices(warehouses, _("any warehouse"))

    def values(self) -> dict:
        """The filters as ``selectors.document_list`` takes them (wrong ones left out)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items()
                if name not in self.errors}
        return {"kind": data.get("kind") or "",
                "warehouse_id": int(data["warehouse"]) if data.get("warehouse") else None,
                "customer_id": data.get("customer"),
                "date_from": data.get("date_from"), "date_to": data.get("date_to"),
                "search": (data.get("q") or "").strip()}


class StockFilterForm(forms.Form):
    """The stock levels page's filters."""

    warehouse = forms.ChoiceField(label=_("warehouse"), required=False)
    kind = forms.ChoiceField(label=_("type"), required=False)
    q = forms.CharField(label=_("search"), required=False, max_length=100)

    def __init__(self, data=None, *, warehouses=()):
        super().__init__(data)
        self.fields["warehouse"].choices = _choices(warehouses, _("any warehouse"))
        self.fields["kind"].choices = [("", _("any type")), *Product.Kind.choices]

    def values(self) -> dict:
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items()
                if name not in self.errors}
        return {"warehouse_id": int(data["warehouse"]) if data.get("warehouse") else None,
                "product_kind": data.get("kind") or "",
                "search": (data.get("q") or "").strip()}


class ItemFilterForm(forms.Form):
    """The serials of one product in one warehouse (the stock page's links)."""

    warehouse = forms.IntegerField(min_value=1)
    product = forms.IntegerField(min_value=1)


# --------------------------------------------------------------------------- the lines

@dataclass
class Row:
    """A line of the form as typed or scanned (text, as sent), and what the page shows of
    it: the product, the serial's item and where it is, a problem (shown in red)."""

    serial: str = ""
    product: str = ""
    quantity: str = ""
    mac: str = ""
    gpon_serial: str = ""
    firmware: str = ""
    unit_price: str = ""
    state: str = ""
    scrap: str = ""
    # shown, not sent
    product_row: Product | None = None
    item: StockItem | None = None
    where: str = ""
    problem: str = ""
    notice: str = ""
    features: list = field(default_factory=list)

    @property
    def counted(self) -> bool:
        return not self.serial

    def sent(self) -> dict:
        return {key: getattr(self, key) for key in ROW_KEYS if getattr(self, key)}

    def as_json(self) -> str:
        return json.dumps(self.sent(), ensure_ascii=False, separators=(",", ":"))


def row_from(data: dict) -> Row:
    """A row from what the page sent (strings only, each cut to a sane length)."""
    values = {}
    for key in ROW_KEYS:
        value = data.get(key, "")
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        values[key] = value.strip()[:ROW_VALUE_MAX] if isinstance(value, str) else ""
    return Row(**values)


def rows_parse(values) -> tuple[list[Row], int]:
    """The page's ``line`` inputs → rows; and how many of them were not a row at all (a
    damaged page), which the form tells."""
    rows, broken = [], 0
    for value in list(values)[:ROWS_MAX]:
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            broken += 1
            continue
        rows.append(row_from(data))
    return rows, broken


def _price(row: Row) -> dict:
    return {"unit_price": row.unit_price} if row.unit_price else {}


def _counted(row: Row) -> dict:
    return {"product": row.product, "quantity": row.quantity}


def service_lines(kind: str, rows: list[Row]) -> list:
    """The rows as the kind's service takes its ``lines`` (not INW: ``inventory_args``)."""
    lines = []
    for row in rows:
        if kind == Kind.PZ:
            if row.serial:
                serial = {"serial": row.serial}
                serial.update({key: getattr(row, key) for key in ("mac", "gpon_serial",
                                                                  "firmware")
                               if getattr(row, key)})
                line = {"product": row.product, "serials": [serial]}
            else:
                line = _counted(row)
            lines.append({**line, **_price(row)})
            continue
        line = {"serial": row.serial} if row.serial else _counted(row)
        if kind == Kind.WZ:
            line.update(_price(row))
        elif kind == Kind.ZW:
            line["state"] = row.state or ReturnState.WORKING
        elif kind == Kind.RW:
            line["scrap"] = row.scrap == "1"
        lines.append(line)
    return lines


def inventory_args(rows: list[Row]) -> dict:
    """An inventory's rows: the serials scanned and the counted quantities (no serial
    scanned: the counted products alone are counted — a count of cable never makes the
    warehouse's ONTs lost)."""
    return {"serials": [row.serial for row in rows if row.serial] or None,
            "quantities": [_counted(row) for row in rows if not row.serial]}


# --------------------------------------------------------------------------- the headers

class DocumentForm(BootstrapForm):
    """What every kind's page has: the one-time token, the date, the note; ``lines`` (and
    an inventory's ``serials``, ``products``) only carry the service's messages about
    them, shown by the lines."""

    request_token = forms.UUIDField(widget=forms.HiddenInput, error_messages={
        "required": _("The form has expired: open it again."),
        "invalid": _("The form has expired: open it again.")})
    issued_on = DateField(label=_("date"), required=False)
    note = forms.CharField(label=_("note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    lines = forms.CharField(required=False, widget=forms.HiddenInput)
    serials = forms.CharField(required=False, widget=forms.HiddenInput)

    kind = ""
    header = ()  # the kind's own fields, in the order shown

    def __init__(self, data=None, *, warehouses=(), initial=None, **kwargs):
        initial = {"request_token": uuid.uuid4(), **(initial or {})}
        super().__init__(data, initial=initial, auto_id="doc_%s", **kwargs)
        for name in ("warehouse", "target_warehouse"):
            if name in self.fields:
                self.fields[name].choices = _choices(warehouses, _("— choose —"))
        if "warehouse" in self.fields:
            # the rows turn red or back as the warehouse changes (scan.js)
            self.fields["warehouse"].widget.attrs["data-lines-refresh"] = ""

    def common(self, data: dict) -> dict:
        return {"issued_on": data.get("issued_on"), "note": data.get("note") or "",
                "request_token": data["request_token"]}

    def service_kwargs(self, rows: list[Row]) -> dict:
        data = self.cleaned_data
        return {**self.common(data), **{name: data.get(name) or None
                                        for name in self.header},
                "lines": service_lines(self.kind, rows)}


def _warehouse_field(label=None):
    return forms.ChoiceField(label=label or _("warehouse"), required=False)


class ReceiptForm(DocumentForm):
    kind = Kind.PZ
    header = ("supplier", "warehouse", "supplier_document")
    supplier = forms.ChoiceField(label=_("supplier"), required=False)
    warehouse = _warehouse_field(_("receiving warehouse"))
    supplier_document = forms.CharField(label=_("supplier's document no."), required=False,
                                        max_length=100)

    def __init__(self, *args, suppliers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].choices = _choices(suppliers, _("— choose —"))

    def service_kwargs(self, rows):
        kwargs = super().service_kwargs(rows)
        kwargs["supplier_document"] = self.cleaned_data.get("supplier_document") or ""
        return kwargs


class CustomerPicked(DocumentForm):
    """A kind with a customer, chosen by the picker (its id in a hidden input)."""

    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput,
                                  error_messages={"invalid": _("No such customer."),
                                                  "min_value": _("No such customer.")})


class SettlementField(forms.ChoiceField):
    """A WZ's settlement, offering what ``settlements_offer`` leaves. A settlement not
    offered (a forged form, or rights taken away since it was shown) is refused by the
    form, saying so, not as an unknown choice; the service checks again when it issues."""

    def __init__(self, **kwargs):
        super().__init__(label=_("settlement"), choices=Settlement.choices,
                         initial=Settlement.NONE, **kwargs)
        self.error_messages["not_offered"] = _(
            "You may not charge the customer by “%(kind)s”: choose one of the settlements "
            "offered.")

    def validate(self, value):
        if value in Settlement.values and not self.valid_value(value):
            raise forms.ValidationError(self.error_messages["not_offered"], code="not_offered",
                                        params={"kind": Settlement(value).label})
        super().validate(value)


SETTLEMENT_FIELDS = {Settlement.LEASE: "lease_tariff", Settlement.DEPOSIT: "deposit"}


def settlements_offer(form, actor) -> set[str]:
    """Offer on ``form`` (a WZ's: ``settlement``, ``lease_tariff``, ``deposit``) the
    settlements ``actor`` may charge by (``services.settlement.settlement_allowed``; "no
    charge" always) and drop the tariff and the deposit of a settlement not offered.
    Returns the settlements offered."""
    from .services.settlement import settlement_allowed

    offered = [(value, label) for value, label in Settlement.choices
               if value == Settlement.NONE or settlement_allowed(actor, value)]
    form.fields["settlement"].choices = offered
    values = {value for value, _label in offered}
    for settlement, name in SETTLEMENT_FIELDS.items():
        if settlement not in values:
            del form.fields[name]
    return values


def settlement_kwargs(data: dict) -> dict:
    """A WZ form's settlement for ``issue_post``: the settlement chosen ("none" when left
    out), and the tariff and the amount of deposit only for their own settlement (shown
    for it alone — scan.js hides the others —, one left chosen under another is not
    sent). The staff page's and the card's WZ forms both."""
    settlement = data.get("settlement") or Settlement.NONE
    return {"settlement": settlement,
            "lease_tariff": (data.get("lease_tariff") or None)
            if settlement == Settlement.LEASE else None,
            "deposit": (data.get("deposit") or None)
            if settlement == Settlement.DEPOSIT else None}


class IssueForm(CustomerPicked):
    """A WZ: ``actor`` (who posts it) says which settlements are offered
    (``settlements_offer``)."""

    kind = Kind.WZ
    header = ("warehouse", "customer", "address", "settlement", "lease_tariff", "deposit")
    warehouse = _warehouse_field(_("issuing warehouse"))
    # the customer's addresses, offered once the customer is chosen (the service checks it
    # is theirs)
    address = forms.IntegerField(label=_("installation address"), required=False,
                                 min_value=1, widget=forms.HiddenInput)
    settlement = SettlementField(required=False)
    lease_tariff = forms.ChoiceField(label=_("lease tariff"), required=False)
    deposit = forms.CharField(label=_("deposit (PLN)"), required=False, max_length=30,
                              help_text=_("Empty: the lines' value."))

    def __init__(self, *args, actor, tariffs=(), **kwargs):
        super().__init__(*args, **kwargs)
        # the tariffs are read only when a lease is offered
        if Settlement.LEASE in settlements_offer(self, actor):
            self.fields["lease_tariff"].choices = _choices(tariffs, _("— choose —"))

    def service_kwargs(self, rows):
        return {**super().service_kwargs(rows), **settlement_kwargs(self.cleaned_data)}


class ReturnForm(CustomerPicked):
    kind = Kind.ZW
    header = ("customer", "warehouse")
    warehouse = _warehouse_field(_("receiving warehouse"))


class MoveForm(DocumentForm):
    kind = Kind.MM
    header = ("warehouse", "target_warehouse")
    warehouse = _warehouse_field(_("from warehouse"))
    target_warehouse = _warehouse_field(_("to warehouse"))


class InternalForm(DocumentForm):
    kind = Kind.RW
    header = ("warehouse",)
    warehouse = _warehouse_field()


class InventoryForm(DocumentForm):
    kind = Kind.INW
    header = ("warehouse", "products")
    warehouse = _warehouse_field()
    products = forms.MultipleChoiceField(
        label=_("count only these products"), required=False,
        help_text=_("None chosen: every serial of the warehouse is counted, and each one "
                    "not scanned is booked as lost."))

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].choices = [(str(p.pk), p.name) for p in products]
        self.fields["products"].widget.attrs["size"] = 4

    def service_kwargs(self, rows):
        data = self.cleaned_data
        return {**self.common(data), "warehouse": data.get("warehouse") or None,
                "products": data.get("products") or None, **inventory_args(rows)}


FORMS = {form.kind: form for form in (ReceiptForm, IssueForm, ReturnForm, MoveForm,
                                      InternalForm, InventoryForm)}

