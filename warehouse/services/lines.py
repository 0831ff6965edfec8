"""A document's lines as the form or the API gives them, checked before anything is locked.

A line is a serial (a string as scanned, or ``{"serial": …}``) or a quantity of a counted
product (``{"product": id or row, "quantity": …}``); each kind adds its own keys (a price,
a return state, scrap). A PZ line is a product with its new serials
(``{"product", "serials": [...], "unit_price"}``) or a quantity. Every mistake of every
line is told at once (``ValidationError`` on ``lines``, "Line 3: …"), nothing written.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import Product, StockDocumentLine
from .base import (
    MAX_SERIALS,
    firmware_clean,
    gpon_serial_clean,
    mac_clean,
    product_pk,
    products_own,
    quantity_clean,
    serial_clean,
    unit_price_clean,
)

Feature = Product.Feature
ReturnState = StockDocumentLine.ReturnState


@dataclass
class SerialIn:
    """A new serial of a PZ with the features its product carries."""

    serial: str
    mac: str = ""
    gpon_serial: str = ""
    firmware: str = ""


@dataclass
class LineIn:
    index: int
    product: Product | None = None
    serial: str = ""
    serials: list[SerialIn] = field(default_factory=list)  # a PZ's new serials
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    state: str = ""  # ZW: working / faulty / scrap
    scrap: bool = False  # RW: scrapped rather than used


class _Errors(list):
    def add(self, index: int, message: str) -> None:
        self.append(_("Line %(n)s: %(m)s") % {"n": index, "m": message})

    def raise_any(self) -> None:
        if self:
            raise ValidationError({"lines": list(self)})


def _as_dict(raw, index: int, errors: _Errors) -> dict | None:
    if isinstance(raw, str):
        return {"serial": raw}
    if isinstance(raw, dict):
        return raw
    errors.add(index, _("not a line."))
    return None


def _keys_known(data: dict, allowed: set, index: int, errors: _Errors) -> bool:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        errors.add(index, _("unknown field %(f)s.") % {"f": ", ".join(unknown)[:60]})
    return not unknown


def _check(errors: _Errors, index: int, clean, *args):
    try:
        return clean(*args)
    except ValidationError as exc:
        errors.add(index, " ".join(exc.messages))
        return None


def _lines_list(lines) -> list:
    if isinstance(lines, str | bytes | dict) or lines is None:
        raise ValidationError({"lines": [_("A document needs at least one line.")]})
    lines = list(lines)
    if not lines:
        raise ValidationError({"lines": [_("A document needs at least one line.")]})
    return lines


def _product_of(data, products: dict, index: int, errors: _Errors) -> Product | None:
    product = products.get(product_pk(data.get("product")))
    if product is None:
        errors.add(index, _("no such product."))
    return product


def _serial_once(serial: str, seen: dict, index: int, errors: _Errors) -> bool:
    if serial in seen:
        errors.add(index, _("the serial %(s)s is already on line %(m)s of this document.")
                   % {"s": serial, "m": seen[serial]})
        return False
    seen[serial] = index
    return True


def _product_once(product: Product, seen: dict, index: int, errors: _Errors) -> bool:
    if product.pk in seen:
        errors.add(index, _("%(p)s is already on line %(m)s of this document.")
                   % {"p": product.name, "m": seen[product.pk]})
        return False
    seen[product.pk] = index
    return True


def _too_many(count: int) -> None:
    if count > MAX_SERIALS:
        raise ValidationError({"lines": [_("A document holds at most %(n)s lines and serials; "
                                           "split it into several.") % {"n": MAX_SERIALS}]})


# --------------------------------------------------------------------------- moving stock

BASE_KEYS = {"serial", "product", "quantity"}


def stock_lines_parse(lines, *, keys=frozenset(), zero_allowed: bool = False
                      ) -> list[LineIn]:
    """The lines of a WZ, ZW, MM, RW or INW: serials of the tenant's stock (looked up when
    locked) and quantities of counted products. ``keys``: the kind's own keys
    (``unit_price``, ``state``, ``scrap``)."""
    raw_lines = _lines_list(lines)
    _too_many(len(raw_lines))
    errors, allowed = _Errors(), BASE_KEYS | set(keys)
    dicts = [_as_dict(raw, i, errors) for i, raw in enumerate(raw_lines, start=1)]
    products = products_own(d.get("product") for d in dicts if d and "serial" not in d)
    parsed, serials_seen, products_seen = [], {}, {}
    for index, data in enumerate(dicts, start=1):
        if data is None or not _keys_known(data, allowed, index, errors):
            continue
        line = LineIn(index=index)
        if "serial" in data:
            line.serial = _check(errors, index, serial_clean, data["serial"]) or ""
            if line.serial and not _serial_once(line.serial, serials_seen, index, errors):
                continue
        else:
            line.product = _product_of(data, products, index, errors)
            if line.product is None or not _counted_line(line, data, products_seen, errors,
                                                         zero_allowed):
                continue
        _extras(line, data, errors)
        parsed.append(line)
    errors.raise_any()
    return parsed


def _counted_line(line: LineIn, data: dict, seen: dict, errors: _Errors,
                  zero_allowed: bool) -> bool:
    if line.product.serial_tracked:
        errors.add(line.index, _("%(p)s is tracked by serial: scan its serials.")
                   % {"p": line.product.name})
        return False
    if not _product_once(line.product, seen, line.index, errors):
        return False
    line.quantity = _check(errors, line.index, lambda v: quantity_clean(
        v, zero_allowed=zero_allowed), data.get("quantity"))
    return line.quantity is not None


def _extras(line: LineIn, data: dict, errors: _Errors) -> None:
    if "unit_price" in data:
        line.unit_price = _check(errors, line.index, unit_price_clean, data["unit_price"])
    if "state" in data:
        state = data["state"]
        if state not in ReturnState.values:
            errors.add(line.index, _("choose the state: working, faulty or to scrap."))
        else:
            line.state = state
    if "scrap" in data:
        if not isinstance(data["scrap"], bool):
            errors.add(line.index, _("scrap is yes or no."))
        else:
            line.scrap = data["scrap"]


# --------------------------------------------------------------------------- receipts

RECEIPT_KEYS = {"product", "serials", "quantity", "unit_price"}
SERIAL_KEYS = {"serial", "mac", "gpon_serial", "firmware"}
FEATURE_CLEAN = {Feature.MAC: mac_clean, Feature.GPON_SERIAL: gpon_serial_clean,
                 Feature.FIRMWARE: firmware_clean}


def receipt_lines_parse(lines) -> list[LineIn]:
    """The lines of a PZ: an active product of the tenant with its new serials (each with
    the features its product carries, any of them left empty) or a counted quantity,
    each at a net unit price (the product's default when not given)."""
    raw_lines = _lines_list(lines)
    errors = _Errors()
    dicts = [raw if isinstance(raw, dict) else None for raw in raw_lines]
    for index, data in enumerate(dicts, start=1):
        if data is None:
            errors.add(index, _("not a line."))
    products = products_own(d.get("product") for d in dicts if d)
    parsed, serials_seen, products_seen, count = [], {}, {}, 0
    for index, data in enumerate(dicts, start=1):
        if data is None or not _keys_known(data, RECEIPT_KEYS, index, errors):
            continue
        line = LineIn(index=index, product=_product_of(data, products, index, errors))
        if line.product is None:
            continue
        if not line.product.active:
            errors.add(index, _("%(p)s is not active.") % {"p": line.product.name})
            continue
        line.unit_price = _check(errors, index, unit_price_clean, data.get("unit_price"))
        if line.product.serial_tracked:
            line.serials = _new_serials(line, data.get("serials"), serials_seen, errors)
            count += len(line.serials)
            _too_many(count)
        elif "serials" in data:
            errors.add(index, _("%(p)s is counted, not tracked by serial: give its quantity.")
                       % {"p": line.product.name})
            continue
        elif _product_once(line.product, products_seen, index, errors):
            line.quantity = _check(errors, index, quantity_clean, data.get("quantity"))
        parsed.append(line)
    errors.raise_any()
    return parsed


def _new_serials(line: LineIn, raw, seen: dict, errors: _Errors) -> list[SerialIn]:
    if isinstance(raw, str | bytes | dict) or not raw:
        errors.add(line.index, _("scan the serials of %(p)s.") % {"p": line.product.name})
        return []
    found = []
    for value in raw:
        data = {"serial": value} if isinstance(value, str) else value
        if not isinstance(data, dict):
            errors.add(line.index, _("not a serial."))
            continue
        if not _keys_known(data, SERIAL_KEYS, line.index, errors):
            continue
        serial = _check(errors, line.index, serial_clean, data.get("serial"))
        if serial is None or not _serial_once(serial, seen, line.index, errors):
            continue
        item = SerialIn(serial=serial)
        for feature, clean in FEATURE_CLEAN.items():
            _feature_set(item, feature, clean, data.get(feature), line, errors)
        found.append(item)
    return found


def _feature_set(item: SerialIn, feature: str, clean, value, line: LineIn,
                 errors: _Errors) -> None:
    if value is None or value == "":
        return
    if feature not in (line.product.features or []):
        errors.add(line.index, _("%(p)s carries no %(f)s (serial %(s)s).")
                   % {"p": line.product.name, "f": Feature(feature).label, "s": item.serial})
        return
    cleaned = _check(errors, line.index, clean, value)
    if cleaned:
        setattr(item, feature, cleaned)
