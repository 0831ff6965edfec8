"""Counted goods (cable, consumables: a quantity, no serial) at a customer.

A counted quantity has no history of its own: what a customer has of a product is what
the WZs issued to them less what the ZWs brought back. A ZW never brings back more than
that. Which WZ a returned quantity belongs to: the returned quantity of a product covers
the customer's WZ lines of it **leased or on deposit first** (what is lent comes back;
what was sold or given is the customer's own), each group in the order the WZs were
posted (not by their dates: a WZ typed in later with an earlier date changes nothing
already covered). A WZ's counted goods are "all back" when every one of its counted lines
is covered; a lease WZ ends then (with its serials back), ``settlement.return_settle``.

Read inside the ZW's transaction, after the customer's finance account is locked (every
ZW takes it first): two ZWs of one customer never read the same quantity at once. A WZ
posted meanwhile only adds to what the customer has."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from ..models import StockDocument, StockDocumentLine

Kind = StockDocument.Kind
# what a WZ lends (its goods come back first)
LENT = (StockDocument.Settlement.LEASE, StockDocument.Settlement.DEPOSIT)
ZERO = Decimal("0")


def _returned(customer_id: int, product_ids, *, upto_document=None) -> dict[int, Decimal]:
    """Per product, the counted quantity the customer's ZWs brought back (those posted up
    to ``upto_document``'s primary key, when given)."""
    lines = StockDocumentLine.objects.filter(
        document__kind=Kind.ZW, document__customer_id=customer_id, item__isnull=True,
        product_id__in=list(product_ids))
    if upto_document is not None:
        lines = lines.filter(document_id__lte=upto_document)
    return {row["product_id"]: row["total"] for row in
            lines.values("product_id").annotate(total=Sum("quantity")).order_by()}


def counted_at_customer(customer_id: int, product_ids=None) -> dict[int, Decimal]:
    """Per product of ``product_ids`` (None: every product ever issued to the customer
    counted), the quantity the customer has now (issued less returned, never below zero);
    a product never issued to them is 0. Queries: one (none for no products)."""
    lines = StockDocumentLine.objects.filter(
        document__kind__in=[Kind.WZ, Kind.ZW], document__customer_id=customer_id,
        item__isnull=True)
    if product_ids is not None:
        product_ids = list(product_ids)
        if not product_ids:
            return {}
        lines = lines.filter(product_id__in=product_ids)
    totals = {row["product_id"]: max(row["issued"] - row["returned"], ZERO) for row in
              lines.values("product_id").annotate(
                  issued=Coalesce(Sum("quantity", filter=Q(document__kind=Kind.WZ)), ZERO),
                  returned=Coalesce(Sum("quantity", filter=Q(document__kind=Kind.ZW)), ZERO))
              .order_by()}
    if product_ids is None:
        return totals
    return {pk: totals.get(pk, ZERO) for pk in product_ids}


def issues_out(customer_id: int, product_ids, *, upto_document=None) -> set[int]:
    """The customer's WZs (their primary keys) with a counted line of ``product_ids`` not
    yet covered by the returns (lent first, each in the order posted: module docstring;
    only the ZWs up to ``upto_document``'s primary key when given)."""
    product_ids = list(product_ids)
    if not product_ids:
        return set()
    left = defaultdict(lambda: ZERO, _returned(customer_id, product_ids,
                                               upto_document=upto_document))
    out = set()
    lines = (StockDocumentLine.objects
             .filter(document__kind=Kind.WZ, document__customer_id=customer_id,
                     item__isnull=True, product_id__in=product_ids)
             .values_list("document_id", "id", "product_id", "quantity",
                          "document__settlement"))
    for document_id, _pk, product_id, quantity, _settlement in sorted(
            lines, key=lambda row: (row[4] not in LENT, row[0], row[1])):
        covered = min(left[product_id], quantity)
        left[product_id] -= covered
        if covered < quantity:
            out.add(document_id)
    return out

