"""The customer panel's "Zgłoszenia" (tickets): the customer's cases, one ticket with the
staff's public replies (internal notes never), a new ticket of a type the tenant offers
in the panel, a reply, a file. Pages of the panel app's session (``panel.session``), not
staff pages; another customer's ticket is a 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from panel.session import panel_view

from .forms_panel import FIELD_PREFIX, TicketAttachForm, TicketNewForm, TicketReplyForm
from .models import Case, CaseAttachment, CaseStatus, CaseType
from .selectors import panel as selectors
from .services import panel as services


def _actor(request):
    """Who acts: the customer, or the staff member viewing the panel as them."""
    return request.panel_staff or request.panel_customer


def _show_errors(form, error: ValidationError) -> None:
    """A service's refusal on the form: a type's field by its key, "file" on the file."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages_ in error.message_dict.items():
        for name in (key, FIELD_PREFIX + key):
            if name in form.fields:
                form.add_error(name, messages_)
                break
        else:
            form.add_error(None, messages_)


def _ticket(request, case_id, *, plain=False) -> Case:
    get = selectors.panel_ticket_plain_get if plain else selectors.panel_ticket_get
    try:
        return get(customer=request.panel_customer, pk=case_id)
    except Case.DoesNotExist:
        raise Http404 from None


@panel_view
@require_GET
def ticket_list(request):
    """Queries: the panel session (two), the count and the page (two)."""
    return render(request, "helpdesk/panel/ticket_list.html", {
        "page": selectors.panel_ticket_list(customer=request.panel_customer,
                                            page_number=request.GET.get("page")),
        "can_add": bool(selectors.panel_case_types())})


@panel_view
@require_http_methods(["GET", "POST"])
def ticket_new(request):
    """Without ``?type=``: the types to choose from; with it, the form of that type."""
    type_id = request.POST.get("case_type") or request.GET.get("type")
    if not type_id:
        return render(request, "helpdesk/panel/ticket_types.html",
                      {"case_types": selectors.panel_case_types()})
    try:
        case_type = selectors.panel_case_type_get(pk=type_id)
    except CaseType.DoesNotExist:
        raise Http404 from None
    form = TicketNewForm(request.POST or None, request.FILES or None, case_type=case_type)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.panel_ticket_create(
                actor=_actor(request), customer=request.panel_customer, case_type=case_type,
                title=data["title"], description=data["description"], data=data["data"],
                uploaded_file=data.get("file"))
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("Your ticket no. %(number)s has been added.")
                             % {"number": case.number})
            return redirect("panel:ticket_detail", case_id=case.pk)
    return render(request, "helpdesk/panel/ticket_new.html",
                  {"form": form, "case_type": case_type},
                  status=400 if request.method == "POST" else 200)


def _detail(request, case, *, reply_form=None, attach_form=None, status=200):
    closed = case.status == CaseStatus.CLOSED
    return render(request, "helpdesk/panel/ticket_detail.html", {
        "case": case, "closed": closed,
        "reply_form": reply_form or TicketReplyForm(auto_id="reply_%s"),
        "attach_form": attach_form or TicketAttachForm(auto_id="attach_%s")}, status=status)


@panel_view
@require_GET
def ticket_detail(request, case_id):
    """Queries: the panel session (two), the case, its public comments and its visible
    attachments (three)."""
    return _detail(request, _ticket(request, case_id))


@panel_view
@require_POST
def ticket_reply(request, case_id):
    case = _ticket(request, case_id, plain=True)
    form = TicketReplyForm(request.POST, request.FILES, auto_id="reply_%s")
    if form.is_valid():
        try:
            services.panel_ticket_reply(actor=_actor(request),
                                        customer=request.panel_customer, case=case,
                                        body=form.cleaned_data["body"],
                                        uploaded_file=form.cleaned_data.get("file"))
        except Case.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("Your reply has been added."))
            return redirect("panel:ticket_detail", case_id=case.pk)
    return _detail(request, _ticket(request, case_id), reply_form=form, status=400)


@panel_view
@require_POST
def ticket_attach(request, case_id):
    case = _ticket(request, case_id, plain=True)
    form = TicketAttachForm(request.POST, request.FILES, auto_id="attach_%s")
    if form.is_valid():
        try:
            services.panel_ticket_attach(actor=_actor(request),
                                         customer=request.panel_customer, case=case,
                                         uploaded_file=form.cleaned_data["file"])
        except Case.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("The file has been added."))
            return redirect("panel:ticket_detail", case_id=case.pk)
    return _detail(request, _ticket(request, case_id), attach_form=form, status=400)


@panel_view
@require_GET
def ticket_attachment(request, case_id, caseattachment_id):
    try:
        attachment = selectors.panel_attachment_get(customer=request.panel_customer,
                                                    case_id=case_id, pk=caseattachment_id)
        handle = attachment.file.open("rb")
    except (CaseAttachment.DoesNotExist, FileNotFoundError):
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=attachment.name,
                        content_type=attachment.content_type)
