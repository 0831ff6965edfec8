"""MT940 as Polish banks write it.

The mt-940 library reads the SWIFT envelope (:20:, :25:, :28C:, balances) and the
layout of each :61: line (its pattern); this module feeds it one field at a time, so a
refusal can name the line, turns the :61: groups into a date and an amount itself (the
library's model objects cost more than the rest of the parse together on a statement of
100,000 lines, for the same values; ``tests/test_bank_mt940_fast.py`` compares both
readings), and maps the :86: details itself, because Polish banks fill them in two ways
the library does not know:

- structured sub-fields "~NN" (some banks separate them with "<", "^" or "?"), after an
  optional 3-digit transaction code: ~00 description, ~10 reference, ~20–~26 title,
  ~27–~28 or ~32–~33 counterparty name, ~29/~30/~31 counterparty bank and account,
  ~38 counterparty IBAN, ~60–~63 counterparty address;
- mBank Collect's free layout "911 TRANSAKCJA COLLECT; ID IPH: …; Z RACH.: …; OD: …;
  TYT.: …; TNR: …", where "ID IPH" is the receiving virtual account ("IPH" =
  identyfikator płatności masowej) and OD holds the payer's name on its first line and
  the address on the following ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

import mt940
from django.utils.translation import gettext as _

from finance.bank.parsers import (
    FRAMING_CHARS,
    Statement,
    StatementLine,
    StatementParseError,
    booking_amount,
    check_balances,
    collapse,
    compact_account,
    join_chunks,
    line_identities,
    money,
    nrb_from_parts,
)

# Reversal of a credit (RC) takes money out like the debit it is; marks in any case.
_OPTIONS = mt940.Options(reversal_sign=True, case_insensitive_marks=True)

# A field's tag at the start of a line ("\n" is put before the text for the first one).
_FIELD_START = re.compile(r"\n:(\d\d[A-Z]?|NS):")
# A line that is blank, ends a message ("-", "-}") or opens a SWIFT block ("{"): a field
# holding one is read line by line; the others are split at once.
_SPECIAL_LINE = re.compile(r"\n(?:[^\S\n]*(?:-\}?)?[^\S\n]*(?=\n|\Z)|\{)")
_FRAMING = str.maketrans("", "", FRAMING_CHARS)
_DEBIT_MARKS = {"D", "RC"}  # with reversal_sign, as _OPTIONS says
_AMOUNT = re.compile(r"\d+,\d*")
_NO_REFERENCE = {"", "NONREF", "NOTPROVIDED"}

_OPENING_KEYS = ("final_opening_balance", "opening_balance", "intermediate_opening_balance")
_CLOSING_KEYS = ("final_closing_balance", "closing_balance", "intermediate_closing_balance")
_BALANCE_TAGS = {"60", "60F", "60M", "62", "62F", "62M", "64", "65"}

# The width SWIFT gives each ~NN sub-field of a Polish :86: (27x).
_SUBFIELD_WIDTH = 27


@dataclass(slots=True)
class _Field:
    tag: str
    line: int
    text: str  # after ":NN:", its lines (but blank ones) joined by "\n"

    @property
    def value(self) -> str:
        return "\n".join([text.rstrip() for text in self.text.split("\n")]).strip()

    @property
    def raw(self) -> str:
        return f":{self.tag}:{self.text}"


@dataclass
class _Entry:
    field: _Field
    data: dict
    details: _Field | None = None


class Details(NamedTuple):
    """What a Polish :86: says about a line (a named tuple: made 100,000 times a file)."""

    transaction_code: str = ""
    title: str = ""
    counterparty_name: str = ""
    counterparty_address: str = ""
    counterparty_account: str = ""
    virtual_account: str = ""
    reference: str = ""


def parse_mt940(text: str) -> tuple[Statement, ...]:
    messages = _scan(text)
    if not messages:
        raise StatementParseError(1, _("the file holds no MT940 statement"))
    return tuple(_statement(fields) for fields in messages)


def _scan(text: str) -> list[list[_Field]]:
    """Split the text into messages (each from a :20:) of fields, keeping their lines.

    A field runs from its ":NN:" at the start of a line to the next one; its text is
    split into lines in one go unless a line in it needs a look (blank, "-", "{")."""
    messages: list[list[_Field]] = []
    fields: list[_Field] = []
    # Framing characters are never line ends, so stripping them first keeps line numbers.
    text = text.translate(_FRAMING)
    # [text before the first field, tag, its text, tag, its text, …]
    pieces = _FIELD_START.split("\n" + text)
    head = pieces[0][1:].split("\n") if pieces[0] else []
    _continuation(head, 1, inside=False)
    number = 1 + len(head)
    for tag, body in zip(pieces[1::2], pieces[2::2], strict=True):
        if tag == "20" and fields:
            messages.append(fields)
            fields = []
        elif not fields and tag != "20":
            raise StatementParseError(
                number, _("the statement must begin with its :20: reference")
            )
        if _SPECIAL_LINE.search(body) is None:
            fields.append(_Field(tag, number, body))
        else:
            first, *rest = body.split("\n")
            kept = _continuation(rest, number + 1, inside=True)
            fields.append(_Field(tag, number, "\n".join([first, *kept])))
        number += body.count("\n") + 1
    if fields:
        messages.append(fields)
    return messages


def _continuation(lines: list[str], number: int, *, inside: bool) -> list[str]:
    """The lines of a field after its tag line (``number`` is the first one's) that
    belong to it; ``inside``: whether they follow a tag line or stand outside any field."""
    kept = []
    for offset, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped in ("-", "-}") or line.startswith("{"):
            # The end of a message, or the SWIFT blocks {1:…}{2:…}{4: around it.
            inside = False
        elif not inside:
            raise StatementParseError(
                number + offset,
                _("text outside any MT940 field: “%(text)s”") % {"text": stripped},
            )
        else:
            kept.append(line)
    return kept


def _library_tag(tag: str):
    tags = mt940.tags.TAG_BY_ID
    return tags.get(tag) or tags.get(int(tag[:2]) if tag[:2].isdigit() else tag)


def _statement(fields: list[_Field]) -> Statement:
    transactions = mt940.models.Transactions(options=_OPTIONS)
    statement_tag = _library_tag("61")
    entries: list[_Entry] = []
    closing_field = fields[-1]
    for item in fields:
        if item.tag == "86":
            if entries and entries[-1].details is None:
                entries[-1].details = item
            # Otherwise it is information about the whole statement, which we do not keep.
            continue
        _require_details(entries)
        tag = statement_tag if item.tag == "61" else _library_tag(item.tag)
        if tag is None:
            continue
        value = item.value
        match = tag.re.match(value)  # what tag.parse does, without its debug logging
        if match is None:
            raise StatementParseError(
                item.line,
                _("the :%(tag)s: field is malformed or truncated: “%(value)s”")
                % {"tag": item.tag, "value": value},
            )
        parsed = match.groupdict()
        if tag is statement_tag:
            entries.append(_Entry(item, _statement_line(item, parsed)))
            continue
        _validate(item, parsed)
        try:
            result = tag(transactions, parsed)
        except (ValueError, ArithmeticError) as exc:
            raise _impossible(item, exc) from None
        if isinstance(tag, mt940.tags.Statement):
            entries.append(_Entry(item, result))
        else:
            transactions.data.update(result)
            if any(key in result for key in _CLOSING_KEYS):
                closing_field = item
    _require_details(entries)

    data = transactions.data
    start = fields[0].line
    if not data.get("account_identification"):
        raise StatementParseError(start, _("the statement has no :25: account"))
    opening = _balance(data, _OPENING_KEYS)
    closing = _balance(data, _CLOSING_KEYS)
    if opening is None:
        raise StatementParseError(start, _("the statement has no :60F: opening balance"))
    if closing is None:
        raise StatementParseError(fields[-1].line, _("the statement has no :62F: closing balance"))
    currency = opening.amount.currency.upper()
    if closing.amount.currency.upper() != currency:
        raise StatementParseError(
            closing_field.line,
            _("the closing balance is in %(closing)s but the opening balance in %(opening)s")
            % {"closing": closing.amount.currency, "opening": currency},
        )
    account = compact_account(data["account_identification"])
    values = [_line_values(entry, currency) for entry in entries]
    identities = line_identities(values, account=account)
    lines = [StatementLine(**kwargs, line_identity=identity)
             for kwargs, identity in zip(values, identities, strict=True)]
    opening_amount = money(str(opening.amount.amount), line=start)
    closing_amount = money(str(closing.amount.amount), line=closing_field.line)
    check_balances(
        opening=opening_amount, closing=closing_amount, lines=lines, line=closing_field.line
    )
    statement_id = data.get("transaction_reference", "").strip()
    if data.get("statement_number"):
        number = data["statement_number"]
        if data.get("sequence_number"):
            number += "/" + data["sequence_number"]
        statement_id = f"{statement_id} {number}"
    return Statement(
        account=account,
        statement_id=statement_id,
        opening_balance=opening_amount,
        closing_balance=closing_amount,
        currency=currency,
        lines=tuple(lines),
        format="mt940",
    )


def _require_details(entries: list[_Entry]) -> None:
    if entries and entries[-1].details is None:
        raise StatementParseError(
            entries[-1].field.line, _("the :61: statement line has no :86: details")
        )


def _balance(data: dict, keys: tuple[str, ...]):
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


def _validate(item: _Field, parsed: dict) -> None:
    """Refuse what the library would let through: its patterns match a prefix, and it
    moves a 30th of February to the 28th."""
    if item.tag not in _BALANCE_TAGS and item.tag != "61":
        return
    amount = parsed.get("amount") or ""
    if not _AMOUNT.fullmatch(amount):
        raise StatementParseError(
            item.line,
            _("“%(amount)s” is not an MT940 amount (digits and one decimal comma)")
            % {"amount": amount},
        )
    yymmdd = parsed["year"] + parsed["month"] + parsed["day"]
    _check_date(item, yymmdd, int(parsed["year"]) + 2000)
    if item.tag == "61":
        entry = (parsed.get("entry_month") or "") + (parsed.get("entry_day") or "")
        if entry.strip():
            # The booking date has no year; 2000 was a leap year, so 29 February passes.
            _check_date(item, "00" + entry, 2000)
    else:
        expected = f"{parsed['status']}{yymmdd}{parsed['currency']}{amount}"
        if item.value.replace("\n", "") != expected:
            raise StatementParseError(
                item.line,
                _("the balance “%(value)s” is malformed (expected like C170119PLN1234,56)")
                % {"value": item.value},
            )


def _impossible(item: _Field, exc: Exception) -> StatementParseError:
    return StatementParseError(
        item.line,
        _("the :%(tag)s: field holds an impossible value (%(error)s)")
        % {"tag": item.tag, "error": exc},
    )


def _check_date(item: _Field, digits: str, year: int) -> None:
    try:
        date(year, int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        raise StatementParseError(
            item.line,
            _("“%(date)s” in the :%(tag)s: field is not a date")
            % {"date": digits.removeprefix("00"), "tag": item.tag},
        ) from None


def _statement_line(item: _Field, parsed: dict) -> dict:
    """The groups of a :61: line, checked as ``_validate`` checks them, with its date,
    booking date and signed amount as the library's ``Statement`` tag makes them (with
    ``_OPTIONS``), but as plain ``date`` and ``Decimal``: a booking date (MMDD) takes the
    value date's year, one more or one less where the two lie 330 days or more apart (a
    line of 31 December booked on 2 January)."""
    amount = parsed["amount"] or ""
    if not _AMOUNT.fullmatch(amount):
        _validate(item, parsed)  # refuses it, with the reason
    try:
        value_date = date(2000 + int(parsed["year"]), int(parsed["month"]), int(parsed["day"]))
    except ValueError:
        _validate(item, parsed)
        raise
    month, day = parsed["entry_month"] or "", parsed["entry_day"] or ""
    if (month + day).strip():
        # The booking date has no year; 2000 was a leap year, so 29 February passes.
        _check_date(item, "00" + month + day, 2000)
    signed = Decimal(amount.replace(",", "."))
    if (parsed["status"] or "").upper() in _DEBIT_MARKS:
        signed = -signed
    data = dict(parsed, amount=signed, date=value_date)
    if day.isdigit() and month.isdigit():
        try:
            entry = date(value_date.year, int(month), int(day))
            if value_date > entry and (value_date - entry).days >= _YEAR_BOUNDARY_DAYS:
                entry = date(entry.year + 1, entry.month, entry.day)
            elif entry > value_date and (entry - value_date).days >= _YEAR_BOUNDARY_DAYS:
                entry = date(entry.year - 1, entry.month, entry.day)
        except ValueError as exc:
            raise _impossible(item, exc) from None
        data["entry_date"] = entry
    return data


_YEAR_BOUNDARY_DAYS = 330  # as the library's Statement tag


def _line_values(entry: _Entry, currency: str) -> dict:
    """The fields of the entry's ``StatementLine`` but its identity."""
    data = entry.data
    details = parse_details(entry.details.text)
    value_date = data["date"]
    booking = data.get("entry_date")
    reference = ""
    candidates = (data.get("bank_reference"), data.get("customer_reference"), details.reference)
    for candidate in candidates:
        if (candidate or "").strip().upper() not in _NO_REFERENCE:
            reference = candidate.strip()
            break
    code = details.transaction_code
    if not code and data.get("id"):
        code = data["id"].removeprefix("N") if data["id"][1:].isdigit() else data["id"]
    return dict(
        booking_date=booking or value_date,
        value_date=value_date,
        # The amount has no sign of its own (the :61: pattern admits digits and a comma
        # only); the mark gave the direction, and a zero is refused as in every format.
        amount=booking_amount(
            str(abs(data["amount"])), debit=(data.get("status") or "").upper() in _DEBIT_MARKS,
            line=entry.field.line, entry=lambda: _("the :61: statement line") + (
                f" ({reference})" if reference else ""), direction="MT940"),
        currency=currency,
        bank_reference=reference,
        counterparty_name=details.counterparty_name,
        counterparty_address=details.counterparty_address,
        counterparty_account=details.counterparty_account,
        title=details.title,
        virtual_account=details.virtual_account,
        transaction_code=code,
        raw=entry.field.raw + "\n" + entry.details.raw,
    )


