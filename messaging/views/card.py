"""The card's "Wiadomości SMS, E-mail, Komunikaty" section and what its buttons do.

Three tabs: SMS (send, "SMSy Historia", "Ponów"), E-mail (send from a template,
"E-maile Historia", "Wyślij ponownie", "Podgląd wiadomości" with the attachments) and
"Wyślij komunikat" (the device notice, messaging/views/notice.py). Writes come back as
the section re-rendered (htmx, which also refreshes its histories) or the card open at the
tab (a plain form), as the other sections of the card do.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import apply_service_errors
from core.views import staff_view
from customers.models import Customer
from customers.views.base import render_card, section_done

from .. import selectors, services
from ..forms import EmailSendForm, SmsSendForm
from ..models import Channel, Message, MessageAttachment, Status
from ..rendering import TemplateError

SECTION = "messages"
ANCHOR = "wiadomosci"
TABS = ("sms", "email", "notice")
NOTICE_TAB = "messaging/card/notice_tab.html"

# "Statusy SMS": what each status means, in words (the history shows the status's name).
_STATUS_HELP = [
    (Status.QUEUED, gettext_lazy("Written down; waits to be handed to the gateway (or for "
                                 "another try after a temporary error).")),
    (Status.SENT, gettext_lazy("The gateway accepted it and passed it on to the operator; "
                               "the delivery report has not come yet.")),
    (Status.DELIVERED, gettext_lazy("The operator confirmed that the phone received it.")),
    (Status.UNDELIVERED, gettext_lazy("The operator could not deliver it (the phone is off "
                                      "or the number is out of service); it may be sent "
                                      "again.")),
    (Status.EXPIRED, gettext_lazy("The phone could not be reached before the message's "
                                  "validity ran out; it may be sent again.")),
    (Status.REJECTED, gettext_lazy("The gateway or the operator refused it (a wrong number, "
                                   "no credit); it may be sent again.")),
    (Status.FAILED, gettext_lazy("It could not be handed to the gateway (no gateway set up, "
                                 "the gateway refused it or did not answer after every "
                                 "try); the reason is shown; it may be sent again.")),
    (Status.CANCELLED, gettext_lazy("Not sent: no longer needed when its turn came (a "
                                    "payment reminder to a customer who has paid).")),
]
STATUS_HELP = [(status, status.label, text) for status, text in _STATUS_HELP]


def _notice_tab() -> str | None:
    """The third tab's template, once the notices part is there."""
    try:
        get_template(NOTICE_TAB)
    except TemplateDoesNotExist:
        return None
    return NOTICE_TAB


def _tab(request) -> str:
    tab = getattr(request, "messaging_tab", None) or request.GET.get("kanal", "")
    return tab if tab in TABS else "sms"


def messages_section_context(customer, request):
    """The section: a constant number of queries whatever the customer has.

    Queries: the customer's phones and addresses (the card's prefetch), the tenant's
    e-mail templates (who may send), and per history its count and its page with authors
    and numbers of attachments.
    """
    can_send = request.user.has_perm("messaging.add_message")
    context = {
        "messaging_tab": _tab(request),
        "sms_history": selectors.message_history(customer=customer, channel=Channel.SMS,
                                                 page=request.GET.get("sms_page")),
        "email_history": selectors.message_history(customer=customer, channel=Channel.EMAIL,
                                                   page=request.GET.get("email_page")),
        "status_help": STATUS_HELP,
        "notice_tab": _notice_tab(),
    }
    if can_send:
        context["sms_form"] = SmsSendForm(customer=customer, auto_id="message_sms_%s")
        context["email_form"] = EmailSendForm(
            customer=customer, templates=selectors.email_template_list(),
            auto_id="message_email_%s")
    return context


def _card_at(customer_id, tab: str, **params) -> str:
    query = urlencode({"sekcja": ANCHOR, "kanal": tab, **params})
    return f"{reverse('customers:card', kwargs={'customer_id': customer_id})}?{query}#{ANCHOR}"


def _done(request, customer_id, tab, *, forms=None, message=None):
    """After a write: the section again at ``tab`` (htmx), or the card open at it."""
    request.messaging_tab = tab
    failed = any(form.errors for form in (forms or {}).values())
    if request.htmx or failed:
        return section_done(request, customer_id, SECTION, forms=forms, message=message)
    if message:
        messages.success(request, message)
    return redirect(_card_at(customer_id, tab))


def _send(request, customer_id, tab, form_class, form_name, **form_kwargs):
    customer = get_object_or_404(Customer, pk=customer_id)
    form = form_class(request.POST, customer=customer, auto_id=f"{form_name}_%s",
                      **form_kwargs)
    message = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            sent = services.message_queue(
                customer=customer, channel=form.channel, recipient=data["recipient"],
                body=data["body"], subject=data.get("subject", ""), author=request.user,
                template=data.get("template_obj"))
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            message = _("%(channel)s to %(recipient)s queued.") % {
                "channel": capfirst(sent.get_channel_display()), "recipient": sent.recipient}
    return _done(request, customer.pk, tab, forms={form_name: form}, message=message)


