"""Fixtures of the routing part's tests: a topic tree (Sales → Offer → Fibre, and a
sibling Faults → No internet), queues, case types, and callers of every segment."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from customers.services import (
    attribute_set,
    attribute_type_create,
    customer_create,
    customer_group_add,
    group_create,
)
from helpdesk.services.tok import topic_create
from helpdesk.tests.factories import case_type_make, queue_make


def routing_moment(year, month, day, hour, minute=0) -> dt.datetime:
    """A moment on the tenant's wall clock (Europe/Warsaw)."""
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


ROUTING_MOMENTS = {
    "mon10": (2026, 3, 2, 10),       # a Monday in business hours (8–16 by default)
    "mon20": (2026, 3, 2, 20),       # the same Monday evening
    "sat": (2026, 3, 7, 11),         # a Saturday
    "may1": (2026, 5, 1, 10),        # Labour Day, a Friday
    "nov11": (2026, 11, 11, 10),     # Independence Day, a Wednesday
    "dayoff": (2026, 3, 4, 10),      # a Wednesday the tenant closes (its own day off)
}


@pytest.fixture
def routing_world(in_tenant, staff):
    """Everything a rule can point at, by short names."""
    from helpdesk.models import Holiday

    sales_q = queue_make("Sales", extension="204")
    second_q = queue_make("Second line")
    old_q = queue_make("Old queue", is_active=False)
    fault_t = case_type_make("Fault", default_queue=second_q)
    lead_t = case_type_make("Lead", default_queue=sales_q)
    old_t = case_type_make("Old type", is_active=False)
    sales = topic_create(actor=staff, name="Sales")
    offer = topic_create(actor=staff, name="Offer", parent=sales)
    fibre = topic_create(actor=staff, name="Fibre", parent=offer)
    faults = topic_create(actor=staff, name="Faults")
    no_internet = topic_create(actor=staff, name="No internet", parent=faults)
    business = group_create(actor=staff, name="Business park")
    vip_attr = attribute_type_create(actor=staff, name="VIP", value_type="text")
    person = customer_create(actor=staff, first_name="Jan", last_name="Kowalski")
    company = customer_create(actor=staff, kind="company", company_name="Firma Sp. z o.o.",
                              nip="5260250274")
    member = customer_create(actor=staff, first_name="Ewa", last_name="Grupowa")
    customer_group_add(actor=staff, customer=member, group=business)
    vip = customer_create(actor=staff, first_name="Adam", last_name="Ważny")
    attribute_set(actor=staff, customer=vip, attribute_type=vip_attr, value="tak")
    not_vip = customer_create(actor=staff, first_name="Olga", last_name="Zwykła")
    attribute_set(actor=staff, customer=not_vip, attribute_type=vip_attr, value="0")
    Holiday.objects.create(date=dt.date(2026, 3, 4), name="Inwentaryzacja", closed=True)
    return SimpleNamespace(
        queues={"sales": sales_q, "second": second_q, "old": old_q},
        types={"fault": fault_t, "lead": lead_t, "old": old_t},
        topics={"sales": sales, "offer": offer, "fibre": fibre, "faults": faults,
                "no_internet": no_internet},
        group=business, vip_attr=vip_attr,
        callers={"person": person, "company": company, "member": member, "vip": vip,
                 "not_vip": not_vip, "zero": None},
    )


@pytest.fixture
def routing_rule_make(routing_world, staff):
    """Create a rule through the service from short names: ``topic="sales"``,
    ``target_queue="sales"``, ``case_type="fault"``, ``customer_group=True``,
    ``vip_attribute=True``."""
    from helpdesk.services.routing import routing_rule_create

    def make(**spec):
        w = routing_world
        fields = dict(spec)
        for key, table in (("topic", w.topics), ("target_queue", w.queues),
                           ("case_queue", w.queues), ("case_type", w.types)):
            if isinstance(fields.get(key), str):
                fields[key] = table[fields[key]]
        if fields.get("customer_group") is True:
            fields["customer_group"] = w.group
        if fields.get("vip_attribute") is True:
            fields["vip_attribute"] = w.vip_attr
        fields.setdefault("name", spec.get("action", "rule"))
        return routing_rule_create(actor=staff, **fields)

    return make
