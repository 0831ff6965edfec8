"""An address that is the place of a scheduler event is not deleted from under it: the
customers' address removal refuses (a 400 in the API, a message on the card), no 500."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Address
from customers.services import address_remove
from helpdesk.services import schedule as services


@pytest.fixture
def event_at_home(staff, tech, customer, home, visit_type):
    starts_at = (timezone.now() + datetime.timedelta(days=2)).replace(microsecond=0)
    return services.event_create(actor=staff, event_type=visit_type, title="Wizyta",
                                 starts_at=starts_at, staff=[tech], customer=customer,
                                 address=home)


def test_api_refuses_to_delete_the_place_of_an_event(api_client, customer, home,
                                                     event_at_home):
    response = api_client.delete(f"/api/v1/customers/{customer.pk}/addresses/{home.pk}/")

    assert response.status_code == 400, response.content
    assert "place of a scheduler event" in str(response.json())
    assert Address.objects.filter(pk=home.pk).exists()


def test_service_refuses_and_the_address_stays(staff, home, event_at_home):
    with pytest.raises(ValidationError, match="place of a scheduler event"):
        address_remove(actor=staff, address=home)

    assert Address.objects.filter(pk=home.pk).exists()
    event_at_home.refresh_from_db()
    assert event_at_home.address_id == home.pk


def test_card_shows_the_refusal(staff_client, customer, home, event_at_home):
    response = staff_client.post(
        f"/customers/{customer.pk}/addresses/{home.pk}/remove/", follow=True)

    assert "place of a scheduler event" in response.content.decode()
    assert Address.objects.filter(pk=home.pk).exists()


def test_an_address_without_events_is_still_removed(api_client, customer, home):
    response = api_client.delete(f"/api/v1/customers/{customer.pk}/addresses/{home.pk}/")

    assert response.status_code == 204
    assert not Address.objects.filter(pk=home.pk).exists()
