"""PZ ("przyjęcie zewnętrzne"): equipment received from a supplier into a warehouse."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from ..catalog import text_clean
from ..models import StockDocument, StockDocumentLine, StockItem, Supplier
from .base import (
    SUPPLIER_DOCUMENT_MAX,
    document_create,
    document_log,
    issued_on_clean,
    item_words,
    levels_lock,
    levels_save,
    lines_create,
    moves_create,
    note_clean,
    own,
    posted_once,
    quantity_words,
    serials_refused,
    stock_targets_hold,
    warehouse_own,
    where_text,
)
from .lines import LineIn, SerialIn, receipt_lines_parse

Kind = StockDocument.Kind
# the tenant's unique identities of a device (``StockItem.Meta.constraints``)
IDENTITY_CONSTRAINTS = ("stockitem_serial_uniq", "stockitem_mac_uniq", "stockitem_gpon_uniq")


def receipt_post(*, actor, supplier, warehouse, lines, issued_on=None,
                 supplier_document: str = "", note: str = "", request_token=None
                 ) -> StockDocument:
    """PZ: ``lines`` received from ``supplier`` into ``warehouse`` and posted at once —
    serial-tracked products as new ``StockItem`` rows (each serial, MAC and GPON serial
    new to the tenant), counted ones onto the warehouse's stock level. Each at its net unit
    price (the product's default when not given).

    Locks the stock levels of the counted products (made at zero when missing) and the PZ
    number series. ``request_token``: the form's one-time token (the same form twice posts
    one document)."""
    if supplier is None or supplier == "":
        raise ValidationError({"supplier": [_("Choose the supplier.")]})
    supplier = own(Supplier, supplier, field="supplier", message=_("No such supplier."))
    warehouse = warehouse_own(warehouse)
    issued_on = issued_on_clean(issued_on)
    try:
        supplier_document = text_clean(supplier_document, max_length=SUPPLIER_DOCUMENT_MAX)
    except ValidationError as exc:
        raise ValidationError({"supplier_document": exc.messages}) from None
    note = note_clean(note)
    parsed = receipt_lines_parse(lines)
    return posted_once(kind=Kind.PZ, request_token=request_token, post=lambda: _receipt_write(
        actor=actor, supplier=supplier, warehouse=warehouse, issued_on=issued_on,
        supplier_document=supplier_document, note=note, parsed=parsed,
        request_token=request_token)).document


def _receipt_write(*, actor, supplier, warehouse, issued_on, supplier_document, note,
                   parsed: list[LineIn], request_token) -> StockDocument:
    new = [(line, serial) for line in parsed for serial in line.serials]
    counted = [line for line in parsed if line.quantity is not None]
    with transaction.atomic():
        stock_targets_hold([warehouse], [line.product for line in parsed])
        _known_refused([serial for _line, serial in new])
        levels = levels_lock([(warehouse.pk, line.product.pk) for line in counted], create=True)
        document = document_create(
            kind=Kind.PZ, issued_on=issued_on, actor=actor, request_token=request_token,
            warehouse=warehouse, supplier=supplier, supplier_document=supplier_document,
            note=note)
        items = _items_create(warehouse, new)
        lines_create(document, [
            StockDocumentLine(product=line.product, item=item, quantity=1,
                              unit_price=_price(line)) for (line, _s), item in zip(new, items,
                                                                                   strict=True)
        ] + [StockDocumentLine(product=line.product, quantity=line.quantity,
                               unit_price=_price(line)) for line in counted])
        moves_create(document, items)
        for line in counted:
            levels[(warehouse.pk, line.product.pk)].quantity += line.quantity
        levels_save(levels.values())
        document_log(actor=actor, document=document,
                     message=N_("PZ %(n)s from %(s)s into %(w)s: %(items)s"),
                     params={"s": supplier.name, "w": warehouse.name,
                             "items": item_words(items) + quantity_words(
                                 (line.product, line.quantity) for line in counted)})
    return document


def _price(line: LineIn):
    return line.unit_price if line.unit_price is not None else line.product.default_price


def _known_refused(serials: list[SerialIn]) -> None:
    """A serial, MAC or GPON serial the tenant already knows (in stock, issued, gone) is a
    second device with one identity: refused, naming it and where the first one is."""
    if not serials:
        return
    problems = []
    checks = (("serial", _("The serial %(v)s is already known: %(where)s.")),
              ("mac", _("The MAC address %(v)s is already known (serial %(s)s): %(where)s.")),
              ("gpon_serial", _("The GPON serial %(v)s is already known (serial %(s)s): "
                                "%(where)s.")))
    for field, message in checks:
        values = {getattr(s, field) for s in serials if getattr(s, field)}
        if field != "serial":
            problems += _twice_in_document(serials, field)
        if not values:
            continue
        for item in (StockItem.objects.select_related("warehouse", "customer")
                     .filter(**{f"{field}__in": sorted(values)}).order_by(field)):
            problems.append(message % {"v": getattr(item, field), "s": item.serial,
                                       "where": where_text(item)})
    serials_refused(problems)


def _twice_in_document(serials: list[SerialIn], field: str) -> list[str]:
    first, problems = {}, []
    for serial in serials:
        value = getattr(serial, field)
        if value and value in first:
            problems.append(_("%(v)s is given for both %(a)s and %(b)s.")
                            % {"v": value, "a": first[value], "b": serial.serial})
        first.setdefault(value, serial.serial)
    return problems


def _items_create(warehouse, new) -> list[StockItem]:
    """The new serials in stock; one received by another PZ a moment ago (its serial, MAC
    or GPON serial) is refused like one known before (the tenant's unique constraints
    decide)."""
    try:
        with transaction.atomic():
            return StockItem.objects.bulk_create([
                StockItem(product=line.product, serial=serial.serial, mac=serial.mac,
                          gpon_serial=serial.gpon_serial, firmware=serial.firmware,
                          warehouse=warehouse, purchase_price=_price(line),
                          tenant_id=warehouse.tenant_id)
                for line, serial in new])
    except IntegrityError as exc:
        if not any(name in str(exc) for name in IDENTITY_CONSTRAINTS):
            raise
        raise ValidationError({"lines": [_("One of these serials, MAC addresses or GPON "
                                           "serials was received by another document a "
                                           "moment ago; check the list and post it again.")]}
                              ) from None
