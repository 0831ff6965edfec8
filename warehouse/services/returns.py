"""ZW ("zwrot"): equipment returned by a customer to a warehouse."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from ..models import StockDocument, StockDocumentLine
from .base import (
    Condition,
    State,
    customer_own,
    document_create,
    document_log,
    issued_on_clean,
    item_words,
    items_lock,
    items_place,
    items_publish,
    levels_lock,
    levels_save,
    lines_create,
    moves_create,
    note_clean,
    posted_once,
    quantity_text,
    quantity_words,
    serials_refused,
    stock_targets_hold,
    unit_text,
    warehouse_own,
    where_text,
)
from .counted import counted_at_customer
from .lines import LineIn, stock_lines_parse
from .settlement import account_first, return_settle, return_settlement_get

Kind = StockDocument.Kind
ReturnState = StockDocumentLine.ReturnState

# What a returned serial becomes, by the line's state.
PLACES = {
    ReturnState.WORKING: {"state": State.IN_STOCK, "condition": Condition.WORKING},
    ReturnState.FAULTY: {"state": State.IN_STOCK, "condition": Condition.FAULTY},
    ReturnState.SCRAP: {"state": State.SCRAPPED, "condition": Condition.FAULTY},
}
# A returned serial is nobody's any more: no login, no place on an OLT (an ONT comes back
# only once removed from its OLT: ``serial_return_refusal``).
UNBOUND = {"customer": None, "issue_document": None, "login": None, "olt": None,
           "olt_port": "", "ont_id": None}


def return_post(*, actor, customer, warehouse, lines, issued_on=None, note: str = "",
                request_token=None) -> StockDocument:
    """ZW: serials (and counted quantities) ``customer`` returns into ``warehouse``; each
    line's ``state`` (working — the default —, faulty, scrap) says what it becomes: in
    stock working, in stock faulty, or scrapped (in no warehouse). Each serial must be at
    that customer. A counted quantity comes back working (onto the stock level) or to
    scrap (nowhere). A returned serial loses its login and its OLT place.

    A counted quantity comes back only as far as the customer has it (issued by WZs less
    returned), covering their WZs oldest first (``counted``).

    The WZs the equipment came by (``settlement.return_settle``): a **lease** whose
    equipment is all back (its serials, and its counted goods by first in, first out) ends
    on the ZW's date (or on the last day already invoiced, when later), in the ZW's
    transaction. A
    **deposit** is not refunded automatically — staff refund it by a KW or settle it by a
    correction —, but the result says it was taken: ``document.return_settlement``
    (``ReturnSettlement``: ``leases_ended`` and ``deposits``, each naming its WZ; the
    deposit's amount and debit note). The same form sent again returns the first ZW with
    the same information read back.

    Locks, in this order (``warehouse.services.settlement``): the customer's finance
    account, the serials (primary-key order), the stock levels, the ZW number series, the
    subscription of a lease it ends. Publishes ``warehouse.item_returned`` per serial on
    commit."""
    customer = customer_own(customer)
    warehouse = warehouse_own(warehouse)
    issued_on = issued_on_clean(issued_on)
    note = note_clean(note)
    parsed = stock_lines_parse(lines, keys={"state"})
    for line in parsed:
        line.state = line.state or ReturnState.WORKING
    _counted_states_check(parsed)
    posted = posted_once(kind=Kind.ZW, request_token=request_token, post=lambda: _return_write(
        actor=actor, customer=customer, warehouse=warehouse, issued_on=issued_on, note=note,
        parsed=parsed, request_token=request_token))
    document = posted.document
    if not posted.created:
        document.return_settlement = return_settlement_get(document)
    return document


def _counted_states_check(parsed: list[LineIn]) -> None:
    problems = [_("Line %(n)s: %(p)s is counted: it comes back working or to scrap.")
                % {"n": line.index, "p": line.product.name}
                for line in parsed if line.quantity is not None
                and line.state == ReturnState.FAULTY]
    if problems:
        raise ValidationError({"lines": problems})


def serial_return_refusal(item, serial: str, customer) -> str:
    """Why a serial cannot come back from ``customer`` ("" if it can): it must be theirs."""
    if item is None:
        return _("The serial %(s)s is not known.") % {"s": serial}
    if item.state != State.ISSUED or item.customer_id != customer.pk:
        return _("The serial %(s)s is not at this customer: it is %(where)s.") % {
            "s": serial, "where": where_text(item)}
    if item.olt_id is not None:
        # still live on the OLT (its service port, VLAN): taken back as it is, it would
        # come up on this customer's service wherever it went next
        return _("The ONT %(s)s is still registered on an OLT (port %(p)s, id %(i)s): "
                 "remove it from the OLT first.") % {"s": serial, "p": item.olt_port,
                                                      "i": item.ont_id}
    return ""


def _counted_refusals(parsed: list[LineIn], customer) -> list[str]:
    """A counted quantity comes back only as far as the customer has it (issued by WZs
    less returned: ``counted.counted_at_customer``; a product is on one line of a
    document). Read under the customer's account lock."""
    counted = [line for line in parsed if line.quantity is not None]
    have = counted_at_customer(customer.pk, [line.product.pk for line in counted])
    return [_("Line %(n)s: the customer has %(have)s %(unit)s of %(p)s (issued by WZ and not "
              "returned); %(want)s returned.") % {
                "n": line.index, "have": quantity_text(have[line.product.pk]),
                "unit": unit_text(line.product), "p": line.product.name,
                "want": quantity_text(line.quantity)}
            for line in counted if line.quantity > have[line.product.pk]]


def _return_write(*, actor, customer, warehouse, issued_on, note, parsed: list[LineIn],
                  request_token) -> StockDocument:
    with transaction.atomic():
        stock_targets_hold([warehouse], [line.product for line in parsed
                                         if line.quantity is not None])
        account_first(customer)
        items = items_lock(line.serial for line in parsed if line.serial)
        serials_refused([_("Line %(n)s: %(m)s") % {"n": line.index, "m": problem}
                         for line in parsed if line.serial and (problem := serial_return_refusal(
                             items.get(line.serial), line.serial, customer))]
                        + _counted_refusals(parsed, customer))
        working = [line for line in parsed if line.quantity is not None
                   and line.state == ReturnState.WORKING]
        levels = levels_lock([(warehouse.pk, line.product.pk) for line in working],
                             create=True)
        document = document_create(
            kind=Kind.ZW, issued_on=issued_on, actor=actor, request_token=request_token,
            warehouse=warehouse, customer=customer, note=note)
        lines_create(document, [StockDocumentLine(
            product=items[line.serial].product if line.serial else line.product,
            item=items.get(line.serial), quantity=1 if line.serial else line.quantity,
            return_state=line.state) for line in parsed])
        returned = _items_return(parsed, items, warehouse)
        moves_create(document, returned, customer=customer.pk)
        for line in working:
            levels[(warehouse.pk, line.product.pk)].quantity += line.quantity
        levels_save(levels.values())
        document_log(actor=actor, document=document, customer=customer,
                     message=N_("ZW %(n)s: returned to %(w)s: %(items)s"),
                     params={"w": warehouse.name, "items": item_words(returned) + quantity_words(
                         (line.product, line.quantity) for line in parsed
                         if line.quantity is not None)})
        document.return_settlement = return_settle(actor=actor, document=document)
        items_publish("warehouse.item_returned", document, returned, customer.pk)
    return document


def _items_return(parsed: list[LineIn], items, warehouse) -> list:
    """Each serial to its new place, one UPDATE per return state."""
    returned = []
    for state, place in PLACES.items():
        group = [items[line.serial] for line in parsed if line.serial and line.state == state]
        target = warehouse if place["state"] == State.IN_STOCK else None
        items_place(group, warehouse=target, **place, **UNBOUND)
        returned += group
    order = {line.serial: line.index for line in parsed}
    return sorted(returned, key=lambda item: order[item.serial])
