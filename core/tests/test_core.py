import pytest
from django.core.exceptions import ValidationError

from conftest import make_staff
from core.models import Membership, TenantSetting
from core.roles import Role, role_grants
from core.tenancy import tenant_context
from core.tenant_settings import REGISTRY, setting_get, settings_list


def test_setting_default_comes_from_code_until_tenant_changes_it(tenant, other_tenant):
    assert setting_get("customer.panel_lock_minutes", tenant=tenant) == 15
    with tenant_context(tenant):
        TenantSetting.objects.create(key="customer.panel_lock_minutes", value=30)
        assert setting_get("customer.panel_lock_minutes") == 30
    assert setting_get("customer.panel_lock_minutes", tenant=other_tenant) == 15
    changed = {d.key: (v, c) for d, v, c in settings_list(tenant=tenant)}
    assert changed["customer.panel_lock_minutes"] == (30, True)
    assert changed["customer.scan_max_mb"] == (10, False)


@pytest.mark.parametrize("key,raw,message", [
    ("customer.panel_lock_minutes", "abc", "whole number"),
    ("customer.panel_lock_minutes", "0", "at least 1"),
    ("finance.bank_sort_code", "1234", "exactly 8 digits"),
    ("documents.number_pattern.contract", "UM/{YYYY}", "running number {N}"),
    ("finance.invoice_number_pattern", "FV/{X}/{N}", "Unknown token"),
])
def test_setting_values_are_validated(key, raw, message):
    with pytest.raises(ValidationError) as error:
        REGISTRY[key].clean(raw)
    assert message in error.value.messages[0]


def test_settings_are_grouped_in_categories():
    assert {d.category for d in REGISTRY.values()} >= {"customer", "finance"}


@pytest.mark.parametrize("role,perm,granted", [
    (Role.ADMIN, "core.change_tenantsetting", True),
    (Role.OPERATOR, "core.change_tenantsetting", False),
    (Role.OPERATOR, "customers.change_customer", True),
    (Role.ACCOUNTANT, "customers.change_customer", False),
    (Role.ACCOUNTANT, "customers.view_customer", True),
    (Role.TECHNICIAN, "customers.add_customer", False),
    (Role.TECHNICIAN, "customers.change_address", True),
])
def test_roles_map_to_permissions(role, perm, granted):
    assert role_grants(role, perm) is granted


def test_permissions_follow_the_role_in_the_active_tenant(tenant, other_tenant):
    user = make_staff(tenant, "ewa", role=Role.OPERATOR)
    Membership.objects.create(user=user, tenant=other_tenant, role=Role.ACCOUNTANT)
    with tenant_context(tenant):
        assert user.has_perm("customers.change_customer")
    user = type(user).objects.get(pk=user.pk)
    with tenant_context(other_tenant):
        assert not user.has_perm("customers.change_customer")
        assert user.has_perm("customers.view_customer")
    user = type(user).objects.get(pk=user.pk)
    assert not user.has_perm("customers.view_customer")  # no active tenant, no rights


def test_session_tenant_is_trusted_only_for_members(client, tenant, other_tenant, staff):
    """A forged tenant id in the session falls back to one of the user's own tenants."""
    client.force_login(staff)
    session = client.session
    session["tenant_id"] = other_tenant.pk
    session.save()
    response = client.get("/api/v1/", HTTP_ACCEPT="application/json")
    assert response.wsgi_request.tenant == tenant


def test_api_token_command_prints_a_working_key(tenant, staff, customer):
    from io import StringIO

    from django.core.management import call_command
    from rest_framework.test import APIClient

    out = StringIO()
    call_command("create_api_token", staff.username, tenant.slug, stdout=out)
    client = APIClient(headers={"accept-language": "en"})
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")
    response = client.get("/api/v1/customers/")
    assert response.status_code == 200
    assert response.json()["results"][0]["last_name"] == "Kowalski"


def test_api_token_needs_membership(tenant, other_tenant, staff):
    from core.services import api_token_create

    with pytest.raises(ValidationError):
        api_token_create(user=staff, tenant=other_tenant)
