"""The staff navigation's menus, rendered once per role and language
(``core.templatetags.staff_menu``): each user still sees exactly what their role grants,
in their language, and a changed role shows at the next page."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from conftest import make_staff
from core.backends import permissions_key
from core.models import Membership, User
from core.roles import ROLE_PERMISSIONS, Role
from core.tenancy import tenant_context

pytestmark = pytest.mark.django_db
CUSTOMERS_URL = reverse("customers:list")
STAFF_LINK = 'id="nav-staff"'
WAREHOUSE_LINK = 'id="menu-warehouse-stock"'


def page_of(user, language="en") -> str:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    response = client.get(CUSTOMERS_URL)
    assert response.status_code == 200
    return response.content.decode()


def test_each_role_sees_its_own_menu_whoever_saw_one_first(tenant, other_tenant):
    admin = make_staff(tenant, "ala", role=Role.ADMIN)
    operator = make_staff(tenant, "olek", role=Role.OPERATOR)
    other_admin = make_staff(other_tenant, "adam", role=Role.ADMIN)
    assert STAFF_LINK in page_of(admin)
    # The operator's page comes after the admin's was rendered: not the admin's menu.
    page = page_of(operator)
    assert STAFF_LINK not in page and 'href="/customers/"' in page
    assert STAFF_LINK in page_of(other_admin)
    assert STAFF_LINK in page_of(admin)


def test_a_changed_role_shows_at_the_next_page(tenant, staff):
    technician = make_staff(tenant, "tomek", role=Role.TECHNICIAN)
    client = Client(headers={"accept-language": "en"})
    client.force_login(technician)
    assert STAFF_LINK not in client.get(CUSTOMERS_URL).content.decode()
    Membership.objects.filter(user=technician).update(role=Role.ADMIN)
    assert STAFF_LINK in client.get(CUSTOMERS_URL).content.decode()
    Membership.objects.filter(user=technician).update(role=Role.TECHNICIAN)
    assert STAFF_LINK not in client.get(CUSTOMERS_URL).content.decode()


def test_a_role_granted_more_sees_more_at_once(tenant, monkeypatch):
    technician = make_staff(tenant, "tomek", role=Role.TECHNICIAN)
    granted = ROLE_PERMISSIONS[Role.TECHNICIAN]
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.TECHNICIAN,
                        tuple(p for p in granted if not p.startswith("warehouse.")))
    assert WAREHOUSE_LINK not in page_of(technician)
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.TECHNICIAN, (*granted, "warehouse.view_*"))
    assert WAREHOUSE_LINK in page_of(technician)


def test_the_menu_speaks_the_users_language(tenant, staff):
    assert ">Warehouse</a>" in page_of(staff, "en")
    assert ">Magazyn</a>" in page_of(staff, "pl")
    assert ">Warehouse</a>" in page_of(staff, "en")


def test_users_share_a_key_only_when_granted_alike(tenant, other_tenant):
    admin, admin2 = make_staff(tenant, "ala"), make_staff(other_tenant, "adam")
    technician = make_staff(tenant, "tomek", role=Role.TECHNICIAN)
    root = User.objects.create_superuser("root", "root@example.com", "s3cret-pass")
    gone = make_staff(tenant, "ewa", role=Role.ADMIN)
    Membership.objects.filter(user=gone).update(is_active=False)
    gone.refresh_from_db()
    with tenant_context(tenant):
        keys = {name: permissions_key(user) for name, user in (
            ("admin", admin), ("technician", technician), ("root", root), ("gone", gone),
            ("anonymous", AnonymousUser()))}
    with tenant_context(other_tenant):
        keys["admin2"] = permissions_key(admin2)
    assert keys["admin"] == keys["admin2"]
    assert len({keys[k] for k in ("admin", "technician", "root", "gone")}) == 4
    assert keys["gone"] == keys["anonymous"]
