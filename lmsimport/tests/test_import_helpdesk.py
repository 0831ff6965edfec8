"""The helpdesk stage of the LMS import: queues, tickets and messages from a real LMS
database become cases and comments — quietly (no e-mail, no event, no SLA clock)."""

from datetime import UTC, datetime

import pytest
from django.core import mail

from conftest import make_staff
from core import events as core_events
from core.tenancy import tenant_context
from helpdesk.models import (
    Case,
    CaseComment,
    CaseJournal,
    CaseSource,
    CaseStatus,
    CommentSource,
    JournalKind,
    Priority,
    Queue,
)
from lmsimport.models import ImportRun, LmsMap
from lmsimport.runner import import_run
from lmsimport.stages import customers, helpdesk
from lmsimport.tests.generator import WARSAW, LmsWriter, scenario_small
from lmsimport.tests.generator_helpdesk import rt_message, scenario_helpdesk
from messaging.models import Message

pytestmark = pytest.mark.django_db

STAGES = [("customers", customers.run), ("helpdesk", helpdesk.run)]


@pytest.fixture
def lms(lms_db):
    """scenario_small + scenario_helpdesk; ``.writer`` adds more rows."""
    with lms_db.connect() as conn:
        lms_db.writer = LmsWriter(conn)
        lms_db.made = scenario_small(lms_db.writer)
        lms_db.rt = scenario_helpdesk(lms_db.writer, lms_db.made)
        yield lms_db


@pytest.fixture
def people(tenant, staff):
    """Abonent staff with the logins of two LMS users (zbyszek has no account)."""
    return {"anna": staff, "tomek": make_staff(tenant, "tomek")}


@pytest.fixture
def published(monkeypatch):
    """Every case event published during the import, delivered at once."""
    seen = []
    monkeypatch.setattr(core_events.transaction, "on_commit", lambda fn, *a, **k: fn())

    def spy(name):
        def handler(**data):
            seen.append((name, data))
        handler.__name__ = f"spy_{name.replace('.', '_')}"
        return handler

    handlers = {n: spy(n) for n in ("case.created", "case.changed", "case.comment_added")}
    for name, handler in handlers.items():
        core_events.subscribe(name, handler)
    yield seen
    for name, handler in handlers.items():
        core_events.unsubscribe(name, handler)


def run_import(lms, tenant, **kw):
    return import_run(tenant=tenant, dsn=lms.dsn, stages=STAGES, **kw)


def stage(run):
    return next(s for s in run.report["stages"] if s["name"] == "helpdesk")


def problems(run, kind=None):
    return [p for p in stage(run)["problems"] if kind is None or p["kind"] == kind]


def case_of(tenant, ticket_id):
    with tenant_context(tenant):
        return Case.objects.select_related("queue", "customer", "owner", "case_type").get(
            pk=LmsMap.objects.get(kind="ticket", lms_id=ticket_id).abonent_id)


def comments(tenant, case):
    with tenant_context(tenant):
        return list(CaseComment.objects.filter(case=case).order_by("created_at", "id"))


def waw(*args):
    return datetime(*args, tzinfo=WARSAW)


def test_tickets_become_cases_in_their_queues_with_state_owner_and_customer(lms, tenant,
                                                                            people):
    run = run_import(lms, tenant)
    assert run.status == ImportRun.Status.DONE
    rt, c = lms.rt["tickets"], lms.made["customers"]
    with tenant_context(tenant):
        assert set(Queue.objects.values_list("name", "is_active")) == {
            ("Awarie", True), ("Biuro obsługi klienta", True), ("Stara kolejka", False)}
        customer_ids = dict(LmsMap.objects.filter(kind="customer")
                            .values_list("lms_id", "abonent_id"))
    new = case_of(tenant, rt["new"])
    assert (new.title, new.status, new.queue.name) == ("Brak internetu od rana",
                                                       CaseStatus.NEW, "Awarie")
    assert new.customer_id == customer_ids[c["paid_in_full"]]
    assert new.owner is None and new.created_by == people["anna"]
    assert new.created_at == waw(2025, 3, 3, 9, 0)
    assert new.data == {"lms_categories": "Internet"}
    opened = case_of(tenant, rt["open"])
    assert (opened.status, opened.owner, opened.priority, opened.source) == (
        CaseStatus.IN_PROGRESS, people["anna"], Priority.URGENT, CaseSource.EMAIL)
    assert opened.data == {"lms_categories": "Faktury, Internet"}
    assert opened.contact_email == "biuro@siec-net.pl"
    resolved = case_of(tenant, rt["resolved"])
    assert (resolved.status, resolved.owner, resolved.priority) == (
        CaseStatus.RESOLVED, people["tomek"], Priority.LOW)
    assert resolved.resolved_at == waw(2025, 5, 9, 16, 0) and resolved.closed_at is None
    dead = case_of(tenant, rt["dead"])
    assert dead.status == CaseStatus.CLOSED and dead.closed_at == waw(2025, 6, 3, 16, 0)
    assert dead.owner is None  # zbyszek has no Abonent account
    assert dead.case_type.name == "Ticket from LMS" and not dead.case_type.is_active
    # numbered as in LMS: the ticket id is the case number staff and customers quote
    for key in ("new", "open", "resolved", "dead"):
        assert case_of(tenant, rt[key]).number == rt[key]


