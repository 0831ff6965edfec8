"""The panel's "Wiadomości": what was sent to the customer (e-mails with their
attachments, SMS texts, device messages with their read state — an unread one with
"Przeczytałem") and the e-mail/SMS consents the customer may change themself."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.http import client_ip
from customers import services as customer_services
from customers.models import Consent
from messaging import notices
from messaging.models import Message, MessageAttachment, Status

from .session import panel_view

# The consents a customer may give or withdraw in the panel (data processing is agreed
# in the contract, with staff).
CUSTOMER_CONSENTS = (Consent.Kind.MARKETING, Consent.Kind.E_INVOICE,
                     Consent.Kind.PHONE_CONTACT)
PAGE_SIZE = 25


# --------------------------------------------------------------------------- reads

@dataclass
class PanelMessages:
    page: Page
    unread: list[Message]
    consents: dict[str, bool]


def panel_messages(*, customer, page_number=1) -> PanelMessages:
    """The customer's messages, newest first (cancelled ones left out), 25 a page with
    their attachments' names; the unread device messages; the consents.

    Queries: the count and the page, the page's attachments (without their content), the
    unread notices, the consents (five)."""
    rows = (Message.objects.filter(customer=customer).exclude(status=Status.CANCELLED)
            .defer("raw", "body_secret")
            .prefetch_related(Prefetch("attachments",
                                       queryset=MessageAttachment.objects.defer("content"))))
    page = Paginator(rows, PAGE_SIZE).get_page(page_number)
    consents = dict(Consent.objects.filter(customer=customer).values_list("kind", "granted"))
    return PanelMessages(page=page, unread=notices.notice_unread_list(customer=customer),
                         consents={kind: consents.get(kind, False)
                                   for kind in CUSTOMER_CONSENTS})


def panel_attachment_get(*, customer, pk) -> MessageAttachment:
    """An attachment of one of ``customer``'s messages; anything else raises
    ``MessageAttachment.DoesNotExist``. Queries: one."""
    return MessageAttachment.objects.get(pk=pk, message__customer=customer)


# --------------------------------------------------------------------------- forms

class ConsentsForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in CUSTOMER_CONSENTS:
            self.fields[kind] = forms.BooleanField(
                label=Consent.Kind(kind).label, required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


CONSENT_HELP = {
    Consent.Kind.MARKETING: gettext_lazy("Offers and news by e-mail and SMS."),
    Consent.Kind.E_INVOICE: gettext_lazy("Invoices sent by e-mail instead of on paper."),
    Consent.Kind.PHONE_CONTACT: gettext_lazy("We may call you about your service."),
}


# --------------------------------------------------------------------------- pages

def _actor(request):
    """Who acts: the customer, or the staff member viewing the panel as them."""
    return request.panel_staff or request.panel_customer


@panel_view
@require_GET
def messages_page(request):
    data = panel_messages(customer=request.panel_customer,
                          page_number=request.GET.get("page"))
    form = ConsentsForm(initial=data.consents, auto_id="consent_%s")
    return render(request, "panel/messages.html", {
        "data": data, "consent_form": form,
        "consent_fields": [(form[kind], CONSENT_HELP[kind]) for kind in CUSTOMER_CONSENTS]})


@panel_view
@require_POST
def notice_read(request, message_id):
    """"Przeczytałem" in the panel: the same confirmation as on the notice page."""
    customer = request.panel_customer
    try:
        message = notices.notice_get(customer=customer, pk=message_id)
    except Message.DoesNotExist:
        raise Http404 from None
    notices.notice_read(message=message, customer=customer, ip=client_ip(request),
                        actor=_actor(request))
    messages.success(request, _("Thank you for reading the message."))
    return redirect("panel:messages")


@panel_view
@require_POST
def consents_update(request):
    form = ConsentsForm(request.POST)
    form.is_valid()  # check boxes: every input is valid
    changed = customer_services.consents_update(
        actor=_actor(request), customer=request.panel_customer,
        granted={kind: form.cleaned_data.get(kind, False) for kind in CUSTOMER_CONSENTS})
    messages.success(request, _("Your consents are saved.") if changed
                     else _("Nothing has changed."))
    return redirect("panel:messages")


@panel_view
@require_GET
def attachment(request, attachment_id):
    try:
        found = panel_attachment_get(customer=request.panel_customer, pk=attachment_id)
    except MessageAttachment.DoesNotExist:
        raise Http404 from None
    response = HttpResponse(bytes(found.content), content_type=found.content_type)
    response["Content-Disposition"] = content_disposition_header(True, found.filename)
    return response