# The :86: details.

_STRUCTURED = re.compile(r"\s*(?P<code>\d{3})?\s*(?P<separator>[~<^?])(?=\d\d)")
# A key at the start of the text or after a ";": searched in ";" + text, because a
# pattern that begins with its ";" is found far faster than one that begins with "\A|;".
_MBANK_KEY = re.compile(r";[ \n]*(?P<key>ID IPH|Z RACH\.|OD|TYT\.|TNR)[ ]*:")
_LEADING_CODE = re.compile(r"\s*(?P<code>\d{3})(?:\s|$|[-;])")


def parse_details(text: str) -> Details:
    """Map the text of a :86: field (its lines joined by newlines) to `Details`."""
    structured = _STRUCTURED.match(text)
    if structured:
        return _structured_details(
            text[structured.end() :], structured["separator"], structured["code"] or ""
        )
    matches = list(_MBANK_KEY.finditer(";" + text))
    if matches:
        return _mbank_details(";" + text, matches)
    leading = _LEADING_CODE.match(text)
    code = leading["code"] if leading else ""
    body = text[leading.end() :] if leading else text
    return Details(transaction_code=code, title=collapse(body.replace("\n", " ")))


def _structured_details(body: str, separator: str, code: str) -> Details:
    # The 65-character lines are cut wherever the line runs out; the sub-fields carry
    # their own separators, so the lines join without anything between them.
    body = body.replace("\n", "")
    parts = re.split(re.escape(separator) + r"(\d\d)", separator + body)
    sub: dict[str, list[str]] = {}
    for number, value in zip(parts[1::2], parts[2::2], strict=True):
        sub.setdefault(number, []).append(value)

    def chunks(*numbers: str) -> list[str]:
        return [value for number in numbers for value in sub.get(number, [])]

    name = join_chunks(chunks("32", "33"), _SUBFIELD_WIDTH) or join_chunks(
        chunks("27", "28"), _SUBFIELD_WIDTH
    )
    address_lines = chunks("60", "61", "62", "63")
    account = compact_account("".join(chunks("38")))
    bank_parts = [compact_account(value) for value in chunks("29", "30", "31")]
    if not all(part.isdigit() for part in bank_parts if part):
        # Some banks put an address line in ~29 rather than the check digits.
        address_lines = chunks("29") + address_lines
        bank_parts = [compact_account(value) for value in chunks("30", "31")]
    if not account:
        account = _account_from_parts(bank_parts)
    if not code:
        leading = _LEADING_CODE.match(" ".join(chunks("00")))
        code = leading["code"] if leading else ""
    return Details(
        transaction_code=code,
        title=join_chunks(chunks("20", "21", "22", "23", "24", "25", "26"), _SUBFIELD_WIDTH),
        counterparty_name=name,
        counterparty_address=collapse(" ".join(address_lines)),
        counterparty_account=account,
        reference=collapse("".join(chunks("10"))),
    )


