"""A staff member's events as an iCalendar feed (RFC 5545), for the phone's calendar.

Times are written in UTC (``DTSTART:20261207T080000Z``): every client converts them to
its own zone, and no VTIMEZONE needs to describe Warsaw's clock changes. The UID is the
event's id under the tenant's short name, so a phone updates an event it has seen
instead of adding a copy when the event moves.
"""

import datetime

from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as IcsEvent

PRODID = "-//Abonent//Terminarz//PL"


def event_uid(event, tenant) -> str:
    return f"event-{event.pk}@{tenant.slug}.abonent"


def _description(event) -> str:
    lines = [event.event_type.name]
    if event.customer_id:
        lines.append(f"{event.customer.display_name} (#{event.customer.number})")
    if event.login_id:
        lines.append(f"login: {event.login.login}")
    if event.case_id:
        lines.append(str(event.case))
    staff = [a.user.get_full_name() or a.user.get_username() for a in event.assignments.all()]
    if staff:
        lines.append(", ".join(staff))
    if event.description:
        lines += ["", event.description]
    if event.is_closed and event.close_note:
        lines += ["", event.close_note]
    return "\n".join(lines)


def calendar_ics(*, events, tenant, name: str, now=None) -> bytes:
    """The feed's body: one VEVENT per event.

    RFC 5545 has no "done" for an event (COMPLETED is a to-do's): an open event is
    STATUS:CONFIRMED, a closed one STATUS:CANCELLED — phones strike it through or hide
    it, which is what finished work should look like — with a "✓" before its summary
    and the closing note in its description, so nobody reads it as called off.
    """
    now = now or timezone.now()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for event in events:
        vevent = IcsEvent()
        start = event.starts_at.astimezone(datetime.UTC)
        vevent.add("uid", event_uid(event, tenant))
        vevent.add("dtstamp", now.astimezone(datetime.UTC))
        vevent.add("last-modified", event.updated_at.astimezone(datetime.UTC))
        vevent.add("dtstart", start)
        vevent.add("dtend", start + datetime.timedelta(minutes=event.duration_minutes))
        vevent.add("summary", f"✓ {event.title}" if event.is_closed else event.title)
        vevent.add("categories", [event.event_type.name])
        if event.address_id:
            vevent.add("location", str(event.address))
        vevent.add("description", _description(event))
        if event.is_closed:
            vevent.add("status", "CANCELLED")
            vevent.add("transp", "TRANSPARENT")
            vevent.add("x-abonent-closed", "TRUE")
        else:
            vevent.add("status", "CONFIRMED")
        cal.add_component(vevent)
    return cal.to_ical()
