"""Reads of the TOK part: the topic tree, scripts, interaction lists (tenant-wide and the
card's), their exports and call recordings with their signed play links."""

import datetime
from dataclasses import dataclass

from django.core import signing
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.paging import SlicePage
from core.tenancy import current_tenant
from helpdesk.models import CallRecording, Case, Interaction, Topic, TopicScript

PER_PAGE = 50
CARD_PER_PAGE = 20
# The XLSX export is built in memory: a bigger export is a CSV (streamed).
XLSX_MAX_ROWS = 50_000
RECORDING_LINK_SECONDS = 10 * 60
_RECORDING_SALT = "helpdesk.recording.play"


# --------------------------------------------------------------------------- topics

def topic_tree(*, active_only: bool = False) -> list[Topic]:
    """Every topic of the tenant in tree order (a parent, then its children by position),
    each with ``depth`` (0 for a reason). One query."""
    topics = Topic.objects.select_related("suggested_case_type", "routing_rule") \
        if not active_only else Topic.objects.filter(is_active=True)
    children: dict[int | None, list[Topic]] = {}
    for topic in topics.order_by("position", "name", "pk"):
        children.setdefault(topic.parent_id, []).append(topic)
    ordered: list[Topic] = []

    def walk(parent_id, depth):
        for topic in children.get(parent_id, ()):
            topic.depth = depth
            ordered.append(topic)
            walk(topic.pk, depth + 1)

    walk(None, 0)
    return ordered


def topic_choices(*, include: Topic | None = None) -> list[tuple[str, str]]:
    """The active topics as an indented tree for a ``<select>`` (a retired one is not
    offered; ``include`` keeps one that was already chosen)."""
    tree = topic_tree(active_only=True)
    choices = [(str(t.pk), "\u2003" * t.depth + t.name) for t in tree]
    if include is not None and not include.is_active:
        choices.append((str(include.pk), include.name))
    return choices


def topic_get(pk) -> Topic:
    return Topic.objects.select_related("parent").get(pk=pk)


def topic_subtree_ids(topic: Topic) -> list[int]:
    """The topic and every topic under it (retired too: history is filtered by them)."""
    return list(Topic.objects.filter(path__startswith=topic.path).values_list("pk", flat=True))


def topic_script_current(topic: Topic) -> TopicScript | None:
    return topic.scripts.order_by("-version").first()


def topic_script_list(topic: Topic) -> list[TopicScript]:
    return list(topic.scripts.select_related("created_by").order_by("-version"))


def _reasons() -> dict[int, str]:
    """Names of the level-1 topics (the "reason" of every topic under them). One query."""
    return dict(Topic.objects.filter(level=1).values_list("pk", "name"))


def reason_id(topic: Topic) -> int | None:
    head = topic.path.split("/", 1)[0]
    return int(head) if head.isdigit() else None


# --------------------------------------------------------------------------- interactions

@dataclass(frozen=True)
class InteractionFilter:
    topic: Topic | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    channel: str = ""
    agent_id: int | None = None
    queue_id: int | None = None
    zero_only: bool = False
    customer_id: int | None = None


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def interaction_list(filters: InteractionFilter = InteractionFilter()) -> QuerySet:
    """Interactions of the tenant matching ``filters``, newest first, with what a row shows
    joined. A topic filter takes its whole subtree (``topic_id IN``: the index on
    (tenant, topic, created_at) serves each); a period is local days, both included."""
    # The customer's search text is long and never shown here.
    rows = Interaction.objects.select_related("customer", "topic", "agent", "queue") \
        .defer("customer__search_text")
    if filters.topic is not None:
        ids = topic_subtree_ids(filters.topic)
        rows = rows.filter(topic_id__in=ids) if len(ids) > 1 else rows.filter(topic_id=ids[0])
    if filters.date_from:
        rows = rows.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        rows = rows.filter(created_at__lt=_day_start(filters.date_to
                                                     + datetime.timedelta(days=1)))
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.agent_id:
        rows = rows.filter(agent_id=filters.agent_id)
    if filters.queue_id:
        rows = rows.filter(queue_id=filters.queue_id)
    if filters.zero_only:
        rows = rows.filter(customer__isnull=True)
    if filters.customer_id:
        rows = rows.filter(customer_id=filters.customer_id)
    return rows.order_by("-created_at", "-id")


def _with_reasons(rows: list[Interaction], reasons: dict[int, str]) -> list[Interaction]:
    for row in rows:
        row.reason = reasons.get(reason_id(row.topic), "")
    return rows


