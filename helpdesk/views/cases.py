"""Staff pages of a case: the new-case form, the case with its actions, "my cases" and
find by number. Each write calls one service (helpdesk.services.cases); a refusal comes
back as a message on the case's page or as the form's errors."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import form_write
from core.views import staff_view
from helpdesk.case_fields import case_type_fields
from helpdesk.forms_cases import (
    CaseAttachForm,
    CaseCommentForm,
    CaseCompleteForm,
    CaseEditForm,
    CaseFindForm,
    CaseNewForm,
    CaseReturnForm,
    CaseSendForm,
    CaseStatusForm,
)
from helpdesk.models import CaseAttachment, CaseSource, Interaction
from helpdesk.selectors import cases as sel
from helpdesk.services import cases as services


def _detail_url(case) -> str:
    return reverse("helpdesk:case_detail", kwargs={"case_id": case.pk})


def _refused(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --------------------------------------------------------------------------- new

def _customer_or_404(customer_id):
    from customers.models import Customer

    try:
        return Customer.objects.get(pk=customer_id)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _interaction(request):
    raw = request.GET.get("interaction") or request.POST.get("interaction")
    if not raw:
        return None
    try:
        return Interaction.objects.select_related("customer", "topic").get(pk=int(raw))
    except (Interaction.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _case_new(request, customer=None):
    interaction = _interaction(request)
    if interaction is not None and customer is None:
        customer = interaction.customer
    case_types = sel.case_types_active()
    raw_type = request.POST.get("case_type") or request.GET.get("case_type")
    case_type = None
    if raw_type:
        case_type = case_types.filter(pk=raw_type).first() if str(raw_type).isdigit() else None
    elif interaction is not None and interaction.topic_id and not request.GET.get("choose"):
        suggested = interaction.topic.suggested_case_type_id
        case_type = case_types.filter(pk=suggested).first() if suggested else None
    if case_type is None:
        return render(request, "helpdesk/cases/new_type.html", {
            "case_types": case_types, "customer": customer, "interaction": interaction,
            "refused": bool(raw_type)})
    fields = case_type_fields(case_type)
    initial = {"case_type": case_type.pk, "priority": case_type.default_priority}
    if interaction is not None:
        initial |= {"contact_name": interaction.caller_name,
                    "contact_phone": interaction.number,
                    "title": interaction.topic.name if interaction.topic_id else ""}
    form = CaseNewForm(request.POST or None, request.FILES or None, case_types=case_types,
                       case_fields=fields, initial=initial)
    if request.method == "POST":
        def create(data):
            upload = data.get("attachment")
            return services.case_create(
                actor=request.user, case_type=data["case_type"], title=data["title"],
                description=data["description"], queue=data["queue"],
                priority=data["priority"] or None, customer=customer,
                topic=interaction.topic if interaction else None,
                contact_name=data["contact_name"], contact_phone=data["contact_phone"],
                contact_email=data["contact_email"], data=form.case_data(),
                source=CaseSource.INTERACTION if interaction else CaseSource.STAFF,
                interaction=interaction, attachments=[upload] if upload else ())

        case = form_write(form, create)
        if case is not None:
            messages.success(request, _("Case #%(n)s created.") % {"n": case.number})
            return redirect(_detail_url(case))
    return render(request, "helpdesk/cases/new.html", {
        "form": form, "case_type": case_type, "customer": customer,
        "interaction": interaction})


@staff_view("helpdesk.add_case")
@require_http_methods(["GET", "POST"])
def case_new(request):
    return _case_new(request)


@staff_view("helpdesk.add_case")
@require_http_methods(["GET", "POST"])
def case_new_customer(request, customer_id: int):
    return _case_new(request, _customer_or_404(customer_id))


# --------------------------------------------------------------------------- detail

@staff_view("helpdesk.view_case")
@require_GET
def case_detail(request, case_id: int):
    """Queries: the case with its joins, fields, comments, attachments, journal, the
    user's membership of its queue, the queues to send to."""
    case = sel.case_get(case_id)
    detail = sel.case_detail(case)
    return render(request, "helpdesk/cases/detail.html", {
        "case": case, **detail,
        "is_member": sel.user_is_member(case.queue_id, request.user),
        "is_creator": case.created_by_id == request.user.pk,
        # Each form its own ids: "note" and "is_internal" are in two forms each, and a
        # label must not tick the other form's box.
        "send_form": CaseSendForm(case=case, auto_id="send_%s"),
        "return_form": CaseReturnForm(auto_id="return_%s"),
        "status_form": CaseStatusForm(choices=services.case_status_choices(case),
                                      auto_id="status_%s"),
        "comment_form": CaseCommentForm(auto_id="comment_%s"),
        "attach_form": CaseAttachForm(auto_id="attach_%s"),
    })


def _action(request, case_id: int, call):
    case = sel.case_get(case_id)
    try:
        call(case)
    except ValidationError as e:
        _refused(request, e)
    return redirect(_detail_url(case))


@staff_view("helpdesk.change_case")
@require_POST
def case_take(request, case_id: int):
    def take(case):
        services.case_take(actor=request.user, case=case)
        messages.success(request, _("You hold the case now."))
    return _action(request, case_id, take)


