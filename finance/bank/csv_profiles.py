"""CSV statements, read through a profile that says where each field sits.

Every bank exports CSV its own way (and changes it now and then), so the layout is data:
a `CsvProfile` per bank. `PROFILES` holds two examples; a tenant adds its own (or
replaces one of these) in the setting `finance.bank_csv_profiles`, JSON text read by
`profiles_from_json` (see `csv_profiles`). CSV exports carry no balances, so the statement's
opening and closing balances are None and nothing can be checked against them.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from finance.bank.parsers import (
    Statement,
    StatementLine,
    StatementParseError,
    booking_amount,
    collapse,
    compact_account,
    money,
    with_identities,
)

_AMOUNT = re.compile(r"[+-]?\d+(\.\d+)?")

FIELDS = frozenset(
    {
        "booking_date",
        "value_date",
        "amount",
        "credit",
        "debit",
        "currency",
        "title",
        "counterparty_name",
        "counterparty_address",
        "counterparty_account",
        "bank_reference",
        "virtual_account",
        "transaction_code",
        "account",
    }
)


@dataclass
class CsvProfile:
    """Where a bank's CSV export keeps each field.

    `columns` maps a field (see FIELDS) to the header's column name or a 0-based column
    index (for headers that repeat a name, or files without one). The amount is either
    one signed `amount` column, or `credit` and `debit` columns (money in, money out).
    `skip_rows` records come before the header; `footer_rows` records close the file
    (summaries). `encoding` None means detect it as for any statement.
    """

    name: str
    columns: dict[str, str | int]
    delimiter: str = ";"
    encoding: str | None = None
    skip_rows: int = 0
    header: bool = True
    footer_rows: int = 0
    date_format: str = "%d.%m.%Y"
    decimal_comma: bool = True
    currency: str = "PLN"  # when no column gives it
    quotechar: str = '"'

    def __post_init__(self):
        unknown = set(self.columns) - FIELDS
        if unknown:
            raise ValueError(_("unknown CSV profile fields: %(fields)s; known: %(known)s")
                             % {"fields": ", ".join(sorted(unknown)),
                                "known": ", ".join(sorted(FIELDS))})
        if "booking_date" not in self.columns:
            raise ValueError(_("a CSV profile needs a booking_date column"))
        if ("amount" in self.columns) == ("credit" in self.columns or "debit" in self.columns):
            raise ValueError(_("a CSV profile needs either amount, or credit and debit columns"))
        if "amount" not in self.columns and not {"credit", "debit"} <= set(self.columns):
            raise ValueError(_("a CSV profile needs both credit and debit columns"))
        if not self.header and any(isinstance(c, str) for c in self.columns.values()):
            raise ValueError(_("a CSV profile without a header names its columns by index"))


PROFILES: dict[str, CsvProfile] = {
    # A plain layout a bank or an accountant can produce: one column for money in, one
    # for money out.
    "generic_pl": CsvProfile(
        name="generic_pl",
        delimiter=";",
        date_format="%d.%m.%Y",
        decimal_comma=True,
        columns={
            "booking_date": "Data księgowania",
            "value_date": "Data waluty",
            "credit": "Uznania",
            "debit": "Obciążenia",
            "currency": "Waluta",
            "title": "Tytuł",
            "counterparty_name": "Kontrahent",
            "counterparty_account": "Rachunek kontrahenta",
            "bank_reference": "Numer referencyjny",
            "virtual_account": "Rachunek wirtualny",
        },
    ),
    # Modelled on ING Bank Śląski's transaction list: ISO dates, a signed amount, and
    # "Waluta" repeated in the header, hence the indexes.
    "ing_pl": CsvProfile(
        name="ing_pl",
        delimiter=";",
        date_format="%Y-%m-%d",
        decimal_comma=True,
        columns={
            "value_date": 0,
            "booking_date": 1,
            "counterparty_name": 2,
            "title": 3,
            "counterparty_account": 4,
            "bank_reference": 7,
            "amount": 8,
            "currency": 9,
            "account": 10,
        },
    ),
}


_OPTIONS = {  # what a profile may set in the tenant setting, and its type
    "delimiter": str, "encoding": str, "skip_rows": int, "header": bool, "footer_rows": int,
    "date_format": str, "decimal_comma": bool, "currency": str, "quotechar": str,
}


def profiles_from_json(text: str) -> dict[str, CsvProfile]:
    """The profiles of the tenant setting: a JSON object {"name": {"columns": {field:
    header name or 0-based index, …}, "delimiter": ";", "date_format": "%d.%m.%Y", …}}.
    Raises ValidationError saying which profile is wrong and why."""
    if not (text or "").strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as e:
        raise ValidationError(_("CSV profiles are not valid JSON: %(error)s") % {"error": e}) \
            from None
    if not isinstance(data, dict):
        raise ValidationError(_("CSV profiles must be a JSON object: {\"name\": {\"columns\": "
                                "{…}, …}}."))
    profiles = {}
    for name, spec in data.items():
        try:
            profiles[name] = _profile(name, spec)
        except ValueError as e:
            raise ValidationError(_("CSV profile “%(name)s”: %(error)s")
                                  % {"name": name, "error": e}) from None
    return profiles


def _profile(name: str, spec) -> CsvProfile:
    if not re.fullmatch(r"[\w.-]{1,30}", name):
        raise ValueError(_("a name has 1-30 letters, digits, dots, dashes or underscores"))
    if not isinstance(spec, dict) or not isinstance(spec.get("columns"), dict):
        raise ValueError(_("it needs “columns”: an object of field: column"))
    unknown = set(spec) - set(_OPTIONS) - {"columns"}
    if unknown:
        raise ValueError(_("unknown options %(options)s") % {"options": ", ".join(sorted(unknown))})
    for key, kind in _OPTIONS.items():
        if key in spec and type(spec[key]) is not kind:
            raise ValueError(_("“%(option)s” has the wrong type") % {"option": key})
    for key, column in spec["columns"].items():
        if not (isinstance(column, str) and column.strip()) and \
                not (type(column) is int and column >= 0):
            raise ValueError(_("the column of “%(field)s” must be a header name or an index "
                               "from 0") % {"field": key})
    if len(spec.get("delimiter", ";")) != 1 or len(spec.get("quotechar", '"')) != 1:
        raise ValueError(_("the delimiter and the quote are one character each"))
    if spec.get("skip_rows", 0) < 0 or spec.get("footer_rows", 0) < 0:
        raise ValueError(_("rows to skip cannot be negative"))
    if spec.get("encoding"):
        try:
            codecs.lookup(spec["encoding"])
        except LookupError:
            raise ValueError(_("unknown encoding “%(encoding)s”")
                             % {"encoding": spec["encoding"]}) from None
    if "%" not in spec.get("date_format", "%"):
        raise ValueError(_("the date format needs codes such as %(example)s")
                         % {"example": "%d.%m.%Y"})
    options = {key: spec[key] for key in _OPTIONS if key in spec}
    return CsvProfile(name=name, columns=dict(spec["columns"]), **options)


def csv_profiles_validate(text: str) -> str:
    """Validator of the setting `finance.bank_csv_profiles`."""
    profiles_from_json(text)
    return text


def csv_profiles() -> dict[str, CsvProfile]:
    """The built-in profiles and the active tenant's own (which win on a shared name)."""
    from core.tenant_settings import setting_get

    try:
        own = profiles_from_json(setting_get("finance.bank_csv_profiles"))
    except ValidationError:
        own = {}  # stored before a rule tightened: the setting page shows what is wrong
    return {**PROFILES, **own}


