"""Signs and zeros in statement amounts: never booked the other way round, never silently.

ISO 20022 (CAMT.053) and MT940 amounts carry no sign — the direction is CdtDbtInd or the
C/D mark —, so a minus sign refuses the whole file, naming the entry; a CSV credit or
debit column may carry a sign only where it agrees with the column. A zero amount moves
no money and is refused in every format. A refused file books nothing.
"""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.models import TenantSetting
from customers import services as customer_services
from finance.bank.csv_profiles import PROFILES
from finance.bank.importer import bank_statement_import
from finance.bank.parsers import StatementParseError, parse_statement
from finance.models import BankImport, BankLine, FinanceDocument

MT940 = (Path(settings.BASE_DIR).parent / "shared" / "data" / "bank" / "mbank_collect.sta")
ACCOUNT = "PL61109010140000071219812874"


def entry(amount: str, indicator: str = "CRDT", reference: str = "ELX-1", details: str = ""):
    return (f"<Ntry><NtryRef>N-{reference}</NtryRef><Amt Ccy='PLN'>{amount}</Amt>"
            f"<CdtDbtInd>{indicator}</CdtDbtInd><Sts>BOOK</Sts>"
            "<BookgDt><Dt>2026-03-01</Dt></BookgDt>"
            f"<AcctSvcrRef>{reference}</AcctSvcrRef>"
            + (details or "<NtryDtls><TxDtls><RmtInf><Ustrd>abonament</Ustrd></RmtInf>"
                          "</TxDtls></NtryDtls>")
            + "</Ntry>")


def camt(*entries: str, opening="1000.00", closing="1000.00", opening_sign="",
         closing_indicator="CRDT") -> bytes:
    def balance(code, amount, indicator="CRDT"):
        return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
                f"<Amt Ccy='PLN'>{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>"
                "<Dt><Dt>2026-03-01</Dt></Dt></Bal>")
    return ("<?xml version='1.0' encoding='UTF-8'?>"
            "<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'>"
            "<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr><Stmt><Id>STMT-7</Id>"
            f"<Acct><Id><IBAN>{ACCOUNT}</IBAN></Id><Ccy>PLN</Ccy></Acct>"
            + balance("OPBD", opening_sign + opening)
            + balance("CLBD", closing, closing_indicator)
            + "".join(entries) + "</Stmt></BkToCstmrStmt></Document>").encode()


def batch(*parts: tuple[str, str]) -> str:
    """NtryDtls with one TxDtls per (amount, indicator)."""
    return "<NtryDtls>" + "".join(
        f"<TxDtls><Refs><AcctSvcrRef>T{i}</AcctSvcrRef></Refs>"
        f"<AmtDtls><TxAmt><Amt Ccy='PLN'>{amount}</Amt></TxAmt></AmtDtls>"
        f"<CdtDbtInd>{indicator}</CdtDbtInd><RmtInf><Ustrd>t{i}</Ustrd></RmtInf></TxDtls>"
        for i, (amount, indicator) in enumerate(parts, start=1)) + "</NtryDtls>"


@pytest.fixture
def customers(in_tenant, staff):
    TenantSetting.objects.create(key="finance.virtual_account_prefix", value="0000")
    return [customer_services.customer_create(actor=staff, last_name=f"Nowak{i}")
            for i in range(1, 4)]


def nothing_booked():
    return not (BankImport.objects.exists() or BankLine.objects.exists()
                or FinanceDocument.objects.exists())


