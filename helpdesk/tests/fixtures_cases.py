"""Fixtures of the cases part's tests: two queues (first and second line), a case type
with mandatory and optional fields, and staff members of the queues."""

import pytest

from conftest import make_staff
from core.roles import Role
from helpdesk.models import FieldKind
from helpdesk.tests.factories import case_type_make, queue_make


@pytest.fixture
def first_line(in_tenant, staff):
    return queue_make("First line", members=[staff])


@pytest.fixture
def second_line_user(tenant):
    return make_staff(tenant, "tomek", Role.TECHNICIAN)


@pytest.fixture
def second_line(in_tenant, second_line_user):
    return queue_make("Second line", members=[second_line_user])


@pytest.fixture
def fault_type(in_tenant, first_line):
    """"Awaria": a mandatory address and phone, an optional choice, date and number."""
    return case_type_make("Fault", default_queue=first_line, fields=[
        ("address", "Address", FieldKind.ADDRESS, True),
        ("phone", "Phone", FieldKind.PHONE, True),
        ("device", "Device", FieldKind.CHOICE, False, ["router", "ONT", "switch"]),
        ("since", "Since", FieldKind.DATE, False),
        ("speed", "Measured speed", FieldKind.NUMBER, False),
    ])


FAULT_DATA = {"address": "Długa 5/3, 00-001 Warszawa", "phone": "601 234 567"}
