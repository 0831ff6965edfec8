"""Call-centre reports: queue load, SLA compliance, interactions per topic per day and
average handling times, for one period of the active tenant.

The period is whole local days (Europe/Warsaw by default), ``date_from`` and ``date_to``
both included: it runs from midnight starting ``date_from`` (inclusive) to midnight
ending ``date_to`` (exclusive), so a case created at 23:59:59 on ``date_to`` counts and
one at 00:00 the next day does not. A day that changes the clocks (DST) is still one day.

Every figure is aggregated in the database (one ``GROUP BY`` per table, each a single
pass over the period's rows through the ``(tenant, created_at)`` indexes); Python only
turns the grouped rows into tables. Names of topics, queues, types and agents come from
the joins of the grouped query or one small query over the ids found.

Definitions, as the page states them:

* Queue load, per the case's current queue: *created* in the period; *resolved* in the
  period (``resolved_at`` within it); *open at the end* — created before the end and
  neither resolved nor closed before it (a case reopened later counts as open from its
  first resolution: only the last resolution moment is kept on the case).
* SLA compliance, per queue and case type: the cases resolved in the period that had a
  resolution target; *met* when resolved at or before the due moment (which the SLA part
  moves by the time spent waiting for the customer), *breached* after it.
* Interactions per topic per day: by the topic recorded on the interaction and the local
  day it was saved.
* Handling time: the interactions' ``duration_seconds`` (answered → ended for a call,
  card opened → saved otherwise) of the period, per topic and per agent; the cases
  created in the period, time to first response and to resolution in wall-clock time.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import Case, Interaction, Topic

DEFAULT_DAYS = 30
# A longer period is refused: the daily table would have more columns than anyone reads.
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date

    @property
    def start(self) -> datetime:
        return _local_midnight(self.date_from)

    @property
    def end(self) -> datetime:
        """The first moment after the period (exclusive)."""
        return _local_midnight(self.date_to + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [self.date_from + timedelta(days=n)
                for n in range((self.date_to - self.date_from).days + 1)]


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def period_default(today: date | None = None) -> Period:
    """The last 30 days, today included."""
    today = today or timezone.localdate()
    return Period(date_from=today - timedelta(days=DEFAULT_DAYS - 1), date_to=today)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _seconds(value) -> float | None:
    """An interval from the database (a ``timedelta``) as seconds."""
    return None if value is None else round(value.total_seconds(), 1)


# --------------------------------------------------------------------------- queue load

@dataclass
class QueueLoadRow:
    queue_id: int | None
    queue: str
    created: int
    resolved: int
    open_at_end: int


def queue_load(period: Period) -> list[QueueLoadRow]:
    """Per queue: created, resolved and open at the end of the period, and a total row
    last (``queue_id`` None). Queries: one grouped query over the cases created before
    the end."""
    start, end = period.start, period.end
    rows = (Case.objects.filter(created_at__lt=end)
            .values("queue_id", "queue__name", "queue__position")
            .annotate(created=Count("id", filter=Q(created_at__gte=start)),
                      resolved=Count("id", filter=Q(resolved_at__gte=start,
                                                    resolved_at__lt=end)),
                      open_at_end=Count("id", filter=(
                          (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
                          & (Q(closed_at__isnull=True) | Q(closed_at__gte=end)))))
            .order_by("queue__position", "queue__name"))
    table = [QueueLoadRow(queue_id=row["queue_id"], queue=row["queue__name"],
                          created=row["created"], resolved=row["resolved"],
                          open_at_end=row["open_at_end"])
             for row in rows
             if row["created"] or row["resolved"] or row["open_at_end"]]
    return table


def queue_load_total(rows: list[QueueLoadRow]) -> QueueLoadRow:
    return QueueLoadRow(queue_id=None, queue="", created=sum(r.created for r in rows),
                        resolved=sum(r.resolved for r in rows),
                        open_at_end=sum(r.open_at_end for r in rows))


# --------------------------------------------------------------------------- SLA

@dataclass
class SlaRow:
    queue: str
    case_type: str
    resolved: int
    met: int
    breached: int

    @property
    def percent(self) -> float | None:
        """Share of the cases with a target that met it."""
        return _percent(self.met, self.met + self.breached)

    @property
    def without_target(self) -> int:
        return self.resolved - self.met - self.breached


def sla_compliance(period: Period) -> list[SlaRow]:
    """Per queue and case type: the cases resolved in the period, those that met their
    resolution target and those that breached it. Queries: one grouped query."""
    due = F("sla_resolution_due")
    rows = (Case.objects.filter(resolved_at__gte=period.start, resolved_at__lt=period.end)
            .values("queue__name", "queue__position", "case_type__name",
                    "case_type__position")
            .annotate(resolved=Count("id"),
                      met=Count("id", filter=Q(sla_resolution_due__isnull=False,
                                               resolved_at__lte=due)),
                      breached=Count("id", filter=Q(sla_resolution_due__isnull=False,
                                                    resolved_at__gt=due)))
            .order_by("queue__position", "queue__name", "case_type__position",
                      "case_type__name"))
    return [SlaRow(queue=row["queue__name"], case_type=row["case_type__name"],
                   resolved=row["resolved"], met=row["met"], breached=row["breached"])
            for row in rows]


def sla_total(rows: list[SlaRow]) -> SlaRow:
    return SlaRow(queue="", case_type="", resolved=sum(r.resolved for r in rows),
                  met=sum(r.met for r in rows), breached=sum(r.breached for r in rows))


# --------------------------------------------------------------------------- per topic per day

@dataclass
class TopicDailyRow:
    topic_id: int
    topic: str
    counts: list[int]  # one per day of the period

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class TopicDaily:
    days: list[date]
    rows: list[TopicDailyRow] = field(default_factory=list)

    @property
    def day_totals(self) -> list[int]:
        return [sum(row.counts[n] for row in self.rows) for n in range(len(self.days))]

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)


def _topic_names(ids) -> dict[int, str]:
    """Each topic as "reason › topic › detail" (the tree is small: one query for the
    topics and their ancestors, found from ``path``)."""
    topics = {t.pk: t for t in Topic.objects.filter(pk__in=ids).only("name", "path")}
    ancestor_ids = {int(part) for t in topics.values() for part in t.path.split("/") if part}
    names = dict(Topic.objects.filter(pk__in=ancestor_ids - set(topics))
                 .values_list("pk", "name"))
    names.update({pk: t.name for pk, t in topics.items()})
    return {pk: " › ".join(names.get(int(part), "?") for part in t.path.split("/") if part)
            or t.name for pk, t in topics.items()}


def interactions_per_topic_day(period: Period) -> TopicDaily:
    """Interactions of each topic on each local day of the period; topics with most
    interactions first. Queries: the grouped interactions, the topics and their
    ancestors (three)."""
    days = period.days
    rows = (Interaction.objects.filter(created_at__gte=period.start,
                                       created_at__lt=period.end)
            .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
            .values("topic_id", "day").annotate(n=Count("id")).order_by())
    index = {day: n for n, day in enumerate(days)}
    by_topic: dict[int, list[int]] = {}
    for row in rows:
        counts = by_topic.setdefault(row["topic_id"], [0] * len(days))
        counts[index[row["day"]]] += row["n"]
    names = _topic_names(by_topic) if by_topic else {}
    table = [TopicDailyRow(topic_id=pk, topic=names.get(pk, "?"), counts=counts)
             for pk, counts in by_topic.items()]
    table.sort(key=lambda r: (-r.total, r.topic))
    return TopicDaily(days=days, rows=table)


# --------------------------------------------------------------------------- handling time

@dataclass
class HandlingRow:
    key: int | None
    name: str
    interactions: int
    timed: int
    total_seconds: int

    @property
    def average_seconds(self) -> float | None:
        return round(self.total_seconds / self.timed, 1) if self.timed else None


def _handling(period: Period, group: str, name_of) -> list[HandlingRow]:
    rows = (Interaction.objects.filter(created_at__gte=period.start,
                                       created_at__lt=period.end)
            .values(group)
            .annotate(n=Count("id"), timed=Count("duration_seconds"),
                      seconds=Sum("duration_seconds"))
            .order_by())
    table = [HandlingRow(key=row[group], name="", interactions=row["n"], timed=row["timed"],
                         total_seconds=row["seconds"] or 0) for row in rows]
    names = name_of({row.key for row in table if row.key is not None})
    for row in table:
        row.name = names.get(row.key, "") if row.key is not None else ""
    table.sort(key=lambda r: (-r.interactions, r.name))
    return table


def handling_per_topic(period: Period) -> list[HandlingRow]:
    """Interactions, timed interactions and average duration per topic. Queries: the
    grouped interactions, the topics and their ancestors (three)."""
    return _handling(period, "topic_id", lambda ids: _topic_names(ids) if ids else {})


def handling_per_agent(period: Period) -> list[HandlingRow]:
    """The same per agent (an interaction without one: "no agent"). Queries: the grouped
    interactions, the agents (two)."""
    from django.contrib.auth import get_user_model

    def names(ids):
        if not ids:
            return {}
        return {user.pk: user.get_full_name() or user.get_username()
                for user in get_user_model().objects.filter(pk__in=ids)
                .only("username", "first_name", "last_name")}

    return _handling(period, "agent_id", names)


def handling_total(rows: list[HandlingRow]) -> HandlingRow:
    return HandlingRow(key=None, name="", interactions=sum(r.interactions for r in rows),
                       timed=sum(r.timed for r in rows),
                       total_seconds=sum(r.total_seconds for r in rows))


@dataclass
class CaseTimesRow:
    case_type: str
    created: int
    responded: int
    first_response_seconds: float | None
    resolved: int
    resolution_seconds: float | None


_INTERVAL = {"output_field": DurationField()}


def case_times(period: Period) -> list[CaseTimesRow]:
    """Per case type, of the cases created in the period: how many, how many got a first
    response and the average time to it, how many were resolved and the average time to
    resolution; a total row last (``case_type`` ""). Queries: one grouped query and one
    aggregate for the total (averages do not add up)."""
    qs = Case.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    figures = {
        "created": Count("id"),
        "responded": Count("first_response_at"),
        "first_response": Avg(ExpressionWrapper(F("first_response_at") - F("created_at"),
                                                **_INTERVAL)),
        "resolved": Count("resolved_at"),
        "resolution": Avg(ExpressionWrapper(F("resolved_at") - F("created_at"),
                                            **_INTERVAL)),
    }
    rows = (qs.values("case_type__name", "case_type__position").annotate(**figures)
            .order_by("case_type__position", "case_type__name"))
    table = [CaseTimesRow(case_type=row["case_type__name"], created=row["created"],
                          responded=row["responded"],
                          first_response_seconds=_seconds(row["first_response"]),
                          resolved=row["resolved"],
                          resolution_seconds=_seconds(row["resolution"]))
             for row in rows]
    if table:
        total = qs.aggregate(**figures)
        table.append(CaseTimesRow(case_type="", created=total["created"],
                                  responded=total["responded"],
                                  first_response_seconds=_seconds(total["first_response"]),
                                  resolved=total["resolved"],
                                  resolution_seconds=_seconds(total["resolution"])))
    return table
