"""Fixtures of the scheduler's tests: the tenant's event types (seeded as on first use),
a technician, the customer's installation address, another customer with theirs."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from conftest import make_staff
from core.roles import Role

WARSAW = ZoneInfo("Europe/Warsaw")


def warsaw(*args) -> datetime.datetime:
    """A wall-clock time in Warsaw, aware."""
    return datetime.datetime(*args, tzinfo=WARSAW)


@pytest.fixture
def schedule_types(in_tenant):
    from helpdesk.services.schedule import event_types_seed

    return {t.name: t for t in event_types_seed()}


@pytest.fixture
def visit_type(schedule_types):
    return schedule_types["Wizyta serwisowa"]


@pytest.fixture
def tech(tenant):
    return make_staff(tenant, "tomek", Role.TECHNICIAN)


@pytest.fixture
def home(customer, staff):
    from customers.services import address_add

    return address_add(actor=staff, customer=customer, kind="installation", street="Polna",
                       building_no="5", postal_code="00-950", city="Warszawa")


@pytest.fixture
def neighbour(in_tenant, staff):
    from customers.services import address_add, customer_create

    other = customer_create(actor=staff, first_name="Ewa", last_name="Nowak",
                            status="connected")
    other.home = address_add(actor=staff, customer=other, kind="installation",
                             street="Leśna", building_no="7", postal_code="00-950",
                             city="Warszawa")
    return other
