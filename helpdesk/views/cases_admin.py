"""The operator's queue views and the administrator's settings of cases: case types
with their fields, queues with their members."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import form_write
from core.paging import SlicePage
from core.views import staff_view
from helpdesk.forms_cases import CaseFieldForm, CaseTypeForm, QueueForm
from helpdesk.models import CaseField
from helpdesk.selectors import cases as sel
from helpdesk.services import cases as services

PER_PAGE = 50


def _page_number(request) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 100_000))
    except ValueError:
        return 1


# --------------------------------------------------------------------------- queues (work)

@staff_view("helpdesk.view_case")
@require_GET
def queue_list(request):
    """Every queue with its open, unowned and breached counts. Queries: one."""
    return render(request, "helpdesk/cases/queue_list.html",
                  {"queues": list(sel.queue_list_with_counts()),
                   "mine": sel.user_queue_ids(request.user)})


@staff_view("helpdesk.view_case")
@require_GET
def queue_detail(request, queue_id: int):
    """A queue's open cases, urgent and old first, a page of 50. Queries: the queue, the
    page (per_page + 1 rows by ``case_open_queue_idx``), the user's membership."""
    queue = sel.queue_get(queue_id)
    owner = request.GET.get("owner", "")
    owner_filter = "none" if owner == "none" else (request.user.pk if owner == "me" else None)
    breached = request.GET.get("breached") == "1"
    number = _page_number(request)
    offset = (number - 1) * PER_PAGE
    rows = list(sel.queue_open_cases(queue, owner_id=owner_filter, breached_only=breached)
                [offset:offset + PER_PAGE + 1])
    page = SlicePage(rows=rows[:PER_PAGE], number=number, has_next=len(rows) > PER_PAGE)
    extra = "".join(f"&{k}={v}" for k, v in (("owner", owner), ("breached", "1" if breached
                                                                    else "")) if v)
    return render(request, "helpdesk/cases/queue_detail.html", {
        "queue": queue, "page": page, "owner": owner, "breached": breached, "extra": extra,
        "is_member": sel.user_is_member(queue.pk, request.user)})


# --------------------------------------------------------------------------- queues (settings)

def _staff_users():
    from core.tenancy import current_tenant

    return (get_user_model().objects
            .filter(memberships__tenant=current_tenant(), memberships__is_active=True,
                    is_active=True).order_by("username").distinct())


@staff_view("helpdesk.view_queue")
@require_GET
def queues(request):
    """Queues with their members. Queries: the queues, their memberships with users."""
    return render(request, "helpdesk/cases/queues.html", {"queues": list(sel.queues_all())})


def _queue_form_page(request, queue):
    initial = {}
    if queue is not None:
        initial = {"name": queue.name, "description": queue.description,
                   "extension": queue.extension, "is_active": queue.is_active,
                   "position": queue.position,
                   "members": [m.user_id for m in sel.queue_members(queue)]}
    form = QueueForm(request.POST or None, initial=initial, staff_users=_staff_users())
    if request.method == "POST":
        saved = form_write(form, lambda d: services.queue_save(
            actor=request.user, queue=queue, name=d["name"], description=d["description"],
            extension=d["extension"], is_active=d["is_active"], position=d["position"],
            members=list(d["members"])))
        if saved is not None:
            messages.success(request, _("Queue “%(n)s” saved.") % {"n": saved.name})
            return redirect("helpdesk:queues")
    return render(request, "helpdesk/cases/queue_edit.html", {"form": form, "queue": queue})


@staff_view("helpdesk.change_queue")
@require_http_methods(["GET", "POST"])
def queue_edit(request, queue_id: int):
    return _queue_form_page(request, sel.queue_get(queue_id))


@staff_view("helpdesk.add_queue")
@require_http_methods(["GET", "POST"])
def queue_new(request):
    return _queue_form_page(request, None)


# --------------------------------------------------------------------------- case types

@staff_view("helpdesk.view_casetype")
@require_http_methods(["GET", "POST"])
def case_types(request):
    """The case types (with a form to add one). Queries: the types with their default
    queues and field counts."""
    form = CaseTypeForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("helpdesk.add_casetype"):
            raise PermissionDenied
        saved = form_write(form, lambda d: services.case_type_save(actor=request.user, **d))
        if saved is not None:
            messages.success(request, _("Case type “%(n)s” created.") % {"n": saved.name})
            return redirect("helpdesk:casetype_detail", casetype_id=saved.pk)
    return render(request, "helpdesk/cases/case_types.html",
                  {"case_types": list(sel.case_types_all()), "form": form})


@staff_view("helpdesk.view_casetype")
@require_http_methods(["GET", "POST"])
def casetype_detail(request, casetype_id: int):
    """A type's settings and its fields; POST with ``form=type`` changes the type, with
    ``form=field`` adds a field."""
    case_type = sel.case_type_get(casetype_id)
    which = request.POST.get("form") if request.method == "POST" else None
    if which and not request.user.has_perm("helpdesk.change_casetype"):
        raise PermissionDenied
    type_form = CaseTypeForm(request.POST if which == "type" else None, initial={
        "name": case_type.name, "description": case_type.description,
        "is_active": case_type.is_active, "panel_visible": case_type.panel_visible,
        "default_queue": case_type.default_queue_id,
        "default_priority": case_type.default_priority, "position": case_type.position})
    field_form = CaseFieldForm(request.POST if which == "field" else None,
                               prefix="field")
    saved = None
    if which == "type":
        saved = form_write(type_form, lambda d: services.case_type_save(
            actor=request.user, case_type=case_type, **d))
    elif which == "field":
        saved = form_write(field_form, lambda d: services.case_field_save(
            actor=request.user, case_type=case_type, **d))
    if saved is not None:
        messages.success(request, _("Saved."))
        return redirect("helpdesk:casetype_detail", casetype_id=case_type.pk)
    return render(request, "helpdesk/cases/casetype_detail.html", {
        "case_type": case_type, "type_form": type_form, "field_form": field_form,
        "fields": list(sel.case_type_fields_all(case_type))})


@staff_view("helpdesk.change_casetype")
@require_http_methods(["GET", "POST"])
def casefield_edit(request, casetype_id: int, casefield_id: int):
    case_type = sel.case_type_get(casetype_id)
    field = CaseField.objects.filter(case_type=case_type, pk=casefield_id).first()
    if field is None:
        raise Http404
    form = CaseFieldForm(request.POST or None, initial={
        "label": field.label, "key": field.key, "kind": field.kind,
        "required": field.required, "choices": "\n".join(field.choices),
        "help_text": field.help_text, "position": field.position,
        "is_active": field.is_active})
    form.fields["key"].disabled = True
    if request.method == "POST":
        saved = form_write(form, lambda d: services.case_field_save(
            actor=request.user, case_type=case_type, field=field,
            **{k: v for k, v in d.items() if k != "key"}))
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("helpdesk:casetype_detail", casetype_id=case_type.pk)
    return render(request, "helpdesk/cases/casefield_edit.html",
                  {"case_type": case_type, "field": field, "form": form})
