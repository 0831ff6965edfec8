"""INW ("inwentaryzacja"): what was counted in a warehouse, its differences booked."""

from collections import Counter
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from ..models import Product, StockDocument, StockDocumentLine, StockItem
from .base import (
    MAX_SERIALS,
    State,
    document_create,
    document_log,
    issued_on_clean,
    items_place,
    levels_lock,
    levels_save,
    lines_create,
    moves_create,
    note_clean,
    posted_once,
    product_pk,
    products_own,
    serial_clean,
    stock_targets_hold,
    warehouse_own,
    where_text,
)
from .lines import LineIn, stock_lines_parse

Kind = StockDocument.Kind


def inventory_post(*, actor, warehouse, serials=None, quantities=(), products=None,
                   issued_on=None, note: str = "", request_token=None) -> StockDocument:
    """INW: the serials scanned in ``warehouse`` and the counted ``quantities``
    (``{"product", "quantity"}``, zero allowed) booked against what the warehouse holds.

    * A serial the warehouse holds but nobody scanned becomes *lost*; a lost serial
      scanned here is *found* (in stock here again).
    * A scanned serial that is anywhere else (another warehouse, a customer, scrapped) is
      refused with the list of them: move it here by its own document first. An unknown
      one is refused too (receive it by a PZ).
    * A counted product's stock level is set to the count; a product not listed is not
      counted (left as it is).
    * ``products``: only these products' serials are counted (a partial inventory);
      otherwise every serial in the warehouse — when ``serials`` are given (an empty list:
      none found). With no ``serials`` at all, only the counted products are counted: a
      count of cable never makes the warehouse's ONTs lost.

    The lines keep, per product, the ``expected`` quantity and the counted ``quantity``;
    the history of each lost or found serial names the INW. Locks the warehouse's serials
    and the scanned ones (primary-key order), the stock levels, the INW number series."""
    warehouse = warehouse_own(warehouse)
    issued_on = issued_on_clean(issued_on)
    note = note_clean(note)
    scope = _products_scope(products)
    if serials is None:  # no serials scanned: the counted products alone
        counted = _counted_parse(quantities, scope)
        if not counted:
            raise ValidationError({"serials": [_("Scan the serials or count the products.")]})
        # the products chosen but not counted (a serial-tracked one among them) are not
        # counted: taken as counted, their serials would all be booked lost
        scope = {line.product.pk: line.product for line in counted}
        scanned = []
    else:
        scanned = _scanned_parse(serials)
        counted = _counted_parse(quantities, scope)
    return posted_once(kind=Kind.INW, request_token=request_token, post=lambda: _inventory_write(
        actor=actor, warehouse=warehouse, issued_on=issued_on, note=note, scope=scope,
        scanned=scanned, counted=counted, request_token=request_token)).document


def _products_scope(products) -> dict | None:
    if products is None:
        return None
    values = list(products)
    found = products_own(values)
    if not values or len(found) != len({product_pk(v) for v in values}):
        raise ValidationError({"products": [_("Choose products of this operator.")]})
    return found


def _scanned_parse(serials) -> list[str]:
    if isinstance(serials, str | bytes | dict) or serials is None:
        raise ValidationError({"serials": [_("A list of serials.")]})
    found, problems = {}, []
    for value in serials:
        try:
            found.setdefault(serial_clean(value), None)  # a second beep of one serial
        except ValidationError as exc:
            problems += exc.messages
    if problems:
        raise ValidationError({"serials": problems})
    if len(found) > MAX_SERIALS:
        raise ValidationError({"serials": [_("At most %(n)s serials in one inventory.")
                                           % {"n": MAX_SERIALS}]})
    return list(found)


def _counted_parse(quantities, scope) -> list[LineIn]:
    quantities = list(quantities or ())
    if not quantities:
        return []
    counted = stock_lines_parse(quantities, zero_allowed=True)
    if any(line.serial for line in counted):
        raise ValidationError({"lines": [_("Scanned serials go with the serials, not with "
                                           "the counted quantities.")]})
    outside = [line.product.name for line in counted if scope is not None
               and line.product.pk not in scope]
    if outside:
        raise ValidationError({"lines": [_("Not among the products of this inventory: "
                                           "%(p)s.") % {"p": ", ".join(outside)}]})
    return counted


