"""Stock levels: what each warehouse holds per product — serials in stock (working and
faulty) or a counted quantity — filtered and paged, each row linking to its serials."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.paging import page_number
from core.views import staff_view

from .. import selectors
from ..forms_documents import StockFilterForm
from ..models import Product, Warehouse
from ..services.base import quantity_plain
from .common import query_rest

VIEW = "warehouse.view_stockitem"


@staff_view(VIEW)
@require_GET
def stock_levels(request):
    """Queries: the warehouses of the filter, the serials counted per warehouse and
    product, the counted products' levels (``selectors.stock_levels``)."""
    warehouses = list(Warehouse.objects.order_by("name", "pk"))
    filters = StockFilterForm(request.GET, warehouses=warehouses)
    values = filters.values()
    page = selectors.stock_levels(**values, page=page_number(request.GET.get("page")))
    kinds = dict(Product.Kind.choices)
    for row in page.rows:
        row.kind_label = kinds.get(row.product_kind, row.product_kind)
        row.qty = quantity_plain(row.quantity)
    context = {"filters": filters, "page": page, "extra": query_rest(
        warehouse=values["warehouse_id"], kind=values["product_kind"], q=values["search"])}
    template = "warehouse/staff/stock/_levels.html" if request.htmx \
        else "warehouse/staff/stock/levels.html"
    return render(request, template, context)
