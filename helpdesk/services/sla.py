"""Every write of the SLA part: the tenant's business hours, days off and worked public
holidays, SLA targets per case type and priority, and the escalation of cases past their
deadlines (the beat job ``sla_escalate_run``).

Targets apply to a case when its SLA is computed (created, status, type or priority
changed): a changed target does not move the deadlines already promised on open cases.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log
from core.events import publish
from core.tenancy import current_tenant, tenant_context

from ..business_time import MIDNIGHT_ISH, YEAR_MAX, YEAR_MIN, calendar_get
from ..models import (
    OPEN_STATUSES,
    BusinessDay,
    Case,
    CaseJournal,
    CaseStatus,
    CaseType,
    Holiday,
    JournalKind,
    Priority,
    Queue,
    SlaTarget,
    Weekday,
)
from ..sla import Target, case_sla_refresh

# A year of minutes: more is a typo (and may lie beyond the calendar's reach).
MINUTES_MAX = 366 * 24 * 60
HOLIDAY_NAME_MAX = Holiday._meta.get_field("name").max_length


# ----------------------------------------------------------------------- business hours

def business_hours_clean(hours: dict) -> dict[int, tuple[dt.time, dt.time]]:
    """``{weekday: (opens, closes) or None}`` checked; raises ValidationError keyed
    ``day_<weekday>``. A day closing at 23:59 is open until midnight."""
    errors: dict[str, list] = {}
    clean = {}
    for weekday, span in (hours or {}).items():
        try:
            weekday = int(weekday)
        except (TypeError, ValueError):
            raise ValidationError({"hours": [_("A weekday is a number from 0 (Monday) to 6 "
                                               "(Sunday).")]}) from None
        if weekday not in Weekday.values:
            raise ValidationError({"hours": [_("A weekday is a number from 0 (Monday) to 6 "
                                               "(Sunday).")]})
        if span is None:
            continue
        opens, closes = span
        label = Weekday(weekday).label
        if opens is None or closes is None:
            errors[f"day_{weekday}"] = [_("%(day)s: give both the opening and the closing "
                                          "hour, or mark the day closed.") % {"day": label}]
        elif closes <= opens:
            errors[f"day_{weekday}"] = [_("%(day)s: the closing hour must be after the "
                                          "opening hour.") % {"day": label}]
        else:
            clean[weekday] = (opens.replace(microsecond=0), closes.replace(microsecond=0))
    if errors:
        raise ValidationError(errors)
    if not clean:
        raise ValidationError({"hours": [_("Open at least one day of the week.")]})
    return clean


@transaction.atomic
def business_hours_set(*, actor, hours: dict) -> list[BusinessDay]:
    """Replace the tenant's week of business hours. Locks the tenant's rows (the first
    save of two admins at once must not insert the same weekday twice: the tenant's row
    is locked first)."""
    from core.models import Tenant

    clean = business_hours_clean(hours)
    Tenant.objects.select_for_update().filter(pk=current_tenant().pk).first()
    old = {d.weekday: (d.opens, d.closes)
           for d in BusinessDay.objects.select_for_update().order_by("weekday")}
    if old == clean:
        return list(BusinessDay.objects.order_by("weekday"))
    BusinessDay.objects.all().delete()
    tenant = current_tenant()
    rows = BusinessDay.objects.bulk_create(
        [BusinessDay(tenant=tenant, weekday=wd, opens=o, closes=c)
         for wd, (o, c) in sorted(clean.items())])
    changes = {}
    for weekday in Weekday.values:
        before, after = _hours_text(old.get(weekday)), _hours_text(clean.get(weekday))
        if before != after:
            changes[str(Weekday(weekday).label)] = [before, after]
    action_log(actor=actor, kind="businesshours.update",
               message=N_("Helpdesk business hours changed"), changes=changes)
    return rows


def _hours_text(span) -> str:
    if span is None:
        return "—"
    opens, closes = span
    end = "24:00" if closes >= MIDNIGHT_ISH else closes.strftime("%H:%M")
    return f"{opens.strftime('%H:%M')}–{end}"


# ----------------------------------------------------------------------- days off

def holiday_clean(*, date, name: str, closed: bool, holiday: Holiday | None = None) -> dict:
    """A day off (``closed``) or a worked public holiday, checked; ValidationError by
    field."""
    if date is None:
        raise ValidationError({"date": [_("Give the date.")]})
    if not (YEAR_MIN <= date.year <= YEAR_MAX):
        raise ValidationError({"date": [_("Give a date between %(min)s and %(max)s.")
                                        % {"min": YEAR_MIN, "max": YEAR_MAX}]})
    name = " ".join((name or "").split())
    calendar = calendar_get()
    public = calendar.is_public_holiday(date)
    if not name and public:
        name = dict(calendar.public_holidays(date.year)).get(date, "")
    errors: dict[str, list] = {}
    if not name:
        errors["name"] = [_("Give the day a name.")]
    elif len(name) > HOLIDAY_NAME_MAX:
        errors["name"] = [_("The name is longer than %(n)s characters.")
                          % {"n": HOLIDAY_NAME_MAX}]
    if closed and public:
        errors["date"] = [_("%(date)s is a public holiday: it is a day off already.")
                          % {"date": formats.date_format(date, "SHORT_DATE_FORMAT")}]
    if not closed and not public:
        errors["closed"] = [_("%(date)s is not a public holiday: only a public holiday can "
                              "be made a working day.")
                            % {"date": formats.date_format(date, "SHORT_DATE_FORMAT")}]
    if (Holiday.objects.filter(date=date).exclude(pk=getattr(holiday, "pk", None))
            .exists()):
        errors["date"] = [_duplicate_day(date)]
    if errors:
        raise ValidationError(errors)
    return {"date": date, "name": name, "closed": bool(closed)}


def _duplicate_day(date) -> str:
    return _("%(date)s is on the list already.") % {
        "date": formats.date_format(date, "SHORT_DATE_FORMAT")}


def _holiday_save(holiday: Holiday) -> None:
    try:
        with transaction.atomic():
            holiday.save()
    except IntegrityError:  # the same date added by someone else meanwhile
        raise ValidationError({"date": [_duplicate_day(holiday.date)]}) from None


@transaction.atomic
def holiday_create(*, actor, date, name: str = "", closed: bool = True) -> Holiday:
    """A tenant's own day off, or (``closed`` off) a public holiday it works on."""
    holiday = Holiday(**holiday_clean(date=date, name=name, closed=closed))
    _holiday_save(holiday)
    action_log(actor=actor, kind="holiday.create",
               message=(N_("Day off %(date)s (%(name)s) added") if holiday.closed
                        else N_("Working day on the public holiday %(date)s (%(name)s) added")),
               params={"date": holiday.date, "name": holiday.name})
    return holiday


