"""Bank statements, from the bytes of a file to a `Statement`: MT940, CAMT.053, per-bank CSV.

Pure functions: nothing here touches the database or the network. Fetching a file is
separate, and so is importing it into the ledger, which keys idempotency on
`StatementLine.bank_reference` and `StatementLine.line_identity`.

A file is refused whole: any malformed part raises `StatementParseError` with the line
it sits on, so the import never sees half a statement.

Account numbers are compacted one way for every format (`compact_account`): spaces and
dashes removed, upper case, and a Polish IBAN ("PL" + 26 digits) written as its 26-digit
NRB, so an account reads the same whether a bank wrote it as IBAN or NRB.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from finance.money import AmountError, round_grosz, to_money

if TYPE_CHECKING:
    from finance.bank.csv_profiles import CsvProfile

FORMATS = ("mt940", "camt053", "csv")

POLISH_LETTERS = frozenset("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")

# UTF-8 is tried first (strictly, so it never "succeeds" on 8-bit text); the order of
# the rest only breaks ties, which happen for files without any Polish letter.
EIGHT_BIT_ENCODINGS = ("cp1250", "cp852", "iso-8859-2")

# SOH/ETX frame each account's block in mBank files; SUB is the DOS end of file.
FRAMING_CHARS = "\x01\x03\x1a"


class StatementParseError(ValueError):
    """A statement file the parsers refuse, with the line (1-based) and the reason."""

    def __init__(self, line: int | None, reason: str):
        self.line = line
        self.reason = str(reason)
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None:
            return self.reason
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class StatementLine:
    """One booking on the account: positive amount is money in, negative money out."""

    booking_date: date
    value_date: date
    amount: Decimal
    currency: str
    bank_reference: str = ""
    line_identity: str = ""
    counterparty_name: str = ""
    counterparty_address: str = ""
    counterparty_account: str = ""
    title: str = ""
    virtual_account: str = ""
    transaction_code: str = ""
    raw: str = field(default="", repr=False)


@dataclass(frozen=True)
class Statement:
    """A statement of one account. Balances are signed; None only where the format
    carries none (a CSV export)."""

    account: str
    statement_id: str
    opening_balance: Decimal | None
    closing_balance: Decimal | None
    currency: str
    lines: tuple[StatementLine, ...]
    format: str


def parse_statement(
    data: bytes,
    *,
    format: str | None = None,  # noqa: A002 - the name the callers use
    csv_profile: CsvProfile | None = None,
    encoding: str | None = None,
) -> Statement:
    """Parse one statement file; `format` is "mt940", "camt053" or "csv" (None = detect).

    A file holding several consecutive statements of one account (an MT940 file with one
    block per day, a CAMT file with several Stmt) comes back as one statement, after
    checking that each one opens where the previous one closed. Files covering several
    accounts are refused here; `parse_statements` returns them one by one.
    """
    statements = parse_statements(data, format=format, csv_profile=csv_profile, encoding=encoding)
    if len(statements) == 1:
        return statements[0]
    return _merge(statements)


def parse_statements(
    data: bytes,
    *,
    format: str | None = None,  # noqa: A002
    csv_profile: CsvProfile | None = None,
    encoding: str | None = None,
) -> tuple[Statement, ...]:
    """Parse a file into its statements, in file order (an MT940 block or a CAMT Stmt each)."""
    # Imported here: the format modules import this one for the shared types.
    from finance.bank import camt, csv_profiles, mt940

    if not isinstance(data, bytes | bytearray):
        raise TypeError("statement data must be bytes, as read from the file")
    data = bytes(data)
    if format is None:
        format = detect_format(data, csv_profile=csv_profile)  # noqa: A001
    if format == "camt053":
        return camt.parse_camt053(data)
    if format == "mt940":
        return mt940.parse_mt940(decode_statement(data, encoding))
    if format == "csv" or format.startswith("csv:"):
        if csv_profile is None:
            raise StatementParseError(None, _("a CSV statement needs a CSV profile"))
        text = decode_statement(data, encoding or csv_profile.encoding)
        return (csv_profiles.parse_csv(text, csv_profile),)
    raise StatementParseError(None, _("unknown statement format “%(format)s”") % {"format": format})


def detect_format(data: bytes, *, csv_profile: CsvProfile | None = None) -> str:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n" + FRAMING_CHARS.encode())
    if head.startswith(b"<"):
        return "camt053"
    if re.match(rb":20:|:\d\d[A-Z]?:|\{1:", head):
        return "mt940"
    if csv_profile is not None:
        return "csv"
    raise StatementParseError(
        1,
        _("unknown statement format: neither CAMT.053 XML nor MT940, and no CSV profile was given"),
    )


def decode_statement(data: bytes, encoding: str | None = None) -> str:
    """Decode a statement's bytes; without `encoding`, UTF-8 or the 8-bit Polish code
    page whose reading gives the most Polish letters and the fewest stray characters.

    Line ends come back as "\\n" so line numbers count the same in every format.
    """
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise StatementParseError(
                None, _("unknown encoding “%(encoding)s”") % {"encoding": encoding}
            ) from None
        except UnicodeDecodeError as exc:
            raise StatementParseError(
                data.count(b"\n", 0, exc.start) + 1,
                _("the file is not valid %(encoding)s text") % {"encoding": encoding},
            ) from None
        text = text.removeprefix("\ufeff")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _decode_8bit(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    control = _CONTROL.search(text)
    if control:
        raise StatementParseError(
            text.count("\n", 0, control.start()) + 1,
            _(
                "the file holds the control character U+%(code)04X: it is not a text "
                "statement in UTF-8, CP1250, CP852 or ISO-8859-2"
            )
            % {"code": ord(control.group())},
        )
    return text


def _decode_8bit(data: bytes) -> str:
    best_text, best_score = None, None
    for encoding in EIGHT_BIT_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        polish = len(_POLISH.findall(text))
        stray = len(_STRAY.findall(text))
        controls = len(_CONTROL.findall(text))
        score = polish - 2 * stray - 10 * controls
        if best_score is None or score > best_score:
            best_text, best_score = text, score
    assert best_text is not None  # cp852 maps every byte
    return best_text


def _is_control(char: str) -> bool:
    return char not in "\t\n\r" + FRAMING_CHARS and unicodedata.category(char) == "Cc"


# The same test as one regular expression (every "Cc" character lies below U+00A0), so a
# 20 MB statement is scanned in C, not a Python loop per character.
_CONTROL = re.compile("[" + "".join(re.escape(chr(c)) for c in range(0xA0)
                                    if _is_control(chr(c))) + "]")
_POLISH = re.compile("[" + "".join(sorted(POLISH_LETTERS)) + "]")
_STRAY = re.compile("[^\x00-\x7f" + "".join(sorted(POLISH_LETTERS)) + "]")


# Shared helpers for the format modules.

_AMOUNT_TEXT = re.compile(r"[+-]?\d+(\.\d+)?", re.ASCII)


def money(text: str, *, line: int | None) -> Decimal:
    """An amount its format's own grammar has normalised to "-1234.56", read by the one
    parser of amounts (``finance.money.to_money``): fractions of a grosz and more than a
    money column holds are refused with the line, never rounded."""
    if not _AMOUNT_TEXT.fullmatch(text):
        raise StatementParseError(line, _("“%(amount)s” is not an amount") % {"amount": text})
    try:
        return to_money(text)
    except AmountError as error:
        raise StatementParseError(line, _("the amount “%(amount)s”: %(reason)s") % {
            "amount": text, "reason": " ".join(error.messages)}) from None


def booking_amount(text: str, *, debit: bool, line: int | None, entry,
                   direction: str, sign_may_agree: bool = False) -> Decimal:
    """The signed amount of a booking whose direction a mark gives (CAMT's CdtDbtInd,
    MT940's C/D, a CSV credit or debit column) and whose `text` is its magnitude.

    One rule for every format, so a statement is never booked the other way round:
    - a minus sign is refused where the format's amounts are never signed (ISO 20022,
      MT940; a plus, which xs:decimal allows, is harmless). With `sign_may_agree` (CSV
      columns, where some banks write money out as "-79,99" in the debit column) a sign
      is accepted only where it agrees with the mark: a minus in the credit column, or
      a plus in the debit column, is refused.
      Reading "DBIT −79.99" as +79.99 (the old behaviour) booked a payment that was never
      made, and its balances may well be consistent with that reading: refusing is the
      only safe answer;
    - a zero amount is refused: a statement line moves money, and a zero one would be
      stored as an "outgoing" line nobody looks at.
    `entry` names the booking for the message (its position and reference): a string, or
    a callable giving it, so a format read line by line builds it only for an error.
    """
    text = text.strip()
    amount = money(text, line=line)
    sign = text[:1] if text[:1] in "+-" else ""
    # A plus can flip nothing: it is refused only against a CSV debit column.
    if (sign == "-" and not (sign_may_agree and debit)) or (
            sign == "+" and sign_may_agree and debit):
        raise StatementParseError(
            line,
            _(
                "%(entry)s: the amount “%(amount)s” carries a sign not allowed here "
                "(%(direction)s; the direction is %(mark)s); the whole file was refused, "
                "nothing was booked"
            )
            % {"entry": _entry(entry), "amount": text, "direction": direction,
               "mark": _("money out") if debit else _("money in")},
        )
    if amount == 0:
        raise StatementParseError(
            line,
            _("%(entry)s: the amount is zero; the whole file was refused, nothing was booked")
            % {"entry": _entry(entry)},
        )
    return -abs(amount) if debit else abs(amount)


def _entry(entry) -> str:
    return entry() if callable(entry) else entry


def collapse(text: str) -> str:
    return " ".join(text.split())


def join_chunks(chunks, width: int) -> str:
    """Join a text a bank cut into fixed-width pieces (title lines, name lines).

    A full-width piece was cut wherever the width ran out, maybe mid-word, so the next
    one follows it directly; a shorter piece ended where its writer chose, at a word.
    """
    text, previous = "", ""
    for chunk in chunks:
        if not chunk:
            continue
        if text and len(previous) < width and not text.endswith(" ") and chunk[0] != " ":
            text += " "
        text += chunk
        previous = chunk
    return collapse(text)


_PL_IBAN = re.compile(r"PL(\d{26})")
_ACCOUNT_SEPARATORS = re.compile(r"[\s/\-']")


def compact_account(value: str) -> str:
    """An account number without spaces, dashes or slashes; a Polish IBAN as its NRB."""
    compact = _ACCOUNT_SEPARATORS.sub("", value or "").upper()
    match = _PL_IBAN.fullmatch(compact)
    return match.group(1) if match else compact


def nrb_from_parts(bank_code: str, account: str) -> str:
    """The 26-digit NRB of an 8-digit bank code and 16-digit account (check digits computed)."""
    bban = bank_code + account
    check = 98 - int(bban + "252100") % 97  # "PL" is 25 21, then "00"
    return f"{check:02d}{bban}"


def check_balances(*, opening: Decimal, closing: Decimal, lines, line: int | None) -> None:
    total = sum((item.amount for item in lines), Decimal("0.00"))
    if opening + total != closing:
        raise StatementParseError(
            line,
            _(
                "the balances don't add up: opening %(opening)s plus the lines "
                "%(total)s is %(expected)s, but the closing balance is %(closing)s"
            )
            % {
                "opening": opening,
                "total": total,
                "expected": opening + total,
                "closing": closing,
            },
        )


def with_identities(lines, *, account: str) -> tuple[StatementLine, ...]:
    """Give each line its `line_identity` (see `line_identities`)."""
    identities = line_identities(
        [{name: getattr(item, name) for name in _IDENTITY_FIELDS} for item in lines],
        account=account,
    )
    return tuple(
        replace(item, line_identity=identity)
        for item, identity in zip(lines, identities, strict=True)
    )


_IDENTITY_FIELDS = ("booking_date", "amount", "bank_reference", "title", "counterparty_account")


def line_identities(lines: list[dict], *, account: str) -> list[str]:
    """The `line_identity` of each line (given as a dict of its fields): a hash of what
    the bank says about it, plus its ordinal among lines that say exactly the same, so two
    identical payments on one day stay two lines, and an overlapping statement gives the
    same identities again."""
    seen: Counter = Counter()
    result = []
    sha256 = hashlib.sha256
    for item in lines:
        key = (
            account,
            item["booking_date"].isoformat(),
            str(round_grosz(item["amount"])),
            item.get("bank_reference", ""),
            item.get("title", ""),
            item.get("counterparty_account", ""),
        )
        ordinal = seen[key]
        seen[key] += 1
        result.append(sha256("\x1f".join((*key, str(ordinal))).encode()).hexdigest())
    return result


def _merge(statements: tuple[Statement, ...]) -> Statement:
    first = statements[0]
    for previous, current in zip(statements, statements[1:], strict=False):
        if (current.account, current.currency) != (first.account, first.currency):
            raise StatementParseError(
                None,
                _(
                    "the file holds statements of several accounts (%(first)s, %(other)s): "
                    "import them one by one"
                )
                % {"first": first.account, "other": current.account},
            )
        if (
            current.opening_balance is not None
            and current.opening_balance != previous.closing_balance
        ):
            raise StatementParseError(
                None,
                _(
                    "statement %(current)s opens at %(opening)s, but the statement before "
                    "it (%(previous)s) closed at %(closing)s"
                )
                % {
                    "current": current.statement_id,
                    "opening": current.opening_balance,
                    "previous": previous.statement_id,
                    "closing": previous.closing_balance,
                },
            )
    lines = [item for statement in statements for item in statement.lines]
    return Statement(
        account=first.account,
        statement_id="+".join(statement.statement_id for statement in statements),
        opening_balance=first.opening_balance,
        closing_balance=statements[-1].closing_balance,
        currency=first.currency,
        lines=with_identities(lines, account=first.account),
        format=first.format,
    )
