"""Serials: a serial's page with its full history, "find a serial" (a scanned serial, MAC
or GPON serial), and the serials of one product in one warehouse (the stock page's
links)."""

from urllib.parse import urlencode

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from core.paging import page_number, slice_page
from core.views import staff_view

from .. import selectors
from ..forms_documents import ItemFilterForm
from ..models import Product, StockItem, Warehouse

VIEW = "warehouse.view_stockitem"
PER_PAGE = 50


def object_or_404(get, pk):
    """``get(pk=pk)`` — a selector — or a 404 (another tenant's row is not found)."""
    try:
        return get(pk=pk)
    except ObjectDoesNotExist:
        raise Http404 from None


@staff_view(VIEW)
@require_GET
def item_detail(request, stockitem_id):
    """A serial: what it is, where it is now, and every document that moved it — from
    where, to where, which customer had it, what it became. Queries: the item, its
    history (``selectors.item_get``, ``selectors.item_history``)."""
    item = object_or_404(selectors.item_get, stockitem_id)
    return render(request, "warehouse/staff/items/detail.html", {
        "item": item, "features": selectors.features_of(item),
        "history": selectors.item_history(item_id=item.pk),
    })


@staff_view(VIEW)
@require_GET
def item_find(request):
    """"Find a serial": a scanned serial, MAC or GPON serial → its page, or "not found"."""
    code = (request.GET.get("code") or "").strip()[:100]
    if code:
        item = selectors.item_find(code=code)
        if item is not None:
            return redirect("warehouse:item", stockitem_id=item.pk)
    return render(request, "warehouse/staff/items/find.html", {"code": code},
                  status=404 if code else 200)


def _items_in(*, warehouse_id: int, product_id: int, page: int):
    """The serials of a product in stock in a warehouse, by serial (one query, the partial
    index ``stockitem_stock_idx``)."""
    items = (StockItem.objects.filter(state=StockItem.State.IN_STOCK,
                                      warehouse_id=warehouse_id, product_id=product_id)
             .order_by("serial", "pk"))
    return slice_page(items, page, PER_PAGE)


@staff_view(VIEW)
@require_GET
def stock_items(request):
    """The serials of one product in one warehouse, paged. Another tenant's warehouse or
    product is a 404."""
    filters = ItemFilterForm(request.GET)
    if not filters.is_valid():
        raise Http404
    warehouse = Warehouse.objects.filter(pk=filters.cleaned_data["warehouse"]).first()
    product = Product.objects.filter(pk=filters.cleaned_data["product"]).first()
    if warehouse is None or product is None:
        raise Http404
    page = _items_in(warehouse_id=warehouse.pk, product_id=product.pk,
                     page=page_number(request.GET.get("page")))
    return render(request, "warehouse/staff/items/list.html", {
        "warehouse": warehouse, "product": product, "page": page,
        "extra": "&" + urlencode({"warehouse": warehouse.pk, "product": product.pk}),
        "stock_url": reverse("warehouse:stock") + "?" + urlencode(
            {"warehouse": warehouse.pk}),
    })
