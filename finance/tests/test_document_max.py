"""The most one document carries (``finance.money.DOCUMENT_MAX``, 99 999 999.99): an
invoice, a debit note or a correction above it is refused with the reason — never a
database error from a column too narrow — and nothing is written."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from finance import services
from finance.models import FinanceDocument

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
