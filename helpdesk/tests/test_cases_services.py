"""The cases workflow: creation and numbering, fields, take/send/return/complete, statuses,
comments, attachments, the journal and the events."""

import datetime
import io
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation
from PIL import Image

from conftest import make_staff
from core import events
from core.actionlog import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from helpdesk.models import (
    Case,
    CaseJournal,
    CaseSource,
    CaseStatus,
    FieldKind,
    JournalKind,
    Priority,
)
from helpdesk.services.cases import (
    case_attachment_add,
    case_comment_add,
    case_complete,
    case_create,
    case_return,
    case_send,
    case_status_set,
    case_take,
    case_update,
)
from helpdesk.tests.factories import case_type_make, queue_make
from helpdesk.tests.fixtures_cases import FAULT_DATA

pytestmark = pytest.mark.django_db


def _png() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, "PNG")
    return SimpleUploadedFile("photo.png", buf.getvalue(), content_type="image/png")


def _case(staff, fault_type, **extra):
    kwargs = {"actor": staff, "case_type": fault_type, "title": "No internet",
              "data": dict(FAULT_DATA)} | extra
    return case_create(**kwargs)


@pytest.fixture
def published(monkeypatch):
    """The events published, delivered at once (no commit in a test transaction)."""
    seen = []
    monkeypatch.setattr(events.transaction, "on_commit",
                        lambda fn, *a, **k: fn())

    def spy(name):
        def handler(**data):
            seen.append((name, data))
        handler.__name__ = f"spy_{name}"
        return handler

    handlers = {n: spy(n) for n in ("case.created", "case.changed", "case.comment_added")}
    for name, handler in handlers.items():
        events.subscribe(name, handler)
    yield seen
    for name, handler in handlers.items():
        events.unsubscribe(name, handler)


# --------------------------------------------------------------------------- create

def test_create_numbers_fields_journal_log_and_event(staff, customer, fault_type, first_line,
                                                     published):
    case = _case(staff, fault_type, customer=customer,
                 data={**FAULT_DATA, "device": "ONT", "since": "31.12.2026", "speed": "12,50"})
    assert case.number == 1
    assert case.queue == first_line and case.owner is None and case.created_by == staff
    assert case.priority == Priority.NORMAL and case.status == CaseStatus.NEW
    # Normalised: E.164 phone, ISO date, a decimal point, whitespace of the address.
    assert case.data == {"address": "Długa 5/3, 00-001 Warszawa", "phone": "+48601234567",
                         "device": "ONT", "since": "2026-12-31", "speed": "12.50"}
    entry = CaseJournal.objects.get(case=case)
    assert entry.kind == JournalKind.CREATED and entry.actor == staff
    assert entry.data["after"]["queue"] == "First line"
    assert ActionLog.objects.filter(kind="case.create", customer=customer).exists()
    assert ("case.created", {"case_id": case.pk, "number": 1, "customer_id": customer.pk,
                             "source": "staff"}) in published
    assert _case(staff, fault_type).number == 2


def test_staff_must_fill_mandatory_fields_routing_may_not(staff, fault_type):
    with pytest.raises(ValidationError) as e:
        _case(staff, fault_type, data={"phone": "601234567"})
    assert set(e.value.message_dict) == {"address"}
    case = _case(staff, fault_type, data={}, source=CaseSource.ROUTING)
    assert case.data == {}
    assert CaseJournal.objects.get(case=case).data["missing"] == ["address", "phone"]


@pytest.mark.parametrize("key, value", [
    ("phone", "12"), ("phone", "not a phone"), ("device", "modem"), ("since", "2026-02-30"),
    ("since", "3026-01-01"), ("speed", "1e999999"), ("speed", "abc"),
    ("address", "x" * 501), ("device", ["router"]),
])
def test_field_values_refused_with_the_fields_key(staff, fault_type, key, value):
    with pytest.raises(ValidationError) as e:
        _case(staff, fault_type, data={**FAULT_DATA, key: value})
    assert list(e.value.message_dict) == [key]


