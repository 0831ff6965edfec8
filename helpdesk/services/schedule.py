"""Every write of the scheduler ("Terminarz"): event types, events, staff calendar feeds.

An event is an installation, a service visit, a call back, a payment promise… at a time,
for a duration, assigned to staff members of the tenant, optionally at one of a
customer's addresses, for one of the customer's logins and one of the customer's cases.
Open events are the work ahead; a closed one (with its note) is the archive.
"""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, diff_fields
from core.selectors import member_users
from core.tenancy import current_tenant

from ..models import CalendarFeed, Event, EventStaff, EventType

# Bounds of what a person can mean: an event more than this far away is a typo (a year
# 2206 typed for 2026), and a duration past two weeks is no visit.
MAX_FUTURE = datetime.timedelta(days=3 * 366)
MAX_PAST = datetime.timedelta(days=366)
MIN_MINUTES = 5
MAX_MINUTES = 60 * 24 * 14
MAX_STAFF = 20
TITLE_MAX = Event._meta.get_field("title").max_length
TEXT_MAX = 5000

# The types a tenant starts with: (name, colour, default minutes), in the platform's
# language (settings.LANGUAGE_CODE) — data the tenant renames as it likes, not UI text.
DEFAULT_TYPES = {
    "pl": [("Instalacja", "#0d6efd", 120), ("Wizyta serwisowa", "#fd7e14", 60),
           ("Oddzwonienie", "#198754", 15), ("Obietnica płatności", "#6f42c1", 15),
           ("Inne", "#6c757d", 60)],
    "en": [("Installation", "#0d6efd", 120), ("Service visit", "#fd7e14", 60),
           ("Call back", "#198754", 15), ("Payment promise", "#6f42c1", 15),
           ("Other", "#6c757d", 60)],
}


# --------------------------------------------------------------------------- event types

def event_types_seed() -> list[EventType]:
    """The tenant's event types, the default five created first if it has none.

    Called on first use (the calendar, the new event form, the API's list): two first
    uses at once both insert with ``ignore_conflicts``, and the name constraint keeps one
    of each.
    """
    types = list(EventType.objects.all())
    if types:
        return types
    tenant = current_tenant()
    defaults = DEFAULT_TYPES.get(settings.LANGUAGE_CODE[:2], DEFAULT_TYPES["en"])
    rows = [EventType(tenant=tenant, name=name, color=color, default_minutes=minutes,
                      position=position)
            for position, (name, color, minutes) in enumerate(defaults)]
    EventType.objects.bulk_create(rows, ignore_conflicts=True)
    return list(EventType.objects.all())


def _event_type_clean(event_type: EventType) -> None:
    errors = {}
    event_type.name = (event_type.name or "").strip()
    if not event_type.name:
        errors["name"] = _("Give the type a name.")
    elif len(event_type.name) > 100:
        errors["name"] = _("At most 100 characters.")
    elif EventType.objects.filter(name__iexact=event_type.name).exclude(
            pk=event_type.pk).exists():
        errors["name"] = _("There is already a type of that name.")
    color = (event_type.color or "").strip()
    if len(color) != 7 or color[0] != "#" or any(c not in "0123456789abcdefABCDEF"
                                                 for c in color[1:]):
        errors["color"] = _("A colour is # and six hexadecimal digits, e.g. #0d6efd.")
    event_type.color = color.lower()
    minutes = event_type.default_minutes
    if not isinstance(minutes, int) or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        errors["default_minutes"] = _duration_message()
    if errors:
        raise ValidationError(errors)


def event_type_create(*, actor, name: str, color: str = "#0d6efd", default_minutes: int = 60,
                      is_active: bool = True, position: int = 0) -> EventType:
    event_type = EventType(name=name, color=color, default_minutes=default_minutes,
                           is_active=is_active, position=position)
    _event_type_clean(event_type)
    with transaction.atomic():
        event_type.save()
        action_log(actor=actor, kind="eventtype.create",
                   message=N_("Scheduler event type added: %(name)s"),
                   params={"name": event_type.name})
    return event_type


EVENT_TYPE_FIELDS = ("name", "color", "default_minutes", "is_active", "position")


def event_type_update(*, actor, event_type: EventType, **fields) -> EventType:
    """Change a type; retiring it (``is_active`` off) keeps its events as they are."""
    with transaction.atomic():
        event_type = EventType.objects.select_for_update().get(pk=event_type.pk)
        before = {name: getattr(event_type, name) for name in EVENT_TYPE_FIELDS}
        for name, value in fields.items():
            if name in EVENT_TYPE_FIELDS:
                setattr(event_type, name, value)
        _event_type_clean(event_type)
        changes = diff_fields(event_type, before, EVENT_TYPE_FIELDS)
        if changes:
            event_type.save()
            action_log(actor=actor, kind="eventtype.update",
                       message=N_("Scheduler event type changed: %(name)s"),
                       params={"name": event_type.name}, changes=changes)
    return event_type


