"""The events stage of the LMS import: LMS's timetable → the scheduler, with its staff."""

from datetime import date, datetime

import pytest

from conftest import make_staff
from core.tenancy import tenant_context
from helpdesk.models import Event, EventStaff
from lmsimport.models import ImportRun, LmsMap
from lmsimport.runner import import_run
from lmsimport.stages import customers, events, helpdesk, nodes
from lmsimport.tests.generator import WARSAW, LmsWriter, scenario_small
from lmsimport.tests.generator_helpdesk import event, scenario_helpdesk
from radius.models import Login

pytestmark = pytest.mark.django_db

STAGES = [("customers", customers.run), ("nodes", nodes.run), ("helpdesk", helpdesk.run),
          ("events", events.run)]


@pytest.fixture
def lms(lms_db):
    with lms_db.connect() as conn:
        lms_db.writer = LmsWriter(conn)
        lms_db.made = scenario_small(lms_db.writer)
        lms_db.rt = scenario_helpdesk(lms_db.writer, lms_db.made)
        yield lms_db


@pytest.fixture
def people(tenant, staff):
    return {"anna": staff, "tomek": make_staff(tenant, "tomek")}


def run_import(lms, tenant, **kw):
    return import_run(tenant=tenant, dsn=lms.dsn, stages=STAGES, **kw)


def stage(run, name="events"):
    return next(s for s in run.report["stages"] if s["name"] == name)


def event_of(tenant, lms_id):
    with tenant_context(tenant):
        return Event.objects.select_related("event_type", "customer", "login", "case").get(
            pk=LmsMap.objects.get(kind="event", lms_id=lms_id).abonent_id)


def staff_of(tenant, ev):
    with tenant_context(tenant):
        return set(EventStaff.objects.filter(event=ev).values_list("user__username",
                                                                   flat=True))


def waw(*args):
    return datetime(*args, tzinfo=WARSAW)


def test_events_with_staff_customer_login_and_case(lms, tenant, people):
    run = run_import(lms, tenant)
    assert run.status == ImportRun.Status.DONE
    ev, c = lms.rt["events"], lms.made["customers"]
    install = event_of(tenant, ev["installation"])
    assert (install.title, install.starts_at, install.duration_minutes) == (
        "Instalacja ONT", waw(2025, 3, 4, 10, 0), 150)
    assert install.description == "Wymiana ONT po awarii"
    assert install.event_type.name in ("Instalacja", "Installation")
    assert staff_of(tenant, install) == {"anna", "tomek"}
    assert install.customer.number == c["paid_in_full"]
    assert install.login.login == f"klient{c['paid_in_full']}"
    assert install.case_id == LmsMap.all_tenants.get(
        tenant=tenant, kind="ticket", lms_id=lms.rt["tickets"]["new"]).abonent_id
    assert install.created_by == people["anna"]
    assert install.created_at == waw(2025, 3, 4, 8, 0)  # LMS's creation time
    assert not install.is_closed


def test_event_without_customer_and_staff_without_account(lms, tenant, people):
    run = run_import(lms, tenant)
    meeting = event_of(tenant, lms.rt["events"]["meeting"])
    assert meeting.customer is None and meeting.created_by is None
    assert staff_of(tenant, meeting) == {"anna"}  # zbyszek has no Abonent account
    users = [p for s in run.report["stages"] for p in s["problems"] if p["kind"] == "user"]
    assert [p["lms_id"] for p in users] == [lms.rt["users"]["zbyszek"]]  # once in all


def test_closed_event_and_an_event_over_midnight(lms, tenant, people):
    run_import(lms, tenant)
    closed = event_of(tenant, lms.rt["events"]["closed"])
    assert closed.is_closed and closed.closed_at == waw(2025, 5, 8, 15, 0)
    assert closed.closed_by == people["tomek"]
    assert closed.close_note == "Port wymieniony, prędkość OK."
    assert closed.case.title == "Wolny internet wieczorami"
    night = event_of(tenant, lms.rt["events"]["two_days"])
    assert night.starts_at == waw(2025, 8, 30, 22, 0) and night.duration_minutes == 360


