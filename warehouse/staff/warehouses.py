"""The tenant's warehouses: the main store, technicians' vans, branches."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import form_write
from core.selectors import member_users
from core.views import staff_view

from .. import catalog
from ..forms import SearchForm, WarehouseForm
from ..models import Warehouse
from . import selectors
from .common import confirm_page, query_rest

FIELDS = ("name", "kind", "keeper")


@staff_view("warehouse.view_warehouse")
@require_GET
def warehouse_list(request):
    """Warehouses searched by name, of a type, active or not; paged."""
    search = SearchForm(request.GET, kinds=Warehouse.Kind.choices)
    filters = search.values()
    page = selectors.page_of(selectors.warehouse_list(**filters),
                             selectors.page_number(request.GET.get("page")))
    context = {"search": search, "page": page, "extra": query_rest(
        q=filters["query"], kind=filters["kind"], state=filters["state"])}
    template = "warehouse/staff/_warehouse_rows.html" if request.htmx \
        else "warehouse/staff/warehouses.html"
    return render(request, template, context)


def _form(request, **kwargs) -> WarehouseForm:
    return WarehouseForm(request.POST or None, users=member_users(tenant=request.tenant),
                         auto_id="warehouse_%s", **kwargs)


@staff_view("warehouse.add_warehouse")
@require_http_methods(["GET", "POST"])
def warehouse_add(request):
    form = _form(request, initial={"kind": Warehouse.Kind.MAIN})
    if request.method == "POST":
        warehouse = form_write(form, lambda data: catalog.warehouse_create(
            actor=request.user, **form.service_kwargs()))
        if warehouse is not None:
            messages.success(request, _("Warehouse %(w)s added.") % {"w": warehouse.name})
            return redirect("warehouse:warehouses")
    return render(request, "warehouse/staff/form.html", {
        "form": form, "title": _("Add a warehouse"), "back": reverse("warehouse:warehouses"),
        "back_label": _("Warehouses"), "form_id": "warehouse-form",
    }, status=400 if form.errors else 200)


@staff_view("warehouse.change_warehouse")
@require_http_methods(["GET", "POST"])
def warehouse_edit(request, warehouse_id):
    warehouse = get_object_or_404(Warehouse, pk=warehouse_id)
    form = _form(request, editing=True, initial={
        "name": warehouse.name, "kind": warehouse.kind, "active": warehouse.active,
        "keeper": str(warehouse.keeper_id or "")})
    if request.method == "POST" and form_write(form, lambda data: catalog.warehouse_update(
            actor=request.user, warehouse=warehouse, **form.service_kwargs())):
        messages.success(request, _("Warehouse %(w)s saved.") % {"w": form.cleaned_data["name"]})
        return redirect("warehouse:warehouses")
    return render(request, "warehouse/staff/form.html", {
        "form": form, "title": warehouse.name, "back": reverse("warehouse:warehouses"),
        "back_label": _("Warehouses"), "form_id": "warehouse-form", "object": warehouse,
        "deactivate_url": reverse("warehouse:warehouse_deactivate", args=[warehouse.pk])
        if warehouse.active else "",
        "delete_url": reverse("warehouse:warehouse_delete", args=[warehouse.pk])
        if request.user.has_perm("warehouse.delete_warehouse") else "",
    }, status=400 if form.errors else 200)


@staff_view("warehouse.change_warehouse")
@require_http_methods(["GET", "POST"])
def warehouse_deactivate(request, warehouse_id):
    warehouse = get_object_or_404(Warehouse, pk=warehouse_id)
    back = reverse("warehouse:warehouses")
    return confirm_page(
        request, title=_("Deactivate warehouse %(w)s") % {"w": warehouse.name},
        question=_("Deactivate the warehouse %(w)s? It stays in its documents' history and "
                   "is offered for no new document.") % {"w": warehouse.name},
        refusal=catalog.warehouse_deactivate_refusal(warehouse) if warehouse.active else "",
        button=_("Deactivate"), danger=False,
        act=lambda: catalog.warehouse_deactivate(actor=request.user, warehouse=warehouse),
        done_message=_("Warehouse %(w)s deactivated.") % {"w": warehouse.name},
        done_url=back, cancel_url=back)


@staff_view("warehouse.delete_warehouse")
@require_http_methods(["GET", "POST"])
def warehouse_delete(request, warehouse_id):
    warehouse = get_object_or_404(Warehouse, pk=warehouse_id)
    back = reverse("warehouse:warehouses")
    return confirm_page(
        request, title=_("Delete warehouse %(w)s") % {"w": warehouse.name},
        question=_("Delete the warehouse %(w)s?") % {"w": warehouse.name},
        refusal=catalog.warehouse_delete_refusal(warehouse), button=_("Delete"),
        act=lambda: catalog.warehouse_delete(actor=request.user, warehouse=warehouse),
        done_message=_("Warehouse %(w)s deleted.") % {"w": warehouse.name},
        done_url=back, cancel_url=back)
