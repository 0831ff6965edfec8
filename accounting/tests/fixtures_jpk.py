"""Fixtures of the jpk part's tests: a tenant whose seller and JPK settings are complete,
and helpers that build the ledger through finance's services, as the product does."""

from datetime import date
from decimal import Decimal

import pytest

from core.services import tenant_setting_set
from customers import services as customer_services
from customers.tests.factories import VALID_NIP as COMPANY_NIP

JPK_SETTINGS = {
    "finance.seller_name": "Światłowód Łódź Sp. z o.o.", "finance.seller_nip": "5260001246",
    "finance.seller_street": "ul. Żółkiewskiego 5", "finance.seller_postal_code": "90-001",
    "finance.seller_city": "Łódź",
    "finance.vat_exemption_basis": "art. 43 ust. 1 pkt 37 ustawy o VAT",
    "accounting.tax_office_code": "1008", "accounting.taxpayer_email": "ksiegowa@alfa.pl",
    "accounting.taxpayer_phone": "+48 42 100 20 30",
}


@pytest.fixture
def jpk_tenant(in_tenant, staff):
    """The active tenant with the seller's data, the tax office and the e-mail set."""
    for key, value in JPK_SETTINGS.items():
        tenant_setting_set(actor=staff, key=key, raw_value=value)
    return in_tenant


@pytest.fixture
def company(jpk_tenant, staff):
    company = customer_services.customer_create(
        actor=staff, kind="company", company_name="Hurtownia Źdźbło S.A.", nip=COMPANY_NIP,
        status="connected")
    customer_services.address_add(actor=staff, customer=company, kind="residence",
                                  street="Gęsia", building_no="12", apartment_no="",
                                  postal_code="00-112", city="Warszawa")
    return company


def jpk_line(net, rate="23", quantity="1", name="Internet 600 Mb/s", **kw) -> dict:
    return {"name": name, "quantity": Decimal(quantity), "net_unit_price": Decimal(net),
            "vat_rate": rate, **kw}


def jpk_invoice(staff, customer, lines, when: date | None):
    """An invoice issued on ``when`` (None: today, the service's local date)."""
    from finance import services

    return services.invoice_issue(actor=staff, customer=customer, lines=lines,
                                  issue_date=when, due_date=when)


def jpk_correction(staff, invoice, lines, when: date):
    from finance import services

    correction, _warnings = services.correction_issue(
        actor=staff, invoice=invoice, lines=lines, reason="Zmiana ceny", issue_date=when)
    return correction
