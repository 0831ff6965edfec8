"""Amounts typed or read from a file go through the one parser of amounts
(``core.amounts.amount_parse``, via ``finance.money.to_money``): NaN, infinity, an
exponent or a fraction of a grosz is refused with the reason, and nothing is written —
never rounded, never a server error."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.models import ActionLog
from finance import services
from finance.bank.csv_profiles import PROFILES
from finance.bank.importer import bank_statement_import
from finance.models import BankImport, BankLine, FinanceDocument

pytestmark = pytest.mark.django_db

HEADER = ("Data księgowania;Data waluty;Kontrahent;Rachunek kontrahenta;Tytuł;Uznania;"
          "Obciążenia;Waluta;Numer referencyjny;Rachunek wirtualny")
NOT_AN_AMOUNT = ["NaN", "Infinity", "-Infinity", "1e3", "1E+3", "sNaN"]


def _statement(amount: str) -> bytes:
    rows = [HEADER,
            "02.03.2026;02.03.2026;Jan Nowak;;opłata;50,00;;PLN;R1;",
            f"02.03.2026;02.03.2026;Jan Nowak;;opłata;{amount};;PLN;R2;"]
    return ("\n".join(rows) + "\n").encode("cp1250")


def _import(staff, amount: str):
    return bank_statement_import(actor=staff, data=_statement(amount), file_name="w.csv",
                                 csv_profile=PROFILES["generic_pl"])


def _nothing_written() -> bool:
    return not (BankImport.objects.exists() or BankLine.objects.exists()
                or FinanceDocument.objects.exists()
                or ActionLog.objects.filter(kind__startswith="finance.").exists())


@pytest.mark.parametrize("amount", NOT_AN_AMOUNT)
def test_a_bank_file_with_nan_infinity_or_an_exponent_is_refused_whole(in_tenant, staff,
                                                                       amount):
    with pytest.raises(ValidationError) as err:
        _import(staff, amount)
    assert err.value.message_dict["file"] == [f"line 3: “{amount}” is not an amount"]
    assert _nothing_written()


def test_a_bank_file_with_a_fraction_of_a_grosz_is_refused_not_rounded(in_tenant, staff):
    with pytest.raises(ValidationError) as err:
        _import(staff, "12,345")
    assert err.value.message_dict["file"] == [
        "line 3: the amount “12.345”: At most 2 decimal places."]
    assert _nothing_written()


def test_a_bank_file_with_more_than_a_money_column_holds_is_refused(in_tenant, staff):
    """Was a database error (numeric field overflow) when the line was written."""
    with pytest.raises(ValidationError) as err:
        _import(staff, "1 000 000 000 000,00")
    assert err.value.message_dict["file"] == [
        "line 3: the amount “1000000000000.00”: "
        "From -999,999,999,999.99 to 999,999,999,999.99."]
    assert _nothing_written()


def test_a_bank_file_of_ordinary_amounts_is_still_read(in_tenant, staff):
    batch = _import(staff, "1 234,56")
    assert batch.lines_new == 2
    assert sorted(BankLine.objects.values_list("amount", flat=True)) == [
        Decimal("50.00"), Decimal("1234.56")]


@pytest.mark.parametrize("amount,message", [
    *[(raw, f"“{raw}” is not an amount (e.g. 12.50 or 12,50).") for raw in NOT_AN_AMOUNT],
    ("12,345", "At most 2 decimal places."),
    (Decimal("NaN"), "Not an amount."),
    (Decimal("Infinity"), "Not an amount."),
    ("", "Enter an amount."),
])
def test_a_debit_note_of_no_amount_is_refused_with_the_reason(in_tenant, staff, customer,
                                                             amount, message):
    with pytest.raises(ValidationError) as err:
        services.debit_note_issue(actor=staff, customer=customer, amount=amount,
                                  title="Opłata")
    assert err.value.message_dict["amount"] == [message]
    assert not FinanceDocument.objects.exists()


@pytest.mark.parametrize("field,value,message", [
    ("net_unit_price", "NaN", "Line 1, price: “NaN” is not an amount (e.g. 12.50 or 12,50)."),
    ("net_unit_price", "1e3", "Line 1, price: “1e3” is not an amount (e.g. 12.50 or 12,50)."),
    ("net_unit_price", "10,005", "Line 1, price: At most 2 decimal places."),
    ("net_unit_price", Decimal("Infinity"), "Line 1, price: Not an amount."),
    ("quantity", "NaN", "Line 1, quantity: “NaN” is not an amount (e.g. 12.50 or 12,50)."),
    ("quantity", Decimal("Infinity"), "Line 1, quantity: Not an amount."),
    ("quantity", "1,0005", "Line 1, quantity: At most 3 decimal places."),
])
def test_an_invoice_line_of_no_number_is_refused_with_the_reason(in_tenant, staff, customer,
                                                                field, value, message):
    """A NaN quantity was a server error (comparing NaN); "10,005" was rounded."""
    line = {"name": "Abonament", "quantity": "1", "net_unit_price": "10.00", "vat_rate": "23",
            field: value}
    with pytest.raises(ValidationError) as err:
        services.invoice_issue(actor=staff, customer=customer, lines=[line])
    assert err.value.message_dict["lines"] == [message]
    assert not FinanceDocument.objects.exists()


def test_an_invoice_line_typed_with_a_comma_and_three_quantity_places_is_issued(
        in_tenant, staff, customer):
    invoice = services.invoice_issue(actor=staff, customer=customer, lines=[
        {"name": "Kabel", "quantity": "2,5", "net_unit_price": "1 000,00", "vat_rate": "23"}])
    assert invoice.debit == Decimal("3075.00")