@transaction.atomic
def holiday_update(*, actor, holiday: Holiday, date=None, name: str | None = None,
                   closed: bool | None = None) -> Holiday:
    """Change a day off; a value left None stays. Locks the row."""
    holiday = Holiday.objects.select_for_update().get(pk=holiday.pk)
    before = {"date": holiday.date, "name": holiday.name, "closed": holiday.closed}
    data = holiday_clean(date=holiday.date if date is None else date,
                         name=holiday.name if name is None else name,
                         closed=holiday.closed if closed is None else closed, holiday=holiday)
    changes = {k: [str(before[k]) if k == "date" else before[k],
                   str(v) if k == "date" else v]
               for k, v in data.items() if before[k] != v}
    if not changes:
        return holiday
    for key, value in data.items():
        setattr(holiday, key, value)
    _holiday_save(holiday)
    action_log(actor=actor, kind="holiday.update",
               message=N_("Day off %(date)s (%(name)s) changed"),
               params={"date": holiday.date, "name": holiday.name}, changes=changes)
    return holiday


@transaction.atomic
def holiday_delete(*, actor, holiday: Holiday) -> None:
    holiday = Holiday.objects.select_for_update().get(pk=holiday.pk)
    action_log(actor=actor, kind="holiday.delete",
               message=N_("Day off %(date)s (%(name)s) removed"),
               params={"date": holiday.date, "name": holiday.name})
    holiday.delete()


