"""Stage "helpdesk": LMS's queues, tickets and their messages → Abonent's queues, cases and
case comments.

LMS's words (lib/definitions.php): ``rttickets.state`` RT_NEW 0, RT_OPEN 1, RT_RESOLVED 2,
RT_DEAD 3 (rejected, closed without a fix), RT_SCHEDULED 4, RT_WAITING 5, RT_EXPIRED 6
(its deadline passed, still open), RT_VERIFIED 7 (resolved and checked by the verifier);
``priority`` -3 … 3 (idle … critical, NULL = normal); ``source`` 2 = e-mail, 3 = the
customer panel; ``rtmessages.type`` 0 = a message (the customer sees it), 1 = an internal
note, higher bits = LMS's own notes of a change (owner, queue, state …), kept here as
internal notes. A message with ``userid`` is a staff member's, without one the
customer's (the panel or an e-mail). LMS keeps attachments on disk, not in the database:
they are counted and reported, never imported.

Why the cases are written set-based and not through ``helpdesk.services.cases``: those
services are the interactive path. Each one starts the SLA clock (``case_sla_refresh``
from "now"), publishes ``case.created`` / ``case.comment_added`` after commit — and a
subscriber answers a staff reply by e-mail (``helpdesk.services.mail``) — and numbers one
case at a time. A ticket closed in LMS three years ago must not become a breached,
escalated case, and its customer must not get an e-mail about a reply written in 2023.
So the stage writes the rows themselves in bulk (with the journal entry a created case
gets), takes the case numbers from the helpdesk's own series in one block
(``core.numbering.number_block``, so new cases continue after them without a clash), and
leaves the SLA deadlines empty: the beat job looks only at cases with deadlines.
Queues and the case type of imported tickets are few and go through the helpdesk's
services (``queue_save``, ``case_type_save``, ``case_field_save``): they publish nothing.

LMS users map to Abonent staff users by login (``lms_users``); a ticket or message of an
LMS user without an Abonent account is imported without that person, and the report says
so once per LMS user.
"""

from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core.numbering import number_block, series_continue
from core.selectors import member_users
from helpdesk.models import (
    Case,
    CaseComment,
    CaseJournal,
    CaseSource,
    CaseStatus,
    CaseType,
    CommentSource,
    JournalKind,
    Priority,
    Queue,
)
from helpdesk.services.cases import NUMBER_SERIES, case_field_save, case_type_save, queue_save
from lmsimport.report import Problem

from ..runner import digest, map_get, map_load, map_save

RT_NEW, RT_OPEN, RT_RESOLVED, RT_DEAD = 0, 1, 2, 3
RT_SCHEDULED, RT_WAITING, RT_EXPIRED, RT_VERIFIED = 4, 5, 6, 7
STATUS = {RT_NEW: CaseStatus.NEW, RT_OPEN: CaseStatus.IN_PROGRESS,
          RT_RESOLVED: CaseStatus.RESOLVED, RT_DEAD: CaseStatus.CLOSED,
          RT_SCHEDULED: CaseStatus.IN_PROGRESS, RT_WAITING: CaseStatus.WAITING,
          RT_EXPIRED: CaseStatus.IN_PROGRESS, RT_VERIFIED: CaseStatus.RESOLVED}
RT_SOURCE_EMAIL, RT_SOURCE_USERPANEL = 2, 3
RTMESSAGE_REGULAR = 0

CATEGORIES_KEY = "lms_categories"
TITLE_MAX = Case._meta.get_field("title").max_length
BODY_MAX = CaseComment._meta.get_field("body").max_length

TICKETS = (
    "SELECT t.*, q.deleted AS queue_deleted, "
    "COALESCE((SELECT array_agg(c.name ORDER BY c.name) FROM rtticketcategories tc "
    "JOIN rtcategories c ON c.id = tc.categoryid WHERE tc.ticketid = t.id), '{}') "
    "AS categories FROM rttickets t JOIN rtqueues q ON q.id = t.queueid ORDER BY t.id")
MESSAGES = (
    "SELECT m.id, m.ticketid, m.userid, m.customerid, m.mailfrom, m.messageid, m.body, "
    "m.createtime, m.type, m.deleted, t.source AS ticket_source, "
    "COALESCE((SELECT array_agg(a.filename ORDER BY a.filename) FROM rtattachments a "
    "WHERE a.messageid = m.id), '{}') AS attachments "
    "FROM rtmessages m JOIN rttickets t ON t.id = m.ticketid ORDER BY m.createtime, m.id")