def import_refused(staff, data: bytes, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        bank_statement_import(actor=staff, data=data, file_name="wyciag", **kwargs)
    assert nothing_booked()
    return " ".join(caught.value.message_dict["file"])


# --------------------------------------------------------------------------- CAMT.053

def test_a_debit_with_a_negative_amount_is_refused_not_booked_as_a_payment(customers, staff):
    # The case found from outside: DBIT −79.99 with balances that agree with +79.99.
    data = camt(entry("-79.99", "DBIT", reference="ELX20260301-0007"),
                closing="1079.99")
    message = import_refused(staff, data)
    assert "entry 1 of statement STMT-7 (AcctSvcrRef ELX20260301-0007, NtryRef N-ELX" \
        in message
    assert "“-79.99”" in message and "nothing was booked" in message


@pytest.mark.parametrize("amount,indicator,closing", [
    ("-79.99", "CRDT", "920.01"), ("-79.99", "DBIT", "920.01"), ("-0.00", "CRDT", "1000.00"),
    ("-0.01", "DBIT", "1000.01"),
])
def test_any_minus_sign_in_an_entry_refuses_the_file(customers, staff, amount, indicator,
                                                     closing):
    data = camt(entry("10.00", reference="OK-1"), entry(amount, indicator, reference="BAD-2"),
                closing=str(Decimal(closing) + Decimal("10.00")))
    message = import_refused(staff, data)
    assert "entry 2 of statement STMT-7 (AcctSvcrRef BAD-2" in message


@pytest.mark.parametrize("amount", ["0.00", "0", "00.0"])
def test_a_zero_entry_is_refused_with_its_name(customers, staff, amount):
    message = import_refused(staff, camt(entry("5.00", reference="A"),
                                         entry(amount, reference="ZERO-1"), closing="1005.00"))
    assert "entry 2 of statement STMT-7 (AcctSvcrRef ZERO-1" in message
    assert "the amount is zero" in message


def test_a_signed_or_zero_transaction_of_a_batch_entry_is_refused(customers, staff):
    signed = entry("30.00", details=batch(("50.00", "CRDT"), ("-20.00", "CRDT")),
                   reference="BATCH-1")
    message = import_refused(staff, camt(signed, closing="1030.00"))
    assert "transaction 2 of entry 1 of statement STMT-7 (AcctSvcrRef BATCH-1" in message
    zero = entry("30.00", details=batch(("30.00", "CRDT"), ("0.00", "CRDT")),
                 reference="BATCH-2")
    assert "the amount is zero" in import_refused(staff, camt(zero, closing="1030.00"))
    unknown = entry("30.00", details=batch(("20.00", "CRDT"), ("10.00", "XXXX")),
                    reference="BATCH-3")
    assert "CdtDbtInd must be CRDT or DBIT" in import_refused(staff,
                                                             camt(unknown, closing="1030.00"))


def test_a_balance_with_a_minus_sign_is_refused(customers, staff):
    message = import_refused(staff, camt(entry("5.00"), opening="1000.00", opening_sign="-",
                                         closing="-995.00"))
    assert "the OPBD balance “-1000.00” has a minus sign" in message
    # A negative balance is written as DBIT with an unsigned amount, and is fine.
    statement = parse_statement(camt(entry("5.00"), closing="995.00",
                                     closing_indicator="DBIT").replace(
        b"<Amt Ccy='PLN'>1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>",
        b"<Amt Ccy='PLN'>1000.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>", 1))
    assert statement.opening_balance == Decimal("-1000.00")
    assert statement.closing_balance == Decimal("-995.00")


@hypothesis_settings(max_examples=60)
@given(cents=st.integers(1, 10**12), debit=st.booleans(), plus=st.booleans())
def test_an_unsigned_amount_is_read_with_the_direction_of_its_indicator(cents, debit, plus):
    amount = Decimal(cents) / 100
    signed = -amount if debit else amount
    text = ("+" if plus else "") + f"{amount:.2f}"
    statement = parse_statement(camt(entry(text, "DBIT" if debit else "CRDT"),
                                     closing=f"{Decimal('1000.00') + signed:.2f}"
                                     if Decimal("1000.00") + signed >= 0 else
                                     f"{-(Decimal('1000.00') + signed):.2f}",
                                     closing_indicator="CRDT"
                                     if Decimal("1000.00") + signed >= 0 else "DBIT"))
    assert [line.amount for line in statement.lines] == [signed]


@hypothesis_settings(max_examples=60)
@given(cents=st.integers(0, 10**12), debit=st.booleans())
def test_a_minus_sign_is_never_read_as_a_direction(cents, debit):
    amount = Decimal(cents) / 100
    for closing in (Decimal("1000.00") + amount, Decimal("1000.00") - amount):
        data = camt(entry(f"-{amount:.2f}", "DBIT" if debit else "CRDT"),
                    closing=f"{abs(closing):.2f}",
                    closing_indicator="CRDT" if closing >= 0 else "DBIT")
        with pytest.raises(StatementParseError, match="entry 1 of statement STMT-7"):
            parse_statement(data)


# --------------------------------------------------------------------------- MT940

def test_a_zero_mt940_line_is_refused_with_its_reference(customers, staff):
    data = MT940.read_bytes().replace(b"CN0,01NTRFNONREF//MB170119012085",
                                      b"CN0,00NTRFNONREF//MB170119012085")
    data = data.replace(b"PLN0,43", b"PLN0,42")
    message = import_refused(staff, data)
    assert message.startswith("line 12:")
    assert "the :61: statement line (MB170119012085): the amount is zero" in message


@pytest.mark.parametrize("amount", [b"-0,01", b"+0,01"])
def test_an_mt940_amount_with_a_sign_is_refused_not_flipped(customers, staff, amount):
    data = MT940.read_bytes().replace(b"CN0,01NTRFNONREF//MB170119012085",
                                      b"C" + amount + b"NTRFNONREF//MB170119012085")
    message = import_refused(staff, data)
    assert message.startswith("line 12:")


# --------------------------------------------------------------------------- CSV

HEADER = ("Data księgowania;Data waluty;Kontrahent;Rachunek kontrahenta;Tytuł;Uznania;"
          "Obciążenia;Waluta;Numer referencyjny;Rachunek wirtualny")


def generic(credit: str, debit: str, reference="R-9") -> bytes:
    return (HEADER + "\n02.03.2026;02.03.2026;Ktoś;;abonament;10,00;;PLN;R-1;\n"
            f"02.03.2026;02.03.2026;Ktoś;;abonament;{credit};{debit};PLN;{reference};\n"
            ).encode("cp1250")


@pytest.mark.parametrize("credit,debit,problem", [
    ("-79,99", "", "carries a sign"), ("", "+79,99", "carries a sign"),
    ("0,00", "", "the amount is zero"), ("", "-0,00", "the amount is zero"),
    ("", "0", "the amount is zero"),
])
def test_a_csv_row_whose_sign_contradicts_its_column_or_is_zero_is_refused(
        customers, staff, credit, debit, problem):
    message = import_refused(staff, generic(credit, debit),
                             csv_profile=PROFILES["generic_pl"])
    assert message.startswith("line 3: row 3 (R-9): ") and problem in message


@pytest.mark.parametrize("debit", ["79,99", "-79,99"])
def test_a_debit_column_may_be_written_with_or_without_its_minus(customers, staff, debit):
    batch_ = bank_statement_import(actor=staff, data=generic("", debit),
                                   csv_profile=PROFILES["generic_pl"])
    line = BankLine.objects.get(bank_import=batch_, bank_reference="R-9")
    assert line.amount == Decimal("-79.99") and line.status == "outgoing"
    assert not FinanceDocument.objects.filter(credit=Decimal("79.99")).exists()


@pytest.mark.parametrize("amount", ["0,00", "-0,00", "+0,00"])
def test_a_signed_csv_column_refuses_zero(customers, staff, amount):
    row = f"2026-03-02;2026-03-02;Ktoś;abonament;;;;REF-0;{amount};PLN;{ACCOUNT}"
    message = import_refused(staff, ("h\n" + row + "\n").encode(),
                             csv_profile=PROFILES["ing_pl"])
    assert "row 2 (REF-0): the amount is zero" in message


# --------------------------------------------------------------------------- upload

def test_the_upload_api_refuses_a_signed_camt_with_the_entry_and_books_nothing(
        api_client, customers):
    data = camt(entry("-79.99", "DBIT", reference="ELX-API"), closing="1079.99")
    response = api_client.post("/api/v1/bank-imports/", {
        "file": SimpleUploadedFile("camt.xml", data), "format": ""}, format="multipart")
    assert response.status_code == 400
    assert "(AcctSvcrRef ELX-API" in response.json()["errors"]["file"][0]
    assert nothing_booked()


def test_the_upload_page_refuses_a_zero_camt_entry_with_the_entry_and_books_nothing(
        staff_client, customers):
    data = camt(entry("0.00", reference="ELX-PAGE"))
    response = staff_client.post(reverse("finance:bank_imports"), {
        "file": SimpleUploadedFile("camt.xml", data), "format": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "entry 1 of statement STMT-7 (AcctSvcrRef ELX-PAGE" in page
    assert "the amount is zero" in page
    assert nothing_booked()


@pytest.mark.parametrize("format_", ["", "camt053"])
def test_the_importer_books_a_proper_debit_as_outgoing_and_a_credit_as_money_in(
        customers, staff, format_):
    data = camt(entry("79.99", "DBIT", reference="OUT"), entry("20.00", reference="IN"),
                closing="940.01")
    batch_ = bank_statement_import(actor=staff, data=data, format=format_ or None)
    amounts = dict(BankLine.objects.filter(bank_import=batch_)
                   .values_list("bank_reference", "amount"))
    assert amounts == {"OUT": Decimal("-79.99"), "IN": Decimal("20.00")}
