"""The most one document carries (``finance.money.DOCUMENT_MAX``, 99 999 999.99): any
document above it — an invoice, an invoice edited, a correction, a debit or interest note,
a KP, a KW, a transfer booked by hand, a technical transaction — is refused with the reason
(never a database error from a column too narrow) and nothing is written."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import ActionLog
from finance import services
from finance.interest_notes import interest_list, interest_note_issue
from finance.models import FinanceDocument, InterestNoteItem

pytestmark = pytest.mark.django_db

REFUSED = "At most 99,999,999.99 on one document."


def _line(net: str, vat: str = "zw"):
    return [{"name": "Sprzęt", "quantity": 1, "net_unit_price": net, "vat_rate": vat}]


def test_an_invoice_up_to_the_maximum_is_issued_and_above_it_refused(in_tenant, staff,
                                                                     customer):
    issued = services.invoice_issue(actor=staff, customer=customer,
                                    lines=_line("99999999.99"))
    assert issued.debit == Decimal("99999999.99")
    with pytest.raises(ValidationError) as err:  # 81 300 813.01 net + 23 % VAT
        services.invoice_issue(actor=staff, customer=customer,
                               lines=_line("81300813.01", "23"))
    assert err.value.message_dict["lines"] == [REFUSED]
    assert FinanceDocument.objects.count() == 1


def test_a_debit_note_above_the_maximum_is_refused(in_tenant, staff, customer):
    with pytest.raises(ValidationError) as err:
        services.debit_note_issue(actor=staff, customer=customer, amount="100000000.00",
                                  title="Kaucja")
    assert err.value.message_dict["amount"] == [REFUSED]
    assert not FinanceDocument.objects.exists()


def test_a_correction_to_above_the_maximum_is_refused(in_tenant, staff, customer):
    invoice = services.invoice_issue(actor=staff, customer=customer, lines=_line("100"))
    with pytest.raises(ValidationError) as err:
        services.correction_issue(actor=staff, invoice=invoice, reason="pomyłka",
                                  lines=_line("100000000"))
    assert err.value.message_dict["lines"] == [REFUSED]
    assert FinanceDocument.objects.filter(kind="correction").count() == 0


# Every other kind of document passes the same check where it is written
# (``services.document_create``), on the field its form gives the amount in.

HUGE = Decimal("99999999.99")


def _nothing_written() -> bool:
    return not FinanceDocument.objects.exists() and not ActionLog.objects.filter(
        kind__startswith="finance.").exclude(kind="finance.cash_register").exists()


@pytest.fixture
def register(in_tenant, staff):
    return services.cash_register_create(actor=staff, name="Kasa", symbol="k1")


def test_a_debit_note_of_exactly_the_maximum_is_issued(in_tenant, staff, customer):
    note = services.debit_note_issue(actor=staff, customer=customer, amount="99 999 999,99",
                                     title="Kaucja")
    assert note.debit == HUGE
    assert services.ledger_balance(customer) == -HUGE


@pytest.mark.parametrize("issue", ["kw", "transfer", "technical"])
def test_kw_a_transfer_by_hand_and_a_technical_charge_above_the_maximum_are_refused(
        in_tenant, staff, customer, register, issue):
    amount = "100000000.00"
    with pytest.raises(ValidationError) as err:
        if issue == "kw":
            services.kw_issue(actor=staff, customer=customer, register=register,
                              amount=amount, title="Zwrot")
        elif issue == "transfer":
            services.bank_transfer_record(actor=staff, customer=customer, amount=amount,
                                          booking_date=date(2026, 3, 2), title="Wpłata",
                                          bank_reference="R1")
        else:
            services.technical_issue(actor=staff, customer=customer, amount=amount,
                                     charge=True, reason="korekta salda")
    assert err.value.message_dict["amount"] == [REFUSED]
    assert _nothing_written()
    assert services.ledger_balance(customer) == 0


def test_a_kp_whose_positions_add_up_above_the_maximum_is_refused(in_tenant, staff, customer,
                                                                  register):
    """Each position fits one document; their sum, the KP's credit, does not."""
    with pytest.raises(ValidationError) as err:
        services.kp_issue(actor=staff, customer=customer, register=register,
                          positions=[("Sprzęt", "60000000.00"), ("Montaż", "40000000.00")])
    assert err.value.message_dict["positions"] == [REFUSED]
    assert _nothing_written()


def test_a_kp_of_an_amount_above_the_maximum_is_refused_on_the_amount(in_tenant, staff,
                                                                      customer, register):
    with pytest.raises(ValidationError) as err:
        services.kp_issue(actor=staff, customer=customer, register=register,
                          amount="100000000")
    assert err.value.message_dict["amount"] == [REFUSED]
    assert _nothing_written()


def test_a_kp_paying_two_invoices_above_the_maximum_is_refused_in_its_form(
        staff_client, in_tenant, staff, customer, register):
    """Ticking two invoices of the maximum makes one KP of twice it: refused with the
    reason, the invoices stay open."""
    first, second = (services.invoice_issue(actor=staff, customer=customer,
                                            lines=_line("99999999.99")) for _ in range(2))
    response = staff_client.post(reverse("finance:kp_create", args=[customer.pk]), {
        "register": register.pk, "invoices": [first.pk, second.pk],
        "issue_date": timezone.localdate().isoformat(), "title": ""})
    assert response.status_code == 400  # the form again, with the reason
    assert "At most 99,999,999.99 on one document." in response.content.decode()
    assert not FinanceDocument.objects.filter(kind="kp").exists()
    assert services.invoice_settlement(first).paid == 0
    assert services.ledger_balance(customer) == -2 * HUGE


def test_an_invoice_edited_to_above_the_maximum_is_refused(in_tenant, staff, customer):
    invoice = services.invoice_issue(actor=staff, customer=customer, lines=_line("100"))
    with pytest.raises(ValidationError) as err:
        services.invoice_update(actor=staff, invoice=invoice, lines=_line("100000000"))
    assert err.value.message_dict["lines"] == [REFUSED]
    invoice.refresh_from_db()
    assert invoice.debit == Decimal("100.00")
    assert [line.net for line in invoice.lines.all()] == [Decimal("100.00")]


def test_an_interest_note_above_the_maximum_is_refused_and_writes_nothing(in_tenant, staff,
                                                                          customer):
    """Ten years of statutory interest on two invoices of the maximum: more than one note
    may carry. Nothing is written: no note, no items, the interest stays on the list."""
    invoices = [services.invoice_issue(actor=staff, customer=customer, lines=_line("99999999.99"),
                                       issue_date=date(2016, 1, 4), due_date=date(2016, 1, 18))
                for _ in range(2)]
    until = date(2026, 1, 18)
    items = interest_list(customer=customer, until=until)
    assert sum(item.amount for item in items) > HUGE  # the case this test is about
    with pytest.raises(ValidationError) as err:
        interest_note_issue(actor=staff, customer=customer, receivables=invoices, until=until)
    assert err.value.messages == [REFUSED]
    assert not FinanceDocument.objects.filter(kind="interest_note").exists()
    assert not InterestNoteItem.objects.exists()
    assert interest_list(customer=customer, until=until) == items
    assert services.ledger_balance(customer) == -2 * HUGE
