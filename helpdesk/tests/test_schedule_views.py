"""The scheduler's pages: calendar, list, new event, edit, move, close, the card's section."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff
from core.roles import Role
from helpdesk.models import Event
from helpdesk.services import schedule as services
from helpdesk.tests.fixtures_schedule import warsaw


def _soon(days=3, hour=10):
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


@pytest.fixture
def visit(staff, tech, customer, home, visit_type):
    return services.event_create(actor=staff, event_type=visit_type, title="Wizyta u Jana",
                                 starts_at=_soon(), staff=[tech], customer=customer,
                                 address=home)


def test_calendar_week_shows_event_coloured_and_draggable(staff_client, visit):
    day = timezone.localtime(visit.starts_at).date()
    response = staff_client.get(reverse("helpdesk:calendar"),
                                {"view": "week", "date": day.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Wizyta u Jana" in html
    assert f'data-move-url="{reverse("helpdesk:event_move", args=[visit.pk])}"' in html
    assert 'data-color="#fd7e14"' in html
    assert f'id="day-{day.isoformat()}"' in html
    assert "helpdesk/schedule.js" in html and "<script>" not in html


@pytest.mark.parametrize("view", ["day", "week", "month"])
def test_calendar_views_of_one_staff_member(staff_client, staff, tech, visit, view):
    day = timezone.localtime(visit.starts_at).date().isoformat()
    mine = staff_client.get(reverse("helpdesk:calendar"),
                            {"view": view, "date": day, "staff": staff.pk})
    theirs = staff_client.get(reverse("helpdesk:calendar"),
                              {"view": view, "date": day, "staff": tech.pk})
    assert "Wizyta u Jana" not in mine.content.decode()
    assert "Wizyta u Jana" in theirs.content.decode()


def test_calendar_ignores_nonsense_parameters(staff_client, in_tenant):
    response = staff_client.get(reverse("helpdesk:calendar"),
                                {"view": "year", "date": "99999-01-01", "staff": "x"})
    assert response.status_code == 200


def test_calendar_query_count_is_constant(staff_client, django_assert_num_queries, staff,
                                          customer, visit_type):
    for n in range(6):
        services.event_create(actor=staff, event_type=visit_type, title=f"E{n}",
                              starts_at=_soon(days=n % 3 + 1), staff=[staff], customer=customer)
    staff_client.get(reverse("helpdesk:calendar"))  # warm the session and permissions
    # Session, user, membership (tenant, with the role: permission), the event types, the
    # events with type/customer/place/login/case, their assignees with users, the staff
    # choices of the filter.
    with django_assert_num_queries(7):
        response = staff_client.get(reverse("helpdesk:calendar"), {"view": "month"})
    assert response.status_code == 200


def test_list_filters_and_query_count(staff_client, django_assert_num_queries, staff, tech,
                                      customer, visit_type, schedule_types):
    for n in range(4):
        services.event_create(actor=staff, event_type=visit_type, title=f"Wizyta {n}",
                              starts_at=_soon(days=n + 1), staff=[tech], customer=customer)
    call = services.event_create(actor=staff, event_type=schedule_types["Oddzwonienie"],
                                 title="Oddzwonić", starts_at=_soon(), staff=[staff])
    services.event_close(actor=staff, event=call, note="Zrobione")
    url = reverse("helpdesk:event_list")
    staff_client.get(url)
    # Session, user, membership with the role, the types, the staff member chosen (form
    # validation), the page, its assignees, and the type and staff choices rendered.
    with django_assert_num_queries(9):
        response = staff_client.get(url, {"staff": tech.pk})
    html = response.content.decode()
    assert html.count("Wizyta ") >= 4 and "Oddzwonić" not in html
    closed = staff_client.get(url, {"state": "closed"}).content.decode()
    assert "Oddzwonić" in closed and "Wizyta 0" not in closed
    by_type = staff_client.get(url, {"event_type": visit_type.pk,
                                     "date_from": _soon(days=2).date().isoformat(),
                                     "date_to": _soon(days=3).date().isoformat()})
    text = by_type.content.decode()
    assert "Wizyta 1" in text and "Wizyta 2" in text and "Wizyta 0" not in text


def test_list_pages(staff_client, staff, visit_type):
    from helpdesk.selectors.schedule import PAGE_SIZE

    for n in range(PAGE_SIZE + 1):
        services.event_create(actor=staff, event_type=visit_type, title=f"Nr {n:03d}",
                              starts_at=_soon() + datetime.timedelta(minutes=n))
    first = staff_client.get(reverse("helpdesk:event_list")).content.decode()
    assert 'id="next-page"' in first and f"Nr {PAGE_SIZE:03d}" not in first
    second = staff_client.get(reverse("helpdesk:event_list"), {"page": 2}).content.decode()
    assert f"Nr {PAGE_SIZE:03d}" in second


def test_new_event_from_the_card_links_customer(staff_client, staff, customer, home,
                                                visit_type):
    start = reverse("helpdesk:event_new_customer", args=[customer.pk])
    response = staff_client.get(start)
    assert response.status_code == 302
    form = staff_client.get(response.url)
    assert "Kowalski" in form.content.decode()
    saved = staff_client.post(response.url, {
        "event_type": visit_type.pk, "title": "Montaż", "starts_at": "2026-12-07T10:00",
        "staff": [staff.pk], "address": home.pk})
    event = Event.objects.get()
    assert saved.status_code == 302 and saved.url == reverse("helpdesk:event_detail",
                                                             args=[event.pk])
    assert event.customer == customer and event.address == home
    assert event.starts_at == warsaw(2026, 12, 7, 10, 0)


def test_new_event_with_anothers_address_shows_the_reason(staff_client, customer, neighbour,
                                                          visit_type):
    url = reverse("helpdesk:event_new") + f"?customer={customer.pk}"
    response = staff_client.post(url, {"event_type": visit_type.pk, "title": "Montaż",
                                       "starts_at": "2026-12-07T10:00",
                                       "address": neighbour.home.pk})
    assert "The place must be one of the customer&#x27;s addresses." in \
        response.content.decode()
    assert not Event.objects.exists()


def test_time_skipped_by_summer_time_is_refused(staff_client, in_tenant, visit_type):
    response = staff_client.post(reverse("helpdesk:event_new"), {
        "event_type": visit_type.pk, "title": "Noc", "starts_at": "2026-03-29T02:30"})
    assert "summer time" in response.content.decode()
    assert not Event.objects.exists()


def test_other_tenants_customer_is_404(client, other_staff, customer):
    client.force_login(other_staff)
    assert client.get(reverse("helpdesk:event_new"),
                      {"customer": customer.pk}).status_code == 404


def test_move_by_post_json_and_refusal(staff_client, visit):
    url = reverse("helpdesk:event_move", args=[visit.pk])
    ok = staff_client.post(url, {"starts_at": "2026-12-10T08:15"},
                           headers={"accept": "application/json"})
    assert ok.status_code == 200 and ok.json()["ok"]
    visit.refresh_from_db()
    assert visit.starts_at == warsaw(2026, 12, 10, 8, 15)
    far = staff_client.post(url, {"starts_at": "2206-12-10T08:15"},
                            headers={"accept": "application/json"})
    assert far.status_code == 400 and "starts_at" in far.json()["errors"]


def test_move_without_javascript_through_edit_form(staff_client, staff, tech, visit):
    response = staff_client.post(reverse("helpdesk:event_detail", args=[visit.pk]), {
        "event_type": visit.event_type_id, "title": visit.title,
        "starts_at": "2026-12-11T12:00", "duration_minutes": "45", "staff": [tech.pk],
        "address": visit.address_id})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.starts_at == warsaw(2026, 12, 11, 12, 0) and visit.duration_minutes == 45


def test_close_with_note_then_reopen(staff_client, visit):
    empty = staff_client.post(reverse("helpdesk:event_close", args=[visit.pk]), {"note": ""})
    assert empty.status_code == 400
    staff_client.post(reverse("helpdesk:event_close", args=[visit.pk]),
                      {"note": "Antena <b>ustawiona</b>"})
    page = staff_client.get(reverse("helpdesk:event_detail", args=[visit.pk])).content.decode()
    assert "Antena &lt;b&gt;ustawiona&lt;/b&gt;" in page and 'id="event-reopen"' in page
    staff_client.post(reverse("helpdesk:event_reopen", args=[visit.pk]))
    visit.refresh_from_db()
    assert not visit.is_closed


def test_technician_moves_but_cannot_add(client, tenant, tech, visit):
    client.force_login(tech)
    assert client.get(reverse("helpdesk:event_new")).status_code == 403
    moved = client.post(reverse("helpdesk:event_move", args=[visit.pk]),
                        {"starts_at": "2026-12-10T08:15"})
    assert moved.status_code == 302


def test_card_section_lists_open_and_closed(staff_client, staff, customer, visit, visit_type,
                                            django_assert_max_num_queries):
    done = services.event_create(actor=staff, event_type=visit_type, title="Stara wizyta",
                                 starts_at=_soon(days=-2), customer=customer)
    services.event_close(actor=staff, event=done, note="Naprawione")
    url = reverse("customers:section", args=[customer.pk, "schedule"])
    response = staff_client.get(url, headers={"HX-Request": "true"})
    html = response.content.decode()
    open_part, closed_part = html.split('id="schedule-closed"')
    assert "Wizyta u Jana" in open_part and "Stara wizyta" in closed_part
    assert reverse("helpdesk:event_detail", args=[done.pk]) in closed_part
    card = staff_client.get(reverse("customers:card", args=[customer.pk])).content.decode()
    assert "Add a scheduler event" in card


def test_event_types_admin(staff_client, in_tenant, schedule_types):
    listed = staff_client.get(reverse("helpdesk:event_types")).content.decode()
    assert "Wizyta serwisowa" in listed
    added = staff_client.post(reverse("helpdesk:event_types"), {
        "name": "Pomiar", "color": "#112233", "default_minutes": 30, "position": 9,
        "is_active": "on"})
    assert added.status_code == 302
    visit = schedule_types["Wizyta serwisowa"]
    staff_client.post(reverse("helpdesk:event_type_detail", args=[visit.pk]), {
        "name": "Wizyta", "color": "#112233", "default_minutes": 45, "position": 1})
    visit.refresh_from_db()
    assert visit.name == "Wizyta" and not visit.is_active


def test_operator_cannot_edit_types(client, tenant, schedule_types):
    operator = make_staff(tenant, "ola", Role.OPERATOR)
    client.force_login(operator)
    assert client.get(reverse("helpdesk:event_types")).status_code == 200
    assert client.post(reverse("helpdesk:event_types"), {"name": "X"}).status_code == 403
