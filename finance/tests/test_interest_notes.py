from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.models import ActionLog
from finance import services
from finance.interest_notes import interest_list, interest_note_issue, interest_waive
from finance.models import FinanceDocument, ReferenceRate


@pytest.fixture
def late_invoice(in_tenant, staff, customer):
    """1000.00 PLN due 2025-10-31 (net 813.01 at 23 %), paid in full on 2026-03-31."""
    invoice = services.invoice_issue(
        actor=staff, customer=customer, issue_date=date(2025, 10, 17),
        due_date=date(2025, 10, 31),
        lines=[{"name": "Abonament", "quantity": Decimal(1),
                "net_unit_price": Decimal("813.01"), "vat_rate": "23"}])
    assert invoice.debit == Decimal("1000.00")
    services.bank_transfer_record(actor=staff, customer=customer, amount=Decimal("1000.00"),
                                  booking_date=date(2026, 3, 31), title=invoice.number,
                                  bank_reference="T1")
    return invoice


def test_the_required_check_through_the_ledger(late_invoice, customer):
    [item] = interest_list(customer=customer, until=date(2026, 11, 23))
    assert item.receivable == late_invoice and item.paid
    assert item.until == date(2026, 3, 31) and item.amount == Decimal("39.38")


def test_interest_note_charges_it_once(late_invoice, customer, staff):
    note = interest_note_issue(actor=staff, customer=customer, receivables=[late_invoice])
    assert note.kind == "interest_note" and note.debit == Decimal("39.38")
    assert note.number.startswith("NOD/")
    assert interest_list(customer=customer) == []
    assert services.ledger_balance(customer) == Decimal("-39.38")
    with pytest.raises(ValidationError):
        interest_note_issue(actor=staff, customer=customer, receivables=[late_invoice])


def test_open_invoice_accrues_after_the_last_note(in_tenant, staff, customer):
    invoice = services.invoice_issue(
        actor=staff, customer=customer, issue_date=date(2025, 10, 17),
        due_date=date(2025, 10, 31),
        lines=[{"name": "Abonament", "quantity": Decimal(1),
                "net_unit_price": Decimal("813.01"), "vat_rate": "23"}])
    first = interest_list(customer=customer, until=date(2026, 3, 31))[0]
    assert first.amount == Decimal("39.38") and not first.paid
    interest_note_issue(actor=staff, customer=customer, receivables=[invoice],
                        until=date(2026, 3, 31))
    [later] = interest_list(customer=customer, until=date(2026, 4, 30))
    # April 2026 at 9.25 %: 1000 × 30 × 9.25 / 36500 = 7.60
    assert later.since == date(2026, 4, 1) and later.amount == Decimal("7.60")


def test_waiving_is_irreversible_and_logged(late_invoice, customer, staff):
    with pytest.raises(ValidationError):
        interest_waive(actor=staff, receivable=late_invoice, reason="  ")
    interest_waive(actor=staff, receivable=late_invoice, reason="Reklamacja uznana")
    assert interest_list(customer=customer) == []
    with pytest.raises(ValidationError):
        interest_waive(actor=staff, receivable=late_invoice, reason="again")
    assert ActionLog.objects.filter(kind="finance.interest_waive", customer=customer).exists()
    assert not FinanceDocument.objects.filter(kind="interest_note").exists()


def test_the_editable_reference_rates_drive_the_list(late_invoice, customer):
    assert ReferenceRate.objects.filter(effective_from=date(2026, 3, 5),
                                        rate=Decimal("3.75")).exists()  # shipped rows
    ReferenceRate.objects.filter(effective_from=date(2026, 3, 5)).update(rate=Decimal("4.00"))
    [item] = interest_list(customer=customer, until=date(2026, 11, 23))
    assert item.amount > Decimal("39.38")  # 27 days at 9.50 % instead of 9.25 %


def test_the_list_costs_the_same_queries_for_one_or_many_invoices(
        late_invoice, customer, staff, django_assert_num_queries):
    # reference rates, waivers, charged items, the invoices, their allocations (+ payments)
    with django_assert_num_queries(5):
        assert len(interest_list(customer=customer, until=date(2026, 11, 23))) == 1
    for day in (3, 4, 5):
        services.invoice_issue(
            actor=staff, customer=customer, issue_date=date(2025, 10, day),
            due_date=date(2025, 10, day + 14),
            lines=[{"name": "Abonament", "quantity": Decimal(1),
                    "net_unit_price": Decimal("100"), "vat_rate": "23"}])
    with django_assert_num_queries(5):
        assert len(interest_list(customer=customer, until=date(2026, 11, 23))) == 4
