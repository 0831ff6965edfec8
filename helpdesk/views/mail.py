"""The helpdesk mailbox (administrators): its settings, "Test connection", "Read now", and
the list of the messages read with what became of each."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import form_write
from core.views import staff_view

from ..forms_mail import IngestFilterForm, MailboxForm
from ..services import mail as services

PAGE_SIZE = 50
EDITABLE = ("address", "host", "port", "security", "username", "folder", "case_type", "queue",
            "sender_hourly_limit", "is_active")


@staff_view("helpdesk.change_helpdeskmailbox")
@require_http_methods(["GET", "POST"])
def mailbox(request):
    """The settings form, the last read and its error, the latest messages read (the
    administrator's: the roles give staff ``view_*`` of the helpdesk, not its settings)."""
    box = services.mailbox_get()
    if request.method == "POST":
        needed = "helpdesk.change_helpdeskmailbox" if box else "helpdesk.add_helpdeskmailbox"
        if not request.user.has_perm(needed):
            raise PermissionDenied
    initial = {name: getattr(box, name) for name in EDITABLE} if box else {}
    form = MailboxForm(request.POST or None, initial=initial,
                       has_password=bool(box and box.password))
    if request.method == "POST":
        saved = form_write(form, lambda data: services.mailbox_save(
            actor=request.user, mailbox=box, **data))
        if saved is not None:
            messages.success(request, _("The helpdesk mailbox is saved."))
            return redirect("helpdesk:mailbox")
    latest = list(services.mail_ingest_list()[:10]) if box else []
    return render(request, "helpdesk/mail/mailbox.html", {
        "form": form, "mailbox": box, "latest": latest,
    }, status=400 if form.errors else 200)


@staff_view("helpdesk.change_helpdeskmailbox")
@require_POST
def mailbox_test(request):
    """Log in to the saved mailbox and open its folder; the answer as a message."""
    box = services.mailbox_get()
    if box is None:
        raise Http404
    try:
        messages.success(request, services.mailbox_test(mailbox=box))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect("helpdesk:mailbox")


@staff_view("helpdesk.change_helpdeskmailbox")
@require_POST
def mailbox_read(request):
    """"Read now": queue a read of the mailbox (the beat does it every minute anyway)."""
    from ..tasks_mail import mailbox_poll_one

    box = services.mailbox_get()
    if box is None:
        raise Http404
    mailbox_poll_one.delay(request.tenant.pk, box.pk)
    messages.success(request, _("The mailbox is being read."))
    return redirect("helpdesk:mailbox")


@staff_view("helpdesk.view_mailingest")
@require_GET
def mailingest_list(request):
    """Every message read, newest first, filtered by outcome and sender; paged.
    Queries: the count and one page (with its cases)."""
    form = IngestFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = services.mail_ingest_list(outcome=filters.get("outcome", ""),
                                     sender=filters.get("sender", ""))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "helpdesk/mail/ingest_list.html", {
        "form": form, "page": page, "query": query.urlencode(),
    })
