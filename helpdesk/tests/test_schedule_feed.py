"""The staff member's iCalendar feed: parsed back with icalendar, times right across the
clock change, rotation, a removed user."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from helpdesk.services import schedule as services
from helpdesk.tests.fixtures_schedule import WARSAW, warsaw


def _feed_url(token):
    return reverse("helpdesk:calendar_feed", kwargs={"token": token})


def _events(body: bytes) -> dict:
    cal = Calendar.from_ical(body)
    return {str(c["summary"]): c for c in cal.walk("VEVENT")}


@pytest.fixture
def dst_week(staff, tech, customer, home, visit_type, settings):
    """Two of Tomek's events at 10:00 Warsaw time, tomorrow and in 60 days (in the feed's
    window; ``test_known_dst_day_utc_offsets`` pins the clock change itself), and one of
    Anna's."""
    now = timezone.now()
    summer = now + datetime.timedelta(days=60)
    winter_day = timezone.localtime(now + datetime.timedelta(days=1)).date()
    summer_day = timezone.localtime(summer).date()
    events = {}
    for name, day in (("zima", winter_day), ("lato", summer_day)):
        events[name] = services.event_create(
            actor=staff, event_type=visit_type, title=f"Wizyta {name}",
            starts_at=datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=WARSAW),
            staff=[tech], customer=customer, address=home, description="Zabrać drabinę")
    events["anna"] = services.event_create(actor=staff, event_type=visit_type,
                                           title="Anny", starts_at=now, staff=[staff])
    return events


def test_feed_parses_back_with_times_and_fields(in_tenant, staff, tech, dst_week):
    token = services.calendar_feed_issue(actor=staff, user=tech)
    response = Client().get(_feed_url(token))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = _events(response.content)
    assert set(events) == {"Wizyta zima", "Wizyta lato"}
    for name in ("zima", "lato"):
        vevent, event = events[f"Wizyta {name}"], dst_week[name]
        start = vevent.decoded("dtstart")
        assert start == event.starts_at
        assert start.astimezone(WARSAW).hour == 10  # 10:00 on the wall clock, both seasons
        assert vevent.decoded("dtend") - start == datetime.timedelta(minutes=60)
        assert str(vevent["uid"]) == f"event-{event.pk}@alfa.abonent"
        assert str(vevent["location"]) == "Polna 5, 00-950 Warszawa"
        assert "Zabrać drabinę" in str(vevent["description"])
        assert str(vevent["status"]) == "CONFIRMED"


def test_uid_stable_when_moved_and_closed_marked(in_tenant, staff, tech, dst_week):
    token = services.calendar_feed_issue(actor=staff, user=tech)
    event = dst_week["zima"]
    services.event_move(actor=staff, event=event,
                        starts_at=event.starts_at + datetime.timedelta(hours=2))
    services.event_close(actor=staff, event=dst_week["lato"], note="Odwołane przez klienta")
    events = _events(Client().get(_feed_url(token)).content)
    assert str(events["Wizyta zima"]["uid"]) == f"event-{event.pk}@alfa.abonent"
    assert events["Wizyta zima"].decoded("dtstart").astimezone(WARSAW).hour == 12
    closed = events["✓ Wizyta lato"]
    assert str(closed["status"]) == "CANCELLED"
    assert "Odwołane przez klienta" in str(closed["description"])


def test_known_dst_day_utc_offsets(in_tenant, staff, tech, visit_type):
    """Around 29 March 2026 (summer time starts): 10:00 in Warsaw is 09:00Z before and
    08:00Z after, written as UTC in the feed."""
    from helpdesk.ical import calendar_ics
    from helpdesk.selectors.schedule import events_between

    now = warsaw(2026, 3, 20, 12, 0)
    for day in (28, 30):
        services.event_create(actor=staff, event_type=visit_type, title=f"D{day}",
                              starts_at=warsaw(2026, 3, day, 10, 0), staff=[tech], now=now)
    events = events_between(start=warsaw(2026, 3, 27), end=warsaw(2026, 4, 1), staff=tech)
    body = calendar_ics(events=events, tenant=in_tenant, name="x", now=now)
    assert b"DTSTART:20260328T090000Z" in body and b"DTSTART:20260330T080000Z" in body


def test_rotated_token_old_url_stops(in_tenant, staff, dst_week):
    old = services.calendar_feed_issue(actor=staff, user=staff)
    new = services.calendar_feed_issue(actor=staff, user=staff)
    assert Client().get(_feed_url(old)).status_code == 404
    assert Client().get(_feed_url(new)).status_code == 200


def test_removed_user_feed_is_404(in_tenant, staff, tech, dst_week):
    token = services.calendar_feed_issue(actor=staff, user=tech)
    tech.memberships.update(is_active=False)
    assert Client().get(_feed_url(token)).status_code == 404


def test_unknown_and_huge_tokens_are_404(db):
    assert Client().get(_feed_url("nope")).status_code == 404
    assert Client().get(_feed_url("x" * 5000)).status_code == 404


def test_feed_page_shows_the_address_once(staff_client, in_tenant):
    url = reverse("helpdesk:calendar_feed_manage")
    assert 'id="feed-url"' not in staff_client.get(url).content.decode()
    made = staff_client.post(url).content.decode()
    assert 'id="feed-url"' in made and "/helpdesk/ical/" in made
    assert 'id="feed-url"' not in staff_client.get(url).content.decode()
