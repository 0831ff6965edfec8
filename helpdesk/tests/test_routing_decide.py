"""The routing decision, branch by branch: every action, every time window, every
segment, subtree vs sibling, order, inactive rules, the topic's own rule, no match."""

from types import SimpleNamespace

import pytest
from django.utils import translation

from helpdesk.routing import Segment, Window, decide, route_decide
from helpdesk.services.routing import routing_rule_deactivate
from helpdesk.services.tok import topic_update
from helpdesk.tests.fixtures_routing import ROUTING_MOMENTS, routing_moment

Q_SALES = dict(action="queue", target_queue="sales")
CASE_FAULT = dict(action="case", case_type="fault", case_queue="second")
QOC = dict(action="queue_or_case", target_queue="sales", case_type="lead",
           case_queue="sales")

# (id, rules [dicts; "own" = the topic whose own rule it is; "off" = deactivated],
#  topic, caller, moment, expected action, expected deciding rule's name or None)
TABLE = [
    # Every action.
    ("no-rules", [], "fibre", "person", "mon10", "handle", None),
    ("handle", [dict(name="H", action="handle")], "fibre", "person", "mon10", "handle", "H"),
    ("queue", [dict(name="Q", **Q_SALES)], "fibre", "person", "mon10", "queue", "Q"),
    ("extension", [dict(name="E", action="extension", extension="2041")], "fibre", "person",
     "mon10", "extension", "E"),
    ("case", [dict(name="C", **CASE_FAULT)], "fibre", "zero", "mon10", "case", "C"),
    # Transfer in business hours, otherwise a case — in every window.
    ("qoc-mon10", [dict(name="S", **QOC)], "fibre", "zero", "mon10", "queue", "S"),
    ("qoc-mon20", [dict(name="S", **QOC)], "fibre", "zero", "mon20", "case", "S"),
    ("qoc-sat", [dict(name="S", **QOC)], "fibre", "zero", "sat", "case", "S"),
    ("qoc-may1", [dict(name="S", **QOC)], "fibre", "zero", "may1", "case", "S"),
    ("qoc-nov11", [dict(name="S", **QOC)], "fibre", "zero", "nov11", "case", "S"),
    ("qoc-dayoff", [dict(name="S", **QOC)], "fibre", "zero", "dayoff", "case", "S"),
    # Time conditions.
    *[(f"business-{m}", [dict(name="B", time="business", **Q_SALES)], "fibre", "person", m,
       "queue" if m == "mon10" else "handle", "B" if m == "mon10" else None)
      for m in ROUTING_MOMENTS],
    *[(f"outside-{m}", [dict(name="O", time="outside", **Q_SALES)], "fibre", "person", m,
       "handle" if m == "mon10" else "queue", None if m == "mon10" else "O")
      for m in ROUTING_MOMENTS],
    *[(f"weekend-{m}", [dict(name="W", time="weekend", **Q_SALES)], "fibre", "person", m,
       "handle" if m in ("mon10", "mon20") else "queue",
       None if m in ("mon10", "mon20") else "W") for m in ROUTING_MOMENTS],
    # Segments.
    ("group-member", [dict(name="G", customer_group=True, **Q_SALES)], "fibre", "member",
     "mon10", "queue", "G"),
    ("group-other", [dict(name="G", customer_group=True, **Q_SALES)], "fibre", "person",
     "mon10", "handle", None),
    ("group-zero", [dict(name="G", customer_group=True, **Q_SALES)], "fibre", "zero",
     "mon10", "handle", None),
    ("person-person", [dict(name="P", customer_kind="person", **Q_SALES)], "fibre", "person",
     "mon10", "queue", "P"),
    ("person-company", [dict(name="P", customer_kind="person", **Q_SALES)], "fibre",
     "company", "mon10", "handle", None),
    ("person-zero", [dict(name="P", customer_kind="person", **Q_SALES)], "fibre", "zero",
     "mon10", "handle", None),
    ("company-company", [dict(name="F", customer_kind="company", **Q_SALES)], "fibre",
     "company", "mon10", "queue", "F"),
    ("company-person", [dict(name="F", customer_kind="company", **Q_SALES)], "fibre",
     "person", "mon10", "handle", None),
    ("zero-zero", [dict(name="Z", customer_kind="zero", **CASE_FAULT)], "fibre", "zero",
     "mon10", "case", "Z"),
    ("zero-person", [dict(name="Z", customer_kind="zero", **CASE_FAULT)], "fibre", "person",
     "mon10", "handle", None),
    ("vip-yes-vip", [dict(name="V", vip="yes", vip_attribute=True, **Q_SALES)], "fibre",
     "vip", "mon10", "queue", "V"),
    ("vip-yes-zero-value", [dict(name="V", vip="yes", vip_attribute=True, **Q_SALES)],
     "fibre", "not_vip", "mon10", "handle", None),
    ("vip-yes-no-attribute", [dict(name="V", vip="yes", vip_attribute=True, **Q_SALES)],
     "fibre", "person", "mon10", "handle", None),
    ("vip-yes-zero", [dict(name="V", vip="yes", vip_attribute=True, **Q_SALES)], "fibre",
     "zero", "mon10", "handle", None),
    ("vip-no-vip", [dict(name="N", vip="no", vip_attribute=True, **Q_SALES)], "fibre", "vip",
     "mon10", "handle", None),
    ("vip-no-plain", [dict(name="N", vip="no", vip_attribute=True, **Q_SALES)], "fibre",
     "not_vip", "mon10", "queue", "N"),
    ("vip-no-zero", [dict(name="N", vip="no", vip_attribute=True, **Q_SALES)], "fibre",
     "zero", "mon10", "queue", "N"),
    # Topic subtree vs sibling.
    ("subtree-self", [dict(name="T", topic="sales", **Q_SALES)], "sales", "person", "mon10",
     "queue", "T"),
    ("subtree-grandchild", [dict(name="T", topic="sales", **Q_SALES)], "fibre", "person",
     "mon10", "queue", "T"),
    ("subtree-sibling", [dict(name="T", topic="sales", **Q_SALES)], "no_internet", "person",
     "mon10", "handle", None),
    ("subtree-parent-not", [dict(name="T", topic="fibre", **Q_SALES)], "offer", "person",
     "mon10", "handle", None),
    # Order: the first match wins; an inactive rule is skipped.
    ("order", [dict(name="First", **CASE_FAULT), dict(name="Second", **Q_SALES)], "fibre",
     "person", "mon10", "case", "First"),
    ("order-first-no-match", [dict(name="First", time="weekend", **CASE_FAULT),
                              dict(name="Second", **Q_SALES)], "fibre", "person", "mon10",
     "queue", "Second"),
    ("inactive-skipped", [dict(name="Off", off=True, **CASE_FAULT),
                          dict(name="On", **Q_SALES)], "fibre", "person", "mon10", "queue",
     "On"),
    # The topic's own rule first, then its ancestors' own rules, then the list.
    ("own-first", [dict(name="List", **CASE_FAULT), dict(name="Own", own="fibre", **Q_SALES)],
     "fibre", "person", "mon10", "queue", "Own"),
    ("ancestor-own", [dict(name="List", **CASE_FAULT),
                      dict(name="Reason", own="sales", **Q_SALES)],
     "fibre", "person", "mon10", "queue", "Reason"),
    ("own-before-ancestor", [dict(name="Reason", own="sales", **CASE_FAULT),
                             dict(name="Detail", own="fibre", **Q_SALES)],
     "fibre", "person", "mon10", "queue", "Detail"),
    ("own-not-matching", [dict(name="List", **CASE_FAULT),
                          dict(name="Own", own="fibre", time="weekend", **Q_SALES)],
     "fibre", "person", "mon10", "case", "List"),
    ("own-inactive", [dict(name="List", **CASE_FAULT),
                      dict(name="Own", own="fibre", off=True, **Q_SALES)],
     "fibre", "person", "mon10", "case", "List"),
    ("own-of-sibling", [dict(name="Faults", own="faults", topic="faults", **CASE_FAULT)],
     "fibre", "person", "mon10", "handle", None),
    # Nothing matching.
    ("nothing", [dict(name="Z", customer_kind="zero", topic="faults", **CASE_FAULT)],
     "fibre", "person", "mon10", "handle", None),
]


