"""The tenant's exchanges ("centrale"): their AMI access (the secret never shown again)
and a check that logs in to the AMI as a phone's window does."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import form_write
from core.views import staff_view

from .. import catalog
from ..forms_staff import ExchangeServerForm
from ..models import ExchangeServer
from . import selectors
from .common import delete_page

FIELDS = ("name", "ami_host", "ami_port", "ami_username", "ami_secret")


@staff_view("voip.view_exchangeserver")
@require_http_methods(["GET", "POST"])
def exchange_list(request):
    form = ExchangeServerForm(request.POST or None, auto_id="exchange_%s")
    if request.method == "POST":
        if not request.user.has_perm("voip.add_exchangeserver"):
            raise PermissionDenied
        server = form_write(form, lambda data: catalog.exchange_server_create(
            actor=request.user, **{k: data[k] for k in FIELDS}))
        if server is not None:
            messages.success(request, _("Exchange %(e)s added.") % {"e": server.name})
            return redirect("voip:exchanges")
    return render(request, "voip/staff/exchanges.html", {
        "form": form, "servers": list(selectors.exchange_list()),
    }, status=400 if form.errors else 200)


@staff_view("voip.change_exchangeserver")
@require_http_methods(["GET", "POST"])
def exchange_edit(request, exchangeserver_id):
    server = get_object_or_404(ExchangeServer, pk=exchangeserver_id)
    initial = {"name": server.name, "ami_host": server.ami_host, "ami_port": server.ami_port,
               "ami_username": server.ami_username, "is_active": server.is_active}
    form = ExchangeServerForm(request.POST or None, initial=initial, editing=True,
                              auto_id="exchange_%s")
    if request.method == "POST" and form_write(form, lambda data: catalog.exchange_server_update(
            actor=request.user, server=server, is_active=data["is_active"],
            **{k: data[k] for k in FIELDS})):
        messages.success(request, _("Exchange %(e)s saved.") % {"e": form.cleaned_data["name"]})
        return redirect("voip:exchanges")
    return render(request, "voip/staff/exchange_edit.html", {"form": form, "server": server},
                  status=400 if form.errors else 200)


@staff_view("voip.delete_exchangeserver")
@require_http_methods(["GET", "POST"])
def exchange_delete(request, exchangeserver_id):
    server = get_object_or_404(ExchangeServer, pk=exchangeserver_id)
    return delete_page(
        request, title=_("Delete exchange %(e)s") % {"e": server.name},
        question=_("Delete the exchange %(e)s?") % {"e": server.name},
        refusal=catalog.exchange_server_delete_refusal(server),
        delete=lambda: catalog.exchange_server_delete(actor=request.user, server=server),
        done_message=_("Exchange %(e)s deleted.") % {"e": server.name},
        done_url=reverse("voip:exchanges"), cancel_url=reverse("voip:exchanges"))


@staff_view("voip.change_exchangeserver")
@require_POST
def exchange_check(request, exchangeserver_id):
    """"Test connection": log in to the exchange's AMI and say how it went (a fragment
    for htmx, else back to the list with a message)."""
    server = get_object_or_404(ExchangeServer, pk=exchangeserver_id)
    check = catalog.exchange_server_check(server=server)
    if request.htmx:
        return render(request, "voip/staff/_exchange_check.html",
                      {"check": check, "server": server})
    (messages.success if check.ok else messages.error)(request, check.message)
    return redirect("voip:exchanges")
