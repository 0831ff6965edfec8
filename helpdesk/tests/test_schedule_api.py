"""The scheduler's API: event types and events with their actions, refusals as 400s
naming the fields, another tenant's ids."""

import datetime

import pytest
from django.utils import timezone

from helpdesk.models import Event
from helpdesk.services import schedule as services
from helpdesk.tests.fixtures_schedule import warsaw


def _start(days=2):
    return (timezone.now() + datetime.timedelta(days=days)).replace(microsecond=0)


@pytest.fixture
def api_event(staff, tech, customer, home, visit_type):
    return services.event_create(actor=staff, event_type=visit_type, title="Wizyta API",
                                 starts_at=_start(), staff=[tech], customer=customer,
                                 address=home)


def test_event_types_seeded_on_list(api_client, tenant):
    response = api_client.get("/api/v1/event-types/")
    assert response.status_code == 200
    assert [t["name"] for t in response.json()["results"]][:2] == ["Instalacja",
                                                                   "Wizyta serwisowa"]


def test_create_event_and_refusals(api_client, staff, other_staff, customer, home, neighbour,
                                   visit_type):
    body = {"event_type": visit_type.pk, "title": "Montaż",
            "starts_at": "2026-12-07T10:00:00+01:00", "staff": [staff.pk],
            "customer": customer.pk, "address": home.pk}
    created = api_client.post("/api/v1/events/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["staff"] == [staff.pk]
    assert created.json()["duration_minutes"] == 60
    refused = api_client.post("/api/v1/events/", {**body, "address": neighbour.home.pk},
                              format="json")
    assert refused.status_code == 400 and "address" in refused.json()["errors"]
    stranger = api_client.post("/api/v1/events/", {**body, "staff": [other_staff.pk]},
                               format="json")
    assert stranger.status_code == 400 and "staff" in stranger.json()["errors"]


def test_other_tenants_customer_id_is_400(other_api_client, other_tenant, customer):
    from core.tenancy import tenant_context

    with tenant_context(other_tenant):
        their_type = services.event_types_seed()[0]
    response = other_api_client.post("/api/v1/events/", {
        "event_type": their_type.pk, "title": "X", "starts_at": "2026-12-07T10:00:00Z",
        "customer": customer.pk}, format="json")
    assert response.status_code == 400 and "customer" in response.json()["errors"]


def test_move_close_reopen(api_client, api_event):
    url = f"/api/v1/events/{api_event.pk}/"
    moved = api_client.post(url + "move/", {"starts_at": "2026-12-08T09:30:00+01:00",
                                            "duration_minutes": 30}, format="json")
    assert moved.status_code == 200, moved.json()
    api_event.refresh_from_db()
    assert api_event.starts_at == warsaw(2026, 12, 8, 9, 30)
    assert api_client.post(url + "close/", {"note": ""}, format="json").status_code == 400
    closed = api_client.post(url + "close/", {"note": "Gotowe"}, format="json")
    assert closed.json()["is_closed"] and closed.json()["close_note"] == "Gotowe"
    again = api_client.post(url + "move/", {"starts_at": "2026-12-09T09:30:00+01:00"},
                            format="json")
    assert again.status_code == 400
    assert not api_client.post(url + "reopen/").json()["is_closed"]


def test_patch_event(api_client, api_event, staff):
    response = api_client.patch(f"/api/v1/events/{api_event.pk}/",
                                {"title": "Nowy tytuł", "staff": [staff.pk]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Nowy tytuł" and response.json()["staff"] == [staff.pk]


def test_list_filters_and_query_count(api_client, staff, tech, customer, visit_type,
                                      django_assert_num_queries):
    starts = [_start(n + 1) for n in range(5)]
    for n in range(5):
        services.event_create(actor=staff, event_type=visit_type, title=f"E{n}",
                              starts_at=starts[n], staff=[tech if n % 2 else staff],
                              customer=customer)
    api_client.get("/api/v1/events/")
    # The token with user and tenant, the membership check, the token's last use, the
    # role, the count, the page with addresses, the assignees.
    with django_assert_num_queries(7):
        response = api_client.get("/api/v1/events/", {"staff": tech.pk})
    assert [e["title"] for e in response.json()["results"]] == ["E1", "E3"]
    # From E3's own start (a moment taken later would pass it by the seconds elapsed).
    after = api_client.get("/api/v1/events/", {"starts_after": starts[3].isoformat()})
    assert [e["title"] for e in after.json()["results"]] == ["E3", "E4"]


def test_other_tenant_event_is_404(other_api_client, api_event):
    assert other_api_client.get(f"/api/v1/events/{api_event.pk}/").status_code == 404
    assert other_api_client.post(f"/api/v1/events/{api_event.pk}/close/",
                                 {"note": "x"}, format="json").status_code == 404
    assert Event.objects.get(pk=api_event.pk).is_closed is False
