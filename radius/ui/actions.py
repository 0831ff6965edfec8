"""Staff actions on logins that change the service: the staff block ("Blokada") of a
login or of every login of a customer, the temporary speed, and deleting a login, a NAS
or an IP pool.

A block or a disable of a login that is online first says so — who, on which NAS, since
when — and asks to confirm: the change reaches the running session at once (CoA, or a
disconnect where the NAS cannot change it). A deletion asks first too, or says what it
is refused for before anyone clicks (``services.*_delete_refusal``, the services' rule).
Every page works without JavaScript: the confirmation is a page, not a dialog.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import apply_service_errors
from core.views import staff_view
from customers.models import Customer
from customers.views.base import card_url

from .. import selectors, services
from ..forms import BlockForm, DisableConfirmForm, TempSpeedForm
from ..models import IpPool, Login, Nas
from .card import SECTION, login_or_404

BACK_CARD = "card"


def _back_url(request, login: Login, tab: str = "manage") -> str:
    """Where a login action returns: the card's "Komputery" (``back=card``) or the window."""
    if request.POST.get("back", request.GET.get("back")) == BACK_CARD:
        return card_url(login.customer_id, SECTION)
    return f"{reverse('radius:login', kwargs={'login_id': login.pk})}?tab={tab}"


def _page(request, *, title, question, form=None, action, button, cancel_url, back="",
          sessions=(), warning="", refusal="", danger=True, status=200):
    return render(request, "radius/action.html", {
        "title": title, "question": question, "form": form, "action": action,
        "button": button, "cancel_url": cancel_url, "back": back, "sessions": sessions,
        "warning": warning, "refusal": refusal, "danger": danger,
    }, status=status)


def _online_warning(sessions, verb: str) -> str:
    """"Jan Kowalski is online: blocking changes the running session…" — ``verb`` is what
    is about to happen (blocking, disabling)."""
    if not sessions:
        return ""
    who = ", ".join(sorted({s.login.customer.display_name for s in sessions}))
    if verb == "disable":
        return _("%(who)s is online: disabling the login disconnects the running session. "
                 "Confirm to go on.") % {"who": who}
    return _("%(who)s is online: blocking changes the running session at once and may "
             "disconnect it. Confirm to go on.") % {"who": who}


def _sessions_of_login(login: Login):
    sessions = selectors.open_session_list(login_id=login.pk)
    for session in sessions:
        session.login.customer = login.customer  # shown in the warning, no query
    return sessions


# --------------------------------------------------------------------------- login block

def _confirmed_write(request, *, form, sessions, write, done_message, back_url, page):
    """POST of a block or disable form: written when nobody is online, or when the page
    that said who is online sent ``confirmed``; otherwise that page again. A refused
    write shows its message on the form."""
    if form.is_valid():
        if sessions and not form.cleaned_data["confirmed"]:
            return page(form=form, confirm=True)
        try:
            write(form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, done_message)
            return redirect(back_url)
    return page(form=form, confirm=False, status=400)


@staff_view("radius.change_login")
@require_http_methods(["GET", "POST"])
def login_block(request, login_id):
    """"Zablokuj": the reason, and the confirmation when the login is online."""
    login = login_or_404(login_id)
    sessions = _sessions_of_login(login)
    back = request.POST.get("back", request.GET.get("back", ""))

    def page(*, form, confirm, status=200):
        if confirm:
            form = BlockForm(initial={"reason": form.cleaned_data["reason"],
                                      "confirmed": True}, auto_id="block_%s")
        return _page(request, title=_("Block login %(login)s") % {"login": login.login},
                     question=_("Block login %(login)s of %(customer)s?") % {
                         "login": login.login, "customer": login.customer.display_name},
                     form=form, action=reverse("radius:login_block", args=[login.pk]),
                     button=_("Confirm the block") if sessions else _("Block"),
                     cancel_url=_back_url(request, login), back=back, sessions=sessions,
                     warning=_online_warning(sessions, "block"), status=status)

    if request.method == "GET":
        # The page shows who is online: its form confirms it already.
        form = BlockForm(initial={"confirmed": bool(sessions)}, auto_id="block_%s")
        return page(form=form, confirm=False)
    return _confirmed_write(
        request, form=BlockForm(request.POST, auto_id="block_%s"), sessions=sessions,
        write=lambda data: services.login_block(actor=request.user, login=login,
                                                reason=data["reason"]),
        done_message=_("Login %(login)s blocked.") % {"login": login.login},
        back_url=_back_url(request, login), page=page)


