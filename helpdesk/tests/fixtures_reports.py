"""Fixtures of the reports part's tests: a small known dataset in March 2026 (a month
with the spring DST change on the 29th), with rows just inside and just outside the
period's boundaries, and a row of another tenant that must never count.

The figures each test expects are worked out by hand in ``test_reports_figures.py``.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from conftest import make_staff
from core.roles import Role
from core.tenancy import tenant_context
from helpdesk.models import Case, CaseStatus, Interaction
from helpdesk.services.cases import case_create
from helpdesk.tests.factories import case_type_make, queue_make, topic_make

WARSAW = ZoneInfo("Europe/Warsaw")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def report_case(staff, case_type, queue, created, *, status=CaseStatus.NEW, **moments):
    """A case created at ``created`` through the cases service, then given the exact
    moments a report reads (what the workflow would have set over weeks)."""
    case = case_create(actor=staff, case_type=case_type, queue=queue,
                       title=f"Sprawa {created:%Y-%m-%d %H:%M}", now=created)
    fields = {"status": status, "first_response_at": None, "resolved_at": None,
              "closed_at": None, "sla_resolution_due": None, **moments}
    Case.objects.filter(pk=case.pk).update(**fields)
    return case


@pytest.fixture
def report_data(in_tenant, staff, tenant, other_tenant, other_staff):
    tomek = make_staff(tenant, "tomek", Role.TECHNICIAN)
    tomek.first_name, tomek.last_name = "Tomasz", "Zieliński"
    tomek.save()
    first = queue_make("First line", position=0)
    second = queue_make("Second line", position=1)
    fault = case_type_make("Fault", default_queue=first)
    billing = case_type_make("Billing", default_queue=first)
    R = CaseStatus.RESOLVED
    cases = {
        # Created before, resolved in the period exactly at its due moment: met.
        "c1": report_case(staff, fault, first, local(2026, 2, 20, 10), status=R,
                          resolved_at=local(2026, 3, 2, 10),
                          sla_resolution_due=local(2026, 3, 2, 10)),
        # The period's first moment: created, answered after 30 min, resolved after 2 h,
        # an hour after the due moment: breached.
        "c2": report_case(staff, fault, first, local(2026, 3, 1, 0), status=R,
                          first_response_at=local(2026, 3, 1, 0, 30),
                          resolved_at=local(2026, 3, 1, 2),
                          sla_resolution_due=local(2026, 3, 1, 1)),
        # The period's last second: created, open at its end.
        "c3": report_case(staff, billing, first, local(2026, 3, 31, 23, 59, 59)),
        # The first moment after the period: not counted anywhere.
        "c4": report_case(staff, fault, first, local(2026, 4, 1, 0)),
        # Long open in the second line.
        "c5": report_case(staff, billing, second, local(2026, 2, 10, 8)),
        # Created in the period, answered after an hour, resolved after it (across the
        # DST change: 22 days 11 hours of real time): open at the end.
        "c6": report_case(staff, billing, second, local(2026, 3, 10, 12), status=R,
                          first_response_at=local(2026, 3, 10, 13),
                          resolved_at=local(2026, 4, 2, 0)),
        # Resolved in the period without a target.
        "c7": report_case(staff, fault, second, local(2026, 3, 5, 9), status=R,
                          resolved_at=local(2026, 3, 6, 9)),
        # Closed long before.
        "c8": report_case(staff, fault, second, local(2026, 1, 1, 9),
                          status=CaseStatus.CLOSED, resolved_at=local(2026, 1, 15, 9),
                          closed_at=local(2026, 2, 1, 9)),
    }
    fault_topic = topic_make("Awaria")
    no_internet = topic_make("Brak internetu", parent=fault_topic)
    invoices = topic_make("Faktury")

    def interaction(topic, at, seconds, agent, **extra):
        return Interaction.objects.create(topic=topic, created_at=at,
                                          duration_seconds=seconds, agent=agent,
                                          customer=None, number="+48601000000", **extra)

    interaction(no_internet, local(2026, 3, 1, 0), 60, staff)            # 23:00 UTC the day before
    interaction(no_internet, local(2026, 3, 1, 23, 59, 59), 120, staff)
    interaction(invoices, local(2026, 3, 29, 12), None, None)           # the DST day
    interaction(no_internet, local(2026, 3, 31, 23, 30), 30, tomek)
    interaction(no_internet, local(2026, 4, 1, 0), 500, staff)          # after the period
    interaction(invoices, local(2026, 2, 28, 23, 59, 59), 500, staff)   # before it
    with tenant_context(other_tenant):
        queue = queue_make("Obca kolejka")
        case_type = case_type_make("Obcy typ", default_queue=queue)
        report_case(other_staff, case_type, queue, local(2026, 3, 15, 12), status=R,
                    resolved_at=local(2026, 3, 16, 12),
                    sla_resolution_due=local(2026, 3, 20, 12))
        Interaction.objects.create(topic=topic_make("Obcy temat"),
                                   created_at=local(2026, 3, 15, 12), duration_seconds=999,
                                   number="+48602000000")
    return {"cases": cases, "first": first, "second": second, "tomek": tomek,
            "no_internet": no_internet, "invoices": invoices}
