"""Pages of the customer's self-service panel, mounted at /panel/.

The customer logs in with the panel login and a password or the one-time PIN staff gave
them (``customers.services.panel_authenticate``); the session is the panel's own
(``panel.session``), never a staff login.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import login_client_address
from core.forms import apply_service_errors
from core.http import client_ip, pdf_response
from core.tenancy import tenant_context
from customers import services as customer_services
from finance import printing
from finance.models import FinanceDocument
from messaging.notices import notice_unread_list

from . import selectors
from . import services as panel_services
from .forms import PanelLoginForm, PanelPasswordForm
from .session import (
    ACCOUNT_KEY,
    panel_impersonation,
    panel_login,
    panel_logout,
    panel_session_refresh,
    panel_tenant_slug,
    panel_view,
)


def _failure_message(result) -> str:
    if result.reason == "address_locked":
        until = formats.date_format(timezone.localtime(result.locked_until),
                                    "SHORT_DATETIME_FORMAT")
        return _("Too many failed logins from your address: try again after %(until)s, or "
                 "ask your provider for help.") % {"until": until}
    if result.reason == "busy":
        return _("Another login from your address is in progress. Try again in a moment.")
    # The same words for an unknown login, a wrong secret and a locked account: nobody
    # learns which logins exist or are locked (staff see the lock on the card).
    return _("Wrong login or password.")


def _next_url(request) -> str:
    target = request.GET.get("next", "")
    if target.startswith("/panel/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("panel:home")


@require_http_methods(["GET", "POST"])
def login(request):
    """Login with a password or the one-time PIN; a PIN login goes to the password page."""
    if request.method == "GET" and ACCOUNT_KEY in request.session:
        return redirect("panel:home")
    tenant = selectors.panel_tenant_for(host=request.get_host(),
                                        slug=request.GET.get("isp", "").strip())
    form = PanelLoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if tenant is None:
            form.add_error(None, _("This address opens no provider's panel. Use the "
                                   "panel link your Internet provider gave you."))
        else:
            with tenant_context(tenant):
                result = customer_services.panel_authenticate(
                    login=form.cleaned_data["login"], secret=form.cleaned_data["secret"],
                    ip=client_ip(request), address=login_client_address(request))
            if result.ok:
                panel_login(request, result.account)
                if result.must_change_password:
                    messages.info(request, _("You logged in with a one-time PIN: set your "
                                             "own password to continue."))
                    return redirect("panel:password_change")
                return redirect(_next_url(request))
            form.add_error(None, _failure_message(result))
            if result.reason in ("address_locked", "busy"):
                status = 429
    return render(request, "panel/login.html", {"form": form, "panel_tenant": tenant},
                  status=status)


@require_POST
def as_customer_end(request):
    """The banner's "End": back to the customer's card (the staff login stays)."""
    customer = panel_services.impersonation_end(request, request.user)
    if customer is not None and request.user.is_authenticated:
        messages.success(request, _("You no longer view the panel as the customer."))
        return redirect("customers:card", customer_id=customer.pk)
    return redirect("panel:login")


@require_POST
def logout(request):
    if panel_impersonation(request) is not None:
        return as_customer_end(request)
    slug = panel_tenant_slug(request)
    panel_logout(request)
    messages.success(request, _("You have logged out of the panel."))
    url = reverse("panel:login")
    return redirect(f"{url}?isp={slug}" if slug else url)


@panel_view(password_pending_ok=True)
@require_http_methods(["GET", "POST"])
def password_change(request):
    account = request.panel_account
    form = PanelPasswordForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            account = customer_services.panel_password_change(
                account=account, new_password=form.cleaned_data["new_password"])
        except ValidationError as e:
            apply_service_errors(form, ValidationError(
                {"new_password": e.message_dict.get("password", e.messages)}))
        else:
            panel_session_refresh(request, account)
            messages.success(request, _("Your new password is set."))
            return redirect("panel:home")
    return render(request, "panel/password.html",
                  {"form": form, "forced": account.must_change_password},
                  status=400 if form.errors else 200)


@panel_view
@require_GET
def home(request):
    """The customer's data, balance, the account to pay to and the transaction history
    (25 rows a page, newest first)."""
    home = selectors.panel_home(customer=request.panel_customer,
                                page_number=request.GET.get("page"))
    # A device message shows in the panel until it is read (panel/messages.py).
    unread = notice_unread_list(customer=request.panel_customer)
    return render(request, "panel/home.html", {"home": home, "unread_notices": unread})


@panel_view
@require_GET
def document_pdf(request, financedocument_id):
    """The PDF of one of the customer's own documents, as staff print it
    (``finance.printing``); anything else is a 404."""
    try:
        document = selectors.panel_document_get(customer=request.panel_customer,
                                                pk=financedocument_id)
    except FinanceDocument.DoesNotExist:
        raise Http404 from None
    return pdf_response(printing.document_pdf(document), document.number, attachment=True)
