"""MT940 as Polish banks write it.

The mt-940 library reads the SWIFT envelope (:20:, :25:, :28C:, balances, :61:); this
module feeds it one field at a time, so a refusal can name the line, and maps the :86:
details itself, because Polish banks fill them in two ways the library does not know:

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

import mt940
from django.utils.translation import gettext as _

from finance.bank.parsers import (
    FRAMING_CHARS,
    Statement,
    StatementLine,
    StatementParseError,
    check_balances,
    collapse,
    compact_account,
    join_chunks,
    money,
    nrb_from_parts,
    with_identities,
)

# Reversal of a credit (RC) takes money out like the debit it is; marks in any case.
_OPTIONS = mt940.Options(reversal_sign=True, case_insensitive_marks=True)

_TAG_LINE = re.compile(r":(?P<tag>\d\d[A-Z]?|NS):(?P<rest>.*)")
_AMOUNT = re.compile(r"\d+,\d*")
_NO_REFERENCE = {"", "NONREF", "NOTPROVIDED"}

_OPENING_KEYS = ("final_opening_balance", "opening_balance", "intermediate_opening_balance")
_CLOSING_KEYS = ("final_closing_balance", "closing_balance", "intermediate_closing_balance")
_BALANCE_TAGS = {"60", "60F", "60M", "62", "62F", "62M", "64", "65"}

# The width SWIFT gives each ~NN sub-field of a Polish :86: (27x).
_SUBFIELD_WIDTH = 27


@dataclass
class _Field:
    tag: str
    line: int
    lines: list[str]  # the first is the text after ":NN:"

    @property
    def value(self) -> str:
        return "\n".join(text.rstrip() for text in self.lines).strip()

    @property
    def raw(self) -> str:
        return "\n".join([f":{self.tag}:{self.lines[0]}", *self.lines[1:]])


@dataclass
class _Entry:
    field: _Field
    data: dict
    details: _Field | None = None


@dataclass(frozen=True)
class Details:
    """What a Polish :86: says about a line."""

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
    """Split the text into messages (each from a :20:) of fields, keeping their lines."""
    messages: list[list[_Field]] = []
    fields: list[_Field] = []
    current: _Field | None = None
    # Framing characters are never line ends, so stripping them first keeps line numbers.
    text = text.translate(str.maketrans("", "", FRAMING_CHARS))
    for number, line in enumerate(text.split("\n"), start=1):
        match = _TAG_LINE.match(line)
        if match:
            if match["tag"] == "20" and fields:
                messages.append(fields)
                fields = []
            elif not fields and match["tag"] != "20":
                raise StatementParseError(
                    number, _("the statement must begin with its :20: reference")
                )
            current = _Field(match["tag"], number, [match["rest"]])
            fields.append(current)
        elif not line.strip():
            continue
        elif line.strip() in ("-", "-}") or line.startswith("{"):
            # The end of a message, or the SWIFT blocks {1:…}{2:…}{4: around it.
            current = None
        elif current is None:
            raise StatementParseError(
                number, _("text outside any MT940 field: “%(text)s”") % {"text": line.strip()}
            )
        else:
            current.lines.append(line)
    if fields:
        messages.append(fields)
    return messages


def _library_tag(tag: str):
    tags = mt940.tags.TAG_BY_ID
    return tags.get(tag) or tags.get(int(tag[:2]) if tag[:2].isdigit() else tag)


def _statement(fields: list[_Field]) -> Statement:
    transactions = mt940.models.Transactions(options=_OPTIONS)
    entries: list[_Entry] = []
    closing_field = fields[-1]
    for item in fields:
        if item.tag == "86":
            if entries and entries[-1].details is None:
                entries[-1].details = item
            # Otherwise it is information about the whole statement, which we do not keep.
            continue
        _require_details(entries)
        tag = _library_tag(item.tag)
        if tag is None:
            continue
        try:
            parsed = tag.parse(transactions, item.value)
        except RuntimeError:
            raise StatementParseError(
                item.line,
                _("the :%(tag)s: field is malformed or truncated: “%(value)s”")
                % {"tag": item.tag, "value": item.value},
            ) from None
        _validate(item, parsed)
        try:
            result = tag(transactions, parsed)
        except (ValueError, ArithmeticError) as exc:
            raise StatementParseError(
                item.line,
                _("the :%(tag)s: field holds an impossible value (%(error)s)")
                % {"tag": item.tag, "error": exc},
            ) from None
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
    lines = [_line(entry, currency) for entry in entries]
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
        lines=with_identities(lines, account=account),
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


def _check_date(item: _Field, digits: str, year: int) -> None:
    try:
        date(year, int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        raise StatementParseError(
            item.line,
            _("“%(date)s” in the :%(tag)s: field is not a date")
            % {"date": digits.removeprefix("00"), "tag": item.tag},
        ) from None


def _line(entry: _Entry, currency: str) -> StatementLine:
    data = entry.data
    details = parse_details("\n".join(entry.details.lines))
    value_date = _plain_date(data["date"])
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
    return StatementLine(
        booking_date=_plain_date(booking) if booking else value_date,
        value_date=value_date,
        amount=money(str(data["amount"].amount), line=entry.field.line),
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


def _plain_date(value) -> date:
    return date(value.year, value.month, value.day)


# The :86: details.

_STRUCTURED = re.compile(r"\s*(?P<code>\d{3})?\s*(?P<separator>[~<^?])(?=\d\d)")
_MBANK_KEY = re.compile(r"(?:\A|;)[ \n]*(?P<key>ID IPH|Z RACH\.|OD|TYT\.|TNR)[ ]*:")
_LEADING_CODE = re.compile(r"\s*(?P<code>\d{3})(?:\s|$|[-;])")


def parse_details(text: str) -> Details:
    """Map the text of a :86: field (its lines joined by newlines) to `Details`."""
    structured = _STRUCTURED.match(text)
    if structured:
        return _structured_details(
            text[structured.end() :], structured["separator"], structured["code"] or ""
        )
    if _MBANK_KEY.search(text):
        return _mbank_details(text)
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


def _mbank_details(text: str) -> Details:
    matches = list(_MBANK_KEY.finditer(text))
    head = text[: matches[0].start()]
    values: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        values[match["key"]] = text[match.end() : end]
    leading = _LEADING_CODE.match(head)

    def flat(key: str) -> str:
        # A field cut at the end of a line goes on at the start of the next one.
        return collapse(values.get(key, "").replace("\n", "").rstrip(" ;"))

    payer = values.get("OD", "").strip(" \n;").split("\n")
    return Details(
        transaction_code=leading["code"] if leading else "",
        title=flat("TYT."),
        counterparty_name=collapse(payer[0]),
        counterparty_address=collapse(" ".join(payer[1:])),
        counterparty_account=compact_account(flat("Z RACH.")),
        virtual_account=compact_account(flat("ID IPH")),
        reference="",
    )
