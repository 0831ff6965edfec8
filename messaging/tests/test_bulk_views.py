"""Staff pages of bulk sends: choose → preview for three and the dry run's count → send
(one send per form) → progress polled by htmx; the cap, permissions, another tenant."""

import re
import uuid

import pytest
from django.urls import reverse

from conftest import make_staff
from core.models import TenantSetting
from core.roles import Role
from core.tenancy import tenant_context
from customers import services as customer_services
from messaging import bulk, templates_admin
from messaging.models import BulkSend, Message


@pytest.fixture
def template(in_tenant, staff):
    return templates_admin.message_template_create(
        actor=staff, channel="sms", name="Saldo",
        body="{{ customer.name }}: saldo {{ balance.amount }}")


@pytest.fixture
def five(bulk_customer):
    people = [bulk_customer(f"Nowak{i}", phone=f"+48600{i:06d}", debt=str(i + 1))
              for i in range(4)]
    return [*people, bulk_customer("Bez telefonu")]


def form(template, **extra):
    return {"channel": "sms", "template": template.pk, "group": "", "status": "", "kind": "",
            **extra}


def test_check_shows_three_previews_and_the_count(staff_client, template, five):
    response = staff_client.post(reverse("messaging:bulk_new"), form(template))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="border rounded p-2 h-100 bulk-sample"') == 3
    assert "Jan Nowak0: saldo -1,00" in html and "Jan Nowak2: saldo -3,00" in html
    assert "Nowak3: saldo" not in html  # three, not four
    assert "4 messages would be sent" in html and "1 customer skipped" in html
    assert "Send 4 messages" in html
    assert not BulkSend.objects.exists()


def test_check_over_the_cap_offers_no_send_button(staff_client, tenant, template, five):
    TenantSetting.objects.create(tenant=tenant, key="messaging.bulk_cap", value=3)
    response = staff_client.post(reverse("messaging:bulk_new"), form(template))
    html = response.content.decode()
    assert response.status_code == 400
    assert "4 recipients are more than the 3 messages" in html
    assert 'id="bulk-send"' not in html


def test_send_twice_with_the_same_form_is_one_send_then_progress(
        staff_client, template, five, bulk_gateways, django_capture_on_commit_callbacks):
    html = staff_client.post(reverse("messaging:bulk_new"), form(template)).content.decode()
    token = re.search(r'name="request_token" value="([0-9a-f-]+)"', html).group(1)
    data = form(template, request_token=token)
    with django_capture_on_commit_callbacks(execute=True):
        first = staff_client.post(reverse("messaging:bulk_send"), data)
        second = staff_client.post(reverse("messaging:bulk_send"), data)
    sent = BulkSend.objects.get()
    assert first.url == second.url == reverse("messaging:bulk", args=[sent.pk])
    assert Message.objects.count() == 4 and len(bulk_gateways) == 4
    progress = staff_client.get(reverse("messaging:bulk_progress", args=[sent.pk]))
    html = progress.content.decode()
    assert "4 of 4 messages queued" in html and "1 customer skipped" in html
    assert "hx-trigger" not in html  # finished: polling stops
    assert 'data-progress="100"' in html


def test_running_send_keeps_polling(staff_client, staff, template, five):
    sent = bulk.bulk_send_start(actor=staff, channel="sms", template=template,
                                audience=bulk.audience_clean())  # the task waits for commit
    html = staff_client.get(reverse("messaging:bulk", args=[sent.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and "0 of 4 messages queued" in html
    assert 'data-progress="0"' in html


def test_send_refused_past_the_cap_queues_nothing(staff_client, tenant, template, five):
    TenantSetting.objects.create(tenant=tenant, key="messaging.bulk_cap", value=2)
    response = staff_client.post(reverse("messaging:bulk_send"),
                                 form(template, request_token=uuid.uuid4()))
    assert response.status_code == 400
    assert "more than the 2 messages" in response.content.decode()
    assert not BulkSend.objects.exists() and not Message.objects.exists()


def test_another_tenants_template_or_group_is_not_a_choice(staff_client, template, five,
                                                           other_tenant, other_staff):
    with tenant_context(other_tenant):
        foreign = templates_admin.message_template_create(actor=other_staff, channel="sms",
                                                          name="Obcy", body="x")
        group = customer_services.group_create(actor=other_staff, name="Obca grupa")
    for data in (form(foreign), form(template, group=group.pk)):
        response = staff_client.post(reverse("messaging:bulk_new"), data)
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()


def test_list_with_one_query_for_the_sends(staff_client, staff, template, five,
                                           django_assert_num_queries):
    for _ in range(3):
        bulk.bulk_send_start(actor=staff, channel="sms", template=template,
                             audience=bulk.audience_clean())
    staff_client.get(reverse("messaging:bulk_list"))  # the first request stores the tenant
    # 3: session, user, membership (active tenant, with the role: permissions); 1: the sends
    #    joined with their template and author.
    with django_assert_num_queries(4):
        response = staff_client.get(reverse("messaging:bulk_list"))
    assert response.content.decode().count("Saldo") == 3


def test_other_tenants_send_is_404(client, other_staff, staff, template, five):
    sent = bulk.bulk_send_start(actor=staff, channel="sms", template=template,
                                audience=bulk.audience_clean())
    client.force_login(other_staff)
    assert client.get(reverse("messaging:bulk", args=[sent.pk])).status_code == 404
    assert client.get(reverse("messaging:bulk_progress", args=[sent.pk])).status_code == 404


def test_permissions(client, tenant, template, five):
    operator = make_staff(tenant, "olek", role=Role.OPERATOR)
    client.force_login(operator)
    assert client.get(reverse("messaging:bulk_new")).status_code == 403
    assert client.post(reverse("messaging:bulk_send"),
                       form(template, request_token=uuid.uuid4())).status_code == 403
    accountant = make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT)
    client.force_login(accountant)
    assert client.get(reverse("messaging:bulk_new")).status_code == 200
    assert not BulkSend.objects.exists()
