"""The warehouse's catalogue, as staff keep it: warehouses (the main store, a technician's
van, a branch), suppliers and products.

Every write checks its values first and says what is wrong per field (``ValidationError``
keyed by the field), then runs in one transaction and writes the action log; nothing is
saved when anything is wrong. A name is unique per tenant: the database decides (a
constraint), the check before it only gives the clearer message, and a name taken by a
concurrent request in between is the same message.

What documents name is never deleted: a warehouse or a product that a document, a serial
or a stock level names is *deactivated* instead (it stays in their history and is offered
for nothing new); a supplier a PZ names stays. Deleting is for a mistake nothing uses yet.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.actionlog import N_, action_log, diff_fields
from core.amounts import amount_parse
from core.selectors import member_users
from core.tenancy import current_tenant
from customers.validators import clean_nip, clean_phone
from finance.money import VAT_RATES as FINANCE_VAT_RATES

from .models import VAT_RATES as PRODUCT_VAT_RATES
from .models import (
    ItemMove,
    Product,
    StockDocument,
    StockDocumentLine,
    StockItem,
    StockLevel,
    Supplier,
    Warehouse,
)

# An argument left out of an update: the value stays (None is a value for the keeper).
KEEP = object()

# finance's rates that a product may carry (the table's constraint names them).
VAT_RATE_CHOICES = tuple(rate for rate in FINANCE_VAT_RATES if rate in PRODUCT_VAT_RATES)
DEFAULT_VAT_RATE = "23"

PRICE_MAX = Decimal("999999999999.99")  # DecimalField(max_digits=14, decimal_places=2)

Kind = Product.Kind
Feature = Product.Feature
# Equipment is kept serial by serial; cable and consumables by quantity.
SERIAL_KINDS = frozenset({Kind.ONT, Kind.ROUTER, Kind.STB, Kind.SWITCH})
DEFAULT_FEATURES = {
    Kind.ONT: [Feature.MAC, Feature.GPON_SERIAL],
    Kind.ROUTER: [Feature.MAC],
    Kind.STB: [Feature.MAC],
}
PIECE, METRE = "szt.", "m"

WAREHOUSE_FIELDS = ("name", "kind", "keeper", "active")
SUPPLIER_FIELDS = ("name", "tax_id", "address", "email", "phone")
PRODUCT_FIELDS = ("name", "kind", "producer", "model", "unit", "serial_tracked", "vat_rate",
                  "default_price", "features", "active")


# --------------------------------------------------------------------------- checks

def _check(errors: dict, key: str, clean, value):
    """``clean(value)``, or None with its messages added to ``errors[key]``."""
    try:
        return clean(value)
    except ValidationError as exc:
        errors.setdefault(key, []).extend(exc.messages)
        return None


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def text_clean(value, *, max_length: int, empty: str | None = None) -> str:
    """Text of one line, trimmed; ``empty`` is the message when it is required."""
    if value is not None and not isinstance(value, str):
        raise ValidationError(_("Not text."))
    text = (value or "").strip()
    if not text and empty:
        raise ValidationError(empty)
    if len(text) > max_length:
        raise ValidationError(_("At most %(n)s characters.") % {"n": max_length})
    if _has_control(text):
        raise ValidationError(_("Control characters (a line break, a tab) are not allowed."))
    return text


def _choice_clean(value, choices, message: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValidationError(message)
    return value


def _bool_clean(value) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(_("Yes or no."))
    return value


def price_clean(value) -> Decimal:
    """A net price in złoty: not negative, at most two decimals, a comma or a dot before
    them (``12,50`` as typed in Poland); no exponent (``1e3``), no NaN or infinity, no
    float (``core.amounts``)."""
    return amount_parse(value, maximum=PRICE_MAX)


def _email_clean(value) -> str:
    email = text_clean(value, max_length=254)
    if email:
        validate_email(email)
    return email


def _phone_clean(value) -> str:
    phone = text_clean(value, max_length=30)
    return clean_phone(phone) if phone else ""


def _tax_id_clean(value) -> str:
    """A Polish NIP (python-stdnum: its check digit), kept as 10 digits; empty for a
    supplier from abroad."""
    return clean_nip(text_clean(value, max_length=20))


def _keeper_clean(value):
    """A staff user of this tenant (active), given as the user or the id; None: nobody."""
    if value is None or value == "":
        return None
    pk = getattr(value, "pk", value)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        pk = None
    in_range = pk is not None and 0 < pk < 2**63  # no bigint overflow in the query
    keeper = member_users(tenant=current_tenant()).filter(pk=pk).first() if in_range else None
    if keeper is None:
        raise ValidationError(_("Choose a staff member of this operator."))
    return keeper


def _features_clean(value) -> list[str]:
    """A subset of ``Product.Feature``, in the order of its declaration."""
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValidationError(_("A list of features."))
    given = set()
    for feature in value:
        if feature not in Feature.values:
            raise ValidationError(_("“%(f)s” is not a feature; choose from: %(known)s.")
                                  % {"f": str(feature)[:30],
                                     "known": ", ".join(Feature.values)})
        given.add(str(feature))
    return [feature for feature in Feature.values if feature in given]


def _unique_name(model, name: str, *, exclude_pk=None, message: str) -> None:
    """The clear message before the constraint (case aside: "Magazyn" and "magazyn" are
    one name to a person)."""
    if name and model.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": [message]})


def _save(instance, *, message: str) -> None:
    """Insert or update ``instance``; a name taken meanwhile is ``message`` on ``name``."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        if "_name_uniq" in str(exc):
            raise ValidationError({"name": [message]}) from None
        raise


