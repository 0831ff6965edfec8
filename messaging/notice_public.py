"""``/notice/``: where a customer with an unread device message is redirected (no staff
login). The customer is the one whose open RADIUS session has the request's source
address (``core.http.client_ip``: REMOTE_ADDR, X-Forwarded-For only behind the trusted
proxies the settings name); failing that, a panel login opens the panel's messages,
which show the notice too. Anyone else sees that there is nothing to show."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.http import client_ip
from core.tenancy import tenant_context

from . import notices
from .models import Message

app_name = "notice"

# The panel session's key (panel.session.ACCOUNT_KEY): a panel login is in this browser.
PANEL_ACCOUNT_KEY = "panel_account_id"


@never_cache
@require_http_methods(["GET", "POST"])
def notice_page(request):
    """GET: the unread notices of the customer at this address, each with "Przeczytałem";
    POST (``message``): confirm one of them."""
    ip = client_ip(request)
    customer = notices.notice_customer_for_address(ip=ip)
    if customer is None:
        if PANEL_ACCOUNT_KEY in request.session:
            return redirect("panel:messages")
        return render(request, "messaging/notice/page.html", {"unread": []},
                      status=400 if request.method == "POST" else 200)
    with tenant_context(customer.tenant):
        if request.method == "POST":
            try:
                message = notices.notice_get(customer=customer,
                                             pk=int(request.POST.get("message", "")))
            except (ValueError, Message.DoesNotExist):
                raise Http404 from None
            notices.notice_read(message=message, customer=customer, ip=ip)
            messages.success(request, _("Thank you. Your connection works as usual again in "
                                        "a moment."))
            return redirect("notice:page")
        unread = notices.notice_unread_list(customer=customer)
        return render(request, "messaging/notice/page.html", {
            "unread": unread, "panel_tenant": customer.tenant, "customer": customer})


urlpatterns = [path("", notice_page, name="page")]
