"""Every write to routing rules (the routing part): create, change, deactivate, reorder.

A rule is stored clean: the fields its action does not use are emptied, so what the
list shows is what routing does. The tenant's order is ``position``; moves and reorders
lock all the tenant's rules (primary-key order) so two administrators moving rules at
once never leave two rules on one position.
"""

import re

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, diff_fields
from core.tenancy import current_tenant

from ..models import CustomerKindMatch, RoutingAction, RoutingRule, TimeMatch, VipMatch

NAME_MAX = RoutingRule._meta.get_field("name").max_length
EXTENSION_RE = re.compile(r"^[0-9]{1,20}$")
EDITABLE = ("name", "is_active", "topic", "customer_group", "customer_kind", "vip_attribute",
            "vip", "time", "action", "target_queue", "extension", "case_type", "case_queue")
# Which targets each action uses; the others are emptied.
USES = {
    RoutingAction.HANDLE: (),
    RoutingAction.QUEUE: ("target_queue",),
    RoutingAction.EXTENSION: ("extension",),
    RoutingAction.CASE: ("case_type", "case_queue"),
    RoutingAction.QUEUE_OR_CASE: ("target_queue", "case_type", "case_queue"),
}


def _own(obj, field: str, errors: dict) -> None:
    # Forms and serializers only offer the tenant's rows; a caller passing another
    # tenant's object is refused here as well.
    if obj is not None and obj.tenant_id != current_tenant().pk:
        errors.setdefault(field, []).append(_("Choose one of your own."))


