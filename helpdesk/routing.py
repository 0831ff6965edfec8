"""Routing: which rule applies to a contact, and applying its decision.

Owned by the routing part. The decision itself is one pure function, ``decide(rules,
topic_path, segment, moment)``, over rows already in memory; ``route_decide`` loads the
tenant's active rules and the caller's segment once and calls it (the TOK save, the
preview fragment and the API all go through it). ``route_apply`` records the decision on
the interaction and, for a case, creates it through the cases part's service.

Evaluation order: the topic's own rule, then its ancestors' own rules (nearest first),
then the tenant's ordered list (position, id). The first rule whose conditions all hold
wins; none → handle on the first line.

Time windows come from ``helpdesk.business_time``: "business" = inside the tenant's hours
on an open day; "weekend" = a day off (weekend, public holiday, tenant's day off);
"outside" = any moment not in business hours, so an "outside business hours" rule also
matches weekends and holidays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CustomerKindMatch, RoutingAction, TimeMatch, VipMatch


class Window:
    """The time window a moment falls in (see the module docstring)."""

    BUSINESS = "business"
    OUTSIDE = "outside"
    WEEKEND = "weekend"


@dataclass(frozen=True)
class Decision:
    # The effective action: "queue_or_case" is resolved to "queue" or "case" by the window.
    action: str = RoutingAction.HANDLE
    rule_id: int | None = None
    queue_id: int | None = None
    extension: str = ""
    case_type_id: int | None = None
    case_queue_id: int | None = None
    # For the operator: why this rule, e.g. "Sales, outside business hours: case of type
    # Fault in queue Second line".
    explanation: str = ""
    # The rule's own action as configured, the window of the moment, names for display.
    rule_action: str = ""
    rule_name: str = ""
    window: str = ""
    queue_name: str = ""
    case_type_name: str = ""
    case_queue_name: str = ""

    @property
    def creates_case(self) -> bool:
        return self.action == RoutingAction.CASE or (
            self.action == RoutingAction.QUEUE_OR_CASE and self.window != Window.BUSINESS)

    @property
    def target(self) -> str:
        """What ``Interaction.routing_target`` records (without the case number)."""
        if self.action == RoutingAction.QUEUE:
            text = _("queue %(queue)s") % {"queue": self.queue_name}
            if self.extension:
                text += " " + _("(extension %(extension)s)") % {"extension": self.extension}
            return text
        if self.action == RoutingAction.EXTENSION:
            return _("extension %(extension)s") % {"extension": self.extension}
        if self.creates_case:
            return _("case of type %(type)s in queue %(queue)s") % {
                "type": self.case_type_name, "queue": self.case_queue_name}
        return _("first line")


@dataclass(frozen=True)
class Segment:
    """Who is calling, as far as the rules ask: ``kind`` "person"/"company" or None for
    a zero client (not in the database), the customer's group ids, and the values of
    the attribute types rules use as VIP markers (attribute type id → value)."""

    kind: str | None = None
    group_ids: frozenset[int] = frozenset()
    attributes: dict[int, str] = field(default_factory=dict)

    @property
    def is_zero(self) -> bool:
        return self.kind is None


def attribute_is_true(value: str | None) -> bool:
    """A VIP marker holds when the attribute has a true, non-empty value: not empty,
    not "0"/"false"/"no"/"nie", not a number equal to zero."""
    text = (value or "").strip().lower()
    if text in ("", "false", "no", "nie", "n", "off", "f"):
        return False
    try:
        return Decimal(text) != 0
    except (InvalidOperation, ValueError):
        return True


def window_of(calendar, at) -> str:
    if calendar.is_day_off(timezone.localtime(at, calendar.tz).date()):
        return Window.WEEKEND
    return Window.BUSINESS if calendar.is_business_time(at) else Window.OUTSIDE


def _window_label(window: str) -> str:
    return {Window.BUSINESS: _("in business hours"),
            Window.OUTSIDE: _("outside business hours"),
            Window.WEEKEND: _("weekend or holiday")}.get(window, "")


def _time_matches(rule_time: str, window: str) -> bool:
    if rule_time == TimeMatch.BUSINESS:
        return window == Window.BUSINESS
    if rule_time == TimeMatch.OUTSIDE:
        return window != Window.BUSINESS
    if rule_time == TimeMatch.WEEKEND:
        return window == Window.WEEKEND
    return True


def _segment_matches(rule, segment: Segment) -> bool:
    kind = rule.customer_kind
    if kind == CustomerKindMatch.ZERO and not segment.is_zero:
        return False
    if kind in (CustomerKindMatch.PERSON, CustomerKindMatch.COMPANY) and segment.kind != kind:
        return False
    if rule.customer_group_id is not None and rule.customer_group_id not in segment.group_ids:
        return False
    if rule.vip in (VipMatch.YES, VipMatch.NO):
        is_vip = attribute_is_true(segment.attributes.get(rule.vip_attribute_id))
        if is_vip != (rule.vip == VipMatch.YES):
            return False
    return True


def _topic_matches(rule, topic_path: str) -> bool:
    # Paths end with "/", so "12/5/" never matches inside "12/57/".
    return rule.topic_id is None or topic_path.startswith(rule.topic.path)


def _name(obj) -> str:
    return str(obj) if obj is not None else ""


def decision_from_rule(rule, window: str) -> Decision:
    """The decision ``rule`` takes in ``window`` (its conditions are not checked here)."""
    action = rule.action
    if action == RoutingAction.QUEUE_OR_CASE:
        action = RoutingAction.QUEUE if window == Window.BUSINESS else RoutingAction.CASE
    values = {"action": action, "rule_id": rule.pk, "rule_action": rule.action,
              "rule_name": rule.name, "window": window}
    if action == RoutingAction.QUEUE:
        queue = rule.target_queue
        values.update(queue_id=rule.target_queue_id, queue_name=_name(queue),
                      extension=getattr(queue, "extension", "") or "")
    elif action == RoutingAction.EXTENSION:
        values.update(extension=rule.extension)
    elif action == RoutingAction.CASE:
        values.update(case_type_id=rule.case_type_id, case_type_name=_name(rule.case_type),
                      case_queue_id=rule.case_queue_id, case_queue_name=_name(rule.case_queue))
    decision = Decision(**values)
    return Decision(**{**values, "explanation": _explain(decision)})


def _explain(decision: Decision) -> str:
    if decision.action == RoutingAction.HANDLE:
        what = _("handle on the first line")
    elif decision.action in (RoutingAction.QUEUE, RoutingAction.EXTENSION):
        what = _("transfer to %(target)s") % {"target": decision.target}
    else:
        what = decision.target
    if decision.rule_id is None:
        return _("No routing rule applies: %(what)s.") % {"what": what}
    return _("%(rule)s, %(window)s: %(what)s.") % {
        "rule": decision.rule_name, "window": _window_label(decision.window), "what": what}


def decide(rules: Sequence, topic_path: str, segment: Segment, moment: str, *,
           topic_rule_ids: Iterable[int] = ()) -> Decision:
    """The routing decision — the one rule, called by every path.

    ``rules``: the tenant's active rules in order (with ``topic``, ``target_queue``,
    ``case_type``, ``case_queue`` loaded); ``topic_path``: the chosen topic's path;
    ``segment``: the caller; ``moment``: a ``Window`` value; ``topic_rule_ids``: the
    topic's own rule and then its ancestors' own rules, nearest first. Those are tried
    first (their segment and time conditions still apply; their topic is implied); an
    id not among ``rules`` (inactive) is skipped.
    """
    by_id = {rule.pk: rule for rule in rules}
    for rule_id in topic_rule_ids:
        rule = by_id.get(rule_id)
        if rule is not None and rule.is_active and _segment_matches(rule, segment) \
                and _time_matches(rule.time, moment):
            return decision_from_rule(rule, moment)
    for rule in rules:
        if rule.is_active and _topic_matches(rule, topic_path) \
                and _segment_matches(rule, segment) and _time_matches(rule.time, moment):
            return decision_from_rule(rule, moment)
    decision = Decision(window=moment)
    return Decision(window=moment, explanation=_explain(decision))


def rules_active_load() -> list:
    """The active tenant's active rules in evaluation order (one query)."""
    from .models import RoutingRule

    return list(RoutingRule.objects.filter(is_active=True)
                .select_related("topic", "target_queue", "case_type", "case_queue")
                .order_by("position", "id"))


