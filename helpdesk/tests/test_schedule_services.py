"""The scheduler's services: what they refuse, in words, and what they write."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from core.models import ActionLog
from core.tenancy import tenant_context
from helpdesk.models import Event, EventType
from helpdesk.services import schedule as services
from helpdesk.tests.fixtures_schedule import warsaw

NOW = warsaw(2026, 12, 3, 12, 0)


def _make(actor, event_type, **extra):
    args = {"actor": actor, "event_type": event_type, "title": "Montaż anteny",
            "starts_at": warsaw(2026, 12, 7, 10, 0), "now": NOW, **extra}
    return services.event_create(**args)


def test_types_seeded_once_with_polish_names(in_tenant):
    first = services.event_types_seed()
    again = services.event_types_seed()
    assert [t.name for t in first] == ["Instalacja", "Wizyta serwisowa", "Oddzwonienie",
                                       "Obietnica płatności", "Inne"]
    assert [t.pk for t in again] == [t.pk for t in first]


def test_type_name_unique_and_colour_checked(in_tenant, staff, schedule_types):
    with pytest.raises(ValidationError) as e:
        services.event_type_create(actor=staff, name="instalacja", color="#abcdef")
    assert "already a type" in str(e.value.message_dict["name"])
    with pytest.raises(ValidationError) as e:
        services.event_type_create(actor=staff, name="Pomiar", color="red")
    assert "color" in e.value.message_dict


def test_event_created_with_default_duration_staff_and_log(in_tenant, staff, tech, customer,
                                                           home, visit_type):
    event = _make(staff, visit_type, staff=[tech, staff, tech], customer=customer,
                  address=home)
    assert event.duration_minutes == visit_type.default_minutes
    assert sorted(event.assignments.values_list("user__username", flat=True)) == \
        ["anna", "tomek"]
    entry = ActionLog.objects.filter(customer=customer, kind="event.create").get()
    assert entry.params["title"] == "Montaż anteny"


def test_another_customers_address_is_refused(in_tenant, staff, customer, neighbour,
                                              visit_type):
    with pytest.raises(ValidationError) as e:
        _make(staff, visit_type, customer=customer, address=neighbour.home)
    assert e.value.message_dict["address"] == [
        "The place must be one of the customer's addresses."]
    assert not Event.objects.exists()


def test_address_without_customer_is_refused(in_tenant, staff, home, visit_type):
    with pytest.raises(ValidationError) as e:
        _make(staff, visit_type, address=home)
    assert "address" in e.value.message_dict


def test_another_tenants_staff_is_refused(in_tenant, staff, other_staff, visit_type):
    with pytest.raises(ValidationError) as e:
        _make(staff, visit_type, staff=[other_staff])
    assert e.value.message_dict["staff"] == ["Bartek Testowy does not work in this company."]


def test_deactivated_member_is_refused(in_tenant, staff, tech, visit_type):
    tech.memberships.update(is_active=False)
    with pytest.raises(ValidationError) as e:
        _make(staff, visit_type, staff=[tech])
    assert "staff" in e.value.message_dict


def test_another_customers_login_is_refused(in_tenant, staff, customer, neighbour,
                                           visit_type):
    from radius.services.logins import login_create

    theirs = login_create(actor=staff, customer=neighbour, login="ewa-pc", password="haslo-123")
    with pytest.raises(ValidationError) as e:
        _make(staff, visit_type, customer=customer, login=theirs)
    assert e.value.message_dict["login"] == ["The login must be one of the customer's logins."]
    mine = login_create(actor=staff, customer=customer, login="jan-pc", password="haslo-123")
    assert _make(staff, visit_type, customer=customer, login=mine).login == mine


def test_another_customers_case_is_refused(in_tenant, staff, customer, neighbour, visit_type):
    from helpdesk.models import Case
    from helpdesk.tests.factories import case_type_make, queue_make

    case = Case.objects.create(number=1, case_type=case_type_make("Awaria"), title="Brak sieci",
                               customer=neighbour, queue=queue_make("Pierwsza linia"),
                               created_at=NOW)
    with pytest.raises(ValidationError) as e:
        _make(staff, visit_type, customer=customer, case=case)
    assert "case" in e.value.message_dict
    assert _make(staff, visit_type, customer=neighbour, case=case).case == case


@pytest.mark.parametrize("starts_at, words", [
    (warsaw(2206, 12, 7, 10, 0), "more than three years ahead"),
    (warsaw(2024, 1, 7, 10, 0), "more than a year ago"),
])
def test_far_dates_are_refused(in_tenant, staff, visit_type, starts_at, words):
    with pytest.raises(ValidationError) as e:
        _make(staff, visit_type, starts_at=starts_at)
    assert words in e.value.message_dict["starts_at"][0]


@pytest.mark.parametrize("minutes", [0, 4, 60 * 24 * 14 + 1])
def test_duration_bounds(in_tenant, staff, visit_type, minutes):
    with pytest.raises(ValidationError) as e:
        _make(staff, visit_type, duration_minutes=minutes)
    assert "duration_minutes" in e.value.message_dict


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_title_empty_or_huge_refused(in_tenant, staff, visit_type, title):
    with pytest.raises(ValidationError) as e:
        _make(staff, visit_type, title=title)
    assert "title" in e.value.message_dict


def test_odd_characters_kept_as_typed(in_tenant, staff, visit_type):
    text = "%{x} \\ ' \" <script>alert(1)</script> %(title)s"
    event = _make(staff, visit_type, title=text, description=text)
    event.refresh_from_db()
    assert event.title == text and event.description == text


def test_retired_type_refused_for_new_events(in_tenant, staff, visit_type):
    services.event_type_update(actor=staff, event_type=visit_type, is_active=False)
    visit_type.refresh_from_db()
    with pytest.raises(ValidationError) as e:
        _make(staff, visit_type)
    assert "retired" in e.value.message_dict["event_type"][0]


def test_event_on_retired_type_still_moves(in_tenant, staff, visit_type):
    event = _make(staff, visit_type)
    services.event_type_update(actor=staff, event_type=visit_type, is_active=False)
    moved = services.event_move(actor=staff, event=event, starts_at=warsaw(2026, 12, 8, 9, 0),
                                now=NOW)
    assert moved.starts_at == warsaw(2026, 12, 8, 9, 0)


def test_move_keeps_wall_clock_and_logs(in_tenant, staff, tech, customer, visit_type):
    event = _make(staff, visit_type, customer=customer)
    moved = services.event_move(actor=staff, event=event, starts_at=warsaw(2026, 12, 9, 14, 30),
                                duration_minutes=90, staff=[tech], now=NOW)
    moved.refresh_from_db()
    assert timezone.localtime(moved.starts_at).strftime("%d %H:%M") == "09 14:30"
    assert moved.duration_minutes == 90
    assert list(moved.assignments.values_list("user", flat=True)) == [tech.pk]
    assert ActionLog.objects.filter(customer=customer, kind="event.move").count() == 1


def test_close_needs_a_note_then_archives(in_tenant, staff, customer, visit_type):
    event = _make(staff, visit_type, customer=customer)
    with pytest.raises(ValidationError) as e:
        services.event_close(actor=staff, event=event, note="  ")
    assert "note" in e.value.message_dict
    closed = services.event_close(actor=staff, event=event, note="Antena ustawiona.")
    assert closed.is_closed and closed.closed_by == staff and closed.closed_at
    assert closed.close_note == "Antena ustawiona."
    with pytest.raises(ValidationError):
        services.event_move(actor=staff, event=closed, starts_at=warsaw(2026, 12, 9, 9, 0),
                            now=NOW)
    with pytest.raises(ValidationError):
        services.event_close(actor=staff, event=closed, note="Again")
    reopened = services.event_reopen(actor=staff, event=closed)
    assert not reopened.is_closed and reopened.closed_at is None
    kinds = list(ActionLog.objects.filter(customer=customer).values_list("kind", flat=True))
    assert {"event.create", "event.close", "event.reopen"} <= set(kinds)


def test_update_changes_fields_and_staff(in_tenant, staff, tech, customer, home, visit_type,
                                        schedule_types):
    event = _make(staff, visit_type, customer=customer, staff=[staff])
    updated = services.event_update(actor=staff, event=event, title="Wymiana routera",
                                    address=home, staff=[tech],
                                    event_type=schedule_types["Instalacja"], now=NOW)
    assert updated.title == "Wymiana routera" and updated.address == home
    assert list(updated.assignments.values_list("user", flat=True)) == [tech.pk]
    entry = ActionLog.objects.get(kind="event.update")
    assert set(entry.changes) == {"title", "address", "event_type"}


def test_feed_token_only_hash_kept_and_rotation(in_tenant, staff):
    from helpdesk.models import CalendarFeed
    from helpdesk.selectors.schedule import calendar_feed_find

    first = services.calendar_feed_issue(actor=staff, user=staff)
    feed = CalendarFeed.objects.get()
    assert first not in feed.token_hash and len(feed.token_hash) == 64
    second = services.calendar_feed_issue(actor=staff, user=staff)
    assert CalendarFeed.objects.count() == 1
    assert calendar_feed_find(first) is None
    assert calendar_feed_find(second).user == staff


@pytest.mark.django_db(transaction=True)
def test_two_moves_at_once_both_logged_last_wins(tenant, staff):
    """Two people drag the same event at the same moment: the row lock makes them take
    turns; each move is logged and the event ends where the later one put it."""
    with tenant_context(tenant):
        visit_type = services.event_types_seed()[1]
        event = _make(staff, visit_type)
    targets = [warsaw(2026, 12, 8, 9, 0), warsaw(2026, 12, 9, 9, 0)]
    barrier = threading.Barrier(2)
    errors = []

    def drag(target):
        try:
            with tenant_context(tenant):
                barrier.wait()
                services.event_move(actor=staff, event=event, starts_at=target, now=NOW)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=drag, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    event.refresh_from_db()
    assert event.starts_at in targets
    assert ActionLog.all_tenants.filter(kind="event.move").count() == 2
    assert EventType.all_tenants.filter(tenant=tenant).count() == 5
