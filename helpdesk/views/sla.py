"""SLA settings pages: business hours, days off (beside the year's Polish public
holidays) and SLA targets per case type and priority."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import form_write
from core.views import staff_view

from ..business_time import YEAR_MAX, YEAR_MIN, calendar_get
from ..forms_sla import BusinessHoursForm, HolidayForm, SlaTargetForm
from ..models import BusinessDay, CaseType, Holiday, Priority, SlaTarget
from ..services import sla as services

PER_PAGE = 50


def _permission_or_403(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied


@staff_view("helpdesk.view_businessday")
@require_http_methods(["GET", "POST"])
def business_hours(request):
    """The week of business hours. Queries: the week's rows (1)."""
    current = {d.weekday: (d.opens, d.closes) for d in BusinessDay.objects.all()}
    form = BusinessHoursForm(request.POST or None, current=current)
    if request.method == "POST":
        _permission_or_403(request, "helpdesk.change_businessday")
        if form_write(form, lambda data: services.business_hours_set(
                actor=request.user, hours=form.hours())) is not None:
            messages.success(request, _("Business hours saved."))
            return redirect("helpdesk:business_hours")
    return render(request, "helpdesk/sla/business_hours.html", {
        "form": form, "configured": bool(current),
    }, status=400 if form.errors else 200)


def _year(request) -> int:
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        raise Http404 from None
    if not (YEAR_MIN <= year <= YEAR_MAX):
        raise Http404
    return year


@staff_view("helpdesk.view_holiday")
@require_http_methods(["GET", "POST"])
def holidays(request):
    """The tenant's days off of a year beside that year's public holidays; adding one.
    Queries: the year's days off (1) and, on a POST, the service's."""
    year = _year(request)
    form = HolidayForm(request.POST or None)
    if request.method == "POST":
        _permission_or_403(request, "helpdesk.add_holiday")
        holiday = form_write(form, lambda data: services.holiday_create(
            actor=request.user, **data))
        if holiday is not None:
            messages.success(request, _("%(date)s saved.") % {"date": holiday.date})
            return redirect(f"{request.path}?year={holiday.date.year}")
    own = list(Holiday.objects.filter(date__year=year))
    by_date = {h.date: h for h in own}
    calendar = calendar_get()
    public = [(day, name, by_date.get(day)) for day, name in calendar.public_holidays(year)]
    return render(request, "helpdesk/sla/holidays.html", {
        "form": form, "year": year, "own": own, "public": public,
        "previous_year": year - 1 if year > YEAR_MIN else None,
        "next_year": year + 1 if year < YEAR_MAX else None,
    }, status=400 if form.errors else 200)


def _holiday_or_404(pk) -> Holiday:
    try:
        return Holiday.objects.get(pk=pk)
    except Holiday.DoesNotExist:
        raise Http404 from None


@staff_view("helpdesk.view_holiday")
@require_http_methods(["GET", "POST"])
def holiday_edit(request, holiday_id):
    holiday = _holiday_or_404(holiday_id)
    form = HolidayForm(request.POST or None, initial={
        "date": holiday.date, "name": holiday.name, "closed": "1" if holiday.closed else "0"})
    if request.method == "POST":
        _permission_or_403(request, "helpdesk.change_holiday")
        saved = form_write(form, lambda data: services.holiday_update(
            actor=request.user, holiday=holiday, **data))
        if saved is not None:
            messages.success(request, _("%(date)s saved.") % {"date": saved.date})
            return redirect(f"{_url('helpdesk:holidays')}?year={saved.date.year}")
    return render(request, "helpdesk/sla/holiday_form.html",
                  {"form": form, "holiday": holiday}, status=400 if form.errors else 200)


@staff_view("helpdesk.delete_holiday")
@require_POST
def holiday_delete(request, holiday_id):
    holiday = _holiday_or_404(holiday_id)
    services.holiday_delete(actor=request.user, holiday=holiday)
    messages.success(request, _("%(date)s removed.") % {"date": holiday.date})
    return redirect(f"{_url('helpdesk:holidays')}?year={holiday.date.year}")


def _url(name, **kwargs):
    return reverse(name, kwargs=kwargs or None)


@staff_view("helpdesk.view_slatarget")
@require_http_methods(["GET", "POST"])
def sla_targets(request):
    """Targets per case type and priority (filter by type), paged; adding one.
    Queries: the count, the page (targets with their type) and the types of the filter."""
    form = SlaTargetForm(request.POST or None)
    if request.method == "POST":
        _permission_or_403(request, "helpdesk.add_slatarget")
        target = form_write(form, lambda data: services.sla_target_create(
            actor=request.user, **data))
        if target is not None:
            messages.success(request, _("SLA target saved."))
            return redirect("helpdesk:sla_targets")
    rows = SlaTarget.objects.select_related("case_type").order_by(
        "case_type__position", "case_type__name", "priority")
    type_id = request.GET.get("case_type", "")
    if type_id.isdigit():
        rows = rows.filter(case_type_id=int(type_id))
    else:
        type_id = ""
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "helpdesk/sla/targets.html", {
        "form": form, "page": page, "case_types": list(CaseType.objects.all()),
        "case_type": type_id, "priorities": Priority,
    }, status=400 if form.errors else 200)


def _target_or_404(pk) -> SlaTarget:
    try:
        return SlaTarget.objects.select_related("case_type").get(pk=pk)
    except SlaTarget.DoesNotExist:
        raise Http404 from None


@staff_view("helpdesk.view_slatarget")
@require_http_methods(["GET", "POST"])
def slatarget_edit(request, slatarget_id):
    target = _target_or_404(slatarget_id)
    form = SlaTargetForm(request.POST or None, editing=True, initial={
        "first_response_minutes": target.first_response_minutes,
        "resolution_minutes": target.resolution_minutes})
    if request.method == "POST":
        _permission_or_403(request, "helpdesk.change_slatarget")
        if form_write(form, lambda data: services.sla_target_update(
                actor=request.user, target=target, **data)) is not None:
            messages.success(request, _("SLA target saved."))
            return redirect("helpdesk:sla_targets")
    return render(request, "helpdesk/sla/target_form.html",
                  {"form": form, "target": target}, status=400 if form.errors else 200)


@staff_view("helpdesk.delete_slatarget")
@require_POST
def slatarget_delete(request, slatarget_id):
    services.sla_target_delete(actor=request.user, target=_target_or_404(slatarget_id))
    messages.success(request, _("SLA target removed."))
    return redirect("helpdesk:sla_targets")

