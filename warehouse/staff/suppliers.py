"""Suppliers equipment is received from (PZ)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import form_write
from core.views import staff_view

from .. import catalog
from ..forms import SearchForm, SupplierForm
from ..models import Supplier
from . import selectors
from .common import confirm_page, query_rest

FIELDS = ("name", "tax_id", "address", "email", "phone")


@staff_view("warehouse.view_supplier")
@require_GET
def supplier_list(request):
    """Suppliers searched by name, NIP, e-mail or address; paged."""
    search = SearchForm(request.GET)
    filters = search.values()
    page = selectors.page_of(selectors.supplier_list(**filters),
                             selectors.page_number(request.GET.get("page")))
    context = {"search": search, "page": page, "extra": query_rest(q=filters["query"])}
    template = "warehouse/staff/_supplier_rows.html" if request.htmx \
        else "warehouse/staff/suppliers.html"
    return render(request, template, context)


@staff_view("warehouse.add_supplier")
@require_http_methods(["GET", "POST"])
def supplier_add(request):
    form = SupplierForm(request.POST or None, auto_id="supplier_%s")
    if request.method == "POST":
        supplier = form_write(form, lambda data: catalog.supplier_create(
            actor=request.user, **data))
        if supplier is not None:
            messages.success(request, _("Supplier %(s)s added.") % {"s": supplier.name})
            return redirect("warehouse:suppliers")
    return render(request, "warehouse/staff/form.html", {
        "form": form, "title": _("Add a supplier"), "back": reverse("warehouse:suppliers"),
        "back_label": _("Suppliers"), "form_id": "supplier-form",
    }, status=400 if form.errors else 200)


@staff_view("warehouse.change_supplier")
@require_http_methods(["GET", "POST"])
def supplier_edit(request, supplier_id):
    supplier = get_object_or_404(Supplier, pk=supplier_id)
    form = SupplierForm(request.POST or None, auto_id="supplier_%s",
                        initial={k: getattr(supplier, k) for k in FIELDS})
    if request.method == "POST" and form_write(form, lambda data: catalog.supplier_update(
            actor=request.user, supplier=supplier, **data)):
        messages.success(request, _("Supplier %(s)s saved.") % {"s": form.cleaned_data["name"]})
        return redirect("warehouse:suppliers")
    return render(request, "warehouse/staff/form.html", {
        "form": form, "title": supplier.name, "back": reverse("warehouse:suppliers"),
        "back_label": _("Suppliers"), "form_id": "supplier-form", "object": supplier,
        "delete_url": reverse("warehouse:supplier_delete", args=[supplier.pk])
        if request.user.has_perm("warehouse.delete_supplier") else "",
    }, status=400 if form.errors else 200)


@staff_view("warehouse.delete_supplier")
@require_http_methods(["GET", "POST"])
def supplier_delete(request, supplier_id):
    supplier = get_object_or_404(Supplier, pk=supplier_id)
    back = reverse("warehouse:suppliers")
    return confirm_page(
        request, title=_("Delete supplier %(s)s") % {"s": supplier.name},
        question=_("Delete the supplier %(s)s?") % {"s": supplier.name},
        refusal=catalog.supplier_delete_refusal(supplier), button=_("Delete"),
        act=lambda: catalog.supplier_delete(actor=request.user, supplier=supplier),
        done_message=_("Supplier %(s)s deleted.") % {"s": supplier.name},
        done_url=back, cancel_url=back)