def test_messages_in_order_with_authors_notes_and_mail_ids(lms, tenant, people):
    run_import(lms, tenant)
    rt = lms.rt["tickets"]
    opened = comments(tenant, case_of(tenant, rt["open"]))
    assert [(x.by_customer, x.author, x.is_public, x.source) for x in opened] == [
        (True, None, True, CommentSource.EMAIL),
        (False, people["anna"], True, CommentSource.EMAIL),
        (False, people["tomek"], False, CommentSource.STAFF)]
    assert opened[0].email_message_id == "<20250402081500.abc@siec-net.pl>"
    assert opened[0].body.startswith("Dzień dobry,\nna fakturze")
    assert [x.created_at for x in opened] == [waw(2025, 4, 2, 8, 15), waw(2025, 4, 2, 11, 40),
                                              waw(2025, 4, 2, 12, 0)]
    resolved = comments(tenant, case_of(tenant, rt["resolved"]))
    assert [(x.by_customer, x.source, x.is_public) for x in resolved] == [
        (True, CommentSource.PANEL, True), (False, CommentSource.STAFF, True),
        (False, CommentSource.STAFF, False)]  # LMS's state-change note stays internal
    assert resolved[1].author is None  # zbyszek: no account, the text is kept
    # first response = the first public staff reply, at LMS's time
    assert case_of(tenant, rt["open"]).first_response_at == waw(2025, 4, 2, 11, 40)
    assert case_of(tenant, rt["new"]).first_response_at == waw(2025, 3, 3, 9, 0)


def test_import_sends_nothing_publishes_nothing_and_starts_no_sla(lms, tenant, people,
                                                                   published):
    from helpdesk.services.cases import case_type_save
    from helpdesk.services.sla import sla_escalate_tenant, sla_target_create

    with tenant_context(tenant):
        # The tenant already has SLA targets for the type imported tickets get: a case
        # timed from its LMS creation would be years late at once.
        case_type = case_type_save(actor=None, name="Ticket from LMS", is_active=False)
        for priority in Priority.values:
            sla_target_create(actor=None, case_type=case_type, priority=priority,
                              first_response_minutes=60, resolution_minutes=240)
    run = run_import(lms, tenant)
    assert run.status == ImportRun.Status.DONE
    assert published == []
    assert mail.outbox == []
    with tenant_context(tenant):
        assert Message.objects.count() == 0
        assert Case.objects.count() == 7
        assert Case.objects.filter(case_type=case_type).count() == 7  # the one type reused
        assert not Case.objects.filter(sla_breached=True).exists()
        assert not Case.objects.filter(sla_resolution_due__isnull=False).exists()
        assert sla_escalate_tenant() == 0
        assert not Case.objects.filter(escalated_at__isnull=False).exists()
    assert published == []


def test_requestor_only_and_deleted_customers_tickets(lms, tenant, people):
    run_import(lms, tenant)
    rt, c = lms.rt["tickets"], lms.made["customers"]
    outsider = case_of(tenant, rt["requestor_only"])
    assert outsider.customer is None
    assert (outsider.contact_name, outsider.contact_email, outsider.contact_phone) == (
        "Jan Obcy", "jan.obcy@example.com", "+48 501 222 333")
    [only] = comments(tenant, outsider)
    assert only.by_customer and only.source == CommentSource.EMAIL
    gone = case_of(tenant, rt["deleted_customer"])
    assert gone.customer is not None and gone.customer.number == c["deleted"]
    assert gone.status == CaseStatus.RESOLVED


