"""The product catalogue: what is received, kept and issued, and how (by serial or
counted), with its VAT rate, default price and the features each serial carries."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import form_write
from core.views import staff_view

from .. import catalog
from ..forms import COUNTED, SERIAL, ProductForm, SearchForm
from ..models import Product
from . import selectors
from .common import confirm_page, query_rest

# What the add form keeps when the type is chosen again (htmx asks for the type's form).
TYPED = ("name", "producer", "model", "vat_rate", "default_price")


@staff_view("warehouse.view_product")
@require_GET
def product_list(request):
    """Products searched by name, producer or model, of a type, active or not; paged."""
    search = SearchForm(request.GET, kinds=Product.Kind.choices)
    filters = search.values()
    page = selectors.page_of(selectors.product_list(**filters),
                             selectors.page_number(request.GET.get("page")))
    labels = dict(Product.Feature.choices)
    for product in page.rows:
        product.feature_labels = [labels.get(f, f) for f in product.features]
    context = {"search": search, "page": page, "extra": query_rest(
        q=filters["query"], kind=filters["kind"], state=filters["state"])}
    template = "warehouse/staff/_product_rows.html" if request.htmx \
        else "warehouse/staff/products.html"
    return render(request, template, context)


@staff_view("warehouse.add_product")
@require_http_methods(["GET", "POST"])
def product_add(request):
    """A new product; choosing its type (``?kind=``, asked again by htmx) fills in how
    it is kept, its unit and its features as the type suggests."""
    initial = ProductForm.initial_for(request.GET.get("kind", ""),
                                      {k: request.GET.get(k, "")[:200] for k in TYPED})
    form = ProductForm(request.POST or None, initial=initial, auto_id="product_%s")
    if request.method == "POST":
        product = form_write(form, lambda data: catalog.product_create(
            actor=request.user, **form.service_kwargs()))
        if product is not None:
            messages.success(request, _("Product %(p)s added.") % {"p": product.name})
            return redirect("warehouse:products")
    return render(request, "warehouse/staff/product_form.html", {
        "form": form, "title": _("Add a product"), "adding": True,
    }, status=400 if form.errors else 200)


@staff_view("warehouse.change_product")
@require_http_methods(["GET", "POST"])
def product_edit(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    form = ProductForm(request.POST or None, editing=True, auto_id="product_%s", initial={
        "name": product.name, "kind": product.kind, "producer": product.producer,
        "model": product.model, "unit": product.unit, "vat_rate": product.vat_rate,
        "tracking": SERIAL if product.serial_tracked else COUNTED,
        "default_price": str(product.default_price),
        "features": product.features, "active": product.active})
    if request.method == "POST" and form_write(form, lambda data: catalog.product_update(
            actor=request.user, product=product, **form.service_kwargs())):
        messages.success(request, _("Product %(p)s saved.") % {"p": form.cleaned_data["name"]})
        return redirect("warehouse:products")
    return render(request, "warehouse/staff/product_form.html", {
        "form": form, "title": product.name, "object": product,
        "deactivate_url": reverse("warehouse:product_deactivate", args=[product.pk])
        if product.active else "",
        "delete_url": reverse("warehouse:product_delete", args=[product.pk])
        if request.user.has_perm("warehouse.delete_product") else "",
    }, status=400 if form.errors else 200)


@staff_view("warehouse.change_product")
@require_http_methods(["GET", "POST"])
def product_deactivate(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    back = reverse("warehouse:products")
    return confirm_page(
        request, title=_("Deactivate product %(p)s") % {"p": product.name},
        question=_("Deactivate the product %(p)s? It is offered on no new receipt; its "
                   "stock can still be issued, moved and returned.") % {"p": product.name},
        refusal="", button=_("Deactivate"), danger=False,
        act=lambda: catalog.product_deactivate(actor=request.user, product=product),
        done_message=_("Product %(p)s deactivated.") % {"p": product.name},
        done_url=back, cancel_url=back)


@staff_view("warehouse.delete_product")
@require_http_methods(["GET", "POST"])
def product_delete(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    back = reverse("warehouse:products")
    return confirm_page(
        request, title=_("Delete product %(p)s") % {"p": product.name},
        question=_("Delete the product %(p)s?") % {"p": product.name},
        refusal=catalog.product_delete_refusal(product), button=_("Delete"),
        act=lambda: catalog.product_delete(actor=request.user, product=product),
        done_message=_("Product %(p)s deleted.") % {"p": product.name},
        done_url=back, cancel_url=back)
