"""Fixtures of the SLA part's tests: a case type with targets and a way to make cases
(rows, until the cases part's services are the subject)."""

import datetime as dt
import itertools
import zoneinfo

import pytest

WAW = zoneinfo.ZoneInfo("Europe/Warsaw")
_numbers = itertools.count(1)


def sla_case_make(*, case_type, queue, created_at, priority=2, status="new", **extra):
    """A case row as the cases part stores it (number, queue, created moment)."""
    from helpdesk.models import Case

    return Case.objects.create(number=next(_numbers) + 1000 * (created_at.year % 7),
                               case_type=case_type, queue=queue, title="Brak internetu",
                               priority=priority, status=status, created_at=created_at,
                               **extra)


@pytest.fixture
def sla_setup(in_tenant):
    """A case type "Awaria" with targets (normal: 60 / 480 min, high: 30 / 240 min) and
    a first-line queue."""
    from helpdesk.models import SlaTarget
    from helpdesk.tests.factories import case_type_make, queue_make

    queue = queue_make("Pierwsza linia")
    case_type = case_type_make("Awaria", default_queue=queue)
    SlaTarget.objects.create(case_type=case_type, priority=2, first_response_minutes=60,
                             resolution_minutes=480)
    SlaTarget.objects.create(case_type=case_type, priority=3, first_response_minutes=30,
                             resolution_minutes=240)
    return {"queue": queue, "case_type": case_type}


def waw(y, m, d, h=0, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=WAW)
