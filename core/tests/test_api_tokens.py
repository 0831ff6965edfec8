"""API tokens from the UI and the API, revocation at once, and the action log of tokens,
roles and settings."""

import threading

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from conftest import make_staff, token_client
from core.models import ActionLog, ApiToken, Membership
from core.roles import Role
from core.services import (
    api_token_create,
    api_token_revoke,
    membership_remove,
    membership_set,
    tenant_setting_set,
)
from core.tenancy import tenant_context


def client_with(key) -> APIClient:
    client = APIClient(headers={"accept-language": "en"})
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def log_of(tenant, kind):
    return list(ActionLog.all_tenants.filter(tenant=tenant, kind=kind).order_by("id"))


# --------------------------------------------------------------------------- UI

def test_admin_creates_a_token_in_the_ui_and_sees_its_key_once(staff_client, staff, tenant):
    operator = make_staff(tenant, "olek", role=Role.OPERATOR)
    response = staff_client.post("/settings/api-tokens/", {"name": "billing robot",
                                                           "user": operator.pk})
    assert response.status_code == 200
    key = response.context["created"]["key"]
    assert key in response.content.decode()
    token = ApiToken.objects.get()
    assert (token.name, token.user, token.tenant) == ("billing robot", operator, tenant)
    assert token.key_hash == ApiToken.hash_key(key) and key not in token.key_hash
    assert client_with(key).get("/api/v1/customers/").status_code == 200
    # The list shows it by prefix, never the key again.
    listing = staff_client.get("/settings/api-tokens/").content.decode()
    assert token.prefix in listing and key not in listing and "billing robot" in listing
    entry, = log_of(tenant, "api_token.create")
    assert token.prefix in entry.text and entry.actor_user == staff
    assert key not in entry.text and key not in str(entry.changes)


def test_ui_refuses_a_name_over_the_limit_and_another_tenants_user(
        staff_client, tenant, other_staff):
    response = staff_client.post("/settings/api-tokens/", {"name": "x" * 101,
                                                           "user": other_staff.pk})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "at most 100 characters" in errors["name"][0]
    assert "user" in errors
    assert not ApiToken.objects.exists()


def test_revoke_in_the_ui_stops_the_token_at_once(staff_client, staff, tenant):
    with tenant_context(tenant):
        token, key = api_token_create(actor=staff, user=staff, tenant=tenant, name="ci")
    api = client_with(key)
    assert api.get("/api/v1/customers/").status_code == 200
    response = staff_client.post(f"/settings/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert api.get("/api/v1/customers/").status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == staff
    page = staff_client.get("/settings/api-tokens/").content.decode()
    assert f'action="/settings/api-tokens/{token.pk}/revoke/"' not in page
    assert len(log_of(tenant, "api_token.revoke")) == 1


def test_other_tenants_token_is_a_404_in_the_ui(staff_client, other_staff, other_tenant):
    token, _key = api_token_create(user=other_staff, tenant=other_tenant)
    assert staff_client.post(f"/settings/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token.prefix not in staff_client.get("/settings/api-tokens/").content.decode()


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ACCOUNTANT, Role.TECHNICIAN])
def test_only_admins_see_and_manage_tokens(client, tenant, staff, role):
    user = make_staff(tenant, "nieadmin", role=role)
    token, _key = api_token_create(user=staff, tenant=tenant)
    client.force_login(user)
    assert client.get("/settings/api-tokens/").status_code == 403
    assert client.post("/settings/api-tokens/", {"name": "x", "user": user.pk}).status_code == 403
    assert client.post(f"/settings/api-tokens/{token.pk}/revoke/").status_code == 403
    assert ApiToken.objects.count() == 1


# --------------------------------------------------------------------------- API

