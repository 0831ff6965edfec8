"""A staff login ends after STAFF_IDLE_MINUTES without a request and STAFF_SESSION_HOURS
after it began; the customer panel's session is not touched."""

import time

import pytest
from django.urls import reverse

from core.middleware import StaffSessionTimeoutMiddleware as Timeout
from customers import services as customer_services

LIST_URL = reverse("customers:list")


def age_session(client, **seconds_ago) -> None:
    """Move the session's clocks back, as if the time had passed."""
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def limits(settings):
    settings.STAFF_IDLE_MINUTES = 30
    settings.STAFF_SESSION_HOURS = 10
    return settings


def test_a_staff_session_in_use_stays(staff_client, limits):
    assert staff_client.get(LIST_URL).status_code == 200
    age_session(staff_client, **{Timeout.SEEN_AT: 29 * 60 + 50, Timeout.LOGIN_AT: 9 * 3600})
    assert staff_client.get(LIST_URL).status_code == 200
    assert logged_in(staff_client)
    # The request counted as activity: another 29 minutes later it is still open.
    age_session(staff_client, **{Timeout.SEEN_AT: 29 * 60})
    assert staff_client.get(LIST_URL).status_code == 200


def test_idle_staff_session_ends_with_a_message(staff_client, limits):
    staff_client.get(LIST_URL)
    age_session(staff_client, **{Timeout.SEEN_AT: 30 * 60})
    response = staff_client.get(LIST_URL, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert not logged_in(staff_client)
    assert "after 30 minutes without activity" in response.content.decode()


def test_staff_session_ends_after_its_hours_however_busy(staff_client, limits):
    staff_client.get(LIST_URL)
    age_session(staff_client, **{Timeout.LOGIN_AT: 10 * 3600, Timeout.SEEN_AT: 5})
    response = staff_client.get(LIST_URL)
    assert response.status_code == 302 and not logged_in(staff_client)


def test_idle_limit_zero_is_off(staff_client, limits):
    limits.STAFF_IDLE_MINUTES = 0
    staff_client.get(LIST_URL)
    age_session(staff_client, **{Timeout.SEEN_AT: 8 * 3600})
    assert staff_client.get(LIST_URL).status_code == 200


def test_idle_api_session_is_refused(staff_client, limits):
    assert staff_client.get("/api/v1/customers/").status_code == 200
    age_session(staff_client, **{Timeout.SEEN_AT: 31 * 60})
    assert staff_client.get("/api/v1/customers/").status_code in (401, 403)


def test_panel_session_is_not_a_staff_session(client, in_tenant, staff, customer, limits):
    customer_services.panel_credentials_set(actor=staff, customer=customer,
                                            login="jkowalski", password="Haslo-Bardzo-Tajne-1")
    response = client.post(reverse("panel:login"),
                           {"login": "jkowalski", "secret": "Haslo-Bardzo-Tajne-1"})
    assert response.status_code == 302
    assert client.get(reverse("panel:home")).status_code == 200
    assert Timeout.SEEN_AT not in client.session and Timeout.LOGIN_AT not in client.session
