"""Reads of the scheduler ("Terminarz"): the calendar's range, the list of events, the
card's section, one event, the staff's feeds."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from core.paging import SlicePage
from core.selectors import member_users
from core.tenancy import all_tenants_context, current_tenant

from ..models import CalendarFeed, Event, EventStaff, EventType
from ..services.schedule import MAX_MINUTES, feed_token_hash

PAGE_SIZE = 50
CARD_LIMIT = 20
# The feed: what a technician's phone needs, not the whole history.
FEED_PAST = datetime.timedelta(days=30)
FEED_AHEAD = datetime.timedelta(days=180)
# No event lasts longer: an event that started this much before a range may reach into it.
_LONGEST = datetime.timedelta(minutes=MAX_MINUTES)


def event_type_list(*, active_only: bool = False) -> list[EventType]:
    types = EventType.objects.all()
    return list(types.filter(is_active=True) if active_only else types)


def event_type_get(*, pk) -> EventType:
    return EventType.objects.get(pk=pk)


def staff_choices():
    """The tenant's active staff, by name."""
    return member_users(tenant=current_tenant())


def _with_related(events: QuerySet) -> QuerySet:
    return events.select_related("event_type", "customer", "address", "login", "case",
                                 "closed_by").prefetch_related(
        Prefetch("assignments", queryset=EventStaff.objects.select_related("user")
                 .order_by("user__last_name", "user__first_name", "user__username")))


def events_between(*, start: datetime.datetime, end: datetime.datetime, staff=None,
                   events: QuerySet | None = None) -> list[Event]:
    """Events that overlap [start, end), of ``staff`` (a user) or everyone's: two queries
    (the events with type, customer, place, login, case; their assignees)."""
    events = Event.objects.all() if events is None else events
    events = events.filter(starts_at__lt=end, starts_at__gte=start - _LONGEST)
    if staff is not None:
        events = events.filter(assignments__user=staff)
    return [e for e in _with_related(events.order_by("starts_at", "id"))
            if e.starts_at + datetime.timedelta(minutes=e.duration_minutes) > start]


@dataclass
class EventFilters:
    event_type: EventType | None = None
    staff: object = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    state: str = "open"  # open | closed | all
    customer: object = None


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def event_queryset(filters: EventFilters) -> QuerySet:
    events = Event.objects.all()
    if filters.state == "open":
        events = events.filter(is_closed=False)
    elif filters.state == "closed":
        events = events.filter(is_closed=True)
    if filters.event_type is not None:
        events = events.filter(event_type=filters.event_type)
    if filters.staff is not None:
        events = events.filter(assignments__user=filters.staff)
    if filters.customer is not None:
        events = events.filter(customer=filters.customer)
    if filters.date_from is not None:
        events = events.filter(starts_at__gte=_local_midnight(filters.date_from))
    if filters.date_to is not None:
        events = events.filter(
            starts_at__lt=_local_midnight(filters.date_to + datetime.timedelta(days=1)))
    return events


def event_list(*, filters: EventFilters, page: int = 1) -> SlicePage:
    """A page of events, soonest first (closed ones: latest first). Two queries: the page
    (one more row says a next page exists) and its assignees."""
    page = max(1, page)
    events = event_queryset(filters)
    order = ("-starts_at", "-id") if filters.state == "closed" else ("starts_at", "id")
    offset = (page - 1) * PAGE_SIZE
    rows = list(_with_related(events.order_by(*order))[offset:offset + PAGE_SIZE + 1])
    return SlicePage(rows=rows[:PAGE_SIZE], number=page, has_next=len(rows) > PAGE_SIZE)


def event_get(*, pk) -> Event:
    """One event with everything its page shows; raises ``Event.DoesNotExist``."""
    return _with_related(Event.objects.all()).get(pk=pk)


@dataclass
class CustomerEvents:
    open: list
    closed: list
    more_open: bool
    more_closed: bool


def customer_event_list(*, customer) -> CustomerEvents:
    """The card's "Terminarz": the customer's open events (soonest first) and the archive
    (latest first), each up to ``CARD_LIMIT``. Four queries: each list and its assignees."""
    events = Event.objects.filter(customer=customer)
    open_rows = list(_with_related(events.filter(is_closed=False)
                                   .order_by("starts_at", "id"))[:CARD_LIMIT + 1])
    closed_rows = list(_with_related(events.filter(is_closed=True)
                                     .order_by("-starts_at", "-id"))[:CARD_LIMIT + 1])
    return CustomerEvents(open=open_rows[:CARD_LIMIT], closed=closed_rows[:CARD_LIMIT],
                          more_open=len(open_rows) > CARD_LIMIT,
                          more_closed=len(closed_rows) > CARD_LIMIT)


# --------------------------------------------------------------------------- feeds

def calendar_feed_get(*, user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_find(token: str) -> CalendarFeed | None:
    """The feed whose token is ``token``, of a user still active in its tenant, else None.

    The feed's URL names no tenant: the lookup by the token's hash spans tenants (as the
    login pages finding a user's tenant do); the caller then works in the feed's tenant.
    """
    from core.models import Membership

    if not token or len(token) > 100:
        return None
    with all_tenants_context():
        feed = (CalendarFeed.all_tenants.select_related("user", "tenant")
                .filter(token_hash=feed_token_hash(token)).first())
        if feed is None or not feed.user.is_active:
            return None
        if not Membership.objects.filter(user=feed.user, tenant=feed.tenant,
                                         is_active=True).exists():
            return None
    return feed


def feed_events(*, user, now: datetime.datetime) -> list[Event]:
    """``user``'s events from 30 days ago to 180 days ahead, closed ones too."""
    return events_between(start=now - FEED_PAST, end=now + FEED_AHEAD, staff=user)