# ----------------------------------------------------------------------- SLA targets

def sla_target_clean(*, case_type, priority, first_response_minutes,
                     resolution_minutes, target: SlaTarget | None = None) -> dict:
    """Minutes are business minutes, 1 to a year's worth; resolution not before the first
    response. ValidationError by field."""
    errors: dict[str, list] = {}
    if case_type is None or not CaseType.objects.filter(pk=case_type.pk).exists():
        errors["case_type"] = [_("Choose a case type.")]
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        priority = None
    if priority not in Priority.values:
        errors["priority"] = [_("Choose a priority.")]
    minutes = {}
    for key, value in (("first_response_minutes", first_response_minutes),
                       ("resolution_minutes", resolution_minutes)):
        try:
            number = int(value)
            if number != value and str(number) != str(value).strip():
                raise ValueError
        except (TypeError, ValueError):
            errors[key] = [_("Enter a whole number of minutes.")]
            continue
        if not (1 <= number <= MINUTES_MAX):
            errors[key] = [_("Enter between 1 and %(max)s minutes.") % {"max": MINUTES_MAX}]
            continue
        minutes[key] = number
    if (len(minutes) == 2
            and minutes["resolution_minutes"] < minutes["first_response_minutes"]):
        errors["resolution_minutes"] = [_("The resolution cannot be due before the first "
                                          "response.")]
    if not errors and (SlaTarget.objects.filter(case_type=case_type, priority=priority)
                       .exclude(pk=getattr(target, "pk", None)).exists()):
        errors["priority"] = [_duplicate_target(case_type, priority)]
    if errors:
        raise ValidationError(errors)
    return {"case_type": case_type, "priority": priority, **minutes}


def _duplicate_target(case_type, priority) -> str:
    return (_("“%(type)s” has a target for the priority %(priority)s already; change that "
              "one.") % {"type": case_type.name, "priority": Priority(priority).label})


def _target_save(target: SlaTarget) -> None:
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise ValidationError({"priority": [_duplicate_target(target.case_type,
                                                              target.priority)]}) from None


SLA_FIELDS = ("sla_first_response_due", "sla_resolution_due", "sla_paused_at",
              "sla_paused_seconds", "sla_breached", "sla_breached_at")


def open_cases_recompute(*, case_type_id: int, priority, target: Target | None,
                         now=None) -> int:
    """The open cases of a type and priority measured against its new target (or none):
    their deadlines move with the target from the moment each case was opened, paused time
    still excluded; a breach already flagged stays. Returns how many changed. Chunks of
    500 rows, one UPDATE per chunk."""
    now = now or timezone.now()
    calendar = calendar_get()
    changed_total = 0
    cases = (Case.objects.filter(case_type_id=case_type_id, priority=priority,
                                 status__in=OPEN_STATUSES).order_by("pk"))
    last = 0
    while True:
        chunk = list(cases.filter(pk__gt=last)[:500])
        if not chunk:
            return changed_total
        last = chunk[-1].pk
        changed = [c for c in chunk
                   if case_sla_refresh(c, now=now, target=target, calendar=calendar)]
        Case.objects.bulk_update(changed, SLA_FIELDS)
        changed_total += len(changed)


def _target_of(target: SlaTarget | None) -> Target | None:
    return Target(target.first_response_minutes, target.resolution_minutes) if target else None


@transaction.atomic
def sla_target_create(*, actor, case_type, priority, first_response_minutes,
                      resolution_minutes) -> SlaTarget:
    """A target for one case type and priority; the open cases of that type and priority
    are measured against it from now on (``open_cases_recompute``)."""
    target = SlaTarget(**sla_target_clean(
        case_type=case_type, priority=priority, first_response_minutes=first_response_minutes,
        resolution_minutes=resolution_minutes))
    _target_save(target)
    open_cases_recompute(case_type_id=target.case_type_id, priority=target.priority,
                         target=_target_of(target))
    action_log(actor=actor, kind="slatarget.create",
               message=N_("SLA target of “%(type)s”, priority %(priority)s: first response "
                          "%(first)s min, resolution %(resolution)s min"),
               params={"type": target.case_type.name,
                       "priority": Priority(target.priority).label,
                       "first": target.first_response_minutes,
                       "resolution": target.resolution_minutes})
    return target


