"""``/api/v1/message-gateways/``: administrators only; the password write-only."""

import pytest

from conftest import make_staff, token_client
from core.roles import Role
from messaging.models import Gateway

URL = "/api/v1/message-gateways/"
KANNEL = {"channel": "sms", "kind": "kannel", "url": "http://127.0.0.1:13013/cgi-bin/sendsms",
          "username": "abonent", "password": "tajne-haslo", "from_address": "Alfa"}


@pytest.fixture
def created(api_client, in_tenant):
    response = api_client.post(URL, KANNEL, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_password_is_write_only(api_client, created):
    assert "password" not in created and created["has_password"] is True
    listed = api_client.get(URL).json()["results"]
    assert "tajne" not in str(listed) and listed[0]["report_url"].endswith(
        f"?s={Gateway.objects.get().dlr_secret}")
    response = api_client.patch(f"{URL}{created['id']}/", {"rate_per_second": 7},
                                format="json")
    assert response.status_code == 200 and response.json()["rate_per_second"] == 7
    assert Gateway.objects.get().password == "tajne-haslo"


def test_validation_errors_name_the_field(api_client, in_tenant):
    response = api_client.post(URL, {**KANNEL, "url": "file:///etc/passwd"}, format="json")
    assert response.status_code == 400 and "url" in response.json()["errors"]
    response = api_client.post(URL, {**KANNEL, "kind": "smtp"}, format="json")
    assert "kind" in response.json()["errors"]


def test_rotate_secret(api_client, created):
    old = Gateway.objects.get().dlr_secret
    response = api_client.post(f"{URL}{created['id']}/rotate-secret/")
    assert response.status_code == 200
    assert Gateway.objects.get().dlr_secret != old
    assert response.json()["report_url"].endswith(Gateway.objects.get().dlr_secret)


def test_other_tenant_gets_404(other_api_client, created):
    assert other_api_client.get(f"{URL}{created['id']}/").status_code == 404
    assert other_api_client.post(f"{URL}{created['id']}/rotate-secret/").status_code == 404
    assert other_api_client.delete(f"{URL}{created['id']}/").status_code == 404
    assert other_api_client.get(URL).json()["results"] == []


def test_non_administrators_are_refused(tenant, created):
    client = token_client(make_staff(tenant, "olek", role=Role.ACCOUNTANT), tenant)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {**KANNEL, "channel": "email"}, format="json").status_code == 403
    assert client.post(f"{URL}{created['id']}/rotate-secret/").status_code == 403


def test_list_query_count(api_client, created, staff, django_assert_num_queries):
    api_client.post(URL, {"channel": "email", "kind": "smtp", "host": "smtp.example.pl",
                          "from_address": "biuro@example.pl"}, format="json")
    # 1 token + user + tenant, 2 membership exists, 3 token last_used_at update, 4 role in
    # the tenant (permission check), 5 count for the page, 6 the gateways.
    with django_assert_num_queries(6):
        response = api_client.get(URL)
    assert [g["channel"] for g in response.json()["results"]] == ["email", "sms"]