ORPHANS = ("SELECT m.id, m.ticketid FROM rtmessages m "
           "WHERE NOT EXISTS (SELECT 1 FROM rttickets t WHERE t.id = m.ticketid) ORDER BY m.id")


def run(ctx) -> None:
    lms_users(ctx)
    tickets = ctx.lms.all("SELECT count(*) AS n FROM rttickets")[0]["n"]
    queues = _queues(ctx)
    # An LMS without tickets leaves the helpdesk's settings as they were.
    case_type = _case_type(ctx) if tickets else None
    total = tickets + ctx.lms.all("SELECT count(*) AS n FROM rtmessages")[0]["n"]
    done = 0
    for rows in ctx.lms.batches(TICKETS):
        _tickets(ctx, rows, queues=queues, case_type=case_type)
        done += len(rows)
        ctx.advance(done, total)
    touched: set[int] = set()
    for rows in ctx.lms.batches(MESSAGES):
        touched |= _messages(ctx, rows)
        done += len(rows)
        ctx.advance(done, total)
    _orphans(ctx)
    _first_responses(touched)
    ctx.advance(total, total)


# --------------------------------------------------------------------------- LMS users

def lms_users(ctx) -> dict[int, int | None]:
    """LMS user id → the Abonent staff user of the same login (case-insensitive), or None.

    Read once per import (the events stage uses it too)."""
    if "lms_users" not in ctx.cache:
        staff = {u.username.lower(): u.pk for u in member_users(tenant=ctx.tenant)}
        rows = ctx.lms.all("SELECT id, login FROM users ORDER BY id")
        ctx.cache["lms_users"] = {r["id"]: staff.get((r["login"] or "").strip().lower())
                                  for r in rows}
        ctx.cache["lms_logins"] = {r["id"]: r["login"] for r in rows}
        ctx.cache["lms_users_reported"] = set()
    return ctx.cache["lms_users"]


def staff_user(ctx, lms_user_id) -> int | None:
    """The Abonent user of an LMS user; an LMS user without one is reported once."""
    if lms_user_id is None:
        return None
    users = lms_users(ctx)
    user = users.get(lms_user_id)
    reported = ctx.cache["lms_users_reported"]
    if user is None and lms_user_id not in reported:
        reported.add(lms_user_id)
        login = ctx.cache["lms_logins"].get(lms_user_id, "?")
        ctx.report.problem(
            lms_id=lms_user_id, kind="user", action="flagged",
            message=_("LMS user %(login)s has no Abonent staff account with that login: "
                      "their tickets, messages and events are imported without them")
            % {"login": login})
    return user


# --------------------------------------------------------------------------- queues

def _queues(ctx) -> dict[int, int]:
    """LMS queue id → Abonent queue id: a queue of the same name is reused, a missing one
    created (inactive when LMS deleted it)."""
    mapped = map_load("rtqueue")
    existing = {q.pk: q for q in Queue.objects.all()}
    by_name = {q.name.lower(): q for q in existing.values()}
    maps, out = [], {}
    for row in ctx.lms.all("SELECT id, name, description, deleted FROM rtqueues ORDER BY id"):
        ctx.report.add("rtqueue", "read")
        name = " ".join((row["name"] or "").split())[:100] or _("LMS queue %(id)s") % {
            "id": row["id"]}
        m = mapped.get(row["id"])
        queue = existing.get(m.abonent_id) if m else None
        queue = queue or by_name.get(name.lower())
        if queue is None:
            queue = queue_save(actor=None, name=name,
                               description=(row["description"] or "").strip()[:250],
                               is_active=not row["deleted"])
            by_name[name.lower()] = queue
            ctx.report.add("rtqueue", "created")
        else:
            ctx.report.add("rtqueue", "unchanged")
        if row["deleted"]:
            ctx.report.problem(lms_id=row["id"], kind="rtqueue", action="flagged",
                               message=_("queue %(q)s is deleted in LMS: its tickets are "
                                         "imported into it") % {"q": name})
        maps.append((row["id"], queue.pk, ""))
        out[row["id"]] = queue.pk
    map_save(ctx, "rtqueue", maps)
    return out


