"""The bank statement parsers: pure functions from a file's bytes, no database."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from finance.bank import (
    PROFILES,
    CsvProfile,
    StatementParseError,
    compact_account,
    parse_statement,
    parse_statements,
)
from finance.bank.mt940 import parse_details

SHARED = settings.BASE_DIR.parent / "shared" / "data" / "bank"
DATA = Path(__file__).parent / "data" / "bank"


def shared(name: str) -> bytes:
    return (SHARED / name).read_bytes()


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def mbank_text() -> str:
    return shared("mbank_collect.sta").decode("ascii")


def refused(payload: bytes, **kwargs) -> StatementParseError:
    with pytest.raises(StatementParseError) as caught:
        parse_statement(payload, **kwargs)
    return caught.value


# The two samples the banks gave us.


def test_mbank_collect_sample_reads_every_field():
    statement = parse_statement(shared("mbank_collect.sta"))

    assert statement.format == "mt940"
    assert statement.account == "29114010810000267002001002"
    assert statement.statement_id == "ST170119CYC/1 1/1"
    assert statement.currency == "PLN"
    assert statement.opening_balance == Decimal("0.40")
    assert statement.closing_balance == Decimal("0.43")
    assert [line.bank_reference for line in statement.lines] == [
        "MB170119012058",
        "MB170119012085",
        "MB170119012121",
    ]
    assert [line.virtual_account for line in statement.lines] == [
        "XX000000000001",
        "XX000000000002",
        "XX000000000003",
    ]
    for line in statement.lines:
        assert line.booking_date == line.value_date == date(2017, 1, 19)
        assert line.amount == Decimal("0.01")
        assert line.currency == "PLN"
        assert line.counterparty_account == "56114010810000267002001001"
        assert line.counterparty_name == "JAN NOWAK"
        assert line.counterparty_address == "UL. NIJAKA 1 M 2 31-234 KRAKOW"
        assert line.title == "PRZELEW SRODKOW"
        assert line.transaction_code == "911"
        assert line.raw.startswith(":61:1701190119CN0,01NTRFNONREF//")
        assert "\n:86:911 TRANSAKCJA COLLECT; ID IPH: " in line.raw
        assert len(line.line_identity) == 64
    assert len({line.line_identity for line in statement.lines}) == 3


def test_camt053_sample_reads_every_field():
    statement = parse_statement(shared("camt053_pl_sample.xml"))

    assert statement.format == "camt053"
    assert statement.account == "61109010140000071219812874"
    assert statement.statement_id == "2026-03-02-001"
    assert statement.currency == "PLN"
    assert statement.opening_balance == Decimal("1000.00")
    assert statement.closing_balance == Decimal("1079.99")
    (line,) = statement.lines
    assert line.booking_date == line.value_date == date(2026, 3, 1)
    assert line.amount == Decimal("79.99")
    assert line.currency == "PLN"
    assert line.bank_reference == "ELX20260301-0001"
    assert line.counterparty_name == "JAN KOWALSKI"
    assert line.counterparty_address == "UL. DLUGA 1 00-001 WARSZAWA"
    assert line.counterparty_account == "32101000712223147254000000"
    assert line.title == "FV/2026/02/0123 ABONAMENT LUTY"
    # The creditor account is not the statement's own: a virtual sub-account.
    assert line.virtual_account == "27109010140000000000012345"
    assert line.transaction_code == "PMNT/RCDT/DMCT"
    assert line.raw.startswith("<Ntry") and line.raw.endswith("</Ntry>")


# MT940 with ~NN sub-fields, in every code page Polish banks use.


def polish_statement_text() -> str:
    return data("polish_tilde.sta").decode("utf-8")


def test_structured_86_maps_title_name_iban_and_address():
    statement = parse_statement(data("polish_tilde.sta"))

    assert statement.account == "61109010140000071219812874"
    assert statement.opening_balance == Decimal("1000.00")
    assert statement.closing_balance == Decimal("1100.00")
    incoming, outgoing = statement.lines
    assert incoming.amount == Decimal("123.45")
    assert incoming.bank_reference == "FK26030200001"
    assert incoming.transaction_code == "020"
    assert incoming.title == "Zażółć gęślą jaźń FV/2026/03/0042"
    assert incoming.counterparty_name == "Małgorzata Żółkiewska-Śliwińska"
    assert incoming.counterparty_account == "32101000712223147254000000"
    assert incoming.counterparty_address == "ul. Źródlana 5 31-234 Kraków"
    assert outgoing.amount == Decimal("-23.45")
    assert outgoing.title == "Opłata za łącze marzec"
    assert outgoing.counterparty_name == "Orange Polska S.A."
    # ~30 bank code + ~31 account: the NRB with its check digits computed.
    assert outgoing.counterparty_account == "89105000997603123412341234"


@pytest.mark.parametrize("encoding", ["cp852", "iso-8859-2", "cp1250"])
def test_same_statement_in_each_polish_code_page_parses_identically(encoding):
    text = polish_statement_text()
    expected = parse_statement(text.encode("utf-8"))

    assert parse_statement(text.encode(encoding)) == expected
    assert parse_statement(text.encode(encoding), encoding=encoding) == expected


@pytest.mark.parametrize("separator", ["<", "^", "?"])
def test_angle_and_caret_separators_read_like_tilde(separator):
    expected = parse_statement(data("polish_tilde.sta"))
    variant = polish_statement_text().replace("~", separator).encode("cp1250")

    statement = parse_statement(variant)

    assert [replace(line, raw="") for line in statement.lines] == [
        replace(line, raw="") for line in expected.lines
    ]


def test_details_without_structure_become_the_title():
    details = parse_details("152 WPLATA GOTOWKOWA\nWPLATOMAT 0042")

    assert details.transaction_code == "152"
    assert details.title == "WPLATA GOTOWKOWA WPLATOMAT 0042"


def test_mbank_fields_broken_across_lines_are_joined():
    details = parse_details(
        "911 TRANSAKCJA COLLECT; ID IPH: xx 0000 0000 0042; Z RACH.: 5611401081000026\n"
        "7002001001; OD: ANNA KOWALSKA\nUL. POLNA 3\n00-001 WARSZAWA; TYT.: ABONAMENT \n"
        "KLIENT 42; TNR: 1.1"
    )

    assert details.virtual_account == "XX000000000042"
    assert details.counterparty_account == "56114010810000267002001001"
    assert details.counterparty_name == "ANNA KOWALSKA"
    assert details.counterparty_address == "UL. POLNA 3 00-001 WARSZAWA"
    assert details.title == "ABONAMENT KLIENT 42"


# Identity of lines: idempotent imports.


def mt940_statement(entries: list[tuple[str, str]], *, opening: str, reference: str) -> bytes:
    """An MT940 file of (":61:" value, ":86:" value) entries with balances that add up."""
    total = Decimal(opening.replace(",", "."))
    body = []
    for statement_line, details in entries:
        sign = -1 if "D" in statement_line[10:12] else 1
        amount = statement_line[11:].lstrip("CDN").split("N", 1)[0]
        total += sign * Decimal(amount.replace(",", "."))
        body += [f":61:{statement_line}", f":86:{details}"]
    closing = f"{total:.2f}".replace(".", ",")
    return "\n".join(
        [
            f":20:{reference}",
            ":25:PL61109010140000071219812874",
            ":28C:1/1",
            f":60F:C260301PLN{opening}",
            *body,
            f":62F:C260303PLN{closing}",
            "-",
        ]
    ).encode("cp1250")


PAYMENT_1 = ("2603010301C10,00NTRFNONREF", "020~20KLIENT 1~32JAN NOWAK~3110901014000000000012345")
PAYMENT_2 = ("2603020302C20,00NTRFNONREF", "020~20KLIENT 2~32ANNA NOWAK")
PAYMENT_3 = ("2603020302C30,00NTRFNONREF", "020~20KLIENT 3~32EWA NOWAK")
PAYMENT_4 = ("2603030303C40,00NTRFNONREF", "020~20KLIENT 4~32OLA NOWAK")


def test_overlapping_statement_gives_the_same_identities_for_shared_lines():
    first = parse_statement(
        mt940_statement([PAYMENT_1, PAYMENT_2, PAYMENT_3], opening="0,00", reference="A")
    )
    second = parse_statement(
        mt940_statement([PAYMENT_2, PAYMENT_3, PAYMENT_4], opening="10,00", reference="B")
    )

    assert [line.line_identity for line in first.lines[1:]] == [
        line.line_identity for line in second.lines[:2]
    ]
    assert first.lines[0].line_identity not in {line.line_identity for line in second.lines}
    assert second.lines[2].line_identity not in {line.line_identity for line in first.lines}


def test_two_identical_payments_on_one_day_get_different_identities():
    payload = mt940_statement([PAYMENT_2, PAYMENT_2, PAYMENT_3], opening="0,00", reference="A")

    statement = parse_statement(payload)

    assert statement.lines[0].line_identity != statement.lines[1].line_identity
    assert [line.line_identity for line in parse_statement(payload).lines] == [
        line.line_identity for line in statement.lines
    ]


def test_consecutive_days_of_one_account_merge_into_one_statement():
    day_one = mt940_statement([PAYMENT_1], opening="0,00", reference="D1")
    day_two = mt940_statement([PAYMENT_2, PAYMENT_3], opening="10,00", reference="D2")

    merged = parse_statement(day_one + b"\n" + day_two)

    assert len(parse_statements(day_one + b"\n" + day_two)) == 2
    assert merged.statement_id == "D1 1/1+D2 1/1"
    assert merged.opening_balance == Decimal("0.00")
    assert merged.closing_balance == Decimal("60.00")
    assert len(merged.lines) == 3


def test_a_gap_between_consecutive_statements_is_refused():
    day_one = mt940_statement([PAYMENT_1], opening="0,00", reference="D1")
    day_two = mt940_statement([PAYMENT_2], opening="99,00", reference="D2")

    error = refused(day_one + b"\n" + day_two)

    assert "opens at 99.00" in error.reason


# Malformed files: refused whole, with the line and the reason.


def mbank_with(old: str, new: str) -> bytes:
    text = mbank_text()
    assert old in text
    return text.replace(old, new, 1).encode("ascii")


def test_truncated_statement_line_is_refused_with_its_line():
    error = refused(mbank_with(":61:1701190119CN0,01NTRFNONREF//MB170119012058", ":61:17011901"))

    assert error.line == 6
    assert "malformed or truncated" in error.reason
    assert str(error).startswith("line 6: ")


def test_amount_with_two_commas_is_refused():
    error = refused(mbank_with("CN0,01NTRFNONREF//MB170119012085", "CN1,2,3NTRFNONREF//MB1"))

    assert error.line == 12
    assert "“1,2,3” is not an MT940 amount" in error.reason


def test_thirtieth_of_february_is_refused_not_moved_to_the_28th():
    error = refused(mbank_with(":61:1701190119CN0,01", ":61:1702300230CN0,01"))

    assert error.line == 6
    assert "“170230”" in error.reason


def test_impossible_date_in_a_balance_is_refused():
    error = refused(mbank_with(":60F:C170119PLN0,40", ":60F:C170230PLN0,40"))

    assert error.line == 5


def test_balances_that_do_not_add_up_are_refused():
    error = refused(mbank_with(":62F:C170119PLN0,43", ":62F:C170119PLN0,44"))

    assert error.line == 24
    assert "balances don't add up" in error.reason


def test_statement_line_without_details_is_refused():
    text = mbank_text()
    start = text.index(":86:911", text.index("MB170119012085"))
    end = text.index(":61:", start)
    error = refused((text[:start] + text[end:]).encode("ascii"))

    assert error.line == 12
    assert "no :86:" in error.reason


def test_missing_closing_balance_is_refused():
    error = refused(mbank_with(":62F:C170119PLN0,43\n", ""))

    assert "no :62F: closing balance" in error.reason


def test_wrong_explicit_encoding_is_refused_with_the_line():
    payload = polish_statement_text().encode("cp1250")

    error = refused(payload, encoding="utf-8")

    assert error.line == 8  # the first Polish letter
    assert "not valid utf-8" in error.reason


def test_binary_data_is_refused():
    error = refused(b":20:X\n:25:\x00\x00\n")

    assert error.line == 2
    assert "control character" in error.reason


def test_unknown_format_is_refused():
    error = refused(b"Hello, this is not a statement\n")

    assert "unknown statement format" in error.reason


def test_broken_xml_is_refused_with_its_line():
    text = shared("camt053_pl_sample.xml").decode("utf-8")
    broken = text.replace("</Dbtr>", "", 1).encode("utf-8")

    error = refused(broken)

    assert error.line is not None and error.line >= 18
    assert "not well-formed" in error.reason


def test_camt_balances_that_do_not_add_up_are_refused():
    text = shared("camt053_pl_sample.xml").decode("utf-8")

    error = refused(text.replace("1079.99", "1079.98").encode("utf-8"))

    assert error.line == 9  # the CLBD balance
    assert "balances don't add up" in error.reason


def test_other_xml_is_not_taken_for_a_statement():
    notification = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"/>'

    error = refused(b'<?xml version="1.0"?>\n' + notification)

    assert "not a CAMT.053 statement" in error.reason


# CAMT.053 with several entries.


def test_camt053_multi_entry_statement():
    statement = parse_statement(data("camt053_multi.xml"))

    assert statement.opening_balance == Decimal("1079.99")  # PRCD stands in for OPBD
    assert statement.closing_balance == Decimal("989.98")
    subscription, supplier, batch_1, batch_2 = statement.lines  # the pending entry is left out
    assert subscription.booking_date == date(2026, 3, 2)
    assert subscription.counterparty_name == "Paweł Wiśniewski"
    assert subscription.counterparty_address == "ul. Długa 7 00-238 Warszawa"
    assert subscription.counterparty_account == "32101000712223147254000000"
    assert subscription.virtual_account == "27109010140000000000012345"
    assert subscription.title == "ABONAMENT MARZEC KLIENT 1042"
    assert supplier.amount == Decimal("-250.00")
    assert supplier.counterparty_name == "ORANGE POLSKA S.A."
    assert supplier.counterparty_account == "89105000997603123412341234"
    assert supplier.bank_reference == "E2E-INV-77"
    assert supplier.transaction_code == "073"
    assert supplier.virtual_account == ""
    assert (batch_1.amount, batch_1.bank_reference, batch_1.title) == (
        Decimal("60.00"),
        "ELX20260302-0010/1",
        "KLIENT 2001",
    )
    assert (batch_2.amount, batch_2.bank_reference, batch_2.counterparty_name) == (
        Decimal("40.00"),
        "ELX20260302-0010/2",
        "PIOTR ZIELINSKI",
    )


# CSV profiles.


def test_generic_profile_reads_credit_and_debit_columns():
    statement = parse_statement(data("generic_pl.csv"), csv_profile=PROFILES["generic_pl"])

    assert statement.format == "csv:generic_pl"
    assert statement.opening_balance is None and statement.closing_balance is None
    incoming, outgoing = statement.lines
    assert incoming.amount == Decimal("79.99")
    assert incoming.counterparty_name == "Nowak; Jan"
    assert incoming.counterparty_account == "56114010810000267002001001"
    assert incoming.virtual_account == "27109010140000000000012345"
    assert incoming.bank_reference == "REF-1"
    assert incoming.title == "Abonament marzec"
    assert outgoing.amount == Decimal("-1250.00")
    assert (outgoing.booking_date, outgoing.value_date) == (date(2026, 3, 2), date(2026, 3, 3))


def test_ing_profile_reads_a_signed_amount_by_column_index():
    statement = parse_statement(data("ing_pl.csv"), csv_profile=PROFILES["ing_pl"])

    assert statement.account == "61109010140000071219812874"
    first, second = statement.lines
    assert first.amount == Decimal("49.00")
    assert first.counterparty_name == "Żaneta Kowalczyk ul. Polna 3 Łódź"
    assert first.counterparty_account == "32101000712223147254000000"
    assert first.title == "Opłata za internet"
    assert (first.booking_date, first.value_date) == (date(2026, 3, 2), date(2026, 3, 1))
    assert second.amount == Decimal("-312.17")
    assert second.bank_reference == "202603020002"


def test_csv_row_with_bad_amount_or_date_is_refused_with_its_line():
    text = data("generic_pl.csv").decode("cp1250")
    profile = PROFILES["generic_pl"]

    bad_amount = text.replace("1 250,00", "1,2,3").encode("cp1250")
    bad_date = text.replace("02.03.2026;03.03.2026", "30.02.2026;03.03.2026").encode()

    bad_amount = refused(bad_amount, csv_profile=profile)
    bad_date = refused(bad_date, csv_profile=profile)

    assert (bad_amount.line, bad_date.line) == (3, 3)
    assert "“1,2,3” is not an amount" in bad_amount.reason
    assert "“30.02.2026” is not a date" in bad_date.reason


def test_csv_profile_with_a_missing_header_column_is_refused():
    profile = CsvProfile(name="x", columns={"booking_date": "Data", "amount": "Kwota"})

    error = refused(b"Data;Suma\n01.03.2026;1,00\n", csv_profile=profile)

    assert error.line == 1
    assert "no column “Kwota”" in error.reason


def test_csv_profile_must_say_where_the_amount_is():
    with pytest.raises(ValueError, match="credit and debit"):
        CsvProfile(name="x", columns={"booking_date": 0, "credit": 1})


def test_polish_iban_compacts_to_its_nrb():
    assert compact_account("PL61 1090 1014 0000 0712 1981 2874") == "61109010140000071219812874"
    assert compact_account("DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"