def _delete(instance, *, message: str) -> None:
    """Delete ``instance``; a row that came to name it meanwhile refuses with ``message``."""
    try:
        with transaction.atomic():
            instance.delete()
    except IntegrityError:  # ProtectedError too: a PROTECT reference found
        raise ValidationError(message) from None


def _logged(value):
    """A value as the action log's ``changes`` keep it."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return list(value)
    if value is not None and hasattr(value, "get_username"):
        return value.get_full_name() or value.get_username()
    return value


def _created(instance, fields) -> dict:
    return {name: [None, _logged(getattr(instance, name))] for name in fields}


def _changes(instance, before: dict, fields) -> dict:
    changes = diff_fields(instance, before, fields)
    return {name: [_logged(before[name]), _logged(getattr(instance, name))]
            for name in changes}


# --------------------------------------------------------------------------- warehouses

def _warehouse_name_taken() -> str:
    return _("A warehouse of this name exists.")


def _warehouse_values(values: dict) -> dict:
    checks = {
        "name": lambda v: text_clean(v, max_length=100, empty=_("Give the warehouse a name.")),
        "kind": lambda v: _choice_clean(v, Warehouse.Kind.values,
                                        _("Choose the warehouse's type.")),
        "keeper": _keeper_clean,
        "active": _bool_clean,
    }
    errors: dict = {}
    clean = {key: _check(errors, key, checks[key], value) for key, value in values.items()}
    _raise(errors)
    return clean


def warehouse_create(*, actor, name: str, kind: str = Warehouse.Kind.MAIN,
                     keeper=None) -> Warehouse:
    """A warehouse of the tenant: the main store, a technician's van (``keeper``: whose),
    a branch."""
    clean = _warehouse_values({"name": name, "kind": kind, "keeper": keeper})
    with transaction.atomic():
        _unique_name(Warehouse, clean["name"], message=_warehouse_name_taken())
        warehouse = Warehouse(**clean)
        _save(warehouse, message=_warehouse_name_taken())
        action_log(actor=actor, kind="warehouse.add", message=N_("Warehouse %(w)s added"),
                   params={"w": warehouse.name},
                   changes=_created(warehouse, ("kind", "keeper")))
    return warehouse


def warehouse_stock_held(warehouse: Warehouse) -> tuple[int, int]:
    """(serials in stock, counted products with a quantity) the warehouse holds."""
    items = StockItem.objects.filter(warehouse=warehouse,
                                     state=StockItem.State.IN_STOCK).count()
    levels = StockLevel.objects.filter(warehouse=warehouse, quantity__gt=0).count()
    return items, levels


def warehouse_deactivate_refusal(warehouse: Warehouse) -> str:
    """Why the warehouse cannot be deactivated ("" if it can): stock would be left in a
    place nobody may pick."""
    items, levels = warehouse_stock_held(warehouse)
    if items or levels:
        return _("The warehouse still holds stock (%(items)s serials, %(levels)s counted "
                 "products): move it to another warehouse (MM) or book it out first.") % {
            "items": items, "levels": levels}
    return ""


def warehouse_update(*, actor, warehouse: Warehouse, name: str | None = None,
                     kind: str | None = None, keeper=KEEP, active: bool | None = None
                     ) -> Warehouse:
    """Change a warehouse; a value left out (None, the keeper ``KEEP``) stays. Made
    inactive only when it holds no stock. Locks the warehouse."""
    given = {"name": name, "kind": kind, "active": active}
    values = {k: v for k, v in given.items() if v is not None}
    if keeper is not KEEP:
        values["keeper"] = keeper
    clean = _warehouse_values(values)
    with transaction.atomic():
        warehouse = (Warehouse.objects.select_for_update(of=("self",))
                     .select_related("keeper").get(pk=warehouse.pk))
        if "name" in clean:
            _unique_name(Warehouse, clean["name"], exclude_pk=warehouse.pk,
                         message=_warehouse_name_taken())
        before = {k: getattr(warehouse, k) for k in WAREHOUSE_FIELDS}
        for key, value in clean.items():
            setattr(warehouse, key, value)
        if before["active"] and not warehouse.active:
            refusal = warehouse_deactivate_refusal(warehouse)
            if refusal:
                raise ValidationError({"active": [refusal]})
        changes = _changes(warehouse, before, WAREHOUSE_FIELDS)
        if changes:
            _save(warehouse, message=_warehouse_name_taken())
            action_log(actor=actor, kind="warehouse.change",
                       message=_active_message(changes, N_("Warehouse %(w)s changed"),
                                               N_("Warehouse %(w)s deactivated"),
                                               N_("Warehouse %(w)s activated")),
                       params={"w": warehouse.name}, changes=changes)
    return warehouse


def _active_message(changes: dict, changed: str, deactivated: str, activated: str) -> str:
    if set(changes) == {"active"}:
        return activated if changes["active"][1] else deactivated
    return changed


def warehouse_deactivate(*, actor, warehouse: Warehouse) -> Warehouse:
    """Deactivate a warehouse that holds no stock: it stays in its documents' history and
    is offered for no new document. Locks the warehouse."""
    return warehouse_update(actor=actor, warehouse=warehouse, active=False)


def warehouse_delete_refusal(warehouse: Warehouse) -> str:
    """Why the warehouse cannot be deleted ("" if it can)."""
    named = (StockDocument.objects.filter(Q(warehouse=warehouse) | Q(target_warehouse=warehouse))
             .exists()
             or StockItem.objects.filter(warehouse=warehouse).exists()
             or StockLevel.objects.filter(warehouse=warehouse).exists()
             or ItemMove.objects.filter(Q(from_warehouse=warehouse) | Q(to_warehouse=warehouse))
             .exists())
    if named:
        return _("Warehouse documents or stock name this warehouse, so it stays in their "
                 "history: deactivate it instead.")
    return ""


def warehouse_delete(*, actor, warehouse: Warehouse) -> None:
    """Delete a warehouse no document, serial or stock level names (one made by mistake).
    Locks the warehouse."""
    with transaction.atomic():
        warehouse = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
        refusal = warehouse_delete_refusal(warehouse)
        if refusal:
            raise ValidationError(refusal)
        name = warehouse.name
        _delete(warehouse, message=_("A document names this warehouse now; it is kept."))
        action_log(actor=actor, kind="warehouse.delete", message=N_("Warehouse %(w)s deleted"),
                   params={"w": name})


# --------------------------------------------------------------------------- suppliers

def _supplier_name_taken() -> str:
    return _("A supplier of this name exists.")


def _supplier_values(values: dict) -> dict:
    checks = {
        "name": lambda v: text_clean(v, max_length=200, empty=_("Give the supplier's name.")),
        "tax_id": _tax_id_clean,
        "address": lambda v: text_clean(v, max_length=300),
        "email": _email_clean,
        "phone": _phone_clean,
    }
    errors: dict = {}
    clean = {key: _check(errors, key, checks[key], value) for key, value in values.items()}
    _raise(errors)
    return clean


def supplier_create(*, actor, name: str, tax_id: str = "", address: str = "",
                    email: str = "", phone: str = "") -> Supplier:
    """A supplier equipment is received from (PZ); ``tax_id`` a Polish NIP or empty."""
    clean = _supplier_values({"name": name, "tax_id": tax_id, "address": address,
                              "email": email, "phone": phone})
    with transaction.atomic():
        _unique_name(Supplier, clean["name"], message=_supplier_name_taken())
        supplier = Supplier(**clean)
        _save(supplier, message=_supplier_name_taken())
        action_log(actor=actor, kind="supplier.add", message=N_("Supplier %(s)s added"),
                   params={"s": supplier.name},
                   changes=_created(supplier, ("tax_id", "address", "email", "phone")))
    return supplier


def supplier_update(*, actor, supplier: Supplier, name: str | None = None,
                    tax_id: str | None = None, address: str | None = None,
                    email: str | None = None, phone: str | None = None) -> Supplier:
    """Change a supplier; a value left None stays ("" clears it). Locks the supplier."""
    given = {"name": name, "tax_id": tax_id, "address": address, "email": email,
             "phone": phone}
    clean = _supplier_values({k: v for k, v in given.items() if v is not None})
    with transaction.atomic():
        supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)
        if "name" in clean:
            _unique_name(Supplier, clean["name"], exclude_pk=supplier.pk,
                         message=_supplier_name_taken())
        before = {k: getattr(supplier, k) for k in SUPPLIER_FIELDS}
        for key, value in clean.items():
            setattr(supplier, key, value)
        changes = _changes(supplier, before, SUPPLIER_FIELDS)
        if changes:
            _save(supplier, message=_supplier_name_taken())
            action_log(actor=actor, kind="supplier.change",
                       message=N_("Supplier %(s)s changed"), params={"s": supplier.name},
                       changes=changes)
    return supplier


def supplier_delete_refusal(supplier: Supplier) -> str:
    """Why the supplier cannot be deleted ("" if it can)."""
    if StockDocument.objects.filter(supplier=supplier).exists():
        return _("Receipts (PZ) name this supplier, so it stays in their history.")
    return ""


def supplier_delete(*, actor, supplier: Supplier) -> None:
    """Delete a supplier no PZ names. Locks the supplier."""
    with transaction.atomic():
        supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)
        refusal = supplier_delete_refusal(supplier)
        if refusal:
            raise ValidationError(refusal)
        name = supplier.name
        _delete(supplier, message=_("A receipt (PZ) names this supplier now; it is kept."))
        action_log(actor=actor, kind="supplier.delete", message=N_("Supplier %(s)s deleted"),
                   params={"s": name})


# --------------------------------------------------------------------------- products

def _product_name_taken() -> str:
    return _("A product of this name exists.")


def product_defaults(kind: str, serial_tracked: bool | None = None) -> dict:
    """What a new product of ``kind`` is unless told otherwise: equipment (ONT/ONU, router,
    STB decoder, switch) kept by serial, with the features its serials carry (an ONT its
    GPON serial and MAC, a router or a decoder its MAC); cable in metres, consumables and
    the rest counted. A product counted has no features."""
    serial = kind in SERIAL_KINDS if serial_tracked is None else serial_tracked
    return {"serial_tracked": serial, "unit": METRE if kind == Kind.CABLE else PIECE,
            "features": [str(f) for f in DEFAULT_FEATURES.get(kind, [])] if serial else []}


def _product_values(values: dict) -> dict:
    checks = {
        "name": lambda v: text_clean(v, max_length=200, empty=_("Give the product a name.")),
        "kind": lambda v: _choice_clean(v, Kind.values, _("Choose the product's type.")),
        "producer": lambda v: text_clean(v, max_length=100),
        "model": lambda v: text_clean(v, max_length=100),
        "unit": lambda v: text_clean(v, max_length=10, empty=_("Give the unit (szt., m…).")),
        "serial_tracked": _bool_clean,
        "vat_rate": lambda v: _choice_clean(
            v, VAT_RATE_CHOICES, _("Choose a VAT rate: %(rates)s.")
            % {"rates": ", ".join(VAT_RATE_CHOICES)}),
        "default_price": price_clean,
        "features": _features_clean,
        "active": _bool_clean,
    }
    errors: dict = {}
    clean = {key: _check(errors, key, checks[key], value) for key, value in values.items()}
    _raise(errors)
    return clean


def _features_fit(product: Product) -> None:
    if product.features and not product.serial_tracked:
        raise ValidationError({"features": [_(
            "Only a product kept by serial has features: they are recorded per serial.")]})


def product_stock_exists(product: Product) -> bool:
    """Whether any serial, stock level or document line of the product exists: then how
    it is kept (by serial or counted) is fixed."""
    return (StockItem.objects.filter(product=product).exists()
            or StockLevel.objects.filter(product=product).exclude(quantity=0).exists()
            or StockDocumentLine.objects.filter(product=product).exists())


def product_create(*, actor, name: str, kind: str, producer: str = "", model: str = "",
                   unit: str | None = None, serial_tracked: bool | None = None,
                   vat_rate: str = DEFAULT_VAT_RATE, default_price="0",
                   features: list | None = None) -> Product:
    """A catalogue entry. Left None, ``serial_tracked``, ``unit`` and ``features`` are the
    kind's (``product_defaults``); ``vat_rate`` is one of finance's rates."""
    optional = {"unit": unit, "serial_tracked": serial_tracked, "features": features}
    clean = _product_values({"name": name, "kind": kind, "producer": producer, "model": model,
                             "vat_rate": vat_rate, "default_price": default_price,
                             **{k: v for k, v in optional.items() if v is not None}})
    product = Product(**{**product_defaults(clean["kind"], clean.get("serial_tracked")),
                         **clean})
    _features_fit(product)
    with transaction.atomic():
        _unique_name(Product, product.name, message=_product_name_taken())
        _save(product, message=_product_name_taken())
        action_log(actor=actor, kind="product.add", message=N_("Product %(p)s added"),
                   params={"p": product.name},
                   changes=_created(product, [f for f in PRODUCT_FIELDS
                                              if f not in ("name", "active")]))
    return product


def product_update(*, actor, product: Product, name: str | None = None,
                   kind: str | None = None, producer: str | None = None,
                   model: str | None = None, unit: str | None = None,
                   serial_tracked: bool | None = None, vat_rate: str | None = None,
                   default_price=None, features: list | None = None,
                   active: bool | None = None) -> Product:
    """Change a product; a value left None stays. Whether it is kept by serial is fixed
    once a serial, a stock level or a document line of it exists; switched while none
    does, its features follow (the kind's when by serial, none when counted) unless
    given. Locks the product."""
    given = {"name": name, "kind": kind, "producer": producer, "model": model,
             "unit": unit, "serial_tracked": serial_tracked, "vat_rate": vat_rate,
             "default_price": default_price, "features": features, "active": active}
    clean = _product_values({k: v for k, v in given.items() if v is not None})
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        if "name" in clean:
            _unique_name(Product, clean["name"], exclude_pk=product.pk,
                         message=_product_name_taken())
        before = {k: getattr(product, k) for k in PRODUCT_FIELDS}
        for key, value in clean.items():
            setattr(product, key, value)
        if product.serial_tracked != before["serial_tracked"]:
            if product_stock_exists(product):
                raise ValidationError({"serial_tracked": [_(
                    "The product has stock or documents: whether it is kept by serial "
                    "cannot change now. Add a new product for the other way.")]})
            if "features" not in clean:
                product.features = product_defaults(product.kind,
                                                    product.serial_tracked)["features"]
        _features_fit(product)
        changes = _changes(product, before, PRODUCT_FIELDS)
        if changes:
            _save(product, message=_product_name_taken())
            action_log(actor=actor, kind="product.change",
                       message=_active_message(changes, N_("Product %(p)s changed"),
                                               N_("Product %(p)s deactivated"),
                                               N_("Product %(p)s activated")),
                       params={"p": product.name}, changes=changes)
    return product


def product_deactivate(*, actor, product: Product) -> Product:
    """Deactivate a product: offered on no new receipt; its stock stays and can still be
    issued, moved and returned. Locks the product."""
    return product_update(actor=actor, product=product, active=False)


def product_delete_refusal(product: Product) -> str:
    """Why the product cannot be deleted ("" if it can)."""
    named = (StockDocumentLine.objects.filter(product=product).exists()
             or StockItem.objects.filter(product=product).exists()
             or StockLevel.objects.filter(product=product).exists())
    if named:
        return _("Warehouse documents or stock name this product, so it stays in their "
                 "history: deactivate it instead.")
    return ""


def product_delete(*, actor, product: Product) -> None:
    """Delete a product no document line, serial or stock level names. Locks the
    product."""
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        refusal = product_delete_refusal(product)
        if refusal:
            raise ValidationError(refusal)
        name = product.name
        _delete(product, message=_("A document names this product now; it is kept."))
        action_log(actor=actor, kind="product.delete", message=N_("Product %(p)s deleted"),
                   params={"p": name})
