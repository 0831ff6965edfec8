"""Routing: which rule applies to a contact, and applying its decision.

Owned by the routing part. ``route_decide`` is a pure function of the rules, the topic,
the caller and the moment; the TOK service calls it and then ``route_apply`` when an
interaction is saved.
"""

from dataclasses import dataclass

from .models import RoutingAction


@dataclass(frozen=True)
class Decision:
    action: str = RoutingAction.HANDLE
    rule_id: int | None = None
    queue_id: int | None = None
    extension: str = ""
    case_type_id: int | None = None
    case_queue_id: int | None = None
    # For the operator: why this rule, e.g. "Sales: outside business hours → case".
    explanation: str = ""


def route_decide(*, topic, customer, at) -> Decision:
    """The first matching rule's decision (the topic's own rule first); handle on the
    first line when none matches."""
    return Decision()


def route_apply(*, interaction, decision: Decision, actor):
    """Record ``decision`` on ``interaction`` and carry it out (e.g. create a case);
    returns the case created, if any. Runs inside the TOK service's transaction."""
    return None
