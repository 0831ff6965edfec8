"""Fixtures of the debtors part's tests: customers owing money, built through finance's
services as the product does (invoices without VAT, "zw", so amounts are exact)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from conftest import make_staff
from core.models import TenantSetting
from core.roles import Role
from customers.services import customer_create
from finance import services as finance


def debtor_owe(staff, customer, amount, *, due: date, issued: date | None = None):
    """An invoice of ``amount`` (VAT-exempt) due on ``due``."""
    issued = issued or min(due, date.today()) - timedelta(days=14)
    return finance.invoice_issue(actor=staff, customer=customer, issue_date=issued,
                                 due_date=due, lines=[{"name": "Internet", "quantity": 1,
                                                       "net_unit_price": Decimal(amount),
                                                       "vat_rate": "zw"}])


def debtor_pay(staff, customer, amount, *, on: date, title: str = "wpłata"):
    return finance.bank_transfer_record(actor=staff, customer=customer, amount=Decimal(amount),
                                        booking_date=on, title=title)


def debtor_customer(staff, last_name: str, **fields):
    return customer_create(actor=staff, first_name="Jan", last_name=last_name,
                           status=fields.pop("status", "connected"), **fields)


def demand_setting(tenant, key: str, value) -> None:
    TenantSetting.all_tenants.update_or_create(tenant=tenant, key=f"accounting.{key}",
                                               defaults={"value": value})


@pytest.fixture
def debtor_helpers():
    """The builders above, for tests that prefer a fixture to an import."""
    return {"owe": debtor_owe, "pay": debtor_pay, "customer": debtor_customer}


@pytest.fixture
def debtors_accountant(tenant):
    return make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT)


@pytest.fixture
def debtors_operator(tenant):
    return make_staff(tenant, "operator", role=Role.OPERATOR)


@pytest.fixture
def debtors_technician(tenant):
    return make_staff(tenant, "technik", role=Role.TECHNICIAN)