@pytest.mark.parametrize("rules, topic, caller, moment, action, rule_name",
                         [pytest.param(*row[1:], id=row[0]) for row in TABLE])
def test_routing_table(routing_world, routing_rule_make, staff, rules, topic, caller,
                       moment, action, rule_name):
    made = {}
    for spec in rules:
        spec = dict(spec)
        own, off = spec.pop("own", None), spec.pop("off", False)
        rule = routing_rule_make(**spec)
        if own:
            topic_update(actor=staff, topic=routing_world.topics[own], routing_rule=rule)
        if off:
            routing_rule_deactivate(actor=staff, rule=rule)
        made[rule.name] = rule
    chosen = routing_world.topics[topic]
    chosen.refresh_from_db()
    decision = route_decide(topic=chosen, customer=routing_world.callers[caller],
                            at=routing_moment(*ROUTING_MOMENTS[moment]))
    assert decision.action == action
    assert decision.rule_id == (made[rule_name].pk if rule_name else None)
    if action == "queue":
        assert decision.queue_id == routing_world.queues["sales"].pk
        assert decision.extension == "204"  # the queue's extension, for the transfer
    if action == "case":
        assert decision.case_type_id and decision.case_queue_id
        assert decision.creates_case
    assert decision.explanation


def test_explanation_says_rule_window_and_what_happens(routing_world, routing_rule_make):
    routing_rule_make(name="Sales", **QOC)
    with translation.override("en"):
        evening = route_decide(topic=routing_world.topics["offer"], customer=None,
                               at=routing_moment(2026, 3, 2, 20))
        morning = route_decide(topic=routing_world.topics["offer"], customer=None,
                               at=routing_moment(2026, 3, 2, 10))
    assert evening.explanation == ("Sales, outside business hours: case of type Lead in "
                                   "queue Sales.")
    assert morning.explanation == ("Sales, in business hours: transfer to queue Sales "
                                   "(extension 204).")


