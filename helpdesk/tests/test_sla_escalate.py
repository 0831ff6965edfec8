"""The beat job: cases past their deadlines flagged, journaled, logged and escalated —
once, even with two workers at the same moment."""

import threading

import pytest
from django.db import connection

from core.events import subscribe, unsubscribe
from core.models import ActionLog, TenantSetting
from core.tenancy import tenant_context
from helpdesk.models import Case, CaseJournal, JournalKind
from helpdesk.services.sla import sla_escalate_all, sla_escalate_tenant
from helpdesk.sla import case_sla_refresh
from helpdesk.tests.factories import queue_make
from helpdesk.tests.fixtures_sla import sla_case_make, waw


def _late_case(sla_setup, **extra):
    case = sla_case_make(**sla_setup, created_at=waw(2025, 6, 9, 9), **extra)
    case_sla_refresh(case, now=waw(2025, 6, 9, 9))
    case.save()
    return case


def test_escalation_flags_journals_raises_priority_once(sla_setup, staff):
    case = _late_case(sla_setup, owner=staff)
    seen = []

    def on_changed(**data):
        seen.append(data)

    subscribe("case.changed", on_changed)
    try:
        assert sla_escalate_tenant(now=waw(2025, 6, 9, 9, 30)) == 0  # not due yet
        assert sla_escalate_tenant(now=waw(2025, 6, 9, 10, 1)) == 1
        assert sla_escalate_tenant(now=waw(2025, 6, 9, 10, 2)) == 0  # nothing twice
    finally:
        unsubscribe("case.changed", on_changed)
    case.refresh_from_db()
    assert case.sla_breached and case.sla_breached_at == waw(2025, 6, 9, 10)
    assert case.priority == 3 and case.escalated_at == waw(2025, 6, 9, 10, 1)
    assert case.owner_id == staff.pk and case.queue_id == sla_setup["queue"].pk
    # The high priority's target from the creation: 30 / 240 minutes.
    assert case.sla_first_response_due == waw(2025, 6, 9, 9, 30)
    kinds = list(CaseJournal.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == [JournalKind.SLA_BREACHED, JournalKind.ESCALATED]
    assert ActionLog.objects.filter(kind="case.sla_breached").count() == 1
    assert ActionLog.objects.filter(kind="case.escalate").count() == 1


def test_escalation_queue_setting_moves_the_case_and_clears_the_owner(sla_setup, staff,
                                                                     tenant):
    second = queue_make("Druga linia")
    TenantSetting.objects.create(key="helpdesk.escalation_queue", value="druga linia")
    case = _late_case(sla_setup, owner=staff)
    sla_escalate_tenant(now=waw(2025, 6, 9, 12))
    case.refresh_from_db()
    assert case.queue_id == second.pk and case.owner_id is None
    entry = CaseJournal.objects.get(case=case, kind=JournalKind.ESCALATED)
    assert entry.data["queue_id"] == [sla_setup["queue"].pk, second.pk]


def test_urgent_stays_urgent(sla_setup):
    from helpdesk.models import SlaTarget

    SlaTarget.objects.create(case_type=sla_setup["case_type"], priority=4,
                             first_response_minutes=15, resolution_minutes=120)
    case = _late_case(sla_setup, priority=4)
    sla_escalate_tenant(now=waw(2025, 6, 9, 12))
    case.refresh_from_db()
    assert case.priority == 4 and case.escalated_at is not None


def test_waiting_resolved_and_targetless_cases_are_left_alone(sla_setup):
    waiting = _late_case(sla_setup, status="waiting")
    resolved = _late_case(sla_setup, status="resolved", resolved_at=waw(2025, 6, 9, 9, 30),
                          first_response_at=waw(2025, 6, 9, 9, 10))
    plain = sla_case_make(**sla_setup, priority=1, created_at=waw(2025, 6, 9, 9))
    assert sla_escalate_tenant(now=waw(2025, 7, 1)) == 0
    for case in (waiting, resolved, plain):
        case.refresh_from_db()
        assert case.escalated_at is None and not case.sla_breached


def test_flag_set_by_the_refresh_is_still_journaled_and_escalated(sla_setup):
    case = sla_case_make(**sla_setup, created_at=waw(2025, 6, 9, 9))
    case_sla_refresh(case, now=waw(2025, 6, 9, 11))  # a case service saw it late
    case.save()
    assert case.sla_breached and case.escalated_at is None
    assert sla_escalate_tenant(now=waw(2025, 6, 9, 11)) == 1
    assert CaseJournal.objects.filter(case=case, kind=JournalKind.SLA_BREACHED).count() == 1


def test_all_tenants_each_in_its_own_scope(sla_setup, other_tenant):
    mine = _late_case(sla_setup)
    assert sla_escalate_all(now=waw(2025, 6, 9, 12)) == 1
    mine.refresh_from_db()
    assert mine.escalated_at is not None


def test_candidates_query_count(sla_setup, django_assert_num_queries):
    for _ in range(3):
        _late_case(sla_setup)
    # Queries: the candidates (1); nothing else when none is due.
    with django_assert_num_queries(1):
        assert sla_escalate_tenant(now=waw(2025, 6, 9, 9, 1)) == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_flag_each_case_once(transactional_db, tenant):
    from helpdesk.models import SlaTarget
    from helpdesk.tests.factories import case_type_make

    with tenant_context(tenant):
        queue = queue_make("Pierwsza linia")
        case_type = case_type_make("Awaria")
        SlaTarget.objects.create(case_type=case_type, priority=2, first_response_minutes=60,
                                 resolution_minutes=480)
        SlaTarget.objects.create(case_type=case_type, priority=3, first_response_minutes=30,
                                 resolution_minutes=240)
        cases = [_late_case({"queue": queue, "case_type": case_type}) for _ in range(20)]
    counts, errors = [], []
    barrier = threading.Barrier(2)

    def work():
        from core.models import Tenant

        try:
            with tenant_context(Tenant.objects.get(pk=tenant.pk)):
                barrier.wait()
                counts.append(sla_escalate_tenant(now=waw(2025, 6, 9, 12)))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with tenant_context(tenant):
        # A case skipped by both (locked by the other) waits for the next minute.
        sla_escalate_tenant(now=waw(2025, 6, 9, 12, 1))
        assert sum(counts) <= 20
        assert CaseJournal.objects.filter(kind=JournalKind.SLA_BREACHED).count() == 20
        assert CaseJournal.objects.filter(kind=JournalKind.ESCALATED).count() == 20
        assert set(Case.objects.filter(pk__in=[c.pk for c in cases])
                   .values_list("priority", flat=True)) == {3}
