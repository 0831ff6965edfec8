"""Routing rules: validated, stored clean, ordered, moved, reordered, deactivated."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.models import ActionLog
from core.tenancy import tenant_context
from helpdesk.models import RoutingRule
from helpdesk.services.routing import (
    routing_rule_move,
    routing_rule_update,
    routing_rules_reorder,
)


def _errors(excinfo) -> dict:
    return excinfo.value.message_dict


@pytest.mark.parametrize("spec, field", [
    (dict(action="case", case_type="fault"), "case_queue"),
    (dict(action="case", case_queue="second"), "case_type"),
    (dict(action="case", case_type="old", case_queue="second"), "case_type"),
    (dict(action="case", case_type="fault", case_queue="old"), "case_queue"),
    (dict(action="queue"), "target_queue"),
    (dict(action="queue", target_queue="old"), "target_queue"),
    (dict(action="queue_or_case", case_type="fault", case_queue="second"), "target_queue"),
    (dict(action="queue_or_case", target_queue="sales"), "case_type"),
    (dict(action="extension"), "extension"),
    (dict(action="extension", extension="20a"), "extension"),
    (dict(action="extension", extension="1" * 21), "extension"),
    (dict(action="extension", extension="'; DROP"), "extension"),
    (dict(action="handle", vip="yes"), "vip_attribute"),
    (dict(action="handle", vip="no"), "vip_attribute"),
    (dict(action="handle", customer_kind="zero", customer_group=True), "customer_group"),
    (dict(action="handle", customer_kind="zero", vip="yes", vip_attribute=True), "vip"),
    (dict(action="teleport"), "action"),
    (dict(action="handle", time="midnight"), "time"),
    (dict(action="handle", name="   "), "name"),
    (dict(action="handle", name="x" * 101), "name"),
])
def test_rule_is_refused_with_the_field_named(routing_rule_make, spec, field):
    with pytest.raises(ValidationError) as excinfo:
        routing_rule_make(**spec)
    assert field in _errors(excinfo)
    assert not RoutingRule.objects.exists()


def test_a_retired_topic_is_refused(routing_world, routing_rule_make, staff):
    from helpdesk.services.tok import topic_retire

    topic_retire(actor=staff, topic=routing_world.topics["faults"])
    routing_world.topics["no_internet"].refresh_from_db()  # retired with its parent
    with pytest.raises(ValidationError) as excinfo:
        routing_rule_make(action="handle", topic="no_internet")
    assert "topic" in _errors(excinfo)


def test_another_tenants_queue_is_refused(routing_rule_make, other_tenant, staff):
    from helpdesk.tests.factories import queue_make

    with tenant_context(other_tenant):
        foreign = queue_make("Obca")
    with pytest.raises(ValidationError) as excinfo:
        routing_rule_make(action="queue", target_queue=foreign)
    assert "target_queue" in _errors(excinfo)


def test_rule_is_stored_clean_of_what_its_action_does_not_use(routing_world,
                                                              routing_rule_make, staff):
    rule = routing_rule_make(name="  Sprzedaż   po \t godzinach ", action="extension",
                             extension=" 204 ", target_queue="sales", case_type="fault",
                             case_queue="second", vip_attribute=True)
    assert rule.name == "Sprzedaż po godzinach"
    assert (rule.extension, rule.target_queue, rule.case_type, rule.case_queue,
            rule.vip_attribute) == ("204", None, None, None, None)
    rule = routing_rule_update(actor=staff, rule=rule, action="queue",
                               target_queue=routing_world.queues["sales"])
    rule.refresh_from_db()
    assert (rule.action, rule.extension, rule.target_queue_id) == (
        "queue", "", routing_world.queues["sales"].pk)
    entry = ActionLog.objects.filter(kind="routingrule.update").get()
    assert set(entry.changes) == {"action", "target_queue", "extension"}


def test_text_with_quotes_and_markup_is_kept_as_written(routing_rule_make):
    name = "<script>x</script> %{a} \\ 'q' \"d\""
    assert routing_rule_make(name=name, action="handle").name == name


def test_new_rules_go_to_the_end_and_move_swaps_neighbours(routing_rule_make, staff):
    a, b, c = (routing_rule_make(name=n, action="handle") for n in "abc")
    assert [r.position for r in (a, b, c)] == [1, 2, 3]
    routing_rule_move(actor=staff, rule=c, direction="up")
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["a", "c", "b"]
    routing_rule_move(actor=staff, rule=a, direction="up")  # already first: nothing
    routing_rule_move(actor=staff, rule=b, direction="down")  # already last: nothing
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["a", "c", "b"]
    with pytest.raises(ValidationError):
        routing_rule_move(actor=staff, rule=a, direction="sideways")


def test_reorder_needs_every_rule_once(routing_rule_make, staff):
    a, b, c = (routing_rule_make(name=n, action="handle") for n in "abc")
    for ids in ([a.pk, b.pk], [a.pk, b.pk, c.pk, c.pk], [a.pk, b.pk, 999999], []):
        with pytest.raises(ValidationError):
            routing_rules_reorder(actor=staff, rule_ids=ids)
    routing_rules_reorder(actor=staff, rule_ids=[c.pk, a.pk, b.pk])
    assert list(RoutingRule.objects.values_list("name", "position")) == [
        ("c", 1), ("a", 2), ("b", 3)]


@pytest.mark.django_db(transaction=True)
def test_two_rules_added_at_once_get_distinct_places(tenant, staff):
    from helpdesk.services.routing import routing_rule_create

    barrier = threading.Barrier(2)
    errors = []

    def add(name):
        try:
            with tenant_context(tenant):
                barrier.wait()
                routing_rule_create(actor=staff, name=name, action="handle")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(n,)) for n in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with tenant_context(tenant):
        assert sorted(RoutingRule.objects.values_list("position", flat=True)) == [1, 2]
