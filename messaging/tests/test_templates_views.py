"""Staff pages of message templates: list, create, edit, delete, preview; permissions,
another tenant's template, Polish."""

import pytest
from django.urls import reverse

from conftest import make_staff
from core.roles import Role
from core.tenancy import tenant_context
from messaging import templates_admin
from messaging.models import BulkSend, MessageTemplate

BODY = "Dzień dobry {{ customer.name }}, saldo {{ balance.amount }} zł."


@pytest.fixture
def template(in_tenant, staff):
    return templates_admin.message_template_create(actor=staff, channel="sms",
                                                   name="Saldo", body=BODY)


def test_list_shows_templates_with_one_query_for_them(staff_client, staff, template,
                                                      django_assert_num_queries):
    templates_admin.message_template_create(actor=staff, channel="email", name="Faktura",
                                            subject="Faktura", body="Treść")
    staff_client.get(reverse("messaging:templates"))  # the first request stores the tenant
    # 3: session, user, membership (active tenant, with the role: permissions); 1: the templates.
    with django_assert_num_queries(4):
        response = staff_client.get(reverse("messaging:templates"))
    html = response.content.decode()
    assert "Saldo" in html and "Faktura" in html


def test_create_shows_a_sandbox_error_on_the_text_and_saves_nothing(staff_client, in_tenant):
    response = staff_client.post(reverse("messaging:template_create"), {
        "channel": "sms", "name": "Zły", "body": "{% load static %}x", "is_active": "on"})
    assert response.status_code == 400
    assert "static" in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_menu_and_editor_list_the_variables(staff_client, in_tenant):
    html = staff_client.get(reverse("messaging:template_create")).content.decode()
    assert 'id="messaging-dropdown"' in html
    for url in ("messaging:bulk_list", "messaging:templates", "messaging:gateways"):
        assert f'href="{reverse(url)}"' in html
    assert "<code>balance.debt</code>" in html and "<code>customer.account</code>" in html


def test_create_and_edit(staff_client, in_tenant):
    response = staff_client.post(reverse("messaging:template_create"), {
        "channel": "email", "name": "Przypomnienie", "subject": "Saldo {{ customer.name }}",
        "body": BODY, "is_active": "on"})
    template = MessageTemplate.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("messaging:template_edit", args=[template.pk])
    response = staff_client.post(reverse("messaging:template_edit", args=[template.pk]), {
        "name": "Monit", "subject": "Monit", "body": "Nowa treść"})  # unchecked: inactive
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.name, template.body, template.is_active, template.channel) == \
        ("Monit", "Nowa treść", False, "email")


def test_duplicate_name_is_shown_next_to_the_name(staff_client, template):
    response = staff_client.post(reverse("messaging:template_create"), {
        "channel": "sms", "name": "Saldo", "body": BODY})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_preview_on_a_customer_by_number_counts_parts(staff_client, customer):
    response = staff_client.post(reverse("messaging:template_preview"), {
        "channel": "sms", "body": BODY, "customer_number": customer.number})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Dzień dobry Jan Kowalski, saldo 0,00 zł." in html
    assert "UCS-2" in html and "1 part" in html


def test_preview_of_a_broken_text_or_unknown_customer_says_why(staff_client, in_tenant):
    response = staff_client.post(reverse("messaging:template_preview"), {
        "channel": "sms", "body": "{% include 'x.html' %}"})
    assert response.status_code == 400 and "cannot include" in response.content.decode()
    response = staff_client.post(reverse("messaging:template_preview"), {
        "channel": "sms", "body": BODY, "customer_number": 999999})
    assert response.status_code == 400 and "no customer number 999999" in \
        response.content.decode()


def test_preview_of_another_tenants_customer_is_not_found(staff_client, other_tenant,
                                                          other_staff):
    from customers.services import customer_create

    with tenant_context(other_tenant):
        stranger = customer_create(actor=other_staff, first_name="Obcy", last_name="Klient")
    response = staff_client.post(reverse("messaging:template_preview"), {
        "channel": "sms", "body": BODY, "customer_number": stranger.number})
    assert "Obcy" not in response.content.decode()


def test_delete_of_a_used_template_says_why(staff_client, template):
    BulkSend.objects.create(channel="sms", template=template)
    response = staff_client.post(reverse("messaging:template_delete", args=[template.pk]),
                                 follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert MessageTemplate.objects.filter(pk=template.pk).exists()


def test_other_tenants_template_is_404(client, other_staff, template):
    client.force_login(other_staff)
    assert client.get(reverse("messaging:template_edit", args=[template.pk])).status_code == 404
    assert client.post(reverse("messaging:template_delete",
                               args=[template.pk])).status_code == 404
    assert MessageTemplate.objects.filter(pk=template.pk).exists()


def test_operator_may_look_but_not_change(client, tenant, template):
    operator = make_staff(tenant, "olek", role=Role.OPERATOR)
    client.force_login(operator)
    assert client.get(reverse("messaging:templates")).status_code == 200
    assert client.get(reverse("messaging:template_edit", args=[template.pk])).status_code == 200
    assert client.post(reverse("messaging:template_edit", args=[template.pk]),
                       {"name": "X", "body": "y"}).status_code == 403
    assert client.get(reverse("messaging:template_create")).status_code == 403
    assert client.post(reverse("messaging:template_delete",
                               args=[template.pk])).status_code == 403
    technician = make_staff(tenant, "tomek", role=Role.TECHNICIAN)
    client.force_login(technician)
    assert client.get(reverse("messaging:templates")).status_code == 403

