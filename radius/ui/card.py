"""The card's "Komputery" section: the customer's logins, "additional information" with
ping, "Wymuś przeładowanie ustawień" (force reload), and adding a login."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import form_write
from core.views import staff_view
from customers.models import Address, Customer
from customers.views.base import card_url, section_done
from finance.billing import subscription_list

from .. import selectors, services
from ..forms import AttributeFormSet, LoginForm, attribute_rows
from ..models import Login
from .charts import speed_text
from .ping import ping

SECTION = "computers"


def computers_section_context(customer, request) -> dict:
    """"Komputery". Queries: the logins with tariffs and pools, their open sessions with
    NAS devices, and when each was last seen (``selectors.login_card_list``)."""
    return {"computers": selectors.login_card_list(customer_id=customer.pk)}


def login_or_404(login_id) -> Login:
    try:
        return selectors.login_window_get(login_id=login_id)
    except Login.DoesNotExist:
        raise Http404 from None


def login_form(customer, data=None, *, login: Login | None = None):
    """The login form and its attribute rows, with the customer's choices."""
    initial, rows = None, None
    if login is not None:
        initial = {"auth_type": login.auth_type, "login": login.login, "mac": login.mac,
                   "subscription": login.subscription_id, "pool": login.pool_id,
                   "installation_address": login.installation_address_id,
                   "ip": login.ip or "", "ip_reserved": login.ip_reserved,
                   "nases": [nas.pk for nas in login.nases.all()]}
        rows = [{"attribute": a.attribute, "op": a.op, "value": a.value}
                for a in login.attributes.all()]
    elif data is None:
        # A new login: the first pool with a free address, as the services choose it.
        pool = services.pool_default()
        initial = {"pool": pool.pk if pool else None}
    form = LoginForm(
        data, initial=initial, editing=login is not None, auto_id="login_%s",
        customer=customer, addresses=Address.objects.filter(customer=customer),
        subscriptions=subscription_list(customer=customer).prefetch_related(None),
        pools=selectors.pool_list(), nases=selectors.nas_list())
    formset = AttributeFormSet(data, initial=rows, prefix="attr")
    return form, formset


def save_login(form, formset, write):
    """Validate both, then ``write(kwargs)`` (one service call): the login it wrote, or
    None with the errors shown."""
    return form_write(form, lambda _data: write(
        {**form.service_kwargs(), "attributes": attribute_rows(formset)}), formset)


@staff_view("radius.add_login")
@require_http_methods(["GET", "POST"])
def login_add(request, customer_id):
    """"Dodaj komputer": its own page; back to the card's section once added."""
    customer = get_object_or_404(Customer, pk=customer_id)
    form, formset = login_form(customer, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        login = save_login(form, formset, lambda kwargs: services.login_create(
            actor=request.user, customer=customer, **kwargs))
        if login is not None:
            messages.success(request, _("Login %(login)s added (IP %(ip)s).")
                             % {"login": login.login, "ip": login.ip or "-"})
            return redirect(card_url(customer.pk, SECTION))
    return render(request, "radius/login_form.html", {
        "customer": customer, "form": form, "formset": formset,
        "title": _("Add a computer"), "cancel_url": card_url(customer.pk, SECTION),
    }, status=400 if form.errors or formset.total_error_count() else 200)


@staff_view("radius.view_login")
@require_GET
def login_info(request, login_id):
    """"Dodatkowe informacje" (htmx): technology, NAS, the session's last speed."""
    login = login_or_404(login_id)
    session = selectors.login_open_session(login_id=login.pk)
    speed = selectors.session_last_speed(session=session) if session else None
    return render(request, "radius/card/_info.html", {
        "login": login, "session": session,
        "speed": speed and {"download": speed_text(speed["download_bps"]),
                            "upload": speed_text(speed["upload_bps"]), "at": speed["at"]},
    })


def _ping(request, login_id, target):
    login = login_or_404(login_id)
    session = selectors.login_open_session(login_id=login.pk)
    if target == "nas":
        nas = session.nas if session and session.nas else next(iter(login.nases.all()), None)
        ip = nas.ip if nas else (session.nas_ip if session else None)
    else:
        ip = (session.framed_ip if session else None) or login.ip
    result = ping(ip) if ip else None
    return render(request, "radius/card/_ping.html", {"result": result, "target": target})


@staff_view("radius.view_login")
@require_GET
def login_ping_nas(request, login_id):
    """Ping the NAS of the open session, else the login's first allowed NAS."""
    return _ping(request, login_id, "nas")


@staff_view("radius.view_login")
@require_GET
def login_ping_client(request, login_id):
    """Ping the client's address: the open session's, else the login's."""
    return _ping(request, login_id, "client")


RELOAD_LEVEL = {
    Login.ReloadStatus.QUEUED: messages.INFO,
    Login.ReloadStatus.ACK: messages.SUCCESS,
    Login.ReloadStatus.NO_SESSION: messages.WARNING,
    Login.ReloadStatus.NAK: messages.ERROR,
    Login.ReloadStatus.TIMEOUT: messages.ERROR,
}


@staff_view("radius.change_login")
@require_POST
def login_reload(request, login_id):
    """"Wymuś przeładowanie ustawień": queued, never waiting on the NAS; the card's
    "last reload" shows what came of it. Back to the card's section (htmx) or to the
    page the button was on."""
    login = login_or_404(login_id)
    status = services.login_reload(actor=request.user, login=login)
    text = _("Reload of %(login)s: %(status)s.") % {
        "login": login.login, "status": Login.ReloadStatus(status).label}
    messages.add_message(request, RELOAD_LEVEL[status], text)
    if request.POST.get("back") == "window":
        return redirect("radius:login", login_id=login.pk)
    return section_done(request, login.customer_id, SECTION)
