"""One-click actions of finance that cannot be undone ask first (``data-confirm``, the
pattern of core/abonent.js): an interest note, deleting interest, booking a bank line."""

from datetime import date
from decimal import Decimal

import lxml.html
import pytest
from django.urls import reverse

from core.models import TenantSetting
from finance import services
from finance.bank.csv_profiles import PROFILES
from finance.bank.importer import bank_statement_import
from finance.models import BankLine

from .test_bank_views import UNKNOWN, csv


@pytest.fixture
def late_invoice(in_tenant, staff, customer):
    return services.invoice_issue(
        actor=staff, customer=customer, issue_date=date(2025, 10, 17),
        due_date=date(2025, 10, 31),
        lines=[{"name": "Abonament", "quantity": Decimal(1),
                "net_unit_price": Decimal("813.01"), "vat_rate": "23"}])


def _html(response):
    return lxml.html.fromstring(response.content.decode())


def test_interest_note_and_interest_deletion_ask_first(staff_client, customer, late_invoice):
    url = reverse("customers:section", args=[customer.pk, "interest"])
    tree = _html(staff_client.get(url, headers={"HX-Request": "true"}))
    note = tree.get_element_by_id("interest-note-form")
    assert "interest note" in note.get("data-confirm")
    waive = tree.xpath('//form[contains(@action, "/waive/")]')[0]
    assert late_invoice.number in waive.get("data-confirm")
    assert "cannot be undone" in waive.get("data-confirm")


def test_booking_a_bank_line_names_the_amount_and_the_customer_first(staff_client, staff,
                                                                      customer):
    TenantSetting.objects.create(key="finance.virtual_account_prefix", value="0000")
    bank_statement_import(actor=staff, data=csv(("Ktoś Obcy", UNKNOWN, "?", "20,00", "A1")),
                          csv_profile=PROFILES["generic_pl"])
    line = BankLine.objects.get(status="unidentified")
    url = reverse("finance:bank_line_assign", kwargs={"bankline_id": line.pk})
    tree = _html(staff_client.get(url, {"q": customer.last_name}))
    [form] = tree.xpath('//table[@id="candidates"]//form')
    question = " ".join(form.get("data-confirm").split())
    assert question == (f"Book PLN 20.00 to {customer.display_name}? "
                        "The transfer then settles their invoices.")
