"""SLA settings: business hours, days off, targets — services, pages and API."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.models import ActionLog
from core.tenancy import tenant_context
from helpdesk.business_time import calendar_get
from helpdesk.models import BusinessDay, Holiday, SlaTarget
from helpdesk.services import sla as services
from helpdesk.tests.factories import case_type_make

NASTY = "%{}\\'\"<script>alert(1)</script>"


# ----------------------------------------------------------------------- services

def test_business_hours_replace_the_default(in_tenant, staff):
    services.business_hours_set(actor=staff, hours={0: (dt.time(9), dt.time(17)),
                                                    5: (dt.time(10), dt.time(23, 59))})
    assert calendar_get().hours == {0: (dt.time(9), dt.time(17)),
                                    5: (dt.time(10), dt.time(23, 59))}
    assert ActionLog.objects.filter(kind="businesshours.update").count() == 1
    # The same week again changes nothing and logs nothing.
    services.business_hours_set(actor=staff, hours={0: (dt.time(9), dt.time(17)),
                                                    5: (dt.time(10), dt.time(23, 59))})
    assert ActionLog.objects.filter(kind="businesshours.update").count() == 1


@pytest.mark.parametrize("hours, key", [
    ({0: (dt.time(17), dt.time(9))}, "day_0"),
    ({2: (dt.time(9), None)}, "day_2"),
    ({}, "hours"),
    ({0: None, 1: None}, "hours"),
    ({7: (dt.time(9), dt.time(10))}, "hours"),
])
def test_business_hours_refused(in_tenant, staff, hours, key):
    with pytest.raises(ValidationError) as error:
        services.business_hours_set(actor=staff, hours=hours)
    assert key in error.value.message_dict
    assert not BusinessDay.objects.exists()


def test_day_off_and_worked_holiday(in_tenant, staff):
    services.holiday_create(actor=staff, date=dt.date(2025, 5, 2), name=NASTY)
    worked = services.holiday_create(actor=staff, date=dt.date(2025, 5, 1), closed=False)
    assert worked.name == "National Day"  # the public holiday's name when left empty
    calendar = calendar_get()
    assert calendar.is_day_off(dt.date(2025, 5, 2)) and not calendar.is_day_off(
        dt.date(2025, 5, 1))
    assert Holiday.objects.get(date=dt.date(2025, 5, 2)).name == NASTY


@pytest.mark.parametrize("date, closed, key", [
    (dt.date(2025, 5, 3), True, "date"),       # a public holiday already
    (dt.date(2025, 5, 5), False, "closed"),    # not a public holiday: cannot be "worked"
    (dt.date(7143, 1, 1), True, "date"),       # nonsense year
    (dt.date(1999, 12, 31), True, "date"),
])
def test_day_off_refused(in_tenant, staff, date, closed, key):
    with pytest.raises(ValidationError) as error:
        services.holiday_create(actor=staff, date=date, name="X", closed=closed)
    assert key in error.value.message_dict


def test_day_off_twice_is_refused_and_year_2100_accepted(in_tenant, staff):
    services.holiday_create(actor=staff, date=dt.date(2100, 6, 1), name="Jubileusz")
    with pytest.raises(ValidationError) as error:
        services.holiday_create(actor=staff, date=dt.date(2100, 6, 1), name="Again")
    assert "is on the list already" in error.value.message_dict["date"][0]


def test_targets(in_tenant, staff):
    case_type = case_type_make("Awaria")
    target = services.sla_target_create(actor=staff, case_type=case_type, priority=2,
                                        first_response_minutes=60, resolution_minutes=480)
    with pytest.raises(ValidationError) as error:
        services.sla_target_create(actor=staff, case_type=case_type, priority=2,
                                   first_response_minutes=30, resolution_minutes=60)
    assert "priority" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.sla_target_update(actor=staff, target=target, resolution_minutes=10)
    assert "resolution_minutes" in error.value.message_dict
    services.sla_target_update(actor=staff, target=target, resolution_minutes=960)
    target.refresh_from_db()
    assert target.resolution_minutes == 960
    assert ActionLog.objects.filter(kind__startswith="slatarget.").count() == 2


@pytest.mark.parametrize("first, resolution", [(0, 10), (-5, 10), (10, 10**9), ("x", 10)])
def test_target_minutes_refused(in_tenant, staff, first, resolution):
    with pytest.raises(ValidationError):
        services.sla_target_create(actor=staff, case_type=case_type_make("T"), priority=2,
                                   first_response_minutes=first, resolution_minutes=resolution)


# ----------------------------------------------------------------------- pages

def test_business_hours_page(staff_client, tenant):
    url = reverse("helpdesk:business_hours")
    response = staff_client.get(url)
    assert response.status_code == 200 and "Monday to Friday, 8:00" in response.text
    data = {"open_0": "on", "opens_0": "07:30", "closes_0": "15:30",
            "open_4": "on", "opens_4": "12:00", "closes_4": "10:00"}
    response = staff_client.post(url, data)
    assert response.status_code == 400
    assert "Friday: the closing hour must be after the opening hour." in response.text
    data["closes_4"] = "23:59"
    assert staff_client.post(url, data).status_code == 302
    with tenant_context(tenant):
        assert BusinessDay.objects.count() == 2


def test_holidays_page_shows_public_holidays_and_adds(staff_client, tenant):
    url = reverse("helpdesk:holidays")
    response = staff_client.get(url, {"year": 2025})
    assert response.status_code == 200
    assert "Christmas Eve" in response.text and "Easter Monday" in response.text
    assert staff_client.get(url, {"year": 7143}).status_code == 404
    response = staff_client.post(url + "?year=2025", {"date": "2025-06-10", "name": NASTY,
                                                      "closed": "1"})
    assert response.status_code == 302
    response = staff_client.get(url, {"year": 2025})
    assert "<script>alert(1)" not in response.text and "&lt;script&gt;" in response.text
    with tenant_context(tenant):
        holiday = Holiday.objects.get()
    edit = reverse("helpdesk:holiday_edit", kwargs={"holiday_id": holiday.pk})
    assert staff_client.post(edit, {"date": "2025-05-01", "name": "x",
                                    "closed": "1"}).status_code == 400
    assert staff_client.post(reverse("helpdesk:holiday_delete",
                                     kwargs={"holiday_id": holiday.pk})).status_code == 302


def test_targets_page_lists_adds_and_counts_queries(staff_client, tenant, staff,
                                                    django_assert_num_queries):
    with tenant_context(tenant):
        types = [case_type_make(f"Typ {n}") for n in range(3)]
        for case_type in types:
            for priority in (1, 2, 3):
                services.sla_target_create(actor=staff, case_type=case_type,
                                           priority=priority, first_response_minutes=30,
                                           resolution_minutes=300)
    url = reverse("helpdesk:sla_targets")
    staff_client.get(url)
    # Queries: session, user, membership/tenant (middleware: as on every page), the
    # count, the page of targets with their types, the types of the filter, the form's
    # types (rendered), permissions.
    with django_assert_num_queries(_baseline(staff_client, url)):
        response = staff_client.get(url, {"case_type": types[0].pk})
    assert response.status_code == 200
    assert response.text.count("Typ 0") >= 3
    response = staff_client.post(url, {"case_type": types[0].pk, "priority": 4,
                                       "first_response_minutes": 15,
                                       "resolution_minutes": 5})
    assert response.status_code == 400
    assert "The resolution cannot be due before the first response." in response.text


def _baseline(client, url):
    """The query count of the page with 9 targets; the page with 100 must not be more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