def test_nothing_matching_says_first_line(routing_world):
    with translation.override("en"):
        decision = route_decide(topic=routing_world.topics["offer"], customer=None,
                                at=routing_moment(2026, 3, 2, 10))
    assert decision.explanation == "No routing rule applies: handle on the first line."


@pytest.mark.parametrize("hour, minute, window", [
    (7, 59, Window.OUTSIDE), (8, 0, Window.BUSINESS), (15, 59, Window.BUSINESS),
    (16, 0, Window.OUTSIDE)])
def test_business_hours_edges_on_the_monday_after_the_clocks_change(
        routing_world, routing_rule_make, hour, minute, window):
    # 29 March 2026 the clocks go forward; 30 March is the first Monday of summer time.
    routing_rule_make(name="Sales", **QOC)
    decision = route_decide(topic=routing_world.topics["sales"], customer=None,
                            at=routing_moment(2026, 3, 30, hour, minute))
    assert decision.window == window


def test_a_working_day_on_a_public_holiday_is_business_time(routing_world,
                                                            routing_rule_make):
    from helpdesk.models import Holiday

    Holiday.objects.create(date=routing_moment(2026, 5, 1, 0).date(), name="Open",
                           closed=False)
    routing_rule_make(name="Sales", **QOC)
    decision = route_decide(topic=routing_world.topics["sales"], customer=None,
                            at=routing_moment(2026, 5, 1, 10))
    assert decision.action == "queue"


def test_decision_is_read_in_few_queries(routing_world, routing_rule_make,
                                         django_assert_num_queries):
    routing_rule_make(name="G", customer_group=True, **Q_SALES)
    routing_rule_make(name="V", vip="yes", vip_attribute=True, **Q_SALES)
    topic = routing_world.topics["fibre"]
    # rules; business days; days off; the customer's groups; VIP attributes; the
    # ancestors' own rules.
    with django_assert_num_queries(6):
        route_decide(topic=topic, customer=routing_world.callers["vip"],
                     at=routing_moment(2026, 3, 2, 10))


def test_no_rules_cost_three_queries(routing_world, django_assert_num_queries):
    # rules (none); business days; days off.
    with django_assert_num_queries(3):
        decision = route_decide(topic=routing_world.topics["fibre"],
                                customer=routing_world.callers["person"],
                                at=routing_moment(2026, 3, 2, 10))
    assert decision.action == "handle"


def _rule(pk, path, **extra):
    values = dict(pk=pk, name=f"r{pk}", is_active=True, topic_id=pk if path else None,
                  topic=SimpleNamespace(path=path) if path else None, customer_group_id=None,
                  customer_kind="any", vip="any", vip_attribute_id=None, time="any",
                  action="extension", extension=str(pk), target_queue_id=None,
                  target_queue=None, case_type_id=None, case_type=None, case_queue_id=None,
                  case_queue=None)
    values.update(extra)
    return SimpleNamespace(**values)


def test_a_topic_whose_id_starts_like_another_is_not_in_its_subtree():
    # "1/" is a prefix of "12/" as text, never as a path: paths end with "/".
    rules = [_rule(1, "1/"), _rule(2, "12/")]
    assert decide(rules, "12/57/", Segment(), Window.BUSINESS).rule_id == 2
    assert decide(rules, "1/57/", Segment(), Window.BUSINESS).rule_id == 1
    assert decide(rules, "123/", Segment(), Window.BUSINESS).rule_id is None


def test_pure_decision_skips_an_own_rule_not_among_the_active_rules():
    rules = [_rule(1, "")]
    decision = decide(rules, "5/", Segment(kind="person"), Window.OUTSIDE,
                      topic_rule_ids=[99, 1])
    assert decision.rule_id == 1 and decision.action == "extension"


@pytest.mark.parametrize("value, vip", [
    ("tak", True), ("1", True), ("2.50", True), ("yes", True), ("", False), ("  ", False),
    ("0", False), ("0.00", False), ("false", False), ("nie", False), ("No", False)])
def test_vip_marker_values(value, vip):
    rule = _rule(1, "", vip="yes", vip_attribute_id=7)
    segment = Segment(kind="person", attributes={7: value})
    assert (decide([rule], "5/", segment, Window.BUSINESS).rule_id == 1) is vip