def routing_rule_clean(*, name: str, action: str, topic=None, customer_group=None,
                       customer_kind: str = CustomerKindMatch.ANY, vip_attribute=None,
                       vip: str = VipMatch.ANY, time: str = TimeMatch.ANY,
                       target_queue=None, extension: str = "", case_type=None,
                       case_queue=None, is_active: bool = True) -> dict:
    """The rule's fields as stored, checked: the one rule for the pages and the API.
    Raises ``ValidationError`` by field."""
    errors: dict[str, list] = {}
    name = " ".join((name or "").split())
    extension = (extension or "").strip()
    if not name:
        errors["name"] = [_("Give the rule a name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("The name is longer than %(n)s characters.") % {"n": NAME_MAX}]
    for field, value, choices in (("action", action, RoutingAction),
                                  ("customer_kind", customer_kind, CustomerKindMatch),
                                  ("vip", vip, VipMatch), ("time", time, TimeMatch)):
        if value not in choices.values:
            errors[field] = [_("Choose one of the offered values.")]
    for field, obj in (("topic", topic), ("customer_group", customer_group),
                       ("vip_attribute", vip_attribute), ("target_queue", target_queue),
                       ("case_type", case_type), ("case_queue", case_queue)):
        _own(obj, field, errors)
    if errors:
        raise ValidationError(errors)

    uses = USES[action]
    if "target_queue" in uses:
        if target_queue is None:
            errors["target_queue"] = [_("Choose the queue to transfer to.")]
        elif not target_queue.is_active:
            errors["target_queue"] = [_("The queue “%(name)s” is inactive.")
                                      % {"name": target_queue.name}]
    if "extension" in uses and not EXTENSION_RE.match(extension):
        errors["extension"] = [_("Give the extension as digits only (at most 20).")]
    if "case_type" in uses:
        if case_type is None:
            errors["case_type"] = [_("Choose the type of the case to create.")]
        elif not case_type.is_active:
            errors["case_type"] = [_("The case type “%(name)s” is inactive.")
                                   % {"name": case_type.name}]
        if case_queue is None:
            errors["case_queue"] = [_("Choose the queue the case goes to.")]
        elif not case_queue.is_active:
            errors["case_queue"] = [_("The queue “%(name)s” is inactive.")
                                    % {"name": case_queue.name}]
    if vip != VipMatch.ANY and vip_attribute is None:
        errors["vip_attribute"] = [_("Choose the attribute that marks a VIP customer.")]
    if customer_kind == CustomerKindMatch.ZERO:
        if customer_group is not None:
            errors["customer_group"] = [_("A caller not in the database belongs to no "
                                          "group.")]
        if vip == VipMatch.YES:
            errors["vip"] = [_("A caller not in the database is never a VIP.")]
    if topic is not None and not topic.is_active:
        errors["topic"] = [_("The topic “%(name)s” is retired.") % {"name": topic.name}]
    if errors:
        raise ValidationError(errors)
    return {
        "name": name, "is_active": bool(is_active), "topic": topic,
        "customer_group": customer_group, "customer_kind": customer_kind,
        "vip": vip, "vip_attribute": vip_attribute if vip != VipMatch.ANY else None,
        "time": time, "action": action,
        "target_queue": target_queue if "target_queue" in uses else None,
        "extension": extension if "extension" in uses else "",
        "case_type": case_type if "case_type" in uses else None,
        "case_queue": case_queue if "case_queue" in uses else None,
    }


# The advisory lock's class: "routing rules of tenant N" (the second key is the tenant).
ADVISORY_LOCK_CLASS = 0x52_54  # "RT"


def _lock_all() -> list[RoutingRule]:
    """All the tenant's rules, locked in primary-key order, returned in evaluation order.

    A tenant without rules has no row to lock, so the order itself is guarded by a
    transaction-scoped advisory lock per tenant: two first rules added at once must not
    both take position 1."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                           [ADVISORY_LOCK_CLASS, current_tenant().pk])
    rules = list(RoutingRule.objects.select_for_update().order_by("pk"))
    return sorted(rules, key=lambda rule: (rule.position, rule.pk))


@transaction.atomic
def routing_rule_create(*, actor, **fields) -> RoutingRule:
    """A new rule at the end of the tenant's list. Locks the tenant's rules (the
    position)."""
    data = routing_rule_clean(**fields)
    _lock_all()
    last = RoutingRule.objects.aggregate(last=Max("position"))["last"] or 0
    rule = RoutingRule.objects.create(position=last + 1, **data)
    action_log(actor=actor, kind="routingrule.create",
               message=N_("Routing rule “%(name)s” created: %(action)s"),
               params={"name": rule.name, "action": RoutingAction(rule.action).label})
    return rule


@transaction.atomic
def routing_rule_update(*, actor, rule: RoutingRule, **fields) -> RoutingRule:
    """Change a rule; a field not given keeps its value. Locks the rule."""
    rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    current = {name: getattr(rule, name) for name in EDITABLE}
    data = routing_rule_clean(**{**current, **fields})
    for name, value in data.items():
        setattr(rule, name, value)
    changes = diff_fields(rule, current, EDITABLE)
    if not changes:
        return rule
    rule.save(update_fields=list(changes))
    action_log(actor=actor, kind="routingrule.update",
               message=N_("Routing rule “%(name)s” changed"), params={"name": rule.name},
               changes=changes)
    return rule


@transaction.atomic
def routing_rule_deactivate(*, actor, rule: RoutingRule) -> RoutingRule:
    """Switch a rule off: it is skipped by routing, and interactions routed by it keep
    naming it. Locks the rule."""
    rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    if not rule.is_active:
        return rule
    rule.is_active = False
    rule.save(update_fields=["is_active"])
    action_log(actor=actor, kind="routingrule.deactivate",
               message=N_("Routing rule “%(name)s” deactivated"), params={"name": rule.name})
    return rule


def _renumber(rules: list[RoutingRule]) -> None:
    changed = []
    for position, rule in enumerate(rules, start=1):
        if rule.position != position:
            rule.position = position
            changed.append(rule)
    RoutingRule.objects.bulk_update(changed, ["position"])


@transaction.atomic
def routing_rule_move(*, actor, rule: RoutingRule, direction: str) -> RoutingRule:
    """Move a rule one place up (earlier, tried first) or down. Locks the tenant's rules."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": [_("Move a rule up or down.")]})
    rules = _lock_all()
    index = next(i for i, other in enumerate(rules) if other.pk == rule.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rules):
        rules[index], rules[other] = rules[other], rules[index]
        _renumber(rules)
        action_log(actor=actor, kind="routingrule.move",
                   message=N_("Routing rule “%(name)s” moved to place %(position)s"),
                   params={"name": rules[other].name, "position": other + 1})
    return next(r for r in rules if r.pk == rule.pk)


@transaction.atomic
def routing_rules_reorder(*, actor, rule_ids: list[int]) -> list[RoutingRule]:
    """Put the tenant's rules in the order of ``rule_ids`` (every rule exactly once).
    Locks the tenant's rules."""
    rules = _lock_all()
    by_id = {rule.pk: rule for rule in rules}
    if len(rule_ids) != len(set(rule_ids)) or set(rule_ids) != set(by_id):
        raise ValidationError({"rule_ids": [_("Give every routing rule exactly once.")]})
    ordered = [by_id[pk] for pk in rule_ids]
    _renumber(ordered)
    action_log(actor=actor, kind="routingrule.reorder",
               message=N_("Routing rules reordered"))
    return ordered