@dataclass
class _Row:
    line: int
    cells: list[str] = field(default_factory=list)


def parse_csv(text: str, profile: CsvProfile) -> Statement:
    rows = _rows(text, profile)
    rows = rows[profile.skip_rows :]
    indexes = {key: value for key, value in profile.columns.items() if isinstance(value, int)}
    if profile.header:
        if not rows:
            raise StatementParseError(None, _("the CSV file has no header row"))
        header, rows = rows[0], rows[1:]
        names = [collapse(cell).lower() for cell in header.cells]
        for key, column in profile.columns.items():
            if isinstance(column, str):
                wanted = collapse(column).lower()
                if wanted not in names:
                    raise StatementParseError(
                        header.line,
                        _("the header has no column “%(column)s” (profile %(profile)s)")
                        % {"column": column, "profile": profile.name},
                    )
                indexes[key] = names.index(wanted)
    if profile.footer_rows:
        rows = rows[: -profile.footer_rows]
    lines = [_line(row, profile, indexes) for row in rows]
    currencies = {item.currency for item, _account in lines}
    if len(currencies) > 1:
        raise StatementParseError(
            None,
            _("the CSV file mixes currencies (%(currencies)s)")
            % {"currencies": ", ".join(sorted(currencies))},
        )
    accounts = {account for _item, account in lines if account}
    if len(accounts) > 1:
        raise StatementParseError(
            None, _("the CSV file holds lines of several accounts: import them one by one")
        )
    account = accounts.pop() if accounts else ""
    statement_lines = [item for item, _account in lines]
    dates = sorted(item.booking_date for item in statement_lines)
    return Statement(
        account=account,
        statement_id=f"{dates[0].isoformat()}..{dates[-1].isoformat()}" if dates else "",
        opening_balance=None,
        closing_balance=None,
        currency=currencies.pop() if currencies else profile.currency,
        lines=with_identities(statement_lines, account=account),
        format=f"csv:{profile.name}",
    )


