"""Stage "events": LMS's timetable (``events`` + ``eventassignments``) → the helpdesk's
scheduler ("Terminarz") events with their assigned staff.

LMS keeps an event's day as the Unix time of its local midnight (``date``, ``enddate``;
``enddate`` 0 = the same day) and the times of day as seconds from midnight
(``begintime``, ``endtime``); ``userid`` is who wrote the event, ``eventassignments`` who
does it; ``closed`` 1 = done (``closeddate``, ``closeduserid``); ``note`` is what staff
wrote about it afterwards. ``type`` (EVENT_*): 1 other, 2 network, 3 service, 4
installation, 5 meeting, 6 vacation, 7 duty, 8 phone, 9 TV — mapped onto the tenant's
event types (``event_types_seed``: the scheduler's defaults when it has none).

Written set-based like the helpdesk stage, and for the same reason: the scheduler's
services check that a person types a plausible date (not more than a year back), which an
archive of past visits is not, and log each event one by one. A date no person can have
meant (year 7143, before 1990, an end before the beginning) is skipped with the reason.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.models import Event, EventStaff
from helpdesk.services.schedule import DEFAULT_TYPES, MAX_MINUTES, event_types_seed

from ..runner import digest, map_get, map_save
from .helpdesk import lms_users, staff_user

EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)
DAY_SECONDS = 86400
# LMS EVENT_* → the position of the scheduler's default type it is (installation,
# service visit, call back, other).
TYPE_POSITION = {4: 0, 3: 1, 2: 1, 9: 1, 8: 2}
OTHER_POSITION = 4

TITLE_MAX = Event._meta.get_field("title").max_length
TEXT_MAX = Event._meta.get_field("description").max_length

EVENTS = (
    "SELECT e.*, COALESCE((SELECT array_agg(a.userid ORDER BY a.userid) "
    "FROM eventassignments a WHERE a.eventid = e.id), '{}') AS assigned "
    "FROM events e ORDER BY e.id")
FIELDS = ("event_type", "title", "description", "starts_at", "duration_minutes",
          "customer", "login", "case", "is_closed", "closed_at", "closed_by", "close_note",
          "created_by")


def run(ctx) -> None:
    lms_users(ctx)
    total = ctx.lms.all("SELECT count(*) AS n FROM events")[0]["n"]
    if not total:  # no event types seeded for an LMS without a timetable
        return
    types = _types()
    done = 0
    for rows in ctx.lms.batches(EVENTS):
        _events(ctx, rows, types)
        done += len(rows)
        ctx.advance(done, total)


def _types() -> dict[int, object]:
    """Position of a default type → the tenant's type of that name (else "other", else
    the first type it has)."""
    types = event_types_seed()
    by_name = {t.name.lower(): t for t in types}
    defaults = DEFAULT_TYPES.get(settings.LANGUAGE_CODE[:2], DEFAULT_TYPES["en"])
    found = {pos: by_name.get(name.lower()) for pos, (name, _c, _m) in enumerate(defaults)}
    fallback = found.get(OTHER_POSITION) or types[0]
    return {pos: t or fallback for pos, t in found.items()}


def _local_day(epoch: int, zone) -> date:
    return datetime.fromtimestamp(epoch, UTC).astimezone(zone).date()


def event_times(row, zone) -> tuple[datetime | None, int | None, str]:
    """(start, minutes, problem): LMS's day and seconds → an aware start and a duration;
    ``problem`` says why the event cannot be placed (start None) or what was changed."""
    try:
        day = _local_day(row["date"], zone) if row["date"] else None
        end_day = _local_day(row["enddate"], zone) if row["enddate"] else day
    except (OverflowError, OSError, ValueError):
        return None, None, _("its date is not a date")
    if day is None:
        return None, None, _("it has no date")
    for when in (day, end_day):
        if not EARLIEST <= when <= LATEST:
            return None, None, _("its date %(d)s is not plausible (year %(y)s)") % {
                "d": when.isoformat(), "y": when.year}
    begin, end = row["begintime"] or 0, row["endtime"] or 0
    if not (0 <= begin <= DAY_SECONDS and 0 <= end <= DAY_SECONDS):
        return None, None, _("its time of day is not a time")
    start = datetime.combine(day, time(), tzinfo=zone) + timedelta(seconds=begin)
    finish = datetime.combine(end_day, time(), tzinfo=zone) + timedelta(seconds=end)
    if finish < start:
        return None, None, _("it ends (%(e)s) before it begins (%(b)s)") % {
            "e": finish.strftime("%Y-%m-%d %H:%M"), "b": start.strftime("%Y-%m-%d %H:%M")}
    # Wall-clock times (as LMS means them), real minutes between them: the day the clocks
    # go back has 25 hours.
    minutes = int((finish.astimezone(UTC) - start.astimezone(UTC)).total_seconds() // 60)
    if minutes > MAX_MINUTES:
        return start, MAX_MINUTES, _("longer than two weeks: shortened to two weeks")
    return start, minutes or None, ""


def _events(ctx, rows, types) -> None:
    zone = ZoneInfo(settings.TIME_ZONE)
    mapped = {m.lms_id: m for m in map_get("event", [r["id"] for r in rows])}
    customers = {m.lms_id: m.abonent_id for m in map_get(
        "customer", {r["customerid"] for r in rows if r["customerid"]})}
    logins = {m.lms_id: m.abonent_id for m in map_get(
        "node", {r["nodeid"] for r in rows if r["nodeid"]})}
    cases = {m.lms_id: m.abonent_id for m in map_get(
        "ticket", {r["ticketid"] for r in rows if r["ticketid"]})}
    new, changed, maps, created_at = [], [], [], {}
    for row in rows:
        ctx.report.add("event", "read")
        start, minutes, problem = event_times(row, zone)
        if start is None:
            ctx.report.problem(lms_id=row["id"], kind="event", action="skipped",
                               message=problem)
            continue
        if problem:
            ctx.report.problem(lms_id=row["id"], kind="event", action="flagged",
                               message=problem)
        event_type = types[TYPE_POSITION.get(row["type"], OTHER_POSITION)]
        fields, staff = _fields(ctx, row, start=start, minutes=minutes,
                                event_type=event_type, customers=customers, logins=logins,
                                cases=cases)
        fp = digest(fields, staff)
        m = mapped.get(row["id"])
        if m is None:
            new.append((row["id"], Event(tenant=ctx.tenant, **fields), staff, fp))
            if row["creationdate"]:
                created_at[row["id"]] = datetime.fromtimestamp(row["creationdate"], UTC)
        elif m.digest != fp:
            changed.append((row["id"], Event(pk=m.abonent_id, tenant=ctx.tenant, **fields),
                            staff, fp))
        else:
            ctx.report.add("event", "unchanged")
            maps.append((row["id"], m.abonent_id, fp))
    Event.objects.bulk_create([e for _i, e, _s, _f in new], batch_size=5000)
    now = timezone.now()
    for _id, event, _s, _f in changed:
        event.updated_at = now
    Event.objects.bulk_update([e for _i, e, _s, _f in changed], [*FIELDS, "updated_at"],
                              batch_size=5000)
    EventStaff.objects.filter(event_id__in=[e.pk for _i, e, _s, _f in changed]).delete()
    EventStaff.objects.bulk_create(
        [EventStaff(tenant=ctx.tenant, event_id=e.pk, user_id=user)
         for _i, e, staff, _f in new + changed for user in staff], batch_size=5000)
    ctx.report.add("event", "created", len(new))
    ctx.report.add("event", "updated", len(changed))
    maps += [(lms_id, e.pk, fp) for lms_id, e, _s, fp in new + changed]
    map_save(ctx, "event", maps)
    _created_dates({e.pk: created_at[lms_id] for lms_id, e, _s, _f in new
                    if lms_id in created_at})


def _fields(ctx, row, *, start, minutes, event_type, customers, logins, cases):
    """The event's fields and its assigned staff (Abonent user ids, sorted)."""
    title = " ".join((row["title"] or "").split()) or _("(no title)")
    if len(title) > TITLE_MAX:
        ctx.report.problem(lms_id=row["id"], kind="event", action="flagged",
                           message=_("title shortened to %(n)s characters") % {"n": TITLE_MAX})
    description, note = (row["description"] or "").strip(), (row["note"] or "").strip()
    closed = bool(row["closed"])
    if note and not closed:
        description = f"{description}\n\n{note}".strip()
    customer = customers.get(row["customerid"]) if row["customerid"] else None
    if row["customerid"] and customer is None:
        ctx.report.problem(lms_id=row["id"], kind="event", action="flagged",
                           message=_("customer %(c)s was not imported: the event has no "
                                     "customer") % {"c": row["customerid"]})
    if row["private"]:
        ctx.report.problem(lms_id=row["id"], kind="event", action="flagged",
                           message=_("private in LMS: every staff member sees it in Abonent"))
    closed_at = None
    if closed:
        closed_at = (datetime.fromtimestamp(row["closeddate"], UTC) if row["closeddate"]
                     else start)
    staff = sorted({u for u in (staff_user(ctx, lms_user) for lms_user in row["assigned"])
                    if u is not None})
    fields = {
        "event_type_id": event_type.pk, "title": title[:TITLE_MAX],
        "description": description[:TEXT_MAX], "starts_at": start,
        "duration_minutes": minutes or event_type.default_minutes,
        "customer_id": customer, "login_id": logins.get(row["nodeid"]),
        "case_id": cases.get(row["ticketid"]), "is_closed": closed,
        "closed_at": closed_at, "closed_by_id": staff_user(ctx, row["closeduserid"])
        if closed else None, "close_note": note[:TEXT_MAX] if closed else "",
        "created_by_id": staff_user(ctx, row["userid"]),
    }
    return fields, staff


def _created_dates(created_at: dict) -> None:
    """LMS's creation time replaces the import's (auto_now_add): one UPDATE."""
    if not created_at:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Event._meta.db_table} AS e SET created_at = v.at "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, at) WHERE e.id = v.id",
            [list(created_at), list(created_at.values())])
