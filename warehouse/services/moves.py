"""MM ("przesunięcie międzymagazynowe"): stock moved between two warehouses; RW
("rozchód wewnętrzny"): stock taken out for internal use or scrapped."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from ..models import StockDocument, StockDocumentLine
from .base import (
    State,
    document_create,
    document_log,
    issued_on_clean,
    item_words,
    items_place,
    levels_save,
    lines_create,
    moves_create,
    note_clean,
    posted_once,
    quantity_words,
    stock_targets_hold,
    warehouse_own,
)
from .issues import stock_take
from .lines import LineIn, stock_lines_parse

Kind = StockDocument.Kind
ReturnState = StockDocumentLine.ReturnState


def _lines_of(parsed: list[LineIn], items, **extra) -> list[StockDocumentLine]:
    return [StockDocumentLine(
        product=items[line.serial].product if line.serial else line.product,
        item=items.get(line.serial), quantity=1 if line.serial else line.quantity,
        **({"return_state": ReturnState.SCRAP} if line.scrap else {}), **extra)
        for line in parsed]


# --------------------------------------------------------------------------- MM

def move_post(*, actor, warehouse, target_warehouse, lines, issued_on=None, note: str = "",
              request_token=None) -> StockDocument:
    """MM: serials (working or faulty, as they are) and counted quantities moved from
    ``warehouse`` to ``target_warehouse``, another of the tenant's. Each serial must be in
    the first, in stock; a counted product's stock there never goes below zero.

    Locks the serials (primary-key order), the stock levels of both warehouses (primary-key
    order), the MM number series."""
    warehouse = warehouse_own(warehouse)
    target = warehouse_own(target_warehouse, field="target_warehouse")
    if target.pk == warehouse.pk:
        raise ValidationError({"target_warehouse": [_("Choose another warehouse to move "
                                                      "to.")]})
    issued_on = issued_on_clean(issued_on)
    note = note_clean(note)
    parsed = stock_lines_parse(lines)
    return posted_once(kind=Kind.MM, request_token=request_token, post=lambda: _move_write(
        actor=actor, warehouse=warehouse, target=target, issued_on=issued_on, note=note,
        parsed=parsed, request_token=request_token)).document


def _move_write(*, actor, warehouse, target, issued_on, note, parsed, request_token
                ) -> StockDocument:
    counted = [line for line in parsed if line.quantity is not None]
    with transaction.atomic():
        stock_targets_hold([target], [line.product for line in parsed
                                      if line.quantity is not None], field="target_warehouse")
        items, levels = stock_take(parsed, warehouse, faulty_refused=False, target=target)
        document = document_create(
            kind=Kind.MM, issued_on=issued_on, actor=actor, request_token=request_token,
            warehouse=warehouse, target_warehouse=target, note=note)
        lines_create(document, _lines_of(parsed, items))
        moved = [items[line.serial] for line in parsed if line.serial]
        items_place(moved, warehouse=target)
        moves_create(document, moved, from_warehouse=warehouse.pk)
        for line in counted:
            levels[(warehouse.pk, line.product.pk)].quantity -= line.quantity
            levels[(target.pk, line.product.pk)].quantity += line.quantity
        levels_save(levels.values())
        document_log(actor=actor, document=document,
                     message=N_("MM %(n)s from %(w)s to %(t)s: %(items)s"),
                     params={"w": warehouse.name, "t": target.name,
                             "items": item_words(moved) + quantity_words(
                                 (line.product, line.quantity) for line in counted)})
    return document


# --------------------------------------------------------------------------- RW

def internal_post(*, actor, warehouse, lines, issued_on=None, note: str = "",
                  request_token=None) -> StockDocument:
    """RW: serials and counted quantities taken out of ``warehouse`` for internal use, or
    scrapped (a line's ``scrap``: True). A serial becomes *used* or *scrapped* (in no
    warehouse); a counted product's stock never goes below zero.

    Locks the serials (primary-key order), the stock levels, the RW number series."""
    warehouse = warehouse_own(warehouse)
    issued_on = issued_on_clean(issued_on)
    note = note_clean(note)
    parsed = stock_lines_parse(lines, keys={"scrap"})
    return posted_once(kind=Kind.RW, request_token=request_token, post=lambda: _internal_write(
        actor=actor, warehouse=warehouse, issued_on=issued_on, note=note, parsed=parsed,
        request_token=request_token)).document


def _internal_write(*, actor, warehouse, issued_on, note, parsed, request_token
                    ) -> StockDocument:
    counted = [line for line in parsed if line.quantity is not None]
    with transaction.atomic():
        items, levels = stock_take(parsed, warehouse, faulty_refused=False)
        document = document_create(
            kind=Kind.RW, issued_on=issued_on, actor=actor, request_token=request_token,
            warehouse=warehouse, note=note)
        lines_create(document, _lines_of(parsed, items))
        taken = []
        for scrap, state in ((False, State.USED), (True, State.SCRAPPED)):
            group = [items[line.serial] for line in parsed if line.serial and line.scrap == scrap]
            items_place(group, state=state, warehouse=None)
            taken += group
        moves_create(document, taken, from_warehouse=warehouse.pk)
        for line in counted:
            levels[(warehouse.pk, line.product.pk)].quantity -= line.quantity
        levels_save(levels.values())
        document_log(actor=actor, document=document,
                     message=N_("RW %(n)s from %(w)s: %(items)s"),
                     params={"w": warehouse.name, "items": item_words(taken) + quantity_words(
                         (line.product, line.quantity) for line in counted)})
    return document