@staff_view("helpdesk.change_case")
@require_POST
def case_send(request, case_id: int):
    def send(case):
        form = CaseSendForm(request.POST, case=case)
        if not form.is_valid():
            raise ValidationError(_("Choose a queue from the list."))
        services.case_send(actor=request.user, case=case, queue=form.cleaned_data["queue"],
                           note=form.cleaned_data["note"])
        messages.success(request, _("Case sent to the queue %(q)s.")
                         % {"q": form.cleaned_data["queue"].name})
    return _action(request, case_id, send)


@staff_view("helpdesk.change_case")
@require_POST
def case_return(request, case_id: int):
    def give_back(case):
        form = CaseReturnForm(request.POST)
        services.case_return(actor=request.user, case=case,
                             reason=form.data.get("reason", ""))
        messages.success(request, _("Case returned to its creator."))
    return _action(request, case_id, give_back)


@staff_view("helpdesk.change_case")
@require_POST
def case_status(request, case_id: int):
    def change(case):
        services.case_status_set(actor=request.user, case=case,
                                 status=request.POST.get("status", ""),
                                 note=request.POST.get("note", ""))
        messages.success(request, _("Status changed."))
    return _action(request, case_id, change)


@staff_view("helpdesk.add_casecomment")
@require_POST
def case_comment(request, case_id: int):
    def comment(case):
        form = CaseCommentForm(request.POST, request.FILES)
        if not form.is_valid():
            raise ValidationError([m for ms in form.errors.values() for m in ms])
        upload = form.cleaned_data.get("attachment")
        services.case_comment_add(actor=request.user, case=case,
                                  body=form.cleaned_data["body"],
                                  is_public=not form.cleaned_data["is_internal"],
                                  attachments=[upload] if upload else ())
        messages.success(request, _("Comment added."))
    return _action(request, case_id, comment)


@staff_view("helpdesk.add_caseattachment")
@require_POST
def case_attach(request, case_id: int):
    def attach(case):
        form = CaseAttachForm(request.POST, request.FILES)
        if not form.is_valid():
            raise ValidationError([m for ms in form.errors.values() for m in ms])
        services.case_attachment_add(actor=request.user, case=case,
                                     uploaded_file=form.cleaned_data["file"],
                                     is_public=not form.cleaned_data["is_internal"])
        messages.success(request, _("File attached."))
    return _action(request, case_id, attach)


@staff_view("helpdesk.view_case")
@require_GET
def case_attachment_download(request, case_id: int, caseattachment_id: int):
    attachment = CaseAttachment.objects.filter(case_id=case_id, pk=caseattachment_id).first()
    if attachment is None:
        raise Http404
    return FileResponse(attachment.file.open("rb"), as_attachment=True,
                        filename=attachment.name, content_type=attachment.content_type)


def _fields_form_page(request, case_id: int, *, form_class, template: str, call,
                      done: str):
    case = sel.case_get(case_id)
    fields = case_type_fields(case.case_type)
    form = form_class(request.POST or None, case=case, case_fields=fields)
    if request.method == "POST" and \
            form_write(form, lambda data: call(case, form, data)) is not None:
        messages.success(request, done)
        return redirect(_detail_url(case))
    return render(request, template, {"case": case, "form": form})


@staff_view("helpdesk.change_case")
@require_http_methods(["GET", "POST"])
def case_edit(request, case_id: int):
    return _fields_form_page(
        request, case_id, form_class=CaseEditForm, template="helpdesk/cases/edit.html",
        call=lambda case, form, data: services.case_update(
            actor=request.user, case=case, title=data["title"],
            description=data["description"], priority=data["priority"],
            data=form.case_data()),
        done=_("Case changed."))


@staff_view("helpdesk.change_case")
@require_http_methods(["GET", "POST"])
def case_complete(request, case_id: int):
    return _fields_form_page(
        request, case_id, form_class=CaseCompleteForm,
        template="helpdesk/cases/complete.html",
        call=lambda case, form, data: services.case_complete(
            actor=request.user, case=case, data=form.case_data()),
        done=_("Case completed and back in its queue."))


# --------------------------------------------------------------------------- lists

@staff_view("helpdesk.view_case")
@require_GET
def my_cases(request):
    """The creator's console: my open cases (returned ones first) and the cases I hold.
    Queries: the two lists, each with its joins."""
    return render(request, "helpdesk/cases/my_cases.html", {
        "created": list(sel.my_cases(request.user)[:200]),
        "held": list(sel.my_held_cases(request.user)[:200]),
    })


@staff_view("helpdesk.view_case")
@require_GET
def case_find(request):
    form = CaseFindForm(request.GET)
    if form.is_valid():
        case = sel.case_list(number=form.cleaned_data["number"]).first()
        if case is not None:
            return redirect(_detail_url(case))
        messages.warning(request, _("There is no case number %(n)s.")
                         % {"n": form.cleaned_data["number"]})
    elif request.GET.get("number"):
        messages.warning(request, _("Enter a case number."))
    return redirect("helpdesk:my_cases")
