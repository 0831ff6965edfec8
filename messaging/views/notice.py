"""The card's "Wyślij komunikat" tab: send a device message, see the customer's notices
with their read state, cancel one not read yet (messaging/notices.py).

The tab loads itself (htmx) into the card's "Wiadomości" section and answers its own
forms with itself again; without JavaScript it is a page of its own and a send goes
back to the card open at the tab.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.forms import apply_service_errors
from core.views import staff_view
from customers.models import Customer

from .. import notices
from ..models import Message
from ..services import MAX_BODY

# The tab shows the newest notices; older ones are in the action log.
TAB_ROWS = 20


class NoticeForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message"), max_length=MAX_BODY["notice"],
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control form-control-sm"}),
        help_text=gettext_lazy("Shown to the customer at the next web page they open, until "
                               "they confirm it (“I have read it”)."))


def _card_url(customer_id) -> str:
    query = urlencode({"sekcja": "wiadomosci", "kanal": "notice"})
    return (f"{reverse('customers:card', kwargs={'customer_id': customer_id})}?{query}"
            "#wiadomosci")


def _tab(request, customer, *, form=None, status=200, changed=False):
    """The tab (htmx) or its page. Queries: the customer's newest notices with authors."""
    if form is None and request.user.has_perm("messaging.add_message"):
        form = NoticeForm(auto_id="notice_%s")
    rows = list(notices.notice_list(customer=customer)[:TAB_ROWS])
    for row in rows:
        row.unread = row.status in notices.UNREAD
    template = "messaging/notice/_tab.html" if request.htmx else "messaging/notice/tab_page.html"
    response = render(request, template, {
        "customer": customer, "notice_form": form, "card_url": _card_url(customer.pk),
        "notices": rows}, status=status)
    if changed and request.htmx:
        response["HX-Trigger"] = "card-changed"  # the action log refreshes itself
    return response


@staff_view("messaging.view_message")
@require_GET
def notice_tab(request, customer_id):
    return _tab(request, get_object_or_404(Customer, pk=customer_id))


@staff_view("messaging.add_message")
@require_POST
def notice_send(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    form = NoticeForm(request.POST, auto_id="notice_%s")
    if form.is_valid():
        try:
            notices.notice_send(customer=customer, text=form.cleaned_data["body"],
                                actor=request.user)
        except ValidationError as e:
            apply_service_errors(form, e)
    if form.errors:
        return _tab(request, customer, form=form, status=400)
    messages.success(request, _("Device message sent: the customer sees it at the next web "
                                "page they open."))
    if request.htmx:
        return _tab(request, customer, changed=True)
    return redirect(_card_url(customer.pk))


@staff_view("messaging.change_message")
@require_POST
def notice_cancel(request, message_id):
    try:
        message = notices.notice_staff_get(pk=message_id)
    except Message.DoesNotExist:
        raise Http404 from None
    try:
        notices.notice_cancel(message=message, actor=request.user)
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("The device message is cancelled."))
    if request.htmx:
        return _tab(request, message.customer, changed=True)
    return redirect(_card_url(message.customer_id))
