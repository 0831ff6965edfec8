"""Platform administrators create tenants from a page: name, short name, NIP, the seller
data of its documents and its first administrator; nobody else may."""

import pytest
from django.test import Client
from django.urls import reverse

from core.models import ActionLog, Membership, Tenant, User
from core.roles import Role
from core.tenancy import tenant_context
from core.tenant_settings import setting_get
from customers.tests.factories import VALID_IBAN, VALID_NIP, VALID_REGON

URL = reverse("tenant_list")


@pytest.fixture
def root(db):
    user = User.objects.create_superuser(username="root", password="Root-Haslo-2026")
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def form(**changes) -> dict:
    data = {
        "name": "Sieć Gamma", "slug": "gamma", "nip": VALID_NIP,
        "seller_name": "Gamma Sp. z o.o.", "seller_regon": VALID_REGON,
        "seller_street": "ul. Długa 5", "seller_postal_code": "00-950",
        "seller_city": "Warszawa", "seller_bank_account": VALID_IBAN,
        "admin_username": "gamma.admin", "admin_first_name": "Gabriela",
        "admin_last_name": "Gamowska", "admin_email": "admin@gamma.example",
        "admin_password": "Gamma-Haslo-2026",
    }
    data.update(changes)
    return data


def test_platform_admin_creates_a_tenant_with_seller_data_and_its_admin(root):
    response = root.post(URL, form())
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="gamma")
    assert tenant.name == "Sieć Gamma" and tenant.nip == VALID_NIP
    with tenant_context(tenant):
        assert setting_get("finance.seller_name") == "Gamma Sp. z o.o."
        assert setting_get("finance.seller_city") == "Warszawa"
        assert setting_get("finance.seller_postal_code") == "00-950"
        assert setting_get("finance.seller_bank_account") == VALID_IBAN[2:]
        assert ActionLog.objects.filter(kind="tenant.create").exists()
        assert ActionLog.objects.filter(kind="staff.create").exists()
    admin = User.objects.get(username="gamma.admin")
    assert Membership.objects.get(user=admin).tenant == tenant
    assert Membership.objects.get(user=admin).role == Role.ADMIN
    # The new admin logs in, works in the new tenant and manages its staff.
    client = Client(headers={"accept-language": "en"})
    assert client.login(username="gamma.admin", password="Gamma-Haslo-2026")
    response = client.get(reverse("staff_list"))
    assert response.status_code == 200 and "Gabriela Gamowska" in response.content.decode()
    assert "Sieć Gamma" in root.get(URL).content.decode()


@pytest.mark.parametrize("changes,field", [
    ({"nip": "1234567890"}, "nip"),
    ({"seller_bank_account": "12 3456"}, "seller_bank_account"),
    ({"seller_postal_code": "00950"}, "seller_postal_code"),
    ({"admin_password": "short"}, "admin_password"),
    ({"slug": "alfa"}, "slug"),
])
def test_bad_input_creates_nothing(root, tenant, changes, field):
    response = root.post(URL, form(**changes))
    assert response.status_code == 400
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not Tenant.objects.filter(name="Sieć Gamma").exists()
    assert not User.objects.filter(username="gamma.admin").exists()


def test_tenant_staff_may_not_create_tenants(staff_client, client):
    assert staff_client.get(URL).status_code == 403
    assert staff_client.post(URL, form()).status_code == 403
    assert not Tenant.objects.filter(slug="gamma").exists()
    assert "nav-tenants" not in staff_client.get(reverse("customers:list")).content.decode()
    anonymous = Client()
    response = anonymous.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_tenant_page_speaks_polish(root):
    html = root.get(URL, headers={"accept-language": "pl"}).content.decode()
    assert "NIP" in html and 'lang="pl"' in html
