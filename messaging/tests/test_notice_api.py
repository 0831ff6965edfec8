"""``/api/v1/customers/{customer_pk}/notices/``: device messages through the API."""

import pytest

from conftest import make_staff, token_client
from core.roles import Role
from customers.services import customer_create
from messaging import notices
from messaging.models import Message


def url(customer, pk=None, action=""):
    base = f"/api/v1/customers/{customer.pk}/notices/"
    return base + (f"{pk}/" if pk else "") + (f"{action}/" if action else "")


def test_send_list_and_cancel(api_client, customer, notice_login, notice_reloads,
                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(url(customer), {"body": "Przerwa 2–4 w nocy"},
                                   format="json")

    assert response.status_code == 201, response.json()
    sent = response.json()
    assert (sent["status"], sent["unread"], sent["recipient"]) == ("sent", True, "jan-dom")
    assert sent["author"] == "Anna Testowy"
    assert len(notice_reloads) == 1
    listed = api_client.get(url(customer)).json()
    assert [row["id"] for row in listed["results"]] == [sent["id"]]

    response = api_client.post(url(customer, sent["id"], "cancel"))

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["unread"]) == ("cancelled", False)
    again = api_client.post(url(customer, sent["id"], "cancel"))
    assert again.status_code == 400


@pytest.mark.parametrize("body", ["", " ", "x" * 2001])
def test_refused_text_is_400(api_client, customer, notice_login, body):
    response = api_client.post(url(customer), {"body": body}, format="json")

    assert response.status_code == 400
    assert not Message.objects.exists()


def test_a_customer_without_logins_is_400(api_client, customer):
    response = api_client.post(url(customer), {"body": "Hej"}, format="json")

    assert response.status_code == 400 and "no login" in str(response.json())


def test_other_tenants_customer_and_notice_are_404(other_api_client, staff, customer,
                                                   notice_login, notice_reloads):
    message = notices.notice_send(customer=customer, text="Hej", actor=staff)

    assert other_api_client.get(url(customer)).status_code == 404
    assert other_api_client.post(url(customer), {"body": "x"}, format="json").status_code == 404
    assert other_api_client.post(url(customer, message.pk, "cancel")).status_code == 404
    message.refresh_from_db()
    assert message.status == "sent"


def test_another_customers_notice_is_404(api_client, staff, customer, notice_login,
                                         notice_reloads):
    message = notices.notice_send(customer=customer, text="Hej", actor=staff)
    neighbour = customer_create(actor=staff, last_name="Nowak")

    assert api_client.post(url(neighbour, message.pk, "cancel")).status_code == 404


def test_a_technician_may_not(tenant, customer, notice_login):
    client = token_client(make_staff(tenant, "tomek", role=Role.TECHNICIAN), tenant)

    assert client.get(url(customer)).status_code == 403
    assert client.post(url(customer), {"body": "Hej"}, format="json").status_code == 403


def test_list_query_count(api_client, staff, customer, notice_login, notice_reloads,
                          django_assert_num_queries):
    for n in range(3):
        notices.notice_send(customer=customer, text=f"N{n}", actor=staff)
    # token + user + tenant, membership, token last use, role (permission), the customer,
    # the count, the page with authors — the same for three notices as for one.
    with django_assert_num_queries(7):
        response = api_client.get(url(customer))
    assert response.json()["count"] == 3