def test_unknown_keys_dropped_and_odd_text_kept_verbatim(staff, fault_type):
    title = "%{x} \\ ' \" <script>alert(1)</script>"
    case = _case(staff, fault_type, title=title,
                 data={**FAULT_DATA, "nope": "x", "address": "<b>%s</b> \\"})
    case.refresh_from_db()
    assert case.title == title
    assert case.data["address"] == "<b>%s</b> \\" and "nope" not in case.data


def test_create_refuses_empty_title_inactive_type_and_queue_other_tenant(
        staff, fault_type, first_line, other_tenant, tenant):
    with pytest.raises(ValidationError) as e:
        _case(staff, fault_type, title="   ")
    assert "title" in e.value.message_dict
    with pytest.raises(ValidationError):
        _case(staff, fault_type, title="x" * 201)
    first_line.is_active = False
    first_line.save()
    with pytest.raises(ValidationError) as e:
        _case(staff, fault_type)
    assert "queue" in e.value.message_dict
    with tenant_context(other_tenant):
        foreign = queue_make("Obca")
    with pytest.raises(ValidationError) as e:
        _case(staff, fault_type, queue=foreign)
    assert "queue" in e.value.message_dict
    fault_type.is_active = False
    fault_type.save()
    with pytest.raises(ValidationError) as e:
        _case(staff, fault_type)
    assert "case_type" in e.value.message_dict


def test_numbers_per_tenant(staff, fault_type, other_tenant, other_staff):
    _case(staff, fault_type)
    with tenant_context(other_tenant):
        queue = queue_make("Q")
        kind = case_type_make("T", default_queue=queue)
        assert case_create(actor=other_staff, case_type=kind, title="B").number == 1


def test_two_threads_create_without_gaps_or_duplicates(transactional_db, tenant, staff):
    from core.models import Tenant

    with tenant_context(tenant):
        queue = queue_make("Q")
        kind = case_type_make("T", default_queue=queue)
    errors = []

    def work():
        try:
            with tenant_context(Tenant.objects.get(pk=tenant.pk)):
                for _ in range(5):
                    case_create(actor=staff, case_type=kind, title="At once")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with tenant_context(tenant):
        assert sorted(Case.objects.values_list("number", flat=True)) == list(range(1, 21))


def test_two_members_take_at_once_one_wins(transactional_db, tenant, staff):
    from core.models import Tenant

    with tenant_context(tenant):
        other = make_staff(tenant, "ola", Role.OPERATOR)
        queue = queue_make("Q", members=[staff, other])
        kind = case_type_make("T", default_queue=queue)
        case = case_create(actor=staff, case_type=kind, title="Race")
    results, barrier = [], threading.Barrier(2)

    def work(user):
        try:  # a thread starts in the site's language; this test reads English
            with translation.override("en"), tenant_context(Tenant.objects.get(pk=tenant.pk)):
                barrier.wait()
                case_take(actor=user, case=case)
                results.append(("ok", user.username))
        except ValidationError as e:
            results.append(("refused", e.messages[0]))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(u,)) for u in (staff, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[0] for r in results) == ["ok", "refused"]
    winner = next(r[1] for r in results if r[0] == "ok")
    refusal = next(r[1] for r in results if r[0] == "refused")
    assert "has already taken this case" in refusal
    with tenant_context(tenant):
        assert Case.objects.get(pk=case.pk).owner.username == winner


# --------------------------------------------------------------------------- workflow

def test_take_only_by_a_member(staff, fault_type, second_line_user):
    case = _case(staff, fault_type)
    with pytest.raises(ValidationError, match="Only a member of the queue First line"):
        case_take(actor=second_line_user, case=case)
    case = case_take(actor=staff, case=case)
    assert case.owner == staff and case.status == CaseStatus.IN_PROGRESS
    with pytest.raises(ValidationError, match="already hold"):
        case_take(actor=staff, case=case)


