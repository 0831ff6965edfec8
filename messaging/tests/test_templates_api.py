"""``/api/v1/message-templates/``: list, create, change, delete, preview; another
tenant's template is a 404; a template that does not render is a 400 with the reason."""

import pytest

from core.tenancy import tenant_context
from messaging import templates_admin
from messaging.models import BulkSend, MessageTemplate

URL = "/api/v1/message-templates/"


@pytest.fixture
def template(in_tenant, staff):
    return templates_admin.message_template_create(actor=staff, channel="sms", name="Saldo",
                                                   body="{{ customer.name }}")


def test_list_filtered_by_channel_query_count(api_client, staff, template,
                                                 django_assert_num_queries):
    templates_admin.message_template_create(actor=staff, channel="email", name="Faktura",
                                            subject="Faktura", body="x")
    # 1 token + user + tenant, 2 membership exists, 3 token last_used_at update, 4 role in
    # the tenant (permission check), 5 count for the page, 6 the page of templates.
    with django_assert_num_queries(6):
        response = api_client.get(URL, {"channel": "sms"})
    assert [t["name"] for t in response.json()["results"]] == ["Saldo"]


def test_create_update_delete(api_client, in_tenant):
    response = api_client.post(URL, {"channel": "email", "name": "Monit",
                                     "subject": "Saldo {{ customer.name }}",
                                     "body": "Do zapłaty {{ balance.debt }} zł"}, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    response = api_client.patch(f"{URL}{pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert response.json()["body"] == "Do zapłaty {{ balance.debt }} zł"
    assert api_client.delete(f"{URL}{pk}/").status_code == 204
    assert not MessageTemplate.objects.exists()


def test_sandbox_errors_are_400_with_the_field(api_client, in_tenant):
    response = api_client.post(URL, {"channel": "sms", "name": "Zły",
                                     "body": "{% include '/etc/passwd' %}"}, format="json")
    assert response.status_code == 400
    assert "cannot include" in response.json()["errors"]["body"][0]
    response = api_client.post(URL, {"channel": "sms", "name": "Temat", "subject": "x",
                                     "body": "y"}, format="json")
    assert "subject" in response.json()["errors"]


def test_used_template_delete_is_400(api_client, template):
    BulkSend.objects.create(channel="sms", template=template)
    response = api_client.delete(f"{URL}{template.pk}/")
    assert response.status_code == 400 and "cannot be deleted" in response.json()["detail"]


def test_preview_for_a_customer_and_for_the_sample(api_client, customer):
    response = api_client.post(f"{URL}preview/", {"channel": "sms", "customer": customer.pk,
                                                  "body": "Zażółć {{ customer.name }}"},
                               format="json")
    assert response.json() == {"subject": "", "body": "Zażółć Jan Kowalski",
                               "customer": customer.pk,
                               "segments": {"encoding": "UCS-2", "units": 19, "parts": 1}}
    response = api_client.post(f"{URL}preview/", {"channel": "email", "subject": "S",
                                                  "body": "{{ customer.number }}"},
                               format="json")
    assert response.json()["body"] == "1024" and response.json()["segments"] is None


def test_other_tenants_template_and_customer_are_not_found(api_client, other_api_client,
                                                           template, other_tenant,
                                                           other_staff):
    assert other_api_client.get(f"{URL}{template.pk}/").status_code == 404
    assert other_api_client.patch(f"{URL}{template.pk}/", {"name": "X"},
                                  format="json").status_code == 404
    assert other_api_client.delete(f"{URL}{template.pk}/").status_code == 404
    from customers.services import customer_create

    with tenant_context(other_tenant):
        stranger = customer_create(actor=other_staff, last_name="Obcy")
    response = api_client.post(f"{URL}preview/", {"channel": "sms", "customer": stranger.pk,
                                                  "body": "{{ customer.name }}"},
                               format="json")
    assert response.status_code == 400 and "customer" in response.json()["errors"]
