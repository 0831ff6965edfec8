"""Staff pages of gateway settings (administrators only): the password never rendered
back, kept when left empty, the report URL with its secret and the rotate button."""

import pytest
from django.urls import reverse

from conftest import make_staff
from core.roles import Role
from messaging import gateway_config
from messaging.models import Gateway

PASSWORD = "Sekret-ąę-<b>&\"'"


@pytest.fixture
def smtp(in_tenant, staff):
    return gateway_config.gateway_create(
        actor=staff, channel="email", kind="smtp", host="smtp.example.pl", port=587,
        username="abonent", password=PASSWORD, from_address="biuro@example.pl")


@pytest.fixture
def kannel(in_tenant, staff):
    return gateway_config.gateway_create(
        actor=staff, channel="sms", kind="kannel",
        url="http://127.0.0.1:13013/cgi-bin/sendsms", username="abonent", password=PASSWORD)


def test_list_shows_both_channels_never_the_password(staff_client, smtp, kannel,
                                                     django_assert_num_queries):
    staff_client.get(reverse("messaging:gateways"))  # the first request stores the tenant
    # 3: session, user, membership (active tenant, with the role: permissions); 1: the gateways.
    with django_assert_num_queries(4):
        response = staff_client.get(reverse("messaging:gateways"))
    html = response.content.decode()
    assert "smtp.example.pl" in html and "127.0.0.1:13013" in html
    assert "Sekret" not in html
    assert f"/messaging/dlr/{kannel.tenant_id}/{{key}}/?s={kannel.dlr_secret}" in html


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_edit_form_never_renders_the_password(staff_client, smtp, kannel, channel):
    html = staff_client.get(reverse("messaging:gateway_edit", args=[channel])).content.decode()
    assert "Sekret" not in html and "leave empty to keep" in html


def test_setting_up_an_smtp_server(staff_client, in_tenant):
    response = staff_client.post(reverse("messaging:gateway_edit", args=["email"]), {
        "kind": "smtp", "host": "mail.alfa.pl", "port": "465", "use_ssl": "on",
        "username": "u", "password": "p4ss", "from_address": "noc@alfa.pl",
        "rate_per_second": "20"})
    assert response.status_code == 302
    gateway = Gateway.objects.get()
    assert (gateway.host, gateway.port, gateway.use_ssl, gateway.password) == \
        ("mail.alfa.pl", 465, True, "p4ss")


def test_saving_with_an_empty_password_keeps_it(staff_client, smtp):
    response = staff_client.post(reverse("messaging:gateway_edit", args=["email"]), {
        "kind": "smtp", "host": "smtp.example.pl", "port": "2525", "username": "abonent",
        "password": "", "from_address": "biuro@example.pl", "rate_per_second": "50"})
    assert response.status_code == 302
    smtp.refresh_from_db()
    assert (smtp.port, smtp.password) == (2525, PASSWORD)


def test_invalid_settings_are_shown_and_the_typed_password_is_not_echoed(staff_client,
                                                                         in_tenant):
    response = staff_client.post(reverse("messaging:gateway_edit", args=["email"]), {
        "kind": "smtp", "host": "bad host\r\nX", "port": "99999", "password": "tajne-xyz",
        "from_address": "nie-adres", "rate_per_second": "0"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Line breaks are not allowed" in html and "1 to 65535" in html
    assert "tajne-xyz" not in html
    assert not Gateway.objects.exists()


def test_rotate_makes_a_new_secret(staff_client, kannel):
    old = kannel.dlr_secret
    response = staff_client.post(reverse("messaging:gateway_rotate", args=["sms"]))
    assert response.status_code == 302
    kannel.refresh_from_db()
    assert kannel.dlr_secret != old


def test_unknown_channel_or_missing_gateway_is_404(staff_client, in_tenant):
    assert staff_client.get(reverse("messaging:gateway_edit",
                                    args=["notice"])).status_code == 404
    assert staff_client.post(reverse("messaging:gateway_rotate",
                                     args=["sms"])).status_code == 404


def test_other_tenant_sees_its_own_gateways_only(client, other_staff, kannel):
    client.force_login(other_staff)
    html = client.get(reverse("messaging:gateways")).content.decode()
    assert "127.0.0.1:13013" not in html and kannel.dlr_secret not in html
    assert client.post(reverse("messaging:gateway_rotate", args=["sms"])).status_code == 404
    secret = kannel.dlr_secret
    kannel.refresh_from_db()
    assert kannel.dlr_secret == secret


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ACCOUNTANT, Role.TECHNICIAN])
def test_only_administrators_see_gateways(client, tenant, kannel, role):
    user = make_staff(tenant, "nieadmin", role=role)
    client.force_login(user)
    assert client.get(reverse("messaging:gateways")).status_code == 403
    assert client.get(reverse("messaging:gateway_edit", args=["sms"])).status_code == 403
    assert client.post(reverse("messaging:gateway_rotate", args=["sms"])).status_code == 403
    assert client.post(reverse("messaging:gateway_delete", args=["sms"])).status_code == 403