def segment_load(customer, rules: Sequence) -> Segment:
    """The caller's segment, asking only what the rules use (0–2 queries)."""
    if customer is None:
        return Segment()
    group_ids: frozenset[int] = frozenset()
    attributes: dict[int, str] = {}
    if any(rule.customer_group_id for rule in rules):
        from customers.models import GroupMembership

        group_ids = frozenset(GroupMembership.objects.filter(customer=customer)
                              .values_list("group_id", flat=True))
    vip_types = {rule.vip_attribute_id for rule in rules
                 if rule.vip_attribute_id and rule.vip != VipMatch.ANY}
    if vip_types:
        from customers.models import AttributeValue

        attributes = dict(AttributeValue.objects
                          .filter(customer=customer, attribute_type_id__in=vip_types)
                          .values_list("attribute_type_id", "value"))
    return Segment(kind=customer.kind, group_ids=group_ids, attributes=attributes)


def topic_rule_ids_load(topic) -> list[int]:
    """The topic's own rule, then its ancestors' own rules, nearest first (0–1 query)."""
    from .models import Topic

    ids = [topic.routing_rule_id] if topic.routing_rule_id else []
    ancestors = [int(part) for part in topic.path.split("/") if part][:-1]
    if ancestors:
        own = dict(Topic.objects.filter(pk__in=ancestors, routing_rule__isnull=False)
                   .values_list("pk", "routing_rule_id"))
        ids += [own[pk] for pk in reversed(ancestors) if pk in own]
    return ids