@transaction.atomic
def sla_target_update(*, actor, target: SlaTarget, first_response_minutes=None,
                      resolution_minutes=None) -> SlaTarget:
    """Change a target's minutes (its type and priority stay); the open cases' deadlines
    follow (``open_cases_recompute``). Locks the row."""
    target = SlaTarget.objects.select_for_update().select_related("case_type").get(
        pk=target.pk)
    before = {"first_response_minutes": target.first_response_minutes,
              "resolution_minutes": target.resolution_minutes}
    data = sla_target_clean(
        case_type=target.case_type, priority=target.priority,
        first_response_minutes=(target.first_response_minutes
                                if first_response_minutes is None else first_response_minutes),
        resolution_minutes=(target.resolution_minutes
                            if resolution_minutes is None else resolution_minutes),
        target=target)
    changes = {k: [before[k], data[k]] for k in before if before[k] != data[k]}
    if not changes:
        return target
    target.first_response_minutes = data["first_response_minutes"]
    target.resolution_minutes = data["resolution_minutes"]
    _target_save(target)
    open_cases_recompute(case_type_id=target.case_type_id, priority=target.priority,
                         target=_target_of(target))
    action_log(actor=actor, kind="slatarget.update",
               message=N_("SLA target of “%(type)s”, priority %(priority)s changed"),
               params={"type": target.case_type.name,
                       "priority": Priority(target.priority).label}, changes=changes)
    return target


@transaction.atomic
def sla_target_delete(*, actor, target: SlaTarget) -> None:
    target = SlaTarget.objects.select_for_update().select_related("case_type").get(
        pk=target.pk)
    action_log(actor=actor, kind="slatarget.delete",
               message=N_("SLA target of “%(type)s”, priority %(priority)s removed"),
               params={"type": target.case_type.name,
                       "priority": Priority(target.priority).label})
    case_type_id, priority = target.case_type_id, target.priority
    target.delete()
    # without a target the open cases have no deadlines (a breach flagged stays)
    open_cases_recompute(case_type_id=case_type_id, priority=priority, target=None)


# ----------------------------------------------------------------------- escalation

# Statuses the beat job looks at: the clock runs (waiting is paused, finished stopped).
RUNNING_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS)


def escalation_candidates(*, now) -> list[int]:
    """Ids of the tenant's running cases past a due moment and not yet escalated (the
    refresh may have flagged a breach already; the job still journals and escalates it)."""
    return list(
        Case.objects.filter(status__in=RUNNING_STATUSES, escalated_at__isnull=True)
        .filter(Q(sla_breached=True)
                | Q(first_response_at__isnull=True, sla_first_response_due__lte=now)
                | Q(sla_resolution_due__lte=now))
        .order_by("pk").values_list("pk", flat=True))


def _escalation_queue() -> Queue | None:
    from core.tenant_settings import setting_get

    name = (setting_get("helpdesk.escalation_queue") or "").strip()
    if not name:
        return None
    return Queue.objects.filter(name__iexact=name, is_active=True).first()


def sla_escalate_tenant(*, now=None, batch: int = 200) -> int:
    """Flag and escalate the active tenant's cases past a due moment; returns how many.

    Each case in its own short transaction, locked ``FOR UPDATE SKIP LOCKED``: a second
    worker running at the same moment skips the rows the first holds, and a row it gets
    after the first committed no longer qualifies (``escalated_at`` is set), so nothing is
    flagged or journaled twice. A case a person is changing right now is skipped this
    minute and taken the next."""
    now = now or timezone.now()
    ids = escalation_candidates(now=now)
    if not ids:
        return 0
    calendar = calendar_get()
    targets = {(ct, p): Target(f, r) for ct, p, f, r in SlaTarget.objects.values_list(
        "case_type_id", "priority", "first_response_minutes", "resolution_minutes")}
    queue = _escalation_queue()
    done = 0
    for start in range(0, len(ids), batch):
        for pk in ids[start:start + batch]:
            with transaction.atomic():
                case = (Case.objects.select_related("customer", "queue")
                        .select_for_update(skip_locked=True, of=("self",))
                        .filter(pk=pk, status__in=RUNNING_STATUSES,
                                escalated_at__isnull=True).first())
                if case is None:
                    continue
                if _escalate(case, now=now, calendar=calendar, targets=targets,
                             queue=queue):
                    done += 1
    return done


