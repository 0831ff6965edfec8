"""Reads of the warehouse's stock: levels, a serial's history and card, the customer's
equipment, the documents. Each a fixed number of queries (said in its docstring), every
related row it shows joined or prefetched here."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q

from core.paging import SlicePage, page_number, slice_page

from .models import (
    ItemMove,
    Product,
    StockDocument,
    StockDocumentLine,
    StockItem,
    StockLevel,
    Warehouse,
)

State = StockItem.State
PER_PAGE = 50


def _search_text(value) -> str:
    return (value or "").strip()[:100] if isinstance(value, str | None) else ""


# --------------------------------------------------------------------------- stock levels

@dataclass
class StockRow:
    """One product in one warehouse: serials in stock (of them faulty) or a quantity."""

    warehouse_id: int
    warehouse_name: str
    product_id: int
    product_name: str
    product_kind: str
    unit: str
    serial_tracked: bool
    quantity: Decimal = Decimal("0")
    in_stock: int = 0
    faulty: int = 0

    @property
    def working(self) -> int:
        return self.in_stock - self.faulty


_ROW_FIELDS = ("warehouse_id", "warehouse__name", "product_id", "product__name",
               "product__kind", "product__unit", "product__serial_tracked")


def _stock_filters(*, warehouse_id, product_kind, search) -> Q:
    q = Q()
    if warehouse_id:
        q &= Q(warehouse_id=warehouse_id)
    if product_kind:
        q &= Q(product__kind=product_kind)
    if search:
        q &= (Q(product__name__icontains=search) | Q(product__producer__icontains=search)
              | Q(product__model__icontains=search))
    return q


def _row(values: dict) -> StockRow:
    return StockRow(values["warehouse_id"], values["warehouse__name"], values["product_id"],
                    values["product__name"], values["product__kind"], values["product__unit"],
                    values["product__serial_tracked"])


def stock_levels(*, warehouse_id: int | None = None, product_kind: str = "", search: str = "",
                 page=1, per_page: int = PER_PAGE) -> SlicePage:
    """What each warehouse holds, per product, ordered by warehouse and product name:
    serials in stock (and how many of them are faulty) or a counted quantity above zero.
    Filters: a warehouse, a product type, a product's name, producer or model.

    Queries: at most four — the products a type or a search names (only then); the serials
    in stock counted per warehouse, product and condition by ids alone (an index-only scan
    of the partial index ``stockitem_stock_idx``: half a million serials are counted
    without reading a row or joining a name); the counted products' levels; the names of
    the warehouses and products shown."""
    search = _search_text(search)
    ids = Q()
    if warehouse_id:
        ids &= Q(warehouse_id=warehouse_id)
    if product_kind or search:
        products = Product.objects.all()
        if product_kind:
            products = products.filter(kind=product_kind)
        if search:
            products = products.filter(Q(name__icontains=search)
                                       | Q(producer__icontains=search)
                                       | Q(model__icontains=search))
        ids &= Q(product_id__in=list(products.values_list("pk", flat=True)))
    counts: dict[tuple[int, int], list[int]] = {}
    for warehouse, product, condition, n in (
            StockItem.objects.filter(ids, state=State.IN_STOCK).order_by()
            .values_list("warehouse_id", "product_id", "condition")
            .annotate(n=Count("*"))):
        pair = counts.setdefault((warehouse, product), [0, 0])
        pair[0] += n
        if condition == StockItem.Condition.FAULTY:
            pair[1] += n
    quantities = dict(((w, p), q) for w, p, q in StockLevel.objects.filter(
        ids, quantity__gt=0).values_list("warehouse_id", "product_id", "quantity"))
    keys = set(counts) | set(quantities)
    warehouses = dict(Warehouse.objects.filter(pk__in={w for w, _p in keys})
                      .values_list("pk", "name"))
    products = {p.pk: p for p in Product.objects.filter(pk__in={p for _w, p in keys})
                .only("pk", "name", "kind", "unit", "serial_tracked")} if keys else {}
    rows = []
    for warehouse, product in keys:
        item = products[product]
        row = StockRow(warehouse, warehouses[warehouse], product, item.name, item.kind,
                       item.unit, item.serial_tracked)
        row.in_stock, row.faulty = counts.get((warehouse, product), (0, 0))
        row.quantity = quantities.get((warehouse, product), Decimal("0"))
        rows.append(row)
    ordered = sorted(rows, key=lambda r: (r.warehouse_name.lower(), r.product_name.lower(),
                                          r.product_id))
    number = page_number(page)
    start = (number - 1) * per_page
    return SlicePage(rows=ordered[start:start + per_page], number=number,
                     has_next=len(ordered) > start + per_page, count=len(ordered))


# --------------------------------------------------------------------------- serials

def item_get(*, pk) -> StockItem:
    """A serial's card: its product and where it is; the customer, the WZ it is at the
    customer by, its login and OLT are read when used and it has them. Another tenant's is
    DoesNotExist. Queries: one, and one for each of those four it has (each a lookup by
    primary key: joined, every table's row-level-security test costs the planner more than
    the lookup — bench/warehouse.py, the serial page)."""
    return StockItem.objects.select_related("product", "warehouse").get(pk=pk)


def item_history(*, item_id: int) -> list[ItemMove]:
    """Every document that moved the serial, oldest first: from where, to where, which
    customer had it (or got it), what it became. Queries: one (``itemmove_item_idx``)."""
    return list(ItemMove.objects.filter(item_id=item_id)
                .select_related("document", "from_warehouse", "to_warehouse", "customer")
                .order_by("at", "id"))


def _scanned_forms(code: str):
    """What a scanned code may be, in the order tried: a serial, a MAC, a GPON serial."""
    from .services import gpon_serial_clean, mac_clean, serial_clean

    for field, clean in (("serial", serial_clean), ("mac", mac_clean),
                         ("gpon_serial", gpon_serial_clean)):
        try:
            value = clean(code)
        except ValidationError:
            continue
        if value:
            yield field, value


def item_find(*, code: str) -> StockItem | None:
    """The serial a scanned code names: its serial number, else its MAC, else its GPON
    serial; None when none. Queries: one per form the code may be (at most three)."""
    if not isinstance(code, str) or not code.strip():
        return None
    items = StockItem.objects.select_related("product", "warehouse", "customer")
    for field, value in _scanned_forms(code.strip()[:100]):
        item = items.filter(**{field: value}).order_by("pk").first()
        if item is not None:
            return item
    return None


def equipment_search(query: str, limit: int) -> list[tuple[int, str]]:
    """The one search's part (``core.search``): customers who have the equipment whose
    serial, MAC or GPON serial is ``query`` exactly (what a customer reads off the
    device). A query without a digit (a name) is none of them and costs nothing; else
    one query per form it may be (at most three), each by an index or, for a GPON serial,
    a scan of the tenant's serials."""
    from django.utils.translation import gettext as _

    hits = []
    if not any(ch.isdigit() for ch in query or ""):
        return hits
    for field, value in _scanned_forms((query or "").strip()[:100]):
        rows = (StockItem.objects.filter(**{field: value}, customer__isnull=False)
                .values_list("customer_id", "serial", "product__name").order_by("pk")[:limit])
        hits += [(customer_id, _("equipment %(p)s S/N %(s)s") % {"p": name, "s": serial})
                 for customer_id, serial, name in rows]
        if hits:
            break
    return hits