def test_broken_rows_and_attachments_are_reported(lms, tenant, people):
    run = run_import(lms, tenant)
    rt, msgs = lms.rt["tickets"], lms.rt["messages"]
    lines = {(p["kind"], p["lms_id"], p["action"]) for p in problems(run)}
    assert ("rtmessage", msgs["orphan"], "skipped") in lines
    assert ("ticket", rt["trashed"], "skipped") in lines
    assert ("ticket", rt["deleted_queue"], "flagged") in lines
    assert case_of(tenant, rt["deleted_queue"]).queue.is_active is False
    with tenant_context(tenant):
        assert not LmsMap.objects.filter(kind="ticket", lms_id=rt["trashed"]).exists()
    [attached] = problems(run, "attachment")
    assert attached["lms_id"] == msgs["open_mail"] and attached["action"] == "skipped"
    assert "faktura-3.pdf" in attached["message"] and "nip.png" in attached["message"]
    assert "not in the database" in attached["message"]
    assert stage(run)["counts"]["attachment"]["skipped"] == 2
    # zbyszek (no Abonent account) is reported once, not per ticket or message
    users = problems(run, "user")
    assert [p["lms_id"] for p in users] == [lms.rt["users"]["zbyszek"]]
    assert "zbyszek" in users[0]["message"]
    counts = stage(run)["counts"]
    assert counts["ticket"]["read"] == 8 and counts["ticket"]["created"] == 7
    assert counts["rtmessage"]["created"] == 10


def test_second_run_duplicates_nothing_and_appends_new_messages(lms, tenant, people):
    run_import(lms, tenant)
    with tenant_context(tenant):
        before = (Case.objects.count(), CaseComment.objects.count(),
                  CaseJournal.objects.count(), Queue.objects.count())
    again = run_import(lms, tenant)
    assert stage(again)["counts"]["ticket"]["created"] == 0
    assert stage(again)["counts"]["ticket"]["unchanged"] == 7
    assert stage(again)["counts"]["rtmessage"]["unchanged"] == 10
    with tenant_context(tenant):
        assert (Case.objects.count(), CaseComment.objects.count(),
                CaseJournal.objects.count(), Queue.objects.count()) == before
    # In LMS meanwhile: the customer answers the open ticket, and the new one is taken.
    rt = lms.rt["tickets"]
    reply = rt_message(lms.writer, rt["open"], "Dziękuję, czekam na korektę.",
                       customer_id=lms.made["customers"]["partly_paid"],
                       when=datetime(2025, 4, 3, 9, 30))
    lms.writer.conn.execute("UPDATE rttickets SET state = 1, owner = %s WHERE id = %s",
                            (lms.rt["users"]["tomek"], rt["new"]))
    third = run_import(lms, tenant)
    assert stage(third)["counts"]["rtmessage"]["created"] == 1
    assert stage(third)["counts"]["ticket"]["updated"] == 1
    opened = comments(tenant, case_of(tenant, rt["open"]))
    assert len(opened) == 4 and opened[-1].body == "Dziękuję, czekam na korektę."
    assert opened[-1].by_customer and opened[-1].created_at == waw(2025, 4, 3, 9, 30)
    with tenant_context(tenant):
        assert LmsMap.objects.get(kind="rtmessage", lms_id=reply).abonent_id == opened[-1].pk
    taken = case_of(tenant, rt["new"])
    assert taken.status == CaseStatus.IN_PROGRESS and taken.owner == people["tomek"]
    with tenant_context(tenant):
        entry = CaseJournal.objects.get(case=taken, kind=JournalKind.STATUS)
    assert entry.data["before"] == {"status": "new"}
    assert entry.data["after"] == {"status": "in_progress"}