def _escalate(case: Case, *, now, calendar, targets, queue) -> bool:
    was_flagged = case.sla_breached
    case_sla_refresh(case, now=now, calendar=calendar,
                     target=targets.get((case.case_type_id, case.priority)))
    if not case.sla_breached:
        # The deadlines moved (a pause ended, the target changed): not late after all.
        case.save(update_fields=["sla_first_response_due", "sla_resolution_due",
                                 "sla_paused_at", "sla_paused_seconds", "updated_at"])
        return False
    journal = []
    if not was_flagged or not CaseJournal.objects.filter(
            case=case, kind=JournalKind.SLA_BREACHED).exists():
        journal.append(CaseJournal(tenant_id=case.tenant_id, case=case,
                                   kind=JournalKind.SLA_BREACHED, created_at=now,
                                   data={"breached_at": case.sla_breached_at.isoformat(),
                                         "first_response_due": _iso(case.sla_first_response_due),
                                         "resolution_due": _iso(case.sla_resolution_due)}))
    before = {"priority": case.priority, "queue_id": case.queue_id,
              "owner_id": case.owner_id}
    queue_before = case.queue.name
    case.priority = min(case.priority + 1, Priority.URGENT)
    case.escalated_at = now
    if queue is not None and queue.pk != case.queue_id:
        case.queue = queue
        case.owner_id = None
    # The new priority's target (deadlines count from the creation again).
    case_sla_refresh(case, now=now, calendar=calendar,
                     target=targets.get((case.case_type_id, case.priority)))
    after = {"priority": case.priority, "queue_id": case.queue_id, "owner_id": case.owner_id}
    journal.append(CaseJournal(tenant_id=case.tenant_id, case=case,
                               kind=JournalKind.ESCALATED, created_at=now,
                               data={k: [before[k], after[k]] for k in before
                                     if before[k] != after[k]}))
    case.save(update_fields=["priority", "queue", "owner", "escalated_at", "sla_breached",
                             "sla_breached_at", "sla_first_response_due",
                             "sla_resolution_due", "sla_paused_at", "sla_paused_seconds",
                             "updated_at"])
    CaseJournal.objects.bulk_create(journal)
    params = {"number": case.number, "at": case.sla_breached_at}
    action_log(actor=None, kind="case.sla_breached", customer=case.customer,
               message=N_("Case #%(number)s: SLA deadline %(at)s passed"), params=params)
    changes = {"priority": [before["priority"], after["priority"]]}
    if before["queue_id"] != after["queue_id"]:
        changes["queue"] = [queue_before, case.queue.name]
    action_log(actor=None, kind="case.escalate", customer=case.customer,
               message=N_("Case #%(number)s escalated"), params={"number": case.number},
               changes=changes)
    publish("case.changed", case_id=case.pk, number=case.number, status=case.status,
            queue_id=case.queue_id, owner_id=case.owner_id)
    return True


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def sla_escalate_all(*, now=None) -> int:
    """Every tenant's cases past their deadlines (the beat job); returns how many."""
    from core.models import Tenant

    total = 0
    for tenant in Tenant.objects.order_by("pk"):
        with tenant_context(tenant):
            total += sla_escalate_tenant(now=now)
    return total


__all__ = ["OPEN_STATUSES", "business_hours_set", "holiday_create", "holiday_update",
           "holiday_delete", "sla_target_create", "sla_target_update", "sla_target_delete",
           "sla_escalate_tenant", "sla_escalate_all"]