def test_send_clears_owner_and_journals(staff, fault_type, second_line, second_line_user,
                                        published):
    case = case_take(actor=staff, case=_case(staff, fault_type))
    case = case_send(actor=staff, case=case, queue=second_line, note="Needs a technician")
    assert case.queue == second_line and case.owner is None
    entry = CaseJournal.objects.filter(case=case, kind=JournalKind.SENT).get()
    assert entry.data["before"] == {"queue": "First line", "owner": "Anna Testowy"}
    assert entry.data["after"] == {"queue": "Second line", "owner": ""}
    assert entry.data["note"] == "Needs a technician"
    assert ("case.changed", {"case_id": case.pk, "number": case.number,
                             "status": "in_progress", "queue_id": second_line.pk,
                             "owner_id": None}) in published
    with pytest.raises(ValidationError):
        case_send(actor=staff, case=case, queue=second_line)
    assert case_take(actor=second_line_user, case=case).owner == second_line_user


def test_return_to_creator_and_complete(staff, fault_type, second_line, second_line_user):
    case = _case(staff, fault_type, data={}, source=CaseSource.ROUTING, queue=second_line)
    with pytest.raises(ValidationError, match="Only a member"):
        case_return(actor=staff, case=case, reason="x")
    with pytest.raises(ValidationError) as e:
        case_return(actor=second_line_user, case=case, reason="  ")
    assert "reason" in e.value.message_dict
    case = case_take(actor=second_line_user, case=case)
    case = case_return(actor=second_line_user, case=case, reason="No address, no phone")
    assert case.owner == staff and case.is_returned
    assert case.returned_reason == "No address, no phone"
    with pytest.raises(ValidationError, match="waits for its creator"):
        case_take(actor=second_line_user, case=case)
    with pytest.raises(ValidationError, match="Only the creator"):
        case_complete(actor=second_line_user, case=case, data=FAULT_DATA)
    with pytest.raises(ValidationError) as e:
        case_complete(actor=staff, case=case, data={"address": "Długa 5"})
    assert set(e.value.message_dict) == {"phone"}
    case = case_complete(actor=staff, case=case, data=FAULT_DATA)
    assert case.queue == second_line and case.owner is None and not case.is_returned
    assert case.data["phone"] == "+48601234567"
    kinds = list(CaseJournal.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["created", "taken", "returned", "completed"]
    with pytest.raises(ValidationError, match="not been returned"):
        case_complete(actor=staff, case=case, data={})


def test_case_from_the_panel_cannot_be_returned(staff, fault_type, customer):
    case = case_create(actor=customer, case_type=fault_type, title="Panel", data=FAULT_DATA,
                       source=CaseSource.PANEL, customer=customer, by_customer=True)
    assert case.created_by is None
    with pytest.raises(ValidationError, match="nobody to return it to"):
        case_return(actor=staff, case=case, reason="?")


@pytest.mark.parametrize("path, last_refused", [
    (["in_progress", "waiting", "in_progress", "resolved", "closed", "in_progress"], False),
    (["resolved", "in_progress", "closed"], False),
    (["new", "waiting", "resolved"], False),
    (["in_progress", "new"], True),
    (["resolved", "waiting"], True),
    (["closed", "resolved"], True),
    (["in_progress", "in_progress"], True),
    (["bogus"], True),
])
def test_status_transitions(staff, fault_type, path, last_refused):
    case = _case(staff, fault_type)
    if path[0] == "new":
        path = path[1:]
    *allowed, last = path
    for status in allowed:
        case = case_status_set(actor=staff, case=case, status=status)
        assert case.status == status
    if last_refused:
        with pytest.raises(ValidationError) as e:
            case_status_set(actor=staff, case=case, status=last)
        assert "status" in e.value.message_dict
        case.refresh_from_db()
        assert case.status == (allowed[-1] if allowed else "new")
    else:
        assert case_status_set(actor=staff, case=case, status=last).status == last


def test_resolve_close_reopen_timestamps(staff, fault_type):
    t0 = datetime.datetime(2026, 3, 29, 0, 30, tzinfo=datetime.UTC)  # Polish DST night
    case = _case(staff, fault_type, now=t0)
    case = case_status_set(actor=staff, case=case, status="resolved", now=t0)
    assert case.resolved_at == t0 and case.closed_at is None
    t1 = t0 + datetime.timedelta(hours=2)
    case = case_status_set(actor=staff, case=case, status="closed", now=t1)
    assert case.resolved_at == t0 and case.closed_at == t1 and not case.is_open
    case = case_status_set(actor=staff, case=case, status="in_progress", note="Again")
    assert case.resolved_at is None and case.closed_at is None and case.is_open
    entry = CaseJournal.objects.filter(case=case, kind=JournalKind.STATUS).last()
    assert entry.data == {"note": "Again", "before": {"status": "closed"},
                          "after": {"status": "in_progress"}}


def test_closed_case_cannot_be_taken_or_sent(staff, fault_type, second_line):
    case = case_status_set(actor=staff, case=_case(staff, fault_type), status="closed")
    with pytest.raises(ValidationError):
        case_take(actor=staff, case=case)
    with pytest.raises(ValidationError):
        case_send(actor=staff, case=case, queue=second_line)


# --------------------------------------------------------------------------- update

def test_update_journals_before_after_and_keeps_mandatory(staff, fault_type):
    case = _case(staff, fault_type)
    case = case_update(actor=staff, case=case, title="Slow internet",
                       priority=Priority.URGENT, data={"device": "router"})
    entry = CaseJournal.objects.filter(case=case, kind=JournalKind.CHANGED).get()
    assert entry.data["before"]["title"] == "No internet"
    assert entry.data["after"]["title"] == "Slow internet"
    assert entry.data["before"]["priority"] == Priority.NORMAL
    assert entry.data["after"]["data"]["device"] == "router"
    with pytest.raises(ValidationError) as e:
        case_update(actor=staff, case=case, data={"phone": ""})
    assert set(e.value.message_dict) == {"phone"}
    # Nothing changed: no journal entry.
    case_update(actor=staff, case=case, title="Slow internet")
    assert CaseJournal.objects.filter(case=case, kind=JournalKind.CHANGED).count() == 1


def test_update_type_checks_the_new_types_fields(staff, fault_type, first_line):
    other = case_type_make("Billing", default_queue=first_line, fields=[
        ("invoice", "Invoice", FieldKind.TEXT, False)])
    case = case_update(actor=staff, case=_case(staff, fault_type), case_type=other,
                       data={"invoice": "FV/1"})
    assert case.case_type == other and case.data == {"invoice": "FV/1"}


# --------------------------------------------------------------------------- comments

def test_first_public_staff_reply_is_the_first_response(staff, fault_type, customer,
                                                         published):
    case = _case(staff, fault_type, customer=customer)
    note = case_comment_add(actor=staff, case=case, body="Internal only", is_public=False)
    case.refresh_from_db()
    assert not note.is_public and case.first_response_at is None
    case_comment_add(actor=customer, case=case, body="Any news?", by_customer=True,
                     source="panel")
    case.refresh_from_db()
    assert case.first_response_at is None
    reply = case_comment_add(actor=staff, case=case, body="We are on it")
    case.refresh_from_db()
    first = case.first_response_at
    assert first is not None
    case_comment_add(actor=staff, case=case, body="Still on it")
    case.refresh_from_db()
    assert case.first_response_at == first
    assert ("case.comment_added", {"case_id": case.pk, "number": case.number,
                                   "comment_id": reply.pk, "is_public": True,
                                   "by_customer": False, "source": "staff"}) in published
    assert ActionLog.objects.filter(kind="case.comment").count() == 4


def test_customer_reply_brings_a_waiting_case_back(staff, fault_type, customer):
    case = case_status_set(actor=staff, case=_case(staff, fault_type), status="waiting")
    case_comment_add(actor=customer, case=case, body="Done, router restarted",
                     by_customer=True, source="panel", is_public=False)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.comments.get().is_public  # a customer's words are never internal


def test_customer_reply_reopens_a_resolved_case(staff, fault_type, customer, published):
    case = case_status_set(actor=staff, case=_case(staff, fault_type, customer=customer),
                           status="resolved")
    assert case.resolved_at is not None
    case_comment_add(actor=customer, case=case, body="Still broken", by_customer=True,
                     source="panel")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.is_open
    assert case.resolved_at is None and case.closed_at is None
    entry = CaseJournal.objects.filter(case=case, kind=JournalKind.STATUS).last()
    assert entry.by_customer and entry.data["before"] == {"status": "resolved"}
    assert entry.data["after"] == {"status": "in_progress"}
    assert ActionLog.objects.filter(kind="case.status").count() == 2
    assert ("case.changed", {"case_id": case.pk, "number": case.number,
                             "status": "in_progress", "queue_id": case.queue_id,
                             "owner_id": case.owner_id}) in published


def test_staff_comment_keeps_a_resolved_case_resolved(staff, fault_type):
    case = case_status_set(actor=staff, case=_case(staff, fault_type), status="resolved")
    case_comment_add(actor=staff, case=case, body="For the record", is_public=False)
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED


def test_customer_reply_to_a_closed_case_is_refused(staff, fault_type, customer):
    case = case_status_set(actor=staff, case=_case(staff, fault_type, customer=customer),
                           status="closed")
    with pytest.raises(ValidationError):
        case_comment_add(actor=customer, case=case, body="Hello?", by_customer=True,
                         source="panel")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and not case.comments.exists()
    # Staff may still write on a closed case (a note for the record).
    case_comment_add(actor=staff, case=case, body="Closed after a call", is_public=False)


def test_comment_refuses_empty_and_the_same_email_twice(staff, fault_type):
    case = _case(staff, fault_type)
    with pytest.raises(ValidationError) as e:
        case_comment_add(actor=staff, case=case, body=" \n ")
    assert "body" in e.value.message_dict
    case_comment_add(actor=None, case=case, body="mail", by_customer=True, source="email",
                     email_message_id="<a@b>")
    with pytest.raises(ValidationError):
        case_comment_add(actor=None, case=case, body="mail", by_customer=True,
                         source="email", email_message_id="<a@b>")


# --------------------------------------------------------------------------- attachments

def test_attachment_checked_by_content(staff, fault_type):
    case = _case(staff, fault_type)
    attachment = case_attachment_add(actor=staff, case=case, uploaded_file=_png())
    assert attachment.content_type == "image/png" and attachment.file.name.endswith(".png")
    assert attachment.name == "photo.png"
    fake = SimpleUploadedFile("invoice.pdf", b"<html><script>x</script></html>",
                              content_type="application/pdf")
    with pytest.raises(ValidationError) as e:
        case_attachment_add(actor=staff, case=case, uploaded_file=fake)
    assert "file" in e.value.message_dict
    almost = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n garbage", content_type="application/pdf")
    with pytest.raises(ValidationError):
        case_attachment_add(actor=staff, case=case, uploaded_file=almost)
    assert case.attachments.count() == 1
    assert CaseJournal.objects.filter(case=case, kind=JournalKind.ATTACHED).count() == 1


def test_attachment_of_an_internal_note_is_internal(staff, fault_type):
    case = _case(staff, fault_type)
    note = case_comment_add(actor=staff, case=case, body="photo", is_public=False,
                            attachments=[_png()])
    assert note.attachments.get().is_public is False
    attachment = case_attachment_add(actor=staff, case=case, uploaded_file=_png(),
                                     comment=note, is_public=True)
    assert attachment.is_public is False
