"""Reads of the catalogue's lists, for the staff pages and the API alike (one search rule
in one place); each list is one query, paged in SQL on the staff pages."""

from django.db.models import Q

from core.paging import SlicePage, page_number, slice_page  # noqa: F401  (page_number: the views)

from ..models import Product, Supplier, Warehouse

PER_PAGE = 50
# A list's "state" filter: what is offered for new work, what is retired, or both.
ACTIVE, INACTIVE, ALL = "active", "inactive", "all"


def _words(query: str) -> list[str]:
    return [word for word in (query or "").split() if word][:5]


def _state(queryset, state: str):
    if state == ACTIVE:
        return queryset.filter(active=True)
    if state == INACTIVE:
        return queryset.filter(active=False)
    return queryset


def warehouse_search(warehouses, query: str):
    """Warehouses whose name holds every word of ``query``."""
    for word in _words(query):
        warehouses = warehouses.filter(name__icontains=word)
    return warehouses


def supplier_search(suppliers, query: str):
    """Suppliers with every word of ``query`` in the name, the NIP (its digits), the
    e-mail or the address."""
    for word in _words(query):
        digits = word.replace("-", "")
        match = (Q(name__icontains=word) | Q(email__icontains=word)
                 | Q(address__icontains=word))
        if digits.isdigit():
            match |= Q(tax_id__contains=digits)
        suppliers = suppliers.filter(match)
    return suppliers


def product_search(products, query: str):
    """Products with every word of ``query`` in the name, the producer or the model."""
    for word in _words(query):
        products = products.filter(Q(name__icontains=word) | Q(producer__icontains=word)
                                   | Q(model__icontains=word))
    return products


def warehouse_list(*, query: str = "", kind: str = "", state: str = ALL):
    """Warehouses by name, each with its keeper (one query)."""
    warehouses = warehouse_search(
        Warehouse.objects.select_related("keeper").order_by("name", "pk"), query)
    if kind:
        warehouses = warehouses.filter(kind=kind)
    return _state(warehouses, state)


def supplier_list(*, query: str = ""):
    """Suppliers by name (one query)."""
    return supplier_search(Supplier.objects.order_by("name", "pk"), query)


def product_list(*, query: str = "", kind: str = "", state: str = ALL):
    """Products by name (one query)."""
    products = product_search(Product.objects.order_by("name", "pk"), query)
    if kind:
        products = products.filter(kind=kind)
    return _state(products, state)


def page_of(queryset, page: int) -> SlicePage:
    return slice_page(queryset, page, PER_PAGE)