def interaction_page(filters: InteractionFilter = InteractionFilter(), *, page: int = 1,
                     per_page: int = PER_PAGE) -> SlicePage:
    """One page of ``interaction_list`` read as per_page + 1 rows (no COUNT over a million
    rows). Queries: the topic subtree (when filtered by topic), the page, the reasons."""
    page = max(1, page)
    offset = (page - 1) * per_page
    rows = list(interaction_list(filters)[offset:offset + per_page + 1])
    shown = _with_reasons(rows[:per_page], _reasons() if rows else {})
    return SlicePage(rows=shown, number=page, has_next=len(rows) > per_page)


def customer_interaction_page(*, customer, topic: Topic | None = None, date_from=None,
                              date_to=None, page: int = 1,
                              per_page: int = CARD_PER_PAGE) -> SlicePage:
    """The card's TOK history: the customer's interactions newest first with the cases
    they created. Queries: the subtree (with a topic), the page, its cases, the reasons."""
    page = max(1, page)
    offset = (page - 1) * per_page
    rows = list(interaction_list(InteractionFilter(topic=topic, date_from=date_from,
                                                   date_to=date_to, customer_id=customer.pk))
                .prefetch_related(Prefetch("cases", queryset=Case.objects.only(
                    "id", "number", "status", "interaction_id").order_by("number")))
                [offset:offset + per_page + 1])
    shown = _with_reasons(rows[:per_page], _reasons() if rows else {})
    return SlicePage(rows=shown, number=page, has_next=len(rows) > per_page)


def interaction_get(pk) -> Interaction:
    return Interaction.objects.select_related(
        "customer", "topic", "agent", "queue", "script", "routing_rule", "attached_by") \
        .prefetch_related(Prefetch("cases", queryset=Case.objects.only(
            "id", "number", "title", "status", "interaction_id").order_by("number"))) \
        .get(pk=pk)


def interaction_columns() -> list[str]:
    return [_("Date"), _("Direction"), _("Channel"), _("Number"), _("Customer number"),
            _("Customer or caller"), _("Queue"), _("Office / region"), _("Reason"),
            _("Topic"), _("Agent"), _("Duration (s)"), _("Text")]


def _agent_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def interaction_export_row(row: Interaction) -> list:
    customer = row.customer
    return [timezone.localtime(row.created_at).replace(tzinfo=None, microsecond=0),
            row.get_direction_display(), row.get_channel_display(), row.number,
            customer.number if customer else "",
            customer.display_name if customer else row.caller_name,
            row.queue.name if row.queue else "", row.office, row.reason, row.topic.name,
            _agent_name(row.agent), row.duration_seconds, row.text]


def interaction_export_rows(filters: InteractionFilter, *, limit: int | None = None):
    """The export's rows (no header), read in chunks of 2,000 by a server-side cursor."""
    reasons = _reasons()
    rows = interaction_list(filters)
    if limit is not None:
        rows = rows[:limit]
    for row in rows.iterator(chunk_size=2000):
        row.reason = reasons.get(reason_id(row.topic), "")
        yield interaction_export_row(row)


# --------------------------------------------------------------------------- recordings

def recording_token(recording: CallRecording) -> str:
    """A token naming the recording and its tenant, valid ``RECORDING_LINK_SECONDS``."""
    return signing.TimestampSigner(salt=_RECORDING_SALT).sign(
        f"{recording.tenant_id}.{recording.pk}")


def recording_play_url(recording: CallRecording) -> str:
    from urllib.parse import urlencode

    return f"{reverse('helpdesk:recording_play')}?{urlencode({'t': recording_token(recording)})}"


class RecordingLinkInvalid(Exception):
    """A forged or expired link."""


def recording_from_token(token: str) -> CallRecording | None:
    """The active tenant's recording the token names; None when it names another tenant's
    or one that is gone. Raises ``RecordingLinkInvalid`` for a forged or expired token."""
    try:
        value = signing.TimestampSigner(salt=_RECORDING_SALT).unsign(
            token, max_age=RECORDING_LINK_SECONDS)
    except signing.BadSignature as e:  # SignatureExpired is one too
        raise RecordingLinkInvalid(str(e)) from None
    tenant_id, _sep, pk = value.partition(".")
    if tenant_id != str(current_tenant().pk) or not pk.isdigit():
        return None
    return CallRecording.objects.filter(pk=int(pk)).first()


def customer_recording_page(*, customer, page: int = 1, per_page: int = CARD_PER_PAGE) -> SlicePage:
    """The customer's recorded calls, newest first, each with ``play_url``. One query."""
    page = max(1, page)
    offset = (page - 1) * per_page
    rows = list(CallRecording.objects.filter(customer=customer)
                .order_by("-started_at", "-id")[offset:offset + per_page + 1])
    for row in rows:
        row.play_url = recording_play_url(row)
    return SlicePage(rows=rows[:per_page], number=page, has_next=len(rows) > per_page)
