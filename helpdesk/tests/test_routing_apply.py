"""Applying a decision when an interaction is saved: recorded on the interaction, and a
case created by the cases part's service for a case decision."""

import pytest
from django.utils import translation

from helpdesk.models import Case, CaseSource, Interaction
from helpdesk.routing import route_apply, route_decide
from helpdesk.services.tok import interaction_create
from helpdesk.tests.fixtures_routing import routing_moment

QOC = dict(action="queue_or_case", target_queue="sales", case_type="lead",
           case_queue="second")


def test_zero_client_outside_hours_gets_a_case_with_their_name_and_phone(
        routing_world, routing_rule_make, staff):
    rule = routing_rule_make(name="Sales", topic="sales", **QOC)
    with translation.override("en"):
        interaction, case = interaction_create(
            actor=staff, topic=routing_world.topics["fibre"],
            text="Chcę światłowód, 'proszę' \"szybko\" %{x} \\ <script>alert(1)</script>",
            caller_name="Zofia Nowa", number="+48 601 000 111",
            now=routing_moment(2026, 3, 2, 20))
    assert case is not None
    assert case.source == CaseSource.ROUTING
    assert case.case_type == routing_world.types["lead"]
    assert case.queue == routing_world.queues["second"]
    assert case.title == "Fibre" and case.topic == routing_world.topics["fibre"]
    assert case.description == interaction.text
    assert (case.contact_name, case.contact_phone) == ("Zofia Nowa", "+48 601 000 111")
    assert case.customer is None and case.interaction == interaction
    interaction.refresh_from_db()
    assert interaction.routing_rule == rule
    assert interaction.routing_action == "case"
    assert interaction.routing_target == f"case #{case.number} (Lead) in queue Second line"


def test_customer_in_business_hours_is_transferred_and_no_case_is_made(
        routing_world, routing_rule_make, staff):
    rule = routing_rule_make(name="Sales", topic="sales", **QOC)
    with translation.override("en"):
        interaction, case = interaction_create(
            actor=staff, topic=routing_world.topics["offer"], text="",
            customer=routing_world.callers["person"], now=routing_moment(2026, 3, 2, 10))
    assert case is None
    assert not Case.objects.exists()
    interaction.refresh_from_db()
    assert (interaction.routing_rule, interaction.routing_action) == (rule, "queue")
    assert interaction.routing_target == "queue Sales (extension 204)"


def test_case_for_a_customer_has_no_contact_copy(routing_world, routing_rule_make, staff):
    routing_rule_make(name="Faults", action="case", case_type="fault", case_queue="second")
    customer = routing_world.callers["company"]
    _interaction, case = interaction_create(actor=staff, topic=routing_world.topics["faults"],
                                            text="Nie działa", customer=customer,
                                            number="601000111",
                                            now=routing_moment(2026, 3, 7, 11))
    assert case.customer == customer and case.contact_phone == "" and case.contact_name == ""


@pytest.mark.parametrize("spec, action, target", [
    ({}, "handle", "first line"),
    (dict(action="extension", extension="31"), "extension", "extension 31"),
    (dict(action="handle"), "handle", "first line"),
])
def test_decisions_without_a_case_are_recorded(routing_world, routing_rule_make, staff, spec,
                                               action, target):
    rule = routing_rule_make(name="R", **spec) if spec else None
    with translation.override("en"):
        interaction, case = interaction_create(
            actor=staff, topic=routing_world.topics["fibre"], text="x",
            customer=routing_world.callers["person"], now=routing_moment(2026, 3, 2, 10))
    interaction.refresh_from_db()
    assert case is None
    assert interaction.routing_rule == rule
    assert (interaction.routing_action, interaction.routing_target) == (action, target)


def test_route_apply_on_its_own_returns_the_case(routing_world, routing_rule_make, staff):
    routing_rule_make(name="Night", time="outside", action="case", case_type="fault",
                      case_queue="second")
    topic = routing_world.topics["no_internet"]
    at = routing_moment(2026, 11, 11, 10)
    interaction = Interaction.objects.create(topic=topic, caller_name="Ktoś", text="t",
                                             created_at=at)
    decision = route_decide(topic=topic, customer=None, at=at)
    case = route_apply(interaction=interaction, decision=decision, actor=staff)
    assert Case.objects.get() == case
    assert case.title == "No internet"


def test_a_retired_case_type_after_the_decision_refuses_the_save(routing_world,
                                                                 routing_rule_make, staff):
    """A case type switched off between the rule and the call: the cases part refuses, and
    the TOK save fails as a whole (no interaction without its case)."""
    from django.core.exceptions import ValidationError

    routing_rule_make(name="C", action="case", case_type="fault", case_queue="second")
    fault = routing_world.types["fault"]
    fault.is_active = False
    fault.save(update_fields=["is_active"])
    with pytest.raises(ValidationError):
        interaction_create(actor=staff, topic=routing_world.topics["fibre"], text="x",
                           caller_name="Ktoś", now=routing_moment(2026, 3, 2, 10))
    assert not Interaction.objects.exists()