def test_targets_page_does_not_grow_with_rows(staff_client, tenant, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("helpdesk:sla_targets")
    with tenant_context(tenant):
        case_type = case_type_make("Awaria")
        services.sla_target_create(actor=staff, case_type=case_type, priority=1,
                                   first_response_minutes=30, resolution_minutes=300)
    staff_client.get(url)  # the session's first request reads more
    with CaptureQueriesContext(connection) as one:
        staff_client.get(url)
    with tenant_context(tenant):
        for n in range(10):
            other = case_type_make(f"Typ {n}")
            services.sla_target_create(actor=staff, case_type=other, priority=2,
                                       first_response_minutes=30, resolution_minutes=300)
    with CaptureQueriesContext(connection) as many:
        staff_client.get(url)
    assert len(many) == len(one)


def test_other_tenants_rows_are_404(client, other_tenant, tenant, staff):
    from conftest import make_staff

    with tenant_context(tenant):
        target = services.sla_target_create(actor=staff, case_type=case_type_make("Alfa"),
                                            priority=2, first_response_minutes=1,
                                            resolution_minutes=2)
        holiday = services.holiday_create(actor=staff, date=dt.date(2025, 6, 10), name="Alfa")
    client.force_login(make_staff(other_tenant, "bogdan"))
    for name, kwargs in (("helpdesk:slatarget_edit", {"slatarget_id": target.pk}),
                         ("helpdesk:holiday_edit", {"holiday_id": holiday.pk})):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404
    assert "Alfa" not in client.get(reverse("helpdesk:sla_targets")).text


def test_viewer_cannot_change(client, tenant):
    from conftest import make_staff
    from core.roles import Role

    viewer = make_staff(tenant, "celina", role=[r for r in Role.values if r != "admin"][0])
    client.force_login(viewer)
    response = client.post(reverse("helpdesk:business_hours"),
                           {"open_0": "on", "opens_0": "08:00", "closes_0": "09:00"})
    assert response.status_code == 403


# ----------------------------------------------------------------------- API

def test_api_business_hours(api_client):
    url = "/api/v1/helpdesk-business-hours/"
    body = api_client.get(url).json()
    assert body["configured"] is False and len(body["days"]) == 5
    response = api_client.post(url, {"days": [{"weekday": 0, "opens": "08:00",
                                               "closes": "07:00"}]}, format="json")
    assert response.status_code == 400 and "day_0" in response.json()["errors"]
    response = api_client.post(url, {"days": [{"weekday": 6, "opens": "00:00",
                                               "closes": "23:59"}]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["configured"] is True


def test_api_holidays_and_public(api_client, tenant):
    url = "/api/v1/helpdesk-holidays/"
    response = api_client.post(url, {"date": "2025-11-11", "closed": False}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "National Independence Day"
    response = api_client.post(url, {"date": "7143-01-01", "name": "x"}, format="json")
    assert response.status_code == 400 and "date" in response.json()["errors"]
    public = api_client.get(url + "public/", {"year": 2025}).json()
    assert public["year"] == 2025
    assert {"date": "2025-11-11", "name": "National Independence Day",
            "worked": True} in public["holidays"]
    assert api_client.get(url + "public/", {"year": 7143}).status_code == 400
    assert api_client.get(url, {"year": 2025}).json()["count"] == 1


def test_api_targets_and_other_tenant(api_client, other_api_client, tenant):
    with tenant_context(tenant):
        case_type = case_type_make("Awaria")
    url = "/api/v1/helpdesk-sla-targets/"
    response = api_client.post(url, {"case_type": case_type.pk, "priority": 2,
                                     "first_response_minutes": 60,
                                     "resolution_minutes": 30}, format="json")
    assert response.status_code == 400
    assert "resolution_minutes" in response.json()["errors"]
    response = api_client.post(url, {"case_type": case_type.pk, "priority": 2,
                                     "first_response_minutes": 60,
                                     "resolution_minutes": 480}, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert api_client.patch(f"{url}{pk}/", {"resolution_minutes": 600},
                            format="json").json()["resolution_minutes"] == 600
    # Tenant B: not found, and its type id is "does not exist".
    assert other_api_client.get(f"{url}{pk}/").status_code == 404
    assert other_api_client.patch(f"{url}{pk}/", {"resolution_minutes": 1},
                                  format="json").status_code == 404
    response = other_api_client.post(url, {"case_type": case_type.pk, "priority": 3,
                                           "first_response_minutes": 1,
                                           "resolution_minutes": 2}, format="json")
    assert response.status_code == 400 and "case_type" in response.json()["errors"]
    assert other_api_client.get(url).json()["count"] == 0
    with tenant_context(tenant):
        assert SlaTarget.objects.get().resolution_minutes == 600
