"""The fast MT940 reading gives what the plain one gave: the scanner splits a file into the
same fields (or refuses it on the same line) as reading it line by line, and a :61: line
gets the date, booking date and amount the mt-940 library's ``Statement`` tag makes."""

from datetime import date
from pathlib import Path

import mt940 as library
import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from finance.bank import mt940, parse_statement
from finance.bank.parsers import FRAMING_CHARS, StatementParseError, decode_statement

SAMPLES = [
    settings.BASE_DIR.parent / "shared" / "data" / "bank" / "mbank_collect.sta",
    Path(__file__).parent / "data" / "bank" / "polish_tilde.sta",
]


def scan_line_by_line(text: str):
    """How the scanner read a file before it split fields at once: line by line."""
    messages, fields, current = [], [], None
    text = text.translate(str.maketrans("", "", FRAMING_CHARS))
    for number, line in enumerate(text.split("\n"), start=1):
        match = mt940._FIELD_START.match("\n" + line)
        if match:
            if match[1] == "20" and fields:
                messages.append(fields)
                fields = []
            elif not fields and match[1] != "20":
                raise StatementParseError(number, "begin")
            current = [match[1], number, [line[match.end() - 1:]]]
            fields.append(current)
        elif not line.strip():
            continue
        elif line.strip() in ("-", "-}") or line.startswith("{"):
            current = None
        elif current is None:
            raise StatementParseError(number, "outside")
        else:
            current[2].append(line)
    if fields:
        messages.append(fields)
    return [[(tag, number, "\n".join(lines)) for tag, number, lines in message]
            for message in messages]


def scan(text: str):
    return [[(f.tag, f.line, f.text) for f in message] for message in mt940._scan(text)]


def outcome(read, text):
    try:
        return read(text)
    except StatementParseError as e:
        return ("refused", e.line)


LINES = st.sampled_from([
    ":20:ST1", ":25:PL61109010140000071219812874", ":28C:1/1", ":60F:C260301PLN1,00",
    ":61:2603010301C1,00NTRFNONREF", ":86:020~20KLIENT 1", ":62F:C260301PLN2,00", ":NS:x",
    "ciąg dalszy", "  wcięty  ", "", "   ", "\xa0", "-", " -} ", "{1:F01MBANK}", "{4:", "-x",
    ":20", "x:20:y", "\x01:20:ST2", "TYT.: ; \x03",
])


@given(st.lists(LINES, max_size=25))
def test_the_scanner_reads_any_file_as_reading_line_by_line_did(lines):
    text = "\n".join(lines)
    assert outcome(scan, text) == outcome(scan_line_by_line, text)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_the_scanner_reads_the_sample_files_as_reading_line_by_line_did(path):
    text = decode_statement(path.read_bytes())
    assert scan(text) == scan_line_by_line(text)
    blocks = "{1:F01}{2:I940}{4:\n" + text + "\n-}\n\n"
    assert scan(blocks) == scan_line_by_line(blocks)


def statement_line_by_the_library(item, parsed):
    """The :61: values as the library's tag makes them, checked as before."""
    mt940._validate(item, parsed)
    transactions = library.models.Transactions(options=mt940._OPTIONS)
    try:
        data = mt940._library_tag("61")(transactions, dict(parsed))
    except (ValueError, ArithmeticError) as exc:
        raise mt940._impossible(item, exc) from None
    plain = dict(parsed, amount=data["amount"].amount,
                 date=date(data["date"].year, data["date"].month, data["date"].day))
    if "entry_date" in data:
        entry = data["entry_date"]
        plain["entry_date"] = date(entry.year, entry.month, entry.day)
    return plain


def read_61(convert, value):
    item = mt940._Field("61", 7, value)
    match = mt940._library_tag("61").re.match(item.value)
    if match is None:
        return "malformed"
    try:
        data = convert(item, match.groupdict())
    except StatementParseError as e:
        return str(e)
    keys = ("amount", "date", "entry_date", "bank_reference", "customer_reference", "id")
    return {key: data.get(key) for key in keys}


two_digits = st.integers(0, 99).map("{:02d}".format)


@given(year=two_digits, month=st.sampled_from(["01", "02", "06", "12", "13", "00"]),
       day=st.sampled_from(["01", "15", "28", "29", "30", "31", "32"]),
       entry=st.sampled_from(["", "  ", "0101", "1231", "0229", "0230", "1301", "06 1"]),
       mark=st.sampled_from(["C", "D", "RC", "RD", "c", "d", "rc", "X"]),
       funds=st.sampled_from(["", "N"]),
       amount=st.sampled_from(["0,01", "150,78", "12,", "1,234", "1,2,3", "007,50", ",5", "9"]),
       rest=st.sampled_from(["NTRFNONREF//MB1", "NTRF", "NTRFREF1\n911-TRANSAKCJA",
                             "N152NONREF", "", "S0201//X\nINFO"]))
def test_a_statement_line_reads_as_the_library_reads_it(
        year, month, day, entry, mark, funds, amount, rest):
    value = f"{year}{month}{day}{entry}{mark}{funds}{amount}{rest}"
    fast = read_61(mt940._statement_line, value)
    assert fast == read_61(statement_line_by_the_library, value)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_the_sample_files_parse_as_through_the_librarys_statement_tag(path, monkeypatch):
    fast = parse_statement(path.read_bytes())
    monkeypatch.setattr(mt940, "_statement_line", statement_line_by_the_library)
    assert parse_statement(path.read_bytes()) == fast