def features_of(item: StockItem) -> list[tuple[str, str]]:
    """The features the item's product carries, each with the item's value ("" unknown):
    ``[("MAC address", "aa:bb:…"), …]``. No query (the product is joined)."""
    return [(str(Product.Feature(feature).label), getattr(item, feature, "") or "")
            for feature in item.product.features or [] if feature in Product.Feature.values]


def customer_equipment_list(*, customer_id: int) -> list[StockItem]:
    """"Sprzęt kliencki": the serials at the customer, newest issue first — product,
    serial, MAC, the WZ that issued it (its number and date), description, login, and
    ``item.features`` (``features_of``). Queries: one."""
    items = list(StockItem.objects.filter(customer_id=customer_id, state=State.ISSUED)
                 .select_related("product", "issue_document", "login")
                 .order_by("-issue_document__issued_on", "-issue_document_id", "serial"))
    for item in items:
        item.features = features_of(item)
    return items


def customer_counted_list(*, customer_id: int) -> list[tuple[Product, Decimal]]:
    """The counted goods at the customer (cable, consumables): each product issued to them
    by WZ with the quantity they still have (issued less returned), by product name; none
    left, not listed; each quantity without trailing zeros (``20.5``, ``30``). Queries: two
    (the quantities, their products; one when the customer has none)."""
    from .services.base import quantity_plain
    from .services.counted import counted_at_customer

    have = {pk: quantity for pk, quantity in counted_at_customer(customer_id).items()
            if quantity > 0}
    if not have:
        return []
    products = Product.objects.filter(pk__in=list(have))
    return sorted(((product, quantity_plain(have[product.pk])) for product in products),
                  key=lambda row: (row[0].name, row[0].pk))


# --------------------------------------------------------------------------- documents

def document_list(*, kind: str = "", warehouse_id: int | None = None,
                  customer_id: int | None = None, search: str = "",
                  date_from: date | None = None, date_to: date | None = None,
                  page=1, per_page: int = PER_PAGE) -> SlicePage:
    """Documents, newest first, each with its parties and its count of lines. Filters: a
    kind, a warehouse (either side of an MM), a customer, a date range, and a search by
    the document's number, the supplier's document number or a serial it moved. Queries:
    one."""
    documents = StockDocument.objects.select_related(
        "warehouse", "target_warehouse", "supplier", "customer", "invoice")
    if kind:
        documents = documents.filter(kind=kind)
    if warehouse_id:
        documents = documents.filter(Q(warehouse_id=warehouse_id)
                                     | Q(target_warehouse_id=warehouse_id))
    if customer_id:
        documents = documents.filter(customer_id=customer_id)
    if date_from:
        documents = documents.filter(issued_on__gte=date_from)
    if date_to:
        documents = documents.filter(issued_on__lte=date_to)
    search = _search_text(search)
    if search:
        moved = StockDocumentLine.objects.filter(document=OuterRef("pk"),
                                                 item__serial="".join(search.split()).upper())
        documents = documents.filter(Q(number__icontains=search)
                                     | Q(supplier_document__icontains=search) | Exists(moved))
    documents = documents.annotate(line_count=Count("lines")).order_by("-issued_on", "-id")
    return slice_page(documents, page_number(page), per_page)


def document_get(*, pk) -> StockDocument:
    """A document with its parties, its lines (product, serial) and, for an inventory,
    the serials it found lost or found again (``document.moves``). Another tenant's is
    DoesNotExist. Queries: three (the document, its lines, its moves)."""
    return (StockDocument.objects
            .select_related("warehouse", "target_warehouse", "supplier", "customer",
                            "address", "invoice", "subscription", "created_by")
            .prefetch_related(
                Prefetch("lines", queryset=StockDocumentLine.objects
                         .select_related("product", "item").order_by("id")),
                Prefetch("moves", queryset=ItemMove.objects.select_related("item")
                         .order_by("id")))
            .get(pk=pk))