def test_other_tenant_sees_none_of_it(lms, tenant, other_tenant, people):
    run_import(lms, tenant)
    with tenant_context(other_tenant):
        assert Case.objects.count() == 0 and CaseComment.objects.count() == 0
        assert Queue.objects.count() == 0 and LmsMap.objects.count() == 0
    # imported into the other tenant too: its own rows, with the same LMS numbers
    with tenant_context(tenant):
        numbers = sorted(Case.objects.values_list("number", flat=True))
    run_import(lms, other_tenant)
    with tenant_context(other_tenant):
        assert Case.objects.count() == 7
        assert sorted(Case.objects.values_list("number", flat=True)) == numbers
        assert Case.objects.filter(owner__isnull=False).count() == 0  # anna is not its staff
    with tenant_context(tenant):
        assert Case.objects.count() == 7


def test_dry_run_writes_nothing(lms, tenant, people):
    run = run_import(lms, tenant, dry_run=True)
    assert stage(run)["counts"]["ticket"]["created"] == 7
    with tenant_context(tenant):
        assert Case.objects.count() == 0 and CaseComment.objects.count() == 0
        assert Queue.objects.count() == 0 and LmsMap.objects.count() == 0


def test_case_numbers_continue_after_the_import(lms, tenant, people):
    from helpdesk.services.cases import case_create, queue_save

    run_import(lms, tenant)
    with tenant_context(tenant):
        queue = queue_save(actor=people["anna"], name="Nowa")
        case_type = Case.objects.first().case_type
        case_type.is_active = True
        case_type.save()
        case = case_create(actor=people["anna"], case_type=case_type, title="Po imporcie",
                           queue=queue, source="routing",
                           now=datetime(2026, 1, 2, tzinfo=UTC))
    assert case.number == max(lms.rt["tickets"].values()) + 1


def test_a_case_number_taken_in_abonent_gives_the_ticket_another(lms, tenant, people):
    from helpdesk.services.cases import case_create, case_type_save, queue_save

    rt = lms.rt["tickets"]
    with tenant_context(tenant):  # a case typed in Abonent before the import
        queue = queue_save(actor=people["anna"], name="Biuro")
        case_type = case_type_save(actor=people["anna"], name="Awaria")
        first = case_create(actor=people["anna"], case_type=case_type, title="Przed importem",
                            queue=queue, source="routing",
                            now=datetime(2026, 1, 2, tzinfo=UTC))
    assert first.number == 1
    clashing = next(key for key, lms_id in rt.items() if lms_id == 1)
    run = run_import(lms, tenant)
    moved = case_of(tenant, rt[clashing])
    assert moved.number == max(rt.values()) + 1  # after every LMS ticket id
    assert [p for p in stage(run)["problems"] if p["kind"] == "ticket"
            and p["lms_id"] == 1 and "is taken" in p["message"]]


def test_odd_tickets_are_imported_with_a_warning(lms, tenant, people):
    from lmsimport.tests.generator_helpdesk import rt_ticket

    w, queues = lms.writer, lms.rt["queues"]
    supplier = w.customer("Hurtownia Kabli", type=2)  # a contractor: not imported
    odd = {
        "supplier": rt_ticket(w, queues["office"], "Dostawa kabli", customer_id=supplier),
        "bad_mail": rt_ticket(w, queues["office"], "Pytanie", requestor="Ktoś",
                              requestor_mail="ktoś@@example"),
        "state_9": rt_ticket(w, queues["faults"], "Dziwny stan", state=9, priority=3),
        "no_subject": rt_ticket(w, queues["faults"], "   "),
        "long": rt_ticket(w, queues["faults"], "Awaria " + "x" * 240),
    }
    run = run_import(lms, tenant)
    lines = {}
    for p in problems(run, "ticket"):
        lines.setdefault(p["lms_id"], []).append(p["message"])
    cases = {role: case_of(tenant, lms_id) for role, lms_id in odd.items()}
    assert cases["supplier"].customer is None
    assert any(str(supplier) in m for m in lines[odd["supplier"]])
    assert cases["bad_mail"].contact_email == "" and cases["bad_mail"].contact_name == "Ktoś"
    assert any("ktoś@@example" in m for m in lines[odd["bad_mail"]])
    assert cases["state_9"].status == CaseStatus.IN_PROGRESS
    assert cases["state_9"].priority == Priority.URGENT  # LMS's "critical"
    assert any("9" in m for m in lines[odd["state_9"]])
    assert cases["no_subject"].title == "(no subject)"
    assert len(cases["long"].title) == 200 and cases["long"].title.startswith("Awaria xx")
    assert odd["long"] in lines
