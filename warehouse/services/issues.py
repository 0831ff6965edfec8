"""WZ ("wydanie zewnętrzne"): equipment issued from a warehouse to a customer."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from ..models import StockDocument, StockDocumentLine
from .base import (
    Condition,
    State,
    address_own,
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
    unit_text,
    warehouse_own,
    where_text,
)
from .lines import LineIn, stock_lines_parse
from .settlement import (
    SettlementPlan,
    account_first,
    document_settle,
    settlement_clean,
    settlement_value_check,
)

Kind = StockDocument.Kind
Settlement = StockDocument.Settlement


def issue_post(*, actor, warehouse, customer, lines, issued_on=None, address=None,
               settlement: str = Settlement.NONE, lease_tariff=None, deposit=None,
               note: str = "", request_token=None) -> StockDocument:
    """WZ: serials and counted quantities issued from ``warehouse`` to ``customer`` (to
    ``address``, one of the customer's, when given). Each serial must be in that warehouse,
    in stock and working; a counted product's stock never goes below zero. Lines may carry
    a net ``unit_price`` (else the product's default).

    ``settlement``: none, sale (an invoice of the lines), lease (``lease_tariff`` put on
    the customer) or deposit (a debit note of ``deposit``, else of the lines' value) —
    issued by finance in the WZ's own transaction (``settlement.document_settle``), linked
    on the WZ: finance refusing refuses the whole WZ (a ``ValidationError`` on
    ``settlement``; nothing posted, the serials stay in the warehouse).

    Locks, in this order (``warehouse.services.settlement``): the customer's finance
    account (with a settlement only), the serials (primary-key order), the stock levels,
    the WZ number series, then what finance's service locks after the account.
    Publishes ``warehouse.item_issued`` per serial on commit. ``request_token``: the
    form's one-time token: the same form sent again returns the first WZ and issues
    nothing more."""
    warehouse = warehouse_own(warehouse)
    customer = customer_own(customer)
    address = address_own(address, customer)
    issued_on = issued_on_clean(issued_on)
    note = note_clean(note)
    plan = settlement_clean(settlement=settlement, lease_tariff=lease_tariff,
                            deposit=deposit, issued_on=issued_on, actor=actor)
    parsed = stock_lines_parse(lines, keys={"unit_price"})
    return posted_once(kind=Kind.WZ, request_token=request_token, post=lambda: _issue_write(
        actor=actor, warehouse=warehouse, customer=customer, address=address,
        issued_on=issued_on, note=note, plan=plan, parsed=parsed,
        request_token=request_token)).document


def serial_issue_refusal(item, serial: str, warehouse, *, faulty_refused: bool = False
                         ) -> str:
    """Why a serial cannot leave ``warehouse`` ("" if it can): it must be there and in
    stock; ``faulty_refused`` (to a customer: a WZ), working too."""
    if item is None:
        return _("The serial %(s)s is not known: receive it by a PZ first.") % {"s": serial}
    if item.state != State.IN_STOCK or item.warehouse_id != warehouse.pk:
        return _("The serial %(s)s is not in the warehouse %(w)s: it is %(where)s.") % {
            "s": serial, "w": warehouse.name, "where": where_text(item)}
    if faulty_refused and item.condition == Condition.FAULTY:
        return _("The serial %(s)s is faulty: it is not issued to a customer.") % {
            "s": serial}
    return ""


def quantity_refusal(line: LineIn, level, warehouse) -> str:
    """Why a counted quantity cannot leave ``warehouse`` ("" if it can): never below 0."""
    have = level.quantity if level is not None else 0
    if line.quantity > have:
        return _("Only %(have)s %(unit)s of %(p)s in the warehouse %(w)s; %(want)s asked.") % {
            "have": quantity_text(have), "unit": unit_text(line.product),
            "p": line.product.name, "w": warehouse.name,
            "want": quantity_text(line.quantity)}
    return ""


def stock_take(parsed: list[LineIn], warehouse, *, faulty_refused: bool, target=None):
    """Lock and check what ``parsed`` takes out of ``warehouse``: ``(items by serial,
    levels)``, or every refusal at once. ``target``: the warehouse it goes to (MM), whose
    levels are locked too (made at zero when missing). Used by WZ, MM and RW."""
    items = items_lock(line.serial for line in parsed if line.serial)
    counted = [line for line in parsed if line.quantity is not None]
    places = [warehouse] if target is None else [warehouse, target]
    levels = levels_lock([(w.pk, line.product.pk) for line in counted for w in places],
                         create=target is not None)
    problems = []
    for line in parsed:
        if line.serial:
            problem = serial_issue_refusal(items.get(line.serial), line.serial, warehouse,
                                           faulty_refused=faulty_refused)
        else:
            problem = quantity_refusal(line, levels.get((warehouse.pk, line.product.pk)),
                                       warehouse)
        if problem:
            problems.append(_("Line %(n)s: %(m)s") % {"n": line.index, "m": problem})
    serials_refused(problems)
    return items, levels


def _issue_write(*, actor, warehouse, customer, address, issued_on, note,
                 plan: SettlementPlan, parsed: list[LineIn], request_token) -> StockDocument:
    with transaction.atomic():
        if plan.settlement != Settlement.NONE:
            account_first(customer)
        items, levels = stock_take(parsed, warehouse, faulty_refused=True)
        lines = _issue_lines(parsed, items)
        settlement_value_check(plan, lines)
        document = document_create(
            kind=Kind.WZ, issued_on=issued_on, actor=actor, request_token=request_token,
            warehouse=warehouse, customer=customer, address=address,
            settlement=plan.settlement, note=note)
        lines_create(document, lines)
        issued = [items[line.serial] for line in parsed if line.serial]
        items_place(issued, state=State.ISSUED, warehouse=None, customer=customer,
                    issue_document=document)
        moves_create(document, issued, from_warehouse=warehouse.pk, customer=customer.pk)
        counted = [line for line in parsed if line.quantity is not None]
        for line in counted:
            levels[(warehouse.pk, line.product.pk)].quantity -= line.quantity
        levels_save(levels.values())
        document_log(actor=actor, document=document, customer=customer,
                     message=N_("WZ %(n)s: issued from %(w)s: %(items)s"),
                     params={"w": warehouse.name, "items": item_words(issued) + quantity_words(
                         (line.product, line.quantity) for line in counted)})
        document_settle(actor=actor, document=document, plan=plan, lines=lines)
        items_publish("warehouse.item_issued", document, issued, customer.pk)
    return document


def _issue_lines(parsed: list[LineIn], items) -> list[StockDocumentLine]:
    lines = []
    for line in parsed:
        item = items.get(line.serial) if line.serial else None
        product = item.product if item is not None else line.product
        price = line.unit_price if line.unit_price is not None else product.default_price
        lines.append(StockDocumentLine(product=product, item=item,
                                       quantity=1 if item is not None else line.quantity,
                                       unit_price=price))
    return lines