def _rows(text: str, profile: CsvProfile) -> list[_Row]:
    reader = csv.reader(
        io.StringIO(text), delimiter=profile.delimiter, quotechar=profile.quotechar, strict=True
    )
    rows = []
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append(_Row(start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise StatementParseError(
            reader.line_num, _("the CSV is malformed: %(error)s") % {"error": exc}
        ) from None
    return rows


def _line(row: _Row, profile: CsvProfile, indexes: dict[str, int]):
    def cell(key: str) -> str:
        if key not in indexes:
            return ""
        index = indexes[key]
        if index >= len(row.cells):
            raise StatementParseError(
                row.line,
                _("the row has %(count)s columns; “%(field)s” should be in column %(column)s")
                % {"count": len(row.cells), "field": key, "column": index + 1},
            )
        # Spreadsheets mark numbers to be kept as text with a leading apostrophe.
        return row.cells[index].strip().removeprefix("'").strip()

    booking = _date(cell("booking_date"), profile, row.line)
    value_text = cell("value_date")
    entry = _("row %(line)s") % {"line": row.line}
    if cell("bank_reference"):
        entry += f" ({cell('bank_reference')})"
    if "amount" in indexes:
        # One signed column: its sign is the direction; only a zero is refused.
        amount = _amount(cell("amount"), profile, row.line)
        amount = booking_amount(str(abs(amount)), debit=amount < 0, line=row.line,
                                entry=entry, direction="CSV")
    else:
        credit, debit = cell("credit"), cell("debit")
        if bool(credit) == bool(debit):
            raise StatementParseError(
                row.line, _("a row needs an amount in exactly one of credit and debit")
            )
        # The column gives the direction; a sign may only agree with it (a minus in the
        # credit column was once turned into money in).
        text = _normalised_amount(credit or debit, profile, row.line)
        amount = booking_amount(text, debit=not credit, line=row.line, entry=entry,
                                direction=_("the credit and debit columns"),
                                sign_may_agree=True)
    item = StatementLine(
        booking_date=booking,
        value_date=_date(value_text, profile, row.line) if value_text else booking,
        amount=amount,
        currency=(cell("currency") or profile.currency).upper(),
        bank_reference=cell("bank_reference"),
        counterparty_name=collapse(cell("counterparty_name")),
        counterparty_address=collapse(cell("counterparty_address")),
        counterparty_account=compact_account(cell("counterparty_account")),
        title=collapse(cell("title")),
        virtual_account=compact_account(cell("virtual_account")),
        transaction_code=cell("transaction_code"),
        raw=profile.delimiter.join(row.cells),
    )
    return item, compact_account(cell("account"))


def _date(text: str, profile: CsvProfile, line: int) -> date:
    try:
        return datetime.strptime(text, profile.date_format).date()
    except ValueError:
        raise StatementParseError(
            line,
            _("“%(date)s” is not a date in the form %(format)s")
            % {"date": text, "format": profile.date_format},
        ) from None


def _amount(text: str, profile: CsvProfile, line: int):
    return money(_normalised_amount(text, profile, line), line=line)


def _normalised_amount(text: str, profile: CsvProfile, line: int) -> str:
    """The amount as "-1234.56" (sign kept), or refused."""
    normalised = text.replace("\u00a0", "").replace(" ", "")
    if profile.decimal_comma:
        normalised = normalised.replace(".", "").replace(",", ".")
    else:
        normalised = normalised.replace(",", "")
    if not _AMOUNT.fullmatch(normalised):
        raise StatementParseError(line, _("“%(amount)s” is not an amount") % {"amount": text})
    return normalised