def test_day_of_the_clock_change_keeps_the_local_time(lms, tenant, people):
    # 30 March 2025: clocks go forward at 2:00 in Poland; 10:00 stays 10:00.
    spring = event(lms.writer, "Po zmianie czasu", date(2025, 3, 30), begin="10:00",
                   end="11:00", users=[lms.rt["users"]["anna"]])
    autumn = event(lms.writer, "Jesień", date(2025, 10, 26), begin="00:00", end="23:00")
    run_import(lms, tenant)
    assert event_of(tenant, spring).starts_at == waw(2025, 3, 30, 10, 0)
    autumn_ev = event_of(tenant, autumn)
    assert autumn_ev.starts_at == waw(2025, 10, 26, 0, 0)
    assert autumn_ev.duration_minutes == 24 * 60  # the day has 25 hours; 00:00 → 23:00


def test_impossible_dates_are_skipped_with_the_reason(lms, tenant, people):
    run = run_import(lms, tenant)
    ev = lms.rt["events"]
    lines = {p["lms_id"]: p for p in stage(run)["problems"] if p["kind"] == "event"}
    assert lines[ev["year_7143"]]["action"] == "skipped"
    assert "7143" in lines[ev["year_7143"]]["message"]
    assert lines[ev["end_before_begin"]]["action"] == "skipped"
    assert "before it begins" in lines[ev["end_before_begin"]]["message"]
    with tenant_context(tenant):
        assert not LmsMap.objects.filter(
            kind="event", lms_id__in=[ev["year_7143"], ev["end_before_begin"]]).exists()
        assert Event.objects.count() == 4
    counts = stage(run)["counts"]["event"]
    assert (counts["read"], counts["created"], counts["skipped"]) == (6, 4, 2)


def test_second_run_changes_only_what_changed_in_lms(lms, tenant, people):
    run_import(lms, tenant)
    again = run_import(lms, tenant)
    assert stage(again)["counts"]["event"]["unchanged"] == 4
    with tenant_context(tenant):
        assert Event.objects.count() == 4 and EventStaff.objects.count() == 5
    ev, users = lms.rt["events"], lms.rt["users"]
    conn = lms.writer.conn
    conn.execute("UPDATE events SET title = 'Instalacja ONT (przełożona)', date = %s, "
                 "closed = 1, closeddate = %s, closeduserid = %s WHERE id = %s",
                 (int(waw(2025, 3, 5).timestamp()), int(waw(2025, 3, 5, 13).timestamp()),
                  users["tomek"], ev["installation"]))
    conn.execute("DELETE FROM eventassignments WHERE eventid = %s AND userid = %s",
                 (ev["installation"], users["anna"]))
    third = run_import(lms, tenant)
    assert stage(third)["counts"]["event"]["updated"] == 1
    install = event_of(tenant, ev["installation"])
    assert install.title == "Instalacja ONT (przełożona)"
    assert install.starts_at == waw(2025, 3, 5, 10, 0)
    assert install.is_closed and install.closed_at == waw(2025, 3, 5, 13, 0)
    assert staff_of(tenant, install) == {"tomek"}
    with tenant_context(tenant):
        assert Event.objects.count() == 4


def test_other_tenant_and_dry_run(lms, tenant, other_tenant, people):
    run = run_import(lms, tenant, dry_run=True)
    assert stage(run)["counts"]["event"]["created"] == 4
    with tenant_context(tenant):
        assert Event.objects.count() == 0 and LmsMap.objects.count() == 0
    run_import(lms, tenant)
    with tenant_context(other_tenant):
        assert Event.objects.count() == 0 and EventStaff.objects.count() == 0
        assert Login.objects.count() == 0


def test_private_and_overlong_events_are_flagged(lms, tenant, people):
    w = lms.writer
    private = event(w, "Urlop", date(2025, 7, 1), begin="00:00", end="00:00",
                    end_day=date(2025, 7, 31), users=[lms.rt["users"]["anna"]], private=1)
    no_end = event(w, "Telefon do klienta", date(2025, 7, 2), begin="12:00", end="12:00")
    run = run_import(lms, tenant)
    lines = {}
    for p in stage(run)["problems"]:
        lines.setdefault(p["lms_id"], []).append((p["action"], p["message"]))
    leave = event_of(tenant, private)
    assert leave.duration_minutes == 14 * 24 * 60  # the scheduler's longest
    assert {a for a, _m in lines[private]} == {"flagged"}
    assert any("two weeks" in m for _a, m in lines[private])
    assert any("private" in m for _a, m in lines[private])
    call = event_of(tenant, no_end)  # no end given: the type's usual length
    assert call.duration_minutes == call.event_type.default_minutes
    assert no_end not in lines
