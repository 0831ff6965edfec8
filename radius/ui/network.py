"""NAS devices and IP pools of the tenant ("Sieć" in the menu)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import form_write
from core.views import staff_view

from .. import selectors, services
from ..forms import NasForm, PoolForm
from ..models import IpPool, Nas
from .logins import _page_number


@staff_view("radius.view_nas")
@require_http_methods(["GET", "POST"])
def nas_list(request):
    """The tenant's NAS devices and the form that adds one (the secret never shown)."""
    form = NasForm(request.POST or None, auto_id="nas_%s")
    if request.method == "POST":
        if not request.user.has_perm("radius.add_nas"):
            raise PermissionDenied
        if form_write(form, lambda data: services.nas_create(actor=request.user, **data)):
            messages.success(request, _("NAS %(name)s added.")
                             % {"name": form.cleaned_data["name"]})
            return redirect("radius:nas_list")
    page = Paginator(selectors.nas_list(), 50).get_page(request.GET.get("page"))
    return render(request, "radius/nas_list.html", {"form": form, "page": page},
                  status=400 if form.errors else 200)


@staff_view("radius.change_nas")
@require_http_methods(["GET", "POST"])
def nas_edit(request, nas_id):
    try:
        nas = selectors.nas_list().get(pk=nas_id)
    except Nas.DoesNotExist:
        raise Http404 from None
    initial = {"name": nas.name, "ip": nas.ip, "kind": nas.kind, "coa_port": nas.coa_port}
    form = NasForm(request.POST or None, initial=initial, editing=True, auto_id="nas_%s")
    if request.method == "POST" and form_write(form, lambda data: services.nas_update(
            actor=request.user, nas=nas, **form.service_kwargs())):
        messages.success(request, _("NAS %(name)s saved.") % {"name": nas.name})
        return redirect("radius:nas_list")
    return render(request, "radius/nas_edit.html", {"form": form, "nas": nas},
                  status=400 if form.errors else 200)


@staff_view("radius.view_ippool")
@require_http_methods(["GET", "POST"])
def pool_list(request):
    """The pools with their usage (addresses given / addresses in the range)."""
    form = PoolForm(request.POST or None, auto_id="pool_%s")
    if request.method == "POST":
        if not request.user.has_perm("radius.add_ippool"):
            raise PermissionDenied
        if form_write(form, lambda data: services.pool_create(actor=request.user, **data)):
            messages.success(request, _("IP pool %(name)s added.")
                             % {"name": form.cleaned_data["name"]})
            return redirect("radius:pool_list")
    page = Paginator(selectors.pool_usage_list(), 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for pool in page.object_list:
        pool.size = selectors.pool_size(pool)
    return render(request, "radius/pool_list.html", {"form": form, "page": page},
                  status=400 if form.errors else 200)


@staff_view("radius.view_ippool")
@require_GET
def pool_detail(request, ippool_id):
    try:
        pool = selectors.pool_usage_list().get(pk=ippool_id)
    except IpPool.DoesNotExist:
        raise Http404 from None
    pool.size = selectors.pool_size(pool)
    page = selectors.pool_login_page(pool_id=pool.pk, page=_page_number(request.GET.get("page")))
    return render(request, "radius/pool_detail.html", {"pool": pool, "page": page})