# --------------------------------------------------------------------------- events

def _duration_message() -> str:
    return _("The duration is between %(min)s minutes and %(max)s days.") % {
        "min": MIN_MINUTES, "max": MAX_MINUTES // (60 * 24)}


def _staff_check(staff) -> list:
    """The users, each a member of the tenant (active); another tenant's is refused."""
    users = list(dict.fromkeys(staff))
    if len(users) > MAX_STAFF:
        raise ValidationError({"staff": _("At most %(n)s staff members.") % {"n": MAX_STAFF}})
    if users:
        members = set(member_users(tenant=current_tenant()).filter(
            pk__in=[u.pk for u in users]).values_list("pk", flat=True))
        strangers = [u for u in users if u.pk not in members]
        if strangers:
            raise ValidationError({"staff": _("%(names)s does not work in this company.") % {
                "names": ", ".join(u.get_full_name() or u.get_username() for u in strangers)}})
    return users


def _event_clean(event: Event, *, now, type_changed: bool) -> None:
    """Every rule of an event's fields; raises ValidationError naming the fields."""
    errors = {}
    event.title = (event.title or "").strip()
    if not event.title:
        errors["title"] = _("Say what the event is.")
    elif len(event.title) > TITLE_MAX:
        errors["title"] = _("At most %(n)s characters.") % {"n": TITLE_MAX}
    if len(event.description or "") > TEXT_MAX:
        errors["description"] = _("At most %(n)s characters.") % {"n": TEXT_MAX}
    if event.event_type_id is None:
        errors["event_type"] = _("Choose the type of the event.")
    elif type_changed and not event.event_type.is_active:
        errors["event_type"] = _("This type is retired; choose another one.")
    minutes = event.duration_minutes
    if not isinstance(minutes, int) or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        errors["duration_minutes"] = _duration_message()
    if event.starts_at is None:
        errors["starts_at"] = _("Give the time of the event.")
    elif timezone.is_naive(event.starts_at):
        errors["starts_at"] = _("Give the time with its time zone.")
    elif event.starts_at > now + MAX_FUTURE:
        errors["starts_at"] = _("That is more than three years ahead; check the year.")
    elif event.starts_at < now - MAX_PAST:
        errors["starts_at"] = _("That is more than a year ago; check the year.")
    customer_id = event.customer_id
    if event.address_id is not None and event.address.customer_id != customer_id:
        errors["address"] = _("The place must be one of the customer's addresses.")
    if event.login_id is not None and event.login.customer_id != customer_id:
        errors["login"] = _("The login must be one of the customer's logins.")
    if (event.case_id is not None and customer_id is not None
            and event.case.customer_id not in (None, customer_id)):
        errors["case"] = _("The case belongs to another customer.")
    if errors:
        raise ValidationError(errors)


def _assign(event: Event, users: list) -> None:
    EventStaff.objects.filter(event=event).exclude(user__in=users).delete()
    have = set(EventStaff.objects.filter(event=event).values_list("user_id", flat=True))
    EventStaff.objects.bulk_create([EventStaff(tenant_id=event.tenant_id, event=event, user=u)
                                    for u in users if u.pk not in have])


def _staff_names(users) -> str:
    return ", ".join(u.get_full_name() or u.get_username() for u in users)


def event_create(*, actor, event_type: EventType, title: str, starts_at: datetime.datetime,
                 duration_minutes: int | None = None, staff=(), customer=None, address=None,
                 login=None, case=None, description: str = "", now=None) -> Event:
    """Add an event (the type's default duration when none is given) and assign its staff;
    logged on the customer when there is one."""
    now = now or timezone.now()
    users = _staff_check(staff)
    event = Event(event_type=event_type, title=title, description=description or "",
                  starts_at=starts_at,
                  duration_minutes=(duration_minutes if duration_minutes is not None
                                    else event_type.default_minutes),
                  customer=customer, address=address, login=login, case=case,
                  created_by=actor)
    _event_clean(event, now=now, type_changed=True)
    with transaction.atomic():
        event.save()
        _assign(event, users)
        action_log(actor=actor, customer=customer, kind="event.create",
                   message=N_("Scheduler event added: %(type)s “%(title)s” at %(at)s"),
                   params={"type": event_type.name, "title": event.title,
                           "at": event.starts_at},
                   more=[_staff_names(users)] if users else None)
    return event


EVENT_FIELDS = ("event_type", "title", "description", "starts_at", "duration_minutes",
                "customer", "address", "login", "case")


def _locked(event: Event) -> Event:
    """The event's row locked: two people editing or dragging it take turns."""
    return (Event.objects.select_for_update(of=("self",))
            .select_related("event_type", "customer", "address", "login", "case")
            .get(pk=event.pk))


def event_update(*, actor, event: Event, staff=None, now=None, **fields) -> Event:
    """Change an open event's fields (``staff``: the new list of assignees, None keeps
    them). Locks the event's row."""
    now = now or timezone.now()
    users = _staff_check(staff) if staff is not None else None
    with transaction.atomic():
        event = _locked(event)
        if event.is_closed:
            raise ValidationError(_("The event is closed; reopen it to change it."))
        before = {name: getattr(event, name) for name in EVENT_FIELDS}
        for name, value in fields.items():
            if name in EVENT_FIELDS:
                setattr(event, name, value if name != "description" else (value or ""))
        _event_clean(event, now=now,
                     type_changed=event.event_type_id != before["event_type"].pk)
        changes = diff_fields(event, before, EVENT_FIELDS)
        staff_before = staff_after = None
        if users is not None:
            staff_before = sorted(event.assignments.values_list("user_id", flat=True))
            staff_after = sorted(u.pk for u in users)
        if changes or staff_before != staff_after:
            event.save()
            if users is not None:
                _assign(event, users)
            action_log(actor=actor, customer=event.customer, kind="event.update",
                       message=N_("Scheduler event changed: “%(title)s”"),
                       params={"title": event.title}, changes=changes,
                       more=[_staff_names(users)] if staff_before != staff_after else None)
    return event


def event_move(*, actor, event: Event, starts_at: datetime.datetime,
               duration_minutes: int | None = None, staff=None, now=None) -> Event:
    """Move an open event to another time (drag on the calendar), optionally with another
    duration and other staff. Locks the event's row."""
    now = now or timezone.now()
    users = _staff_check(staff) if staff is not None else None
    with transaction.atomic():
        event = _locked(event)
        if event.is_closed:
            raise ValidationError(_("The event is closed; reopen it to move it."))
        was = event.starts_at
        event.starts_at = starts_at
        if duration_minutes is not None:
            event.duration_minutes = duration_minutes
        _event_clean(event, now=now, type_changed=False)
        event.save(update_fields=["starts_at", "duration_minutes", "updated_at"])
        if users is not None:
            _assign(event, users)
        action_log(actor=actor, customer=event.customer, kind="event.move",
                   message=N_("Scheduler event “%(title)s” moved from %(was)s to %(at)s"),
                   params={"title": event.title, "was": was, "at": event.starts_at})
    return event


def event_close(*, actor, event: Event, note: str, now=None) -> Event:
    """Close an event with a note saying how it went (the archive). Locks the row."""
    now = now or timezone.now()
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say how it went.")})
    if len(note) > TEXT_MAX:
        raise ValidationError({"note": _("At most %(n)s characters.") % {"n": TEXT_MAX}})
    with transaction.atomic():
        event = _locked(event)
        if event.is_closed:
            raise ValidationError(_("The event is already closed."))
        event.is_closed, event.closed_at, event.closed_by = True, now, actor
        event.close_note = note
        event.save(update_fields=["is_closed", "closed_at", "closed_by", "close_note",
                                  "updated_at"])
        action_log(actor=actor, customer=event.customer, kind="event.close",
                   message=N_("Scheduler event “%(title)s” closed"),
                   params={"title": event.title}, more=[note])
    return event


def event_reopen(*, actor, event: Event) -> Event:
    """Open a closed event again; its closing note is kept until it is closed anew."""
    with transaction.atomic():
        event = _locked(event)
        if not event.is_closed:
            raise ValidationError(_("The event is open."))
        event.is_closed, event.closed_at, event.closed_by = False, None, None
        event.save(update_fields=["is_closed", "closed_at", "closed_by", "updated_at"])
        action_log(actor=actor, customer=event.customer, kind="event.reopen",
                   message=N_("Scheduler event “%(title)s” reopened"),
                   params={"title": event.title})
    return event


# --------------------------------------------------------------------------- feeds

def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_issue(*, actor, user) -> str:
    """A new secret feed address for ``user`` (a member of the tenant): the token is
    returned once and only its SHA-256 kept; an earlier address stops working. Locks the
    user's feed row, so two renewals at once leave one token."""
    _staff_check([user])
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
        if feed is None:
            CalendarFeed.objects.create(user=user, token_hash=feed_token_hash(token))
            kind, message = "calendarfeed.create", N_("Calendar feed address created for "
                                                      "%(user)s")
        else:
            feed.token_hash = feed_token_hash(token)
            feed.created_at = timezone.now()
            feed.save(update_fields=["token_hash", "created_at"])
            kind, message = "calendarfeed.rotate", N_("Calendar feed address renewed for "
                                                      "%(user)s")
        action_log(actor=actor, kind=kind, message=message,
                   params={"user": user.get_full_name() or user.get_username()})
    return token