@staff_view("messaging.add_message")
@require_POST
def sms_send(request, customer_id):
    return _send(request, customer_id, "sms", SmsSendForm, "message_sms")


@staff_view("messaging.add_message")
@require_POST
def email_send(request, customer_id):
    return _send(request, customer_id, "email", EmailSendForm, "message_email",
                 templates=selectors.email_template_list())


@staff_view("messaging.add_message")
@require_http_methods(["GET", "POST"])
def email_draft(request, customer_id):
    """The chosen template's subject and text rendered for the customer: htmx swaps them
    into the form (GET); without JavaScript the form posts here ("Fill in from the
    template", nothing is sent) and the card comes back with the form filled in."""
    customer = get_object_or_404(Customer, pk=customer_id)
    templates = selectors.email_template_list()
    given = request.POST if request.method == "POST" else request.GET
    form = EmailSendForm(given, customer=customer, templates=templates,
                         auto_id="message_email_%s")
    form.is_valid()  # only to read the choices the user made
    data = {name: given.get(name, "") for name in ("to", "template", "subject", "body")}
    template = form.templates.get(form.cleaned_data.get("template"))
    error = None
    if template is not None:
        try:
            draft = selectors.message_draft(customer=customer, template=template)
        except TemplateError as e:
            error = _("The template cannot be filled in: %(error)s") % {"error": e}
        else:
            data.update(subject=draft.subject, body=draft.body)
    form = EmailSendForm(initial=data, customer=customer, templates=templates,
                         auto_id="message_email_%s")
    if request.htmx:
        return render(request, "messaging/card/_email_draft.html",
                      {"email_form": form, "draft_error": error})
    request.messaging_tab = "email"
    if error:
        messages.error(request, error)
    return render_card(request, customer.pk, forms={"message_email": form}, active=SECTION)


@staff_view("messaging.add_message")
@require_GET
def email_new(request, customer_id):
    """The sidebar's "Send an e-mail": the card open at the section's e-mail tab."""
    customer = get_object_or_404(Customer, pk=customer_id)
    return redirect(_card_at(customer.pk, "email"))


@staff_view("messaging.view_message")
@require_GET
def history(request, customer_id, channel):
    """A page of "SMSy Historia" / "E-maile Historia" (htmx paging and refresh)."""
    if channel not in (Channel.SMS, Channel.EMAIL):
        raise Http404
    customer = get_object_or_404(Customer, pk=customer_id)
    page = request.GET.get("page")
    if not request.htmx:
        return redirect(_card_at(customer.pk, channel, **{f"{channel}_page": page or 1}))
    return render(request, f"messaging/card/_history_{channel}.html", {
        "customer": customer, "history": selectors.message_history(
            customer=customer, channel=channel, page=page)})


def _customer_message(message_id, *, with_raw: bool = False) -> Message:
    messages = Message.objects.select_related("customer")
    if not with_raw:
        messages = messages.defer("raw")
    return get_object_or_404(messages, pk=message_id, customer__isnull=False)


@staff_view("messaging.change_message")
@require_POST
def message_retry(request, message_id):
    """"Ponów" / "Wyślij ponownie": a new attempt of the same message."""
    message = _customer_message(message_id)
    done = None
    try:
        services.message_retry(message=message, actor=request.user)
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
    else:
        done = _("%(channel)s to %(recipient)s sent again.") % {
            "channel": capfirst(message.get_channel_display()), "recipient": message.recipient}
    return _done(request, message.customer_id, message.channel, message=done)


@staff_view("messaging.view_message")
@require_GET
def message_preview(request, message_id):
    """"Podgląd wiadomości": exactly what was sent, with the attachments to download."""
    try:
        message = selectors.message_get(pk=message_id, with_raw=True)
    except Message.DoesNotExist:
        raise Http404 from None
    if message.customer_id is None:
        raise Http404
    template = ("messaging/card/_preview.html" if request.htmx
                else "messaging/card/preview.html")
    return render(request, template, {
        "message": message, "customer": message.customer,
        "preview": selectors.message_preview(message),
        "back_url": _card_at(message.customer_id, message.channel),
    })


@staff_view("messaging.view_message")
@require_GET
def attachment_download(request, message_id, messageattachment_id):
    try:
        attachment = selectors.attachment_get(message_id=message_id, pk=messageattachment_id)
    except MessageAttachment.DoesNotExist:
        raise Http404 from None
    response = HttpResponse(bytes(attachment.content), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
    return response


@staff_view("messaging.view_message")
@require_GET
def message_raw(request, message_id):
    """The e-mail as handed to the SMTP server (.eml), byte for byte."""
    message = _customer_message(message_id, with_raw=True)
    if not message.raw:
        raise Http404
    response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = content_disposition_header(
        True, f"message-{message.pk}.eml")
    return response
