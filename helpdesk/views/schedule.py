"""Staff pages of the scheduler ("Terminarz"): the calendar (day / week / month, one staff
member's or everyone's, drag to move), the list of events, an event's page (edit, close
with a note, reopen), the new event form, event types, and one's calendar feed."""

import datetime
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import apply_service_errors, form_write
from core.tenancy import tenant_context
from core.views import staff_view
from customers.models import Customer

from .. import ical
from ..forms_schedule import (
    CalendarForm,
    EventCloseForm,
    EventFilterForm,
    EventForm,
    EventMoveForm,
    EventTypeForm,
)
from ..models import Case, Event, EventType
from ..selectors import schedule as selectors
from ..services import schedule as services

# The day view's hours when nothing earlier or later is planned.
DAY_FIRST_HOUR, DAY_LAST_HOUR = 7, 20


def _event_or_404(event_id) -> Event:
    try:
        return selectors.event_get(pk=event_id)
    except Event.DoesNotExist:
        raise Http404 from None


# --------------------------------------------------------------------------- calendar

@dataclass
class Day:
    date: datetime.date
    events: list = field(default_factory=list)
    in_month: bool = True
    is_today: bool = False


@dataclass
class Hour:
    hour: int
    events: list = field(default_factory=list)


def _range(view: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """First day shown and the day after the last: a day, Monday to Sunday, or the weeks
    that hold the month."""
    if view == "day":
        return day, day + datetime.timedelta(days=1)
    if view == "week":
        first = day - datetime.timedelta(days=day.weekday())
        return first, first + datetime.timedelta(days=7)
    month_first = day.replace(day=1)
    next_month = (month_first + datetime.timedelta(days=32)).replace(day=1)
    first = month_first - datetime.timedelta(days=month_first.weekday())
    last = next_month + datetime.timedelta(days=(7 - next_month.weekday()) % 7)
    return first, last


def _step(view: str, day: datetime.date, forward: bool) -> datetime.date:
    sign = 1 if forward else -1
    if view == "day":
        return day + datetime.timedelta(days=sign)
    if view == "week":
        return day + datetime.timedelta(days=7 * sign)
    month_first = day.replace(day=1)
    if forward:
        return (month_first + datetime.timedelta(days=32)).replace(day=1)
    return (month_first - datetime.timedelta(days=1)).replace(day=1)


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


@staff_view("helpdesk.view_event")
@require_GET
def calendar(request):
    """The calendar. ``?view=day|week|month&date=2026-12-07&staff=<user id>``. Queries:
    the staff choices, the event types (seeded on first use), the events of the range
    with type/customer/place/login/case, their assignees."""
    staff = selectors.staff_choices()
    form = CalendarForm(request.GET, staff=staff)
    form.is_valid()  # a wrong parameter is left out, the valid ones kept
    data = form.cleaned_data
    view = data.get("view") or "week"
    today = timezone.localdate()
    day = data.get("date") or today
    person = data.get("staff")
    types = services.event_types_seed()
    first, after = _range(view, day)
    events = selectors.events_between(start=_aware(first), end=_aware(after), staff=person)
    days = {}
    current = first
    while current < after:
        days[current] = Day(current, in_month=(view != "month" or current.month == day.month),
                            is_today=current == today)
        current += datetime.timedelta(days=1)
    for event in events:
        start_day = timezone.localtime(event.starts_at).date()
        days.get(max(start_day, first), days[first]).events.append(event)
    hours = []
    if view == "day":
        shown = [timezone.localtime(e.starts_at) for e in events
                 if timezone.localtime(e.starts_at).date() == day]
        low = min([DAY_FIRST_HOUR, *(t.hour for t in shown)])
        high = max([DAY_LAST_HOUR, *(t.hour for t in shown)])
        hours = [Hour(h) for h in range(low, high + 1)]
        for event in days[day].events:
            start = timezone.localtime(event.starts_at)
            hour = start.hour if start.date() == day else low
            hours[hour - low].events.append(event)
    params = {"view": view, **({"staff": person.pk} if person else {})}
    return render(request, "helpdesk/schedule/calendar.html", {
        "form": form, "view": view, "date": day, "person": person, "staff": staff,
        "types": types, "days": list(days.values()), "hours": hours,
        "weeks": [list(days.values())[i:i + 7] for i in range(0, len(days), 7)],
        "prev_url": "?" + urlencode({**params, "date": _step(view, day, False).isoformat()}),
        "next_url": "?" + urlencode({**params, "date": _step(view, day, True).isoformat()}),
        "today_url": "?" + urlencode({**params, "date": today.isoformat()}),
        "view_urls": [(v, label, "?" + urlencode({**params, "view": v,
                                                   "date": day.isoformat()}))
                      for v, label in CalendarForm.base_fields["view"].choices],
        "back": request.get_full_path(),
    })


# --------------------------------------------------------------------------- list

@staff_view("helpdesk.view_event")
@require_GET
def event_list(request):
    """Events with filters (type, staff member, period, open/closed), paged. Queries: the
    types, the staff choices, the page of events and their assignees."""
    types = selectors.event_type_list()
    staff = selectors.staff_choices()
    form = EventFilterForm(request.GET or None, types=types, staff=staff)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = selectors.EventFilters(
        event_type=data.get("event_type"), staff=data.get("staff"),
        date_from=data.get("date_from"), date_to=data.get("date_to"),
        state=data.get("state") or "open")
    page = selectors.event_list(filters=filters, page=data.get("page") or 1)
    query = {k: v for k, v in request.GET.items() if k != "page"}
    return render(request, "helpdesk/schedule/event_list.html", {
        "form": form, "page": page, "query": urlencode(query),
    })


# --------------------------------------------------------------------------- one event

def _new_context(request):
    """The customer (``?customer=``) and case (``?case=``) the new event is for; another
    tenant's is a 404."""
    customer = case = None
    if request.GET.get("case"):
        case = get_object_or_404(Case.objects.select_related("customer"),
                                 pk=_int_or_404(request.GET["case"]))
        customer = case.customer
    if request.GET.get("customer"):
        customer = get_object_or_404(Customer, pk=_int_or_404(request.GET["customer"]))
    return customer, case


def _int_or_404(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number < 2**63:
        raise Http404
    return number


@staff_view("helpdesk.add_event")
@require_http_methods(["GET", "POST"])
def event_new(request):
    """A new event; ``?customer=<id>`` and ``?case=<id>`` link it, ``?starts_at=`` and
    ``?type=`` fill it in (from the calendar)."""
    customer, case = _new_context(request)
    types = services.event_types_seed()
    staff = selectors.staff_choices()
    if request.method == "POST":
        form = EventForm(request.POST, customer=customer, types=types, staff=staff)
        event = form_write(form, lambda data: services.event_create(
            actor=request.user, **form.service_args()))
        if event is not None:
            messages.success(request, _("Event added."))
            return redirect("helpdesk:event_detail", event_id=event.pk)
    else:
        active = [t for t in types if t.is_active]
        initial = {"staff": [request.user.pk] if staff.filter(pk=request.user.pk).exists()
                   else [], "event_type": active[0].pk if active else None}
        if case is not None:
            initial.update(case=case.pk, title=case.title)
        if request.GET.get("starts_at"):
            initial["starts_at"] = request.GET["starts_at"][:16]
        if customer is not None:
            address = customer.addresses.order_by("-kind").first()  # installation first
            initial["address"] = address.pk if address else None
        form = EventForm(initial=initial, customer=customer, types=types, staff=staff)
    return render(request, "helpdesk/schedule/event_new.html", {
        "form": form, "customer": customer, "case": case,
        "action": request.get_full_path()})


@staff_view("helpdesk.add_event")
@require_GET
def event_new_customer(request, customer_id):
    """The card's "Add a scheduler event": the new event form for the customer."""
    customer = get_object_or_404(Customer, pk=customer_id)
    return redirect(reverse("helpdesk:event_new") + "?" + urlencode({"customer": customer.pk}))


def _edit_form(event, data=None):
    initial = {
        "event_type": event.event_type_id, "title": event.title,
        "starts_at": timezone.localtime(event.starts_at), "description": event.description,
        "duration_minutes": event.duration_minutes,
        "staff": [a.user_id for a in event.assignments.all()],
        "address": event.address_id, "login": event.login_id, "case": event.case_id,
    }
    return EventForm(data, initial=initial, customer=event.customer, event=event,
                     types=selectors.event_type_list(), staff=selectors.staff_choices(),
                     auto_id="event_%s")


def _detail(request, event, *, form=None, close_form=None, status=200):
    return render(request, "helpdesk/schedule/event_detail.html", {
        "event": event,
        "form": form or (_edit_form(event) if not event.is_closed else None),
        "close_form": close_form or EventCloseForm(auto_id="close_%s"),
    }, status=status)


@staff_view("helpdesk.view_event")
@require_http_methods(["GET", "POST"])
def event_detail(request, event_id):
    """The event; POST (``helpdesk.change_event``) saves its edit form."""
    event = _event_or_404(event_id)
    if request.method == "GET":
        return _detail(request, event)
    if not request.user.has_perm("helpdesk.change_event"):
        raise PermissionDenied
    form = _edit_form(event, request.POST)
    updated = form_write(form, lambda data: services.event_update(
        actor=request.user, event=event, **form.service_args()))
    if updated is None:
        return _detail(request, event, form=form, status=400)
    messages.success(request, _("Event saved."))
    return redirect("helpdesk:event_detail", event_id=event.pk)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@staff_view("helpdesk.change_event")
@require_POST
def event_move(request, event_id):
    """The calendar's drag: JSON for schedule.js (``{"ok": true, "starts_at": …}`` or 400
    with the errors by field), a redirect back with a message for a plain form."""
    event = _event_or_404(event_id)
    form = EventMoveForm(request.POST, staff=selectors.staff_choices())
    errors = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            event = services.event_move(
                actor=request.user, event=event, starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                staff=[data["staff"]] if data["staff"] else None)
        except ValidationError as e:
            apply_service_errors(form, e)
            errors = form.errors
    else:
        errors = form.errors
    if _wants_json(request):
        if errors:
            return JsonResponse({"ok": False, "errors": errors}, status=400)
        return JsonResponse({"ok": True, "event": event.pk,
                             "starts_at": timezone.localtime(event.starts_at).isoformat()})
    if errors:
        for messages_of_field in errors.values():
            for text in messages_of_field:
                messages.error(request, text)
    else:
        messages.success(request, _("Event moved."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("helpdesk:calendar")
    return redirect(back)


@staff_view("helpdesk.change_event")
@require_POST
def event_close(request, event_id):
    """Close with a note (how it went)."""
    event = _event_or_404(event_id)
    form = EventCloseForm(request.POST, auto_id="close_%s")
    closed = form_write(form, lambda data: services.event_close(
        actor=request.user, event=event, note=data["note"]))
    if closed is None:
        return _detail(request, event, close_form=form, status=400)
    messages.success(request, _("Event closed."))
    return redirect("helpdesk:event_detail", event_id=event.pk)


@staff_view("helpdesk.change_event")
@require_POST
def event_reopen(request, event_id):
    event = _event_or_404(event_id)
    try:
        services.event_reopen(actor=request.user, event=event)
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Event reopened."))
    return redirect("helpdesk:event_detail", event_id=event.pk)


# --------------------------------------------------------------------------- types

@staff_view("helpdesk.view_eventtype")
@require_http_methods(["GET", "POST"])
def event_types(request):
    """The tenant's event types (the default five on first use); POST adds one
    (``helpdesk.add_eventtype``)."""
    form = EventTypeForm(initial={"color": "#0d6efd", "default_minutes": 60},
                         auto_id="type_%s")
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("helpdesk.add_eventtype"):
            raise PermissionDenied
        form = EventTypeForm(request.POST, auto_id="type_%s")
        created = form_write(form, lambda data: services.event_type_create(
            actor=request.user, **data))
        if created is not None:
            messages.success(request, _("Event type added."))
            return redirect("helpdesk:event_types")
        status = 400
    return render(request, "helpdesk/schedule/event_types.html", {
        "types": services.event_types_seed(), "form": form}, status=status)


@staff_view("helpdesk.change_eventtype")
@require_http_methods(["GET", "POST"])
def event_type_detail(request, eventtype_id):
    try:
        event_type = selectors.event_type_get(pk=eventtype_id)
    except EventType.DoesNotExist:
        raise Http404 from None
    initial = {name: getattr(event_type, name) for name in services.EVENT_TYPE_FIELDS}
    form = EventTypeForm(request.POST or None, initial=initial, auto_id="type_%s")
    saved = request.method == "POST" and form_write(
        form, lambda data: services.event_type_update(actor=request.user,
                                                      event_type=event_type, **data))
    if saved:
        messages.success(request, _("Event type saved."))
        return redirect("helpdesk:event_types")
    return render(request, "helpdesk/schedule/event_type.html", {
        "event_type": event_type, "form": form}, status=400 if form.errors else 200)


# --------------------------------------------------------------------------- feed

@staff_view("helpdesk.view_event")
@require_http_methods(["GET", "POST"])
@never_cache
def calendar_feed_manage(request):
    """One's own secret calendar address: created (or renewed — the old one stops
    working) by POST and shown this once."""
    feed_url = None
    if request.method == "POST":
        token = services.calendar_feed_issue(actor=request.user, user=request.user)
        feed_url = request.build_absolute_uri(
            reverse("helpdesk:calendar_feed", kwargs={"token": token}))
    return render(request, "helpdesk/schedule/feed.html", {
        "feed": selectors.calendar_feed_get(user=request.user), "feed_url": feed_url})


@require_GET
def calendar_feed(request, token):
    """The iCalendar feed (no staff login: the secret token is the key). An unknown or
    replaced token, or a user no longer working for the tenant: 404."""
    feed = selectors.calendar_feed_find(token)
    if feed is None:
        raise Http404
    now = timezone.now()
    with tenant_context(feed.tenant):
        events = selectors.feed_events(user=feed.user, now=now)
        body = ical.calendar_ics(
            events=events, tenant=feed.tenant, now=now,
            name=f"{feed.tenant.name}: {feed.user.get_full_name() or feed.user.get_username()}")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


# --------------------------------------------------------------------------- card

def schedule_section_context(customer, request):
    """The card's "Terminarz": the customer's open events and the archive. Queries: each
    list and its assignees (four)."""
    return {"schedule": selectors.customer_event_list(customer=customer)}