@staff_view("radius.change_login")
@require_POST
def login_unblock(request, login_id):
    """Lift a staff block; a debt block is refused with the service's message."""
    login = login_or_404(login_id)
    try:
        services.login_unblock(actor=request.user, login=login)
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Login %(login)s unblocked.") % {"login": login.login})
    return redirect(_back_url(request, login))


@staff_view("radius.change_login")
@require_http_methods(["GET", "POST"])
def login_disable(request, login_id):
    """"Wyłącz": FreeRADIUS rejects the login from now on; an online one is disconnected,
    after a confirmation."""
    login = login_or_404(login_id)
    sessions = _sessions_of_login(login)
    back = request.POST.get("back", request.GET.get("back", ""))

    def page(*, form, confirm, status=200):
        if confirm:
            form = DisableConfirmForm(initial={"reason": form.cleaned_data["reason"],
                                               "confirmed": True}, auto_id="disable_%s")
        return _page(request, title=_("Disable login %(login)s") % {"login": login.login},
                     question=_("Disable login %(login)s of %(customer)s? It is refused "
                                "until enabled again.") % {
                         "login": login.login, "customer": login.customer.display_name},
                     form=form, action=reverse("radius:login_disable", args=[login.pk]),
                     button=_("Confirm: disable") if sessions else _("Disable"),
                     cancel_url=_back_url(request, login), back=back, sessions=sessions,
                     warning=_online_warning(sessions, "disable"), status=status)

    if request.method == "GET":
        form = DisableConfirmForm(initial={"confirmed": bool(sessions)}, auto_id="disable_%s")
        return page(form=form, confirm=False)
    return _confirmed_write(
        request, form=DisableConfirmForm(request.POST, auto_id="disable_%s"),
        sessions=sessions,
        write=lambda data: services.login_disable(actor=request.user, login=login,
                                                  reason=data["reason"]),
        done_message=_("Login %(login)s disabled.") % {"login": login.login},
        back_url=_back_url(request, login), page=page)


# --------------------------------------------------------------------------- customer block

@staff_view("radius.change_login")
@require_http_methods(["GET", "POST"])
def customer_block(request, customer_id):
    """Block every login of the customer, with one reason."""
    customer = get_object_or_404(Customer, pk=customer_id)
    sessions = selectors.open_session_list(customer_id=customer.pk)
    for session in sessions:
        session.login.customer = customer
    back_url = card_url(customer.pk, SECTION)

    def page(*, form, confirm, status=200):
        if confirm:
            form = BlockForm(initial={"reason": form.cleaned_data["reason"],
                                      "confirmed": True}, auto_id="block_%s")
        return _page(request, title=_("Block the customer"),
                     question=_("Block every login of %(customer)s?") % {
                         "customer": customer.display_name},
                     form=form, action=reverse("radius:customer_block", args=[customer.pk]),
                     button=_("Confirm the block") if sessions else _("Block every login"),
                     cancel_url=back_url, sessions=sessions,
                     warning=_online_warning(sessions, "block"), status=status)

    if request.method == "GET":
        form = BlockForm(initial={"confirmed": bool(sessions)}, auto_id="block_%s")
        return page(form=form, confirm=False)

    def write(data):
        count = services.customer_block(actor=request.user, customer=customer,
                                        reason=data["reason"])
        if not count:
            raise ValidationError(_("The customer has no login to block (or every one is "
                                    "blocked already for this reason)."))

    return _confirmed_write(
        request, form=BlockForm(request.POST, auto_id="block_%s"), sessions=sessions,
        write=write, done_message=_("Every login of the customer blocked."),
        back_url=back_url, page=page)