def _case_type(ctx) -> CaseType:
    """The case type of imported tickets (one, kept across runs by its mapping, with the
    field holding LMS's categories); inactive, so it is not offered for new cases."""
    m = map_load("casetype").get(0)
    case_type = CaseType.objects.filter(pk=m.abonent_id).first() if m else None
    name = _("Ticket from LMS")
    case_type = case_type or CaseType.objects.filter(name__iexact=name).first()
    if case_type is None:
        case_type = case_type_save(actor=None, name=name, is_active=False,
                                   description=_("Tickets imported from LMS"))
    if not case_type.fields.filter(key=CATEGORIES_KEY).exists():
        case_field_save(actor=None, case_type=case_type, key=CATEGORIES_KEY,
                        label=_("LMS categories"), kind="text")
    map_save(ctx, "casetype", [(0, case_type.pk, "")])
    return case_type


# --------------------------------------------------------------------------- tickets

def _moment(epoch) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


def _priority(value) -> int:
    if value is None or value == 0:
        return Priority.NORMAL
    if value < 0:
        return Priority.LOW
    return Priority.HIGH if value == 1 else Priority.URGENT


def _email(value: str) -> str:
    value = (value or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value[:254]


def ticket_fields(ctx, row, *, queues, customers) -> tuple[dict, list[str]]:
    """LMS ticket row → the case's fields and the warnings to report it with."""
    warnings = []
    status = STATUS.get(row["state"])
    if status is None:
        status = CaseStatus.IN_PROGRESS
        warnings.append(_("unknown LMS state %(s)s: imported as in progress")
                        % {"s": row["state"]})
    created = _moment(row["customcreatetime"] or row["createtime"]) \
        or _moment(row["modtime"]) or datetime(2000, 1, 1, tzinfo=UTC)
    finished = _moment(row["customresolvetime"] or row["resolvetime"]) \
        or _moment(row["modtime"]) or created
    customer = None
    if row["customerid"] is not None:
        customer = customers.get(row["customerid"])
        if customer is None:
            warnings.append(_("customer %(c)s was not imported: the case has no customer")
                            % {"c": row["customerid"]})
    title = " ".join((row["subject"] or "").split())
    if not title:
        title = _("(no subject)")
    elif len(title) > TITLE_MAX:
        warnings.append(_("subject shortened to %(n)s characters") % {"n": TITLE_MAX})
    mail = (row["requestor_mail"] or "").strip()
    contact_email = _email(mail)
    if mail and not contact_email:
        warnings.append(_("requestor e-mail %(e)s is not valid: left out") % {"e": mail})
    source = {RT_SOURCE_EMAIL: CaseSource.EMAIL,
              RT_SOURCE_USERPANEL: CaseSource.PANEL}.get(row["source"], CaseSource.STAFF)
    fields = {
        "queue_id": queues[row["queueid"]], "title": title[:TITLE_MAX],
        "priority": _priority(row["priority"]), "customer_id": customer,
        "contact_name": (row["requestor"] or "").strip()[:200],
        "contact_phone": (row["requestor_phone"] or "").strip()[:32],
        "contact_email": contact_email, "status": status,
        "owner_id": staff_user(ctx, row["owner"]),
        "created_by_id": staff_user(ctx, row["creatorid"]), "source": source,
        "data": {CATEGORIES_KEY: ", ".join(row["categories"])} if row["categories"] else {},
        "created_at": created,
        "resolved_at": finished if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
        else None,
        "closed_at": finished if status == CaseStatus.CLOSED else None,
    }
    return fields, warnings


CASE_FIELDS = ("queue", "title", "priority", "customer", "contact_name", "contact_phone",
               "contact_email", "status", "owner", "created_by", "source", "data",
               "created_at", "resolved_at", "closed_at")


def _tickets(ctx, rows, *, queues, case_type) -> None:
    mapped = {m.lms_id: m for m in map_get("ticket", [r["id"] for r in rows])}
    customers = {m.lms_id: m.abonent_id for m in map_get(
        "customer", {r["customerid"] for r in rows if r["customerid"] is not None})}
    new, changed, maps = [], [], []
    for row in rows:
        ctx.report.add("ticket", "read")
        if row["deleted"]:
            ctx.report.problem(lms_id=row["id"], kind="ticket", action="skipped",
                               message=_("deleted in LMS (in its trash)"))
            continue
        fields, warnings = ticket_fields(ctx, row, queues=queues, customers=customers)
        if row["queue_deleted"]:
            warnings.append(_("its queue is deleted in LMS: imported into the inactive "
                              "queue"))
        for warning in warnings:
            ctx.report.problem(lms_id=row["id"], kind="ticket", action="flagged",
                               message=warning)
        fp = digest(fields)
        m = mapped.get(row["id"])
        if m is None:
            new.append((row["id"], Case(tenant=ctx.tenant, case_type=case_type, **fields),
                        fp))
        elif m.digest != fp:
            changed.append((row["id"], Case(pk=m.abonent_id, tenant=ctx.tenant, **fields),
                            fp))
        else:
            ctx.report.add("ticket", "unchanged")
            maps.append((row["id"], m.abonent_id, fp))
    _create(ctx, new, case_type)
    _update(ctx, changed)
    maps += [(lms_id, case.pk, fp) for lms_id, case, fp in new + changed]
    map_save(ctx, "ticket", maps)


def _numbers(ctx, new) -> None:
    """The LMS ticket id becomes the case number (what staff and customers quote); one taken
    by a case made in Abonent meanwhile gets the series' next number instead, with a report
    line. The series then continues after LMS's highest ticket id (a ticket skipped now
    keeps its number free for a later run)."""
    taken = set(Case.objects.filter(number__in=[lms_id for lms_id, _c, _f in new])
                .values_list("number", flat=True))
    clash = [(lms_id, case) for lms_id, case, _fp in new if lms_id in taken or lms_id <= 0]
    for lms_id, case, _fp in new:
        case.number = lms_id
    if new:
        top = ctx.lms.all("SELECT max(id) AS top FROM rttickets")[0]["top"] or 0
        series_continue(series=NUMBER_SERIES, pattern="{N}", when=date.today(),
                        last_number=max(top, *(lms_id for lms_id, _c, _f in new)))
    if clash:
        numbers = number_block(series=NUMBER_SERIES, pattern="{N}", when=date.today(),
                               count=len(clash))
        for (lms_id, case), number in zip(clash, numbers, strict=True):
            case.number = int(number)
            ctx.report.problem(lms_id=lms_id, kind="ticket", action="flagged",
                               message=_("case number %(n)s is taken: got %(m)s")
                               % {"n": lms_id, "m": number})


def _create(ctx, new, case_type) -> None:
    if not new:
        return
    _numbers(ctx, new)
    Case.objects.bulk_create([c for _i, c, _f in new], batch_size=5000)
    names = dict(Queue.objects.values_list("pk", "name"))
    # The journal starts as a created case's does, at LMS's creation time.
    CaseJournal.objects.bulk_create([
        CaseJournal(tenant=ctx.tenant, case=case, kind=JournalKind.CREATED,
                    actor_id=case.created_by_id, created_at=case.created_at,
                    data={"after": {"title": case.title, "queue": names.get(case.queue_id),
                                    "type": case_type.name, "priority": case.priority,
                                    "source": case.source, "data": case.data},
                          "missing": [], "imported_from": "LMS", "lms_id": lms_id})
        for lms_id, case, _fp in new], batch_size=5000)
    ctx.report.add("ticket", "created", len(new))


def _update(ctx, changed) -> None:
    """A ticket changed in LMS since the last run: its case follows; a change of state is
    journaled (before/after) as a status change is."""
    if not changed:
        return
    now = timezone.now()
    for _id, case, _fp in changed:
        case.updated_at = now
    before = dict(Case.objects.filter(pk__in=[c.pk for _i, c, _f in changed])
                  .values_list("pk", "status"))
    Case.objects.bulk_update([c for _i, c, _f in changed], [*CASE_FIELDS, "updated_at"],
                             batch_size=5000)
    CaseJournal.objects.bulk_create([
        CaseJournal(tenant=ctx.tenant, case_id=case.pk, kind=JournalKind.STATUS,
                    created_at=case.closed_at or case.resolved_at or now,
                    data={"before": {"status": before[case.pk]},
                          "after": {"status": case.status},
                          "note": _("Changed in LMS (import)"), "lms_id": lms_id})
        for lms_id, case, _fp in changed if before.get(case.pk) != case.status])
    ctx.report.add("ticket", "updated", len(changed))


# --------------------------------------------------------------------------- messages

def message_fields(ctx, row, *, case_id) -> dict:
    """LMS message row → the case comment's fields."""
    staff = row["userid"] is not None
    by_email = bool((row["mailfrom"] or "").strip() or (row["messageid"] or "").strip())
    if by_email:
        source = CommentSource.EMAIL
    elif not staff and row["ticket_source"] == RT_SOURCE_USERPANEL:
        source = CommentSource.PANEL
    else:
        source = CommentSource.STAFF
    return {"case_id": case_id, "author_id": staff_user(ctx, row["userid"]),
            "by_customer": not staff, "body": (row["body"] or "")[:BODY_MAX],
            "is_public": row["type"] == RTMESSAGE_REGULAR, "source": source,
            "email_message_id": (row["messageid"] or "").strip()[:255]}


def _messages(ctx, rows) -> set[int]:
    """Create or update the batch's messages as comments; the ids of the cases given new
    comments."""
    cases = {m.lms_id: m.abonent_id for m in map_get(
        "ticket", {r["ticketid"] for r in rows})}
    mapped = {m.lms_id: m for m in map_get("rtmessage", [r["id"] for r in rows])}
    new, changed, maps, times = [], [], [], {}
    for row in rows:
        ctx.report.add("rtmessage", "read")
        case_id = cases.get(row["ticketid"])
        if case_id is None:  # its ticket was skipped, and reported
            ctx.report.add("rtmessage", "skipped")
            continue
        if row["deleted"]:
            ctx.report.problem(lms_id=row["id"], kind="rtmessage", action="skipped",
                               message=_("deleted in LMS (in its trash)"))
            continue
        if row["attachments"]:
            ctx.report.add("attachment", "read", len(row["attachments"]))
            ctx.report.add("attachment", "skipped", len(row["attachments"]))
            ctx.report.problems.append(Problem(
                lms_id=row["id"], kind="attachment", action="skipped",
                message=_("file not in the database: %(files)s")
                % {"files": ", ".join(row["attachments"])}))
        if len(row["body"] or "") > BODY_MAX:
            ctx.report.problem(lms_id=row["id"], kind="rtmessage", action="flagged",
                               message=_("text shortened to %(n)s characters")
                               % {"n": BODY_MAX})
        fields = message_fields(ctx, row, case_id=case_id)
        when = _moment(row["createtime"])
        fp = digest(fields, when)
        m = mapped.get(row["id"])
        if m is None:
            new.append((row["id"], CaseComment(tenant=ctx.tenant, **fields), fp))
        elif m.digest != fp:
            changed.append((row["id"], CaseComment(pk=m.abonent_id, tenant=ctx.tenant,
                                                   **fields), fp))
        else:
            ctx.report.add("rtmessage", "unchanged")
            maps.append((row["id"], m.abonent_id, fp))
            continue
        if when:
            times[row["id"]] = when
    CaseComment.objects.bulk_create([c for _i, c, _f in new], batch_size=5000)
    CaseComment.objects.bulk_update([c for _i, c, _f in changed],
                                    ["case", "author", "by_customer", "body", "is_public",
                                     "source", "email_message_id"], batch_size=5000)
    ctx.report.add("rtmessage", "created", len(new))
    ctx.report.add("rtmessage", "updated", len(changed))
    maps += [(lms_id, c.pk, fp) for lms_id, c, fp in new + changed]
    map_save(ctx, "rtmessage", maps)
    _comment_times({c.pk: times[lms_id] for lms_id, c, _f in new + changed
                    if lms_id in times})
    return {c.case_id for _i, c, _f in new + changed}


def _comment_times(times: dict) -> None:
    """LMS's time of each message replaces the import's (auto_now_add): one UPDATE."""
    if not times:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {CaseComment._meta.db_table} AS c SET created_at = v.at "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, at) WHERE c.id = v.id",
            [list(times), list(times.values())])


def _orphans(ctx) -> None:
    """Messages whose ticket is not in LMS (a database edited by hand): one line each."""
    for rows in ctx.lms.batches(ORPHANS):
        for row in rows:
            ctx.report.add("rtmessage", "read")
            ctx.report.problem(lms_id=row["id"], kind="rtmessage", action="skipped",
                               message=_("its ticket %(t)s is not in LMS")
                               % {"t": row["ticketid"]})


def _first_responses(case_ids: set[int]) -> None:
    """The first public staff reply is the case's first response (the SLA reports read
    it); recomputed for the cases given comments, one UPDATE per 5000."""
    ids = sorted(case_ids)
    for start in range(0, len(ids), 5000):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Case._meta.db_table} AS c SET first_response_at = s.at "  # noqa: S608
                f"FROM (SELECT case_id, min(created_at) AS at FROM "
                f"{CaseComment._meta.db_table} WHERE is_public AND NOT by_customer "
                "AND case_id = ANY(%s) GROUP BY case_id) AS s "
                "WHERE c.id = s.case_id AND c.first_response_at IS DISTINCT FROM s.at",
                [ids[start:start + 5000]])