def _items_lock(warehouse, scanned: list[str], scope) -> list[StockItem]:
    """The warehouse's serials (of the scope) and the scanned ones, locked in primary-key
    order."""
    held = Q(state=State.IN_STOCK, warehouse=warehouse)
    if scope is not None:
        held &= Q(product_id__in=list(scope))
    condition = held | Q(serial__in=scanned) if scanned else held
    return list(StockItem.objects.select_for_update().filter(condition).order_by("pk"))


def scan_refusal(item, serial: str, warehouse, scope=None) -> str:
    """Why a serial scanned by an inventory of ``warehouse`` (of the products of
    ``scope``, when given) cannot be counted there ("" if it can): it must be known, of
    the scope, and in that warehouse — or lost (found again)."""
    if item is None:
        return _("%(s)s is not known: receive it by a PZ.") % {"s": serial}
    if scope is not None and item.product_id not in scope:
        return _("%(s)s is not among the products of this inventory.") % {"s": serial}
    if item.state != State.LOST and (item.state != State.IN_STOCK
                                     or item.warehouse_id != warehouse.pk):
        return _("%(s)s is %(where)s.") % {"s": serial, "where": where_text(item)}
    return ""


def _scanned_refused(warehouse, scanned: list[str], items: dict, scope) -> None:
    problems = [problem for serial in scanned
                if (problem := scan_refusal(items.get(serial), serial, warehouse, scope))]
    if problems:
        raise ValidationError({"serials": [_(
            "Scanned serials that are not in this warehouse; move each here by its own "
            "document first (or leave it out): %(list)s") % {"list": "; ".join(problems)}]})


def _inventory_write(*, actor, warehouse, issued_on, note, scope, scanned, counted,
                     request_token) -> StockDocument:
    with transaction.atomic():
        stock_targets_hold([warehouse], [line.product for line in counted])
        rows = _items_lock(warehouse, scanned, scope)
        items = {item.serial: item for item in rows}
        _scanned_refused(warehouse, scanned, items, scope)
        levels = levels_lock([(warehouse.pk, line.product.pk) for line in counted],
                             create=True)
        held = [item for item in rows if item.state == State.IN_STOCK
                and item.warehouse_id == warehouse.pk]
        seen = set(scanned)
        lost = [item for item in held if item.serial not in seen]
        found = [items[serial] for serial in scanned if items[serial].state == State.LOST]
        document = document_create(kind=Kind.INW, issued_on=issued_on, actor=actor,
                                   request_token=request_token, warehouse=warehouse,
                                   note=note)
        lines_create(document, _serial_lines(held, [items[s] for s in scanned], scope)
                     + _counted_lines(counted, levels, warehouse))
        items_place(lost, state=State.LOST, warehouse=None)
        moves_create(document, lost, from_warehouse=warehouse.pk)
        items_place(found, state=State.IN_STOCK, warehouse=warehouse)
        moves_create(document, found)
        for line in counted:
            levels[(warehouse.pk, line.product.pk)].quantity = line.quantity
        levels_save(levels.values())
        document_log(actor=actor, document=document,
                     message=N_("INW %(n)s of %(w)s: %(lost)s serial(s) lost, %(found)s "
                                "found: %(items)s"),
                     params={"w": warehouse.name, "lost": len(lost), "found": len(found),
                             "items": [item.serial for item in lost + found]})
    return document


def _serial_lines(held, scanned, scope) -> list[StockDocumentLine]:
    """Per serial-tracked product: how many the warehouse held, how many were scanned."""
    expected = Counter(item.product_id for item in held)
    got = Counter(item.product_id for item in scanned)
    product_ids = sorted(set(expected) | set(got) | set(scope or ()))
    products = Product.objects.in_bulk(product_ids) if product_ids else {}
    return [StockDocumentLine(product=products[pk], quantity=Decimal(got[pk]),
                              expected=Decimal(expected[pk]))
            for pk in product_ids if products[pk].serial_tracked]


def _counted_lines(counted, levels, warehouse) -> list[StockDocumentLine]:
    return [StockDocumentLine(product=line.product, quantity=line.quantity,
                              expected=levels[(warehouse.pk, line.product.pk)].quantity)
            for line in counted]
