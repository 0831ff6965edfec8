"""``/api/v1/bulk-sends/``: dry run, send (one per request token), progress; the cap; another
tenant's send is a 404."""

import uuid

import pytest

from conftest import make_staff, token_client
from core.models import TenantSetting
from core.roles import Role
from messaging import templates_admin
from messaging.models import BulkSend, Message

URL = "/api/v1/bulk-sends/"


@pytest.fixture
def template(in_tenant, staff):
    return templates_admin.message_template_create(
        actor=staff, channel="email", name="Saldo", subject="Saldo {{ customer.name }}",
        body="{{ balance.amount }}")


@pytest.fixture
def people(bulk_customer):
    return [bulk_customer("Adamski", email="a@example.com", debt="5"),
            bulk_customer("Bielski", email="b@example.com"),
            bulk_customer("Cichy")]


def test_dry_run_sends_nothing(api_client, template, people):
    response = api_client.post(URL, {"channel": "email", "template": template.pk,
                                     "dry_run": True}, format="json")
    body = response.json()
    assert response.status_code == 200
    assert (body["recipients"], body["skipped"], body["over_cap"]) == (2, 1, False)
    assert [s["subject"] for s in body["samples"]] == ["Saldo Jan Adamski", "Saldo Jan Bielski"]
    assert not BulkSend.objects.exists()


def test_send_to_debtors_then_progress(api_client, template, people, bulk_gateways,
                                       django_capture_on_commit_callbacks):
    token = str(uuid.uuid4())
    data = {"channel": "email", "template": template.pk, "debtors": True,
            "request_token": token}
    with django_capture_on_commit_callbacks(execute=True):
        first = api_client.post(URL, data, format="json")
        again = api_client.post(URL, data, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["id"] == again.json()["id"]
    progress = api_client.get(f"{URL}{first.json()['id']}/progress/").json()
    assert {k: progress[k] for k in ("state", "total", "done", "percent")} == \
        {"state": "done", "total": 1, "done": 1, "percent": 100}
    assert [m.recipient for m in Message.objects.all()] == ["a@example.com"]


def test_cap_is_400_before_anything_is_queued(api_client, tenant, template, people):
    TenantSetting.objects.create(tenant=tenant, key="messaging.bulk_cap", value=1)
    response = api_client.post(URL, {"channel": "email", "template": template.pk},
                               format="json")
    assert response.status_code == 400 and "more than the 1 messages" in \
        response.json()["detail"]
    assert not BulkSend.objects.exists()


def test_list_query_count_does_not_grow_with_sends(api_client, staff, template, people,
                               django_assert_num_queries):
    for _ in range(3):
        api_client.post(URL, {"channel": "email", "template": template.pk}, format="json")
    # 1 token + user + tenant, 2 membership exists, 3 token last_used_at update, 4 role in
    # the tenant (permission check), 5 count for the page, 6 the page of sends joined with
    # their template and author.
    with django_assert_num_queries(6):
        response = api_client.get(URL)
    assert len(response.json()["results"]) == 3


def test_other_tenant_gets_404_and_cannot_use_our_template(other_api_client, api_client,
                                                           template, people):
    sent = api_client.post(URL, {"channel": "email", "template": template.pk},
                           format="json").json()
    assert other_api_client.get(f"{URL}{sent['id']}/").status_code == 404
    assert other_api_client.get(f"{URL}{sent['id']}/progress/").status_code == 404
    response = other_api_client.post(URL, {"channel": "email", "template": template.pk},
                                     format="json")
    assert response.status_code == 400 and "template" in response.json()["errors"]


def test_operator_may_not_start_a_bulk_send(tenant, template, people):
    client = token_client(make_staff(tenant, "olek", role=Role.OPERATOR), tenant)
    response = client.post(URL, {"channel": "email", "template": template.pk,
                                 "dry_run": True}, format="json")
    assert response.status_code == 403