def route_decide(*, topic, customer, at=None, calendar=None) -> Decision:
    """The first matching rule's decision (the topic's own rule first); handle on the
    first line when none matches. Queries: the rules (1), the topic's ancestors' rules
    (0–1), the business calendar (2), the customer's groups and VIP attributes (0–2)."""
    from .business_time import calendar_get

    at = at or timezone.now()
    rules = rules_active_load()
    calendar = calendar or calendar_get()
    window = window_of(calendar, at)
    if not rules:
        return decide(rules, topic.path, Segment(), window)
    return decide(rules, topic.path, segment_load(customer, rules), window,
                  topic_rule_ids=topic_rule_ids_load(topic))


def route_apply(*, interaction, decision: Decision, actor):
    """Record ``decision`` on ``interaction`` (routing rule, action, target; saved here)
    and carry it out: for a case, ``case_create`` in the rule's queue. Returns the case
    created, or None. Runs inside the caller's (the TOK service's) transaction; the
    interaction must already be saved."""
    from .models import CaseSource, CaseType, Queue
    from .services.cases import case_create

    case = None
    target = decision.target
    if decision.creates_case:
        case_type = CaseType.objects.get(pk=decision.case_type_id)
        queue = Queue.objects.get(pk=decision.case_queue_id)
        topic = interaction.topic
        zero = interaction.customer_id is None
        case = case_create(
            actor=actor, case_type=case_type, queue=queue, title=topic.name[:200],
            description=interaction.text, topic=topic, customer=interaction.customer,
            contact_name=interaction.caller_name if zero else "",
            contact_phone=interaction.number if zero else "",
            source=CaseSource.ROUTING, interaction=interaction)
        target = _("case #%(number)s (%(type)s) in queue %(queue)s") % {
            "number": case.number, "type": case_type.name, "queue": queue.name}
    interaction.routing_rule_id = decision.rule_id
    interaction.routing_action = (RoutingAction.CASE if decision.creates_case
                                  else decision.action)
    interaction.routing_target = target[:200]
    interaction.save(update_fields=["routing_rule", "routing_action", "routing_target"])
    return case
