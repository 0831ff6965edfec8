"""What every stock document's service shares: the checks of what staff type or scan, the
lookups of the tenant's rows, the locks, the numbered document and the serials' history.

Locks are always taken in one order — the customer's finance account first (a WZ with a
settlement, every ZW: ``finance.services.account_lock``, which payments and the billing
run also take first), then the serials (``StockItem``) in primary-key order, then the
stock levels (``StockLevel``) in primary-key order, then the kind's number series
(``core.numbering``) — so two documents posted at once never wait on each other in a
circle.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from core.actionlog import action_log, staff_of
from core.events import publish
from core.tenancy import current_tenant
from core.tenant_settings import setting_get
from customers.models import Address, Customer

from ..catalog import price_clean, text_clean
from ..models import (
    ItemMove,
    Product,
    StockDocument,
    StockDocumentLine,
    StockItem,
    StockLevel,
    Warehouse,
)
from ..numbering import number_take

Kind = StockDocument.Kind
State = StockItem.State
Condition = StockItem.Condition

SERIAL_FORM = re.compile(r"[A-Z0-9][A-Z0-9._/-]{0,63}")
GPON_FORM = re.compile(r"[A-Z0-9]{4}[0-9A-F]{8}")
GPON_HEX = re.compile(r"[0-9A-F]{16}")
QUANTITY_STEP = Decimal("0.001")
QUANTITY_MAX = Decimal("999999999.999")  # DecimalField(max_digits=12, decimal_places=3)
MAX_SERIALS = 5000  # one document: a pallet, never a runaway script
NOTE_MAX = 2000
FIRMWARE_MAX = 64
SUPPLIER_DOCUMENT_MAX = 100


# --------------------------------------------------------------------------- what is typed

def serial_clean(value) -> str:
    """A serial as scanned: trimmed, upper-case, spaces removed; letters, digits and
    ``. _ / -`` (the database's rule), up to 64 characters."""
    if not isinstance(value, str):
        raise ValidationError(_("A serial number is text."))
    serial = "".join(value.split()).upper()
    if not serial:
        raise ValidationError(_("Scan or type the serial number."))
    if not serial.isascii() or not SERIAL_FORM.fullmatch(serial):
        raise ValidationError(_("“%(s)s” is not a serial number: letters, digits and . _ / - "
                                "only, at most 64, starting with a letter or a digit.")
                              % {"s": value.strip()[:70]})
    return serial


def mac_clean(value) -> str:
    """A MAC address in any usual notation (``AA-BB-…``, ``aabb.ccdd.eeff``,
    ``AABBCCDDEEFF``) → ``aa:bb:cc:dd:ee:ff``; empty stays empty. The rule is radius's
    (a device's unicast address), written once there."""
    from radius.validators import clean_mac

    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if not isinstance(value, str):
        raise ValidationError(_("A MAC address is text."))
    return clean_mac(value).lower()


def gpon_serial_clean(value) -> str:
    """A GPON serial: four letters of the vendor and eight hex digits (``HWTC1A2B3C4D``),
    or the same written all in hex (``485754431A2B3C4D``); empty stays empty."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(_("A GPON serial is text."))
    text = re.sub(r"[\s:-]", "", value).upper()
    if not text:
        return ""
    if GPON_HEX.fullmatch(text):
        vendor = bytes.fromhex(text[:8]).decode("latin-1")
        if vendor.isascii() and vendor.isalnum() and vendor.upper() == vendor:
            text = vendor + text[8:]
    if not GPON_FORM.fullmatch(text):
        raise ValidationError(_("“%(s)s” is not a GPON serial (four letters and eight hex "
                                "digits, e.g. HWTC1A2B3C4D).") % {"s": value.strip()[:30]})
    return text


def firmware_clean(value) -> str:
    return text_clean(value, max_length=FIRMWARE_MAX)


QUANTITY_TEXT = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,12})?")


def quantity_clean(value, *, zero_allowed: bool = False) -> Decimal:
    """A quantity of a counted product: above zero (zero too on an inventory), at most
    three decimals; a comma or a dot before them."""
    if isinstance(value, bool) or value is None:
        raise ValidationError(_("Give the quantity."))
    text = str(value).strip().replace(",", ".")
    if not isinstance(value, Decimal | int) and not QUANTITY_TEXT.fullmatch(text):
        # digits and a decimal point only: no exponent ("1e3"), NaN or Infinity
        raise ValidationError(_("“%(q)s” is not a quantity.") % {"q": str(value)[:20]})
    try:
        quantity = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("“%(q)s” is not a quantity.") % {"q": str(value)[:20]}) from None
    if not quantity.is_finite():
        raise ValidationError(_("“%(q)s” is not a quantity.") % {"q": str(value)[:20]})
    if quantity < 0 or (quantity == 0 and not zero_allowed):
        raise ValidationError(_("The quantity must be above zero."))
    if quantity != quantity.quantize(QUANTITY_STEP, rounding="ROUND_DOWN"):
        raise ValidationError(_("At most 3 decimal places in a quantity."))
    if quantity > QUANTITY_MAX:
        raise ValidationError(_("The quantity is too large."))
    return quantity.quantize(QUANTITY_STEP)


def unit_price_clean(value) -> Decimal | None:
    """A net unit price (the catalogue's rule for prices); None or "" when not given."""
    if value is None or value == "":
        return None
    return price_clean(value)


def note_clean(value) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationError({"note": [_("Not text.")]})
    note = (value or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": [_("At most %(n)s characters.") % {"n": NOTE_MAX}]})
    return note


def _month_shift(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def date_range(today: date | None = None) -> tuple[date, date]:
    """The dates a document may bear: from ``warehouse.date_months_back`` months before
    today to ``warehouse.date_months_ahead`` months after it (whole months)."""
    today = today or timezone.localdate()
    first = _month_shift(today, -setting_get("warehouse.date_months_back"))
    last = _month_shift(today, setting_get("warehouse.date_months_ahead") + 1)
    return first, date.fromordinal(last.toordinal() - 1)


def issued_on_clean(value) -> date:
    """The document's date: today when not given; a year 1900 or 9999 is a typing error."""
    if value is None or value == "":
        return timezone.localdate()
    if isinstance(value, datetime):
        value = value.date()
    elif isinstance(value, str):
        try:
            parsed = parse_date(value.strip()) if len(value) <= 12 else None
        except ValueError:  # 2026-02-30: the form of a date, not a day
            parsed = None
        if parsed is None:
            raise ValidationError({"issued_on": [_("Not a date.")]})
        value = parsed
    elif not isinstance(value, date):
        raise ValidationError({"issued_on": [_("Not a date.")]})
    first, last = date_range()
    if not first <= value <= last:
        raise ValidationError({"issued_on": [_(
            "The date must be from %(first)s to %(last)s; %(date)s is outside (the "
            "operator's settings allow %(back)s month(s) back and %(ahead)s ahead).")
            % {"first": first.isoformat(), "last": last.isoformat(),
               "date": value.isoformat(), "back": setting_get("warehouse.date_months_back"),
               "ahead": setting_get("warehouse.date_months_ahead")}]})
    return value


# --------------------------------------------------------------------------- the tenant's rows

def own(model, value, *, field: str, message: str):
    """``value`` (a row or its id) as the active tenant sees it; another tenant's or a
    missing one is ``message`` on ``field`` — not found, never told apart."""
    pk = value.pk if isinstance(value, model) else value
    try:
        return model.objects.get(pk=int(pk))
    except (TypeError, ValueError, model.DoesNotExist):
        raise ValidationError({field: [message]}) from None


def warehouse_own(value, *, field: str = "warehouse") -> Warehouse:
    """An active warehouse of the tenant (an inactive one takes nothing in or out)."""
    if value is None or value == "":
        raise ValidationError({field: [_("Choose the warehouse.")]})
    warehouse = own(Warehouse, value, field=field, message=_("No such warehouse."))
    if not warehouse.active:
        raise ValidationError({field: [_("The warehouse %(w)s is not active.")
                                       % {"w": warehouse.name}]})
    return warehouse


def customer_own(value) -> Customer:
    if value is None or value == "":
        raise ValidationError({"customer": [_("Choose the customer.")]})
    return own(Customer, value, field="customer", message=_("No such customer."))


def address_own(value, customer: Customer) -> Address | None:
    """One of the customer's own addresses (the installation the equipment goes to)."""
    if value is None or value == "":
        return None
    address = own(Address, value, field="address", message=_("No such address."))
    if address.customer_id != customer.pk:
        raise ValidationError({"address": [_("The address is not this customer's.")]})
    return address


def products_own(values) -> dict:
    """The tenant's products of these ids (or rows), by id: one query."""
    ids = set()
    for value in values:
        pk = value.pk if isinstance(value, Product) else value
        try:
            ids.add(int(pk))
        except (TypeError, ValueError):
            continue
    return Product.objects.in_bulk(ids) if ids else {}


def product_pk(value):
    pk = value.pk if isinstance(value, Product) else value
    try:
        return int(pk)
    except (TypeError, ValueError):
        return None


def where_text(item: StockItem) -> str:
    """Where a serial is, in words (for a refusal): a warehouse, a customer, or gone.
    Reads the warehouse or the customer unless they were read with the item."""
    if item.state == State.IN_STOCK:
        return _("in the warehouse %(w)s") % {"w": item.warehouse.name}
    if item.state == State.ISSUED:
        return _("at the customer %(c)s") % {"c": str(item.customer)}
    return {State.SCRAPPED: _("scrapped"), State.LOST: _("lost (an inventory did not find "
                                                         "it)"),
            State.USED: _("used internally")}.get(item.state, item.state)


# --------------------------------------------------------------------------- locks

def items_lock(serials) -> dict[str, StockItem]:
    """The tenant's serials among ``serials``, locked in primary-key order, by serial; each
    with its product (read, not locked). Nothing else is joined into the locking query: a
    row changed by the transaction we waited for is read again as it is now, and a joined
    row would be as it was."""
    serials = sorted(set(serials))
    if not serials:
        return {}
    rows = list(StockItem.objects.select_for_update().filter(serial__in=serials)
                .order_by("pk"))
    products = Product.objects.in_bulk({item.product_id for item in rows})
    for item in rows:
        item.product = products[item.product_id]
    return {item.serial: item for item in rows}


def _share_lock(table: str, pks: list[int]) -> None:
    if pks and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) "  # noqa: S608
                           "ORDER BY id FOR SHARE", [pks])


def stock_targets_hold(warehouses, products=(), *, field: str = "warehouse") -> None:
    """The first locks of a document that puts stock into a warehouse (PZ, ZW, MM, the
    inventory): its warehouses', then its products' rows held FOR SHARE (primary-key
    order) and read again. Changing one (``catalog.warehouse_update`` deactivating,
    ``catalog.product_update`` switching serial-tracked and counted: FOR UPDATE, each
    counting the stock first) waits for the document, and a document after it finds the
    change: an inactive warehouse, or a product tracked otherwise than its lines were
    read — refused. Taken before anything else, so a document never waits for them
    holding another lock. On SQLite (one writer at a time) only read again. ``field``:
    where an inactive warehouse is told (an MM's target: ``target_warehouse``)."""
    warehouse_pks = sorted({w.pk for w in warehouses})
    products = {p.pk: p for p in products}
    _share_lock(Warehouse._meta.db_table, warehouse_pks)
    _share_lock(Product._meta.db_table, sorted(products))
    for warehouse in Warehouse.objects.filter(pk__in=warehouse_pks).order_by("pk"):
        if not warehouse.active:
            raise ValidationError({field: [_("The warehouse %(w)s is not active.")
                                           % {"w": warehouse.name}]})
    changed = [product.name for product in Product.objects.filter(pk__in=list(products))
               .order_by("name") if product.serial_tracked != products[product.pk].serial_tracked]
    if changed:
        raise ValidationError({"lines": [_(
            "%(p)s was just changed between serial-tracked and counted: check the lines and "
            "post them again.") % {"p": name} for name in changed]})


def levels_lock(pairs, *, create: bool) -> dict[tuple[int, int], StockLevel]:
    """The stock levels of ``(warehouse id, product id)`` pairs, locked in primary-key
    order; ``create``: missing ones made at zero first (a receipt's first stock)."""
    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    if create:
        StockLevel.objects.bulk_create(
            [StockLevel(tenant=current_tenant(), warehouse_id=w, product_id=p, quantity=0)
             for w, p in pairs],
            ignore_conflicts=True)
    wanted = set(pairs)
    rows = (StockLevel.objects.select_for_update()
            .filter(warehouse_id__in={w for w, _p in pairs},
                    product_id__in={p for _w, p in pairs}).order_by("pk"))
    return {(level.warehouse_id, level.product_id): level for level in rows
            if (level.warehouse_id, level.product_id) in wanted}


def levels_save(levels) -> None:
    """The levels as changed; one above the largest quantity a level holds
    (``QUANTITY_MAX``) refuses the document, naming the warehouse and the product."""
    levels = list(levels)
    over = [level for level in levels if level.quantity > QUANTITY_MAX]
    if over:
        raise ValidationError({"lines": [
            _("%(w)s would hold more %(p)s than a stock level can (at most %(max)s).")
            % {"w": level.warehouse.name, "p": level.product.name,
               "max": quantity_text(QUANTITY_MAX)} for level in over]})
    StockLevel.objects.bulk_update(levels, ["quantity"])


def unit_text(product: Product) -> str:
    return product.unit or ""


# --------------------------------------------------------------------------- the document

def document_create(*, kind: str, issued_on: date, actor, request_token, **fields
                    ) -> StockDocument:
    """The numbered document (number by the tenant's pattern, taken now: locks the series).
    A number clash is a clear message; the same ``request_token`` posted meanwhile is the
    IntegrityError ``posted_once`` answers."""
    number = number_take(kind, issued_on)
    try:
        with transaction.atomic():
            return StockDocument.objects.create(
                kind=kind, number=number, issued_on=issued_on, created_by=staff_of(actor),
                request_token=request_token, **fields)
    except IntegrityError as exc:
        if "stockdocument_number_uniq" in str(exc):
            raise ValidationError(_("The number %(n)s is already used by another document; "
                                    "try again, or check the number pattern.")
                                  % {"n": number}) from None
        raise


def lines_create(document: StockDocument, lines: list[StockDocumentLine]) -> None:
    for line in lines:
        line.document = document
        line.tenant_id = document.tenant_id
    StockDocumentLine.objects.bulk_create(lines)


def moves_create(document: StockDocument, items, *, from_warehouse: int | None = None,
                 customer: int | None = None) -> None:
    """One history row per serial moved by ``document``, written with the items already
    in their new place (the warehouse it went to, its state and condition);
    ``from_warehouse`` and ``customer`` (who got it or gave it back) are ids."""
    ItemMove.objects.bulk_create([
        ItemMove(tenant_id=document.tenant_id, item=item, document=document,
                 from_warehouse_id=from_warehouse, to_warehouse_id=item.warehouse_id,
                 customer_id=customer, state_after=item.state,
                 condition_after=item.condition)
        for item in items])


def items_place(items, **values) -> None:
    """Put ``items`` (locked) in their new place: one UPDATE, and the rows in memory."""
    if not items:
        return
    StockItem.objects.filter(pk__in=[item.pk for item in items]).update(**values)
    for item in items:
        for key, value in values.items():
            setattr(item, key, value)


LOGGED_ITEMS = 50  # a pallet's PZ names its first serials; the document has them all


def document_log(*, actor, document: StockDocument, message: str, params: dict,
                 customer=None) -> None:
    items = params.get("items")
    if items is not None and len(items) > LOGGED_ITEMS:
        params = {**params, "items": [*items[:LOGGED_ITEMS],
                                      f"… (+{len(items) - LOGGED_ITEMS})"]}
    action_log(actor=actor, customer=customer, kind=f"stockdocument.{document.kind.lower()}",
               message=message, params={"n": document.number, **params})


def item_words(items) -> list[str]:
    """``ONT Dasan H660GM S/N DSNW12345678`` for each serial (the action log's list)."""
    return [f"{item.product.name} S/N {item.serial}" for item in items]


def quantity_plain(value: Decimal) -> Decimal:
    """A quantity without its trailing zeros (``30.000`` → 30, ``2.500`` → 2.5), shown in
    the reader's own number format."""
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def quantity_text(value: Decimal) -> str:
    """A quantity as people write it: ``30``, ``2.5``, ``0`` (no trailing zeros)."""
    return f"{value.normalize():f}" if value else "0"


def quantity_words(rows) -> list[str]:
    """``Kabel UTP 25 m`` for each (product, quantity)."""
    return [f"{product.name} {quantity_text(quantity)} {unit_text(product)}".strip()
            for product, quantity in rows]


def items_publish(event: str, document: StockDocument, items, customer_id: int) -> None:
    """``warehouse.item_issued`` / ``warehouse.item_returned`` per serial, after commit."""
    for item in items:
        publish(event, item_id=item.pk, customer_id=customer_id,
                product_kind=item.product.kind, serial=item.serial, mac=item.mac,
                document_id=document.pk)


# --------------------------------------------------------------------------- once per form

@dataclass
class Posted:
    document: StockDocument
    created: bool


def _document_of_token(request_token, kind: str) -> StockDocument | None:
    document = StockDocument.objects.filter(request_token=request_token).first()
    if document is not None and document.kind != kind:
        raise ValidationError(_("This form was already used for another document; open the "
                                "form again."))
    return document


def posted_once(*, kind: str, request_token, post) -> Posted:
    """``post()`` once per ``request_token`` (the form's one-time token): the same token
    again — a double click, a retry, even at the same moment — returns the document the
    first one posted, and changes nothing."""
    if request_token is not None:
        existing = _document_of_token(request_token, kind)
        if existing is not None:
            return Posted(existing, False)
    try:
        return Posted(post(), True)
    except (IntegrityError, ValidationError):
        # The twin may have won: its serials are moved (a refusal here) or its token taken.
        existing = _document_of_token(request_token, kind) if request_token else None
        if existing is None:
            raise
        return Posted(existing, False)


def serials_refused(problems: list[str]) -> None:
    if problems:
        raise ValidationError({"lines": problems})