def _account_from_parts(parts: list[str]) -> str:
    joined = "".join(parts)
    if not joined:
        return ""
    if len(joined) == 26 and joined.isdigit():
        return joined
    if len(parts) >= 2 and len(parts[-2]) == 8 and len(parts[-1]) == 16:
        # ~30 bank code and ~31 account: the NRB lacks only its check digits.
        return nrb_from_parts(parts[-2], parts[-1])
    return parts[-1]


def _mbank_details(text: str, matches: list[re.Match]) -> Details:
    """``text``: the details after a ";"; ``matches``: its keys."""
    values: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        values[match["key"]] = text[match.end() : following.start() if following else None]
    leading = _LEADING_CODE.match(text, 1, matches[0].start())

    def flat(key: str) -> str:
        # A field cut at the end of a line goes on at the start of the next one.
        return values.get(key, "").replace("\n", "").rstrip(" ;")

    payer = values.get("OD", "").strip(" \n;").split("\n")
    return Details(
        transaction_code=leading["code"] if leading else "",
        title=collapse(flat("TYT.")),
        counterparty_name=collapse(payer[0]),
        counterparty_address=collapse(" ".join(payer[1:])),
        counterparty_account=compact_account(flat("Z RACH.")),  # no spaces left to collapse
        virtual_account=compact_account(flat("ID IPH")),
        reference="",
    )