def test_api_lists_creates_and_revokes_tokens(api_client, staff, tenant, other_staff,
                                              other_tenant):
    api_token_create(user=other_staff, tenant=other_tenant, name="theirs")
    response = api_client.post("/api/v1/api-tokens/", {"name": "erp"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["user"] == staff.pk and body["name"] == "erp" and not body["revoked"]
    assert body["key"].startswith(body["prefix"])
    listed = api_client.get("/api/v1/api-tokens/").json()
    assert {t["name"] for t in listed["results"]} == {"", "erp"}  # the fixture's and ours
    assert all("key" not in t for t in listed["results"])
    new = client_with(body["key"])
    assert new.get("/api/v1/customers/").status_code == 200
    revoked = api_client.post(f"/api/v1/api-tokens/{body['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked"]
    assert new.get("/api/v1/customers/").status_code == 401
    # Twice: still revoked, logged once.
    assert api_client.post(f"/api/v1/api-tokens/{body['id']}/revoke/").status_code == 200
    assert len(log_of(tenant, "api_token.revoke")) == 1


def test_api_revoking_ones_own_token_ends_its_next_request(api_client):
    own = api_client.get("/api/v1/api-tokens/").json()["results"][0]
    assert api_client.post(f"/api/v1/api-tokens/{own['id']}/revoke/").status_code == 200
    assert api_client.get("/api/v1/api-tokens/").status_code == 401


def test_api_other_tenants_token_and_user_are_not_found(api_client, other_staff,
                                                        other_tenant):
    theirs, key = api_token_create(user=other_staff, tenant=other_tenant)
    assert api_client.get(f"/api/v1/api-tokens/{theirs.pk}/").status_code == 404
    assert api_client.post(f"/api/v1/api-tokens/{theirs.pk}/revoke/").status_code == 404
    assert client_with(key).get("/api/v1/customers/").status_code == 200
    response = api_client.post("/api/v1/api-tokens/", {"user": other_staff.pk}, format="json")
    assert response.status_code == 400 and "user" in response.json()["errors"]
    response = api_client.post("/api/v1/api-tokens/", {"name": "n" * 101}, format="json")
    assert response.status_code == 400
    assert "no more than 100 characters" in response.json()["errors"]["name"][0]


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ACCOUNTANT, Role.TECHNICIAN])
def test_api_tokens_are_for_admins_only(tenant, role):
    client = token_client(make_staff(tenant, "nieadmin", role=role), tenant)
    assert client.get("/api/v1/api-tokens/").status_code == 403
    assert client.post("/api/v1/api-tokens/", {"name": "x"}, format="json").status_code == 403
    assert client.post("/api/v1/api-tokens/1/revoke/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_revoking_twice_at_once_logs_one_revocation(tenant, staff):
    token, _key = api_token_create(actor=staff, user=staff, tenant=tenant)
    barrier = threading.Barrier(2, timeout=30)

    def revoke():
        try:
            barrier.wait()
            api_token_revoke(actor=staff, token=ApiToken.objects.get(pk=token.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=revoke) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log_of(tenant, "api_token.revoke")) == 1


def test_command_created_token_is_logged(tenant, staff):
    from django.core.management import call_command

    call_command("create_api_token", staff.username, tenant.slug, "--name", "cli")
    entry, = log_of(tenant, "api_token.create")
    assert entry.actor_kind == ActionLog.ActorKind.SYSTEM and "cli" in entry.text


# --------------------------------------------------------------------------- roles

def test_role_changes_are_logged_in_the_tenant(tenant, other_tenant, staff):
    user = make_staff(other_tenant, "ola", role=Role.OPERATOR)
    membership_set(actor=staff, user=user, tenant=tenant, role=Role.TECHNICIAN)
    membership_set(actor=staff, user=user, tenant=tenant, role=Role.TECHNICIAN)  # no change
    membership = membership_set(actor=staff, user=user, tenant=tenant, role=Role.ACCOUNTANT)
    membership_remove(actor=staff, membership=membership)
    kinds = [e.kind for e in ActionLog.all_tenants.filter(tenant=tenant).order_by("id")]
    assert kinds == ["membership.add", "membership.change", "membership.remove"]
    change = log_of(tenant, "membership.change")[0]
    assert change.changes["role"] == ["technician", "accountant"]
    assert "Technician" in change.text and "Accountant" in change.text
    assert not ActionLog.all_tenants.filter(tenant=other_tenant).exists()


def test_removed_member_loses_the_api_at_once(tenant, staff):
    user = make_staff(tenant, "ola", role=Role.OPERATOR)
    _token, key = api_token_create(user=user, tenant=tenant)
    assert client_with(key).get("/api/v1/customers/").status_code == 200
    membership_remove(actor=staff, membership=Membership.objects.get(user=user))
    assert client_with(key).get("/api/v1/customers/").status_code == 401


def _admin_post(client, url, data):
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    payload = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is not None and name not in ("password",):
            payload[name] = value
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            payload[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
        for inline_form in formset.formset.initial_forms:
            for name in inline_form.fields:
                value = inline_form.initial.get(name)
                if value is not None:
                    payload[f"{inline_form.prefix}-{name}"] = getattr(value, "pk", value)
            payload[f"{inline_form.prefix}-id"] = inline_form.instance.pk
    payload.update(data)
    return client.post(url, payload)


def test_role_changes_in_django_admin_are_logged(tenant, other_tenant, staff):
    root = make_staff(other_tenant, "root")
    root.is_staff = root.is_superuser = True
    root.save()
    client = Client()
    client.force_login(root)
    membership = Membership.objects.get(user=staff)
    url = f"/admin/core/tenant/{tenant.pk}/change/"
    response = _admin_post(client, url, {"memberships-0-role": Role.OPERATOR})
    assert response.status_code == 302, response.context["errors"]
    membership.refresh_from_db()
    assert membership.role == Role.OPERATOR
    entry, = log_of(tenant, "membership.change")
    assert entry.actor_user == root
    response = _admin_post(client, url, {"memberships-0-DELETE": "on"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert len(log_of(tenant, "membership.remove")) == 1
    assert site.is_registered(type(tenant))


# --------------------------------------------------------------------------- settings

def test_setting_changes_are_logged_once_per_real_change(in_tenant, staff, staff_client):
    tenant_setting_set(actor=staff, key="customer.pin_length", raw_value="8")
    tenant_setting_set(actor=staff, key="customer.pin_length", raw_value="8")
    response = staff_client.post("/settings/", {"key": "customer.pin_length", "value": "10"})
    assert response.status_code == 302
    entries = log_of(in_tenant, "setting.change")
    assert [e.changes["customer.pin_length"] for e in entries] == [[6, 8], [8, 10]]
