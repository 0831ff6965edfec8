"""Tenant A's routing rule for the isolation walk (tests/test_tenant_isolation.py)."""

from helpdesk.services.routing import routing_rule_create
from helpdesk.tests.factories import case_type_make, queue_make


def build(objects: dict, *, tenant, staff, customer) -> None:
    queue = queue_make("KolejkaRoutinguAlfa")
    case_type = case_type_make("TypRoutinguAlfa", default_queue=queue)
    objects["routingrule"] = routing_rule_create(
        actor=staff, name="RegulaAlfa", action="queue_or_case", target_queue=queue,
        case_type=case_type, case_queue=queue, time="any")
