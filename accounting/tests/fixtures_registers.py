"""Fixtures of the registers tests: a seller in the tenant settings and a company buyer."""

import pytest

from core.services import tenant_setting_set
from customers import services as customer_services
from customers.tests.factories import VALID_NIP

REGISTER_SELLER = {
    "finance.seller_name": "Światłowód Łódź Sp. z o.o.", "finance.seller_nip": "5260001246",
    "finance.seller_street": "ul. Żółkiewskiego 5", "finance.seller_postal_code": "90-001",
    "finance.seller_city": "Łódź",
}


@pytest.fixture
def register_seller(in_tenant, staff):
    for key, value in REGISTER_SELLER.items():
        tenant_setting_set(actor=staff, key=key, raw_value=value)


@pytest.fixture
def register_company(in_tenant, staff, register_seller):
    company = customer_services.customer_create(
        actor=staff, kind="company", company_name="Hurtownia Źdźbło S.A.", nip=VALID_NIP,
        status="connected")
    customer_services.address_add(actor=staff, customer=company, kind="residence",
                                  street="Gęsia", building_no="12", apartment_no="",
                                  postal_code="00-112", city="Warszawa")
    return company