@staff_view("radius.change_login")
@require_POST
def customer_unblock(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    count = services.customer_unblock(actor=request.user, customer=customer)
    if count:
        messages.success(request, _("Staff blocks lifted: %(count)s.") % {"count": count})
    else:
        messages.warning(request, _("No login of the customer is blocked by staff."))
    return redirect(card_url(customer.pk, SECTION))


# --------------------------------------------------------------------------- temporary speed

@staff_view("radius.change_login")
@require_http_methods(["GET", "POST"])
def login_temp_speed(request, login_id):
    """"Prędkość tymczasowa": set it (speeds and end); the window shows it and clears it."""
    login = login_or_404(login_id)
    initial = {}
    if login.temp_speed_until:
        initial = {"download_kbps": login.temp_download_kbps,
                   "upload_kbps": login.temp_upload_kbps, "until": login.temp_speed_until}
    form = TempSpeedForm(request.POST or None, initial=initial, auto_id="speed_%s")
    if request.method == "POST" and form.is_valid():
        try:
            services.login_temp_speed_set(actor=request.user, login=login, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("Temporary speed of %(login)s set.")
                             % {"login": login.login})
            return redirect(_back_url(request, login))
    return _page(request, title=_("Temporary speed of %(login)s") % {"login": login.login},
                 question=_("Temporary speed of login %(login)s: it replaces the tariff's "
                            "speed until the time given (not a block).")
                 % {"login": login.login},
                 form=form, action=reverse("radius:login_temp_speed", args=[login.pk]),
                 button=_("Set the temporary speed"), cancel_url=_back_url(request, login),
                 back=request.POST.get("back", request.GET.get("back", "")), danger=False,
                 status=400 if form.errors else 200)


@staff_view("radius.change_login")
@require_POST
def login_temp_speed_clear(request, login_id):
    login = login_or_404(login_id)
    services.login_temp_speed_clear(actor=request.user, login=login)
    messages.success(request, _("Temporary speed of %(login)s ended: the tariff's speed "
                                "applies.") % {"login": login.login})
    return redirect(_back_url(request, login))


# --------------------------------------------------------------------------- deletions

def _delete_page(request, *, obj_label, question, refusal, action, cancel_url, delete,
                 done_message, done_url):
    """GET: "really delete?", or the refusal with no button; POST: ``delete`` (one
    service call), refused with its message if something came to depend meanwhile."""
    if request.method == "POST" and not refusal:
        try:
            delete()
        except ValidationError as e:
            refusal = " ".join(e.messages)
        else:
            messages.success(request, done_message)
            return redirect(done_url)
    return _page(request, title=obj_label, question=question, action=action,
                 button=_("Delete"), cancel_url=cancel_url, refusal=refusal,
                 status=400 if refusal and request.method == "POST" else 200)


@staff_view("radius.delete_login")
@require_http_methods(["GET", "POST"])
def login_delete(request, login_id):
    login = login_or_404(login_id)
    return _delete_page(
        request, obj_label=_("Delete login %(login)s") % {"login": login.login},
        question=_("Delete login %(login)s of %(customer)s? Its connection history is kept; "
                   "its photos and authorization log are deleted.") % {
            "login": login.login, "customer": login.customer.display_name},
        refusal=services.login_delete_refusal(login),
        action=reverse("radius:login_delete", args=[login.pk]),
        cancel_url=_back_url(request, login),
        delete=lambda: services.login_delete(actor=request.user, login=login),
        done_message=_("Login %(login)s deleted.") % {"login": login.login},
        done_url=card_url(login.customer_id, SECTION))


@staff_view("radius.delete_nas")
@require_http_methods(["GET", "POST"])
def nas_delete(request, nas_id):
    try:
        nas = selectors.nas_list().get(pk=nas_id)
    except Nas.DoesNotExist:
        raise Http404 from None
    return _delete_page(
        request, obj_label=_("Delete NAS %(nas)s") % {"nas": nas.name},
        question=_("Delete NAS %(nas)s? Its past sessions keep its IP address.")
        % {"nas": nas},
        refusal=services.nas_delete_refusal(nas),
        action=reverse("radius:nas_delete", args=[nas.pk]),
        cancel_url=reverse("radius:nas_list"),
        delete=lambda: services.nas_delete(actor=request.user, nas=nas),
        done_message=_("NAS %(nas)s deleted.") % {"nas": nas.name},
        done_url=reverse("radius:nas_list"))


@staff_view("radius.delete_ippool")
@require_http_methods(["GET", "POST"])
def pool_delete(request, ippool_id):
    try:
        pool = selectors.pool_list().get(pk=ippool_id)
    except IpPool.DoesNotExist:
        raise Http404 from None
    return _delete_page(
        request, obj_label=_("Delete IP pool %(pool)s") % {"pool": pool.name},
        question=_("Delete IP pool %(pool)s?") % {"pool": pool},
        refusal=services.pool_delete_refusal(pool),
        action=reverse("radius:pool_delete", args=[pool.pk]),
        cancel_url=reverse("radius:pool_detail", args=[pool.pk]),
        delete=lambda: services.pool_delete(actor=request.user, pool=pool),
        done_message=_("IP pool %(pool)s deleted.") % {"pool": pool.name},
        done_url=reverse("radius:pool_list"))
