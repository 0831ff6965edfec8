"""CAMT.053 (ISO 20022 bank-to-customer statement), any version from .001.02 to .001.08.

Elements are found by local name, so the version's namespace does not matter. Only
booked entries (Sts BOOK) are lines: pending ones are not in the balances either.
An entry booking several transactions (a batch, several TxDtls with their own amounts)
becomes one line per transaction.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from lxml import etree

from finance.bank.parsers import (
    Statement,
    StatementLine,
    StatementParseError,
    booking_amount,
    check_balances,
    collapse,
    compact_account,
    join_chunks,
    money,
    with_identities,
)

# No entities, no network: a statement is data from outside.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

_NO_REFERENCE = {"", "NONREF", "NOTPROVIDED"}
_USTRD_WIDTH = 140


def _path(path: str) -> str:
    return "/".join("{*}" + part for part in path.split("/"))


def _find(element, path: str):
    return None if element is None else element.find(_path(path))


def _text(element, *paths: str) -> str:
    """The text of the first of `paths` present under `element`."""
    for path in paths:
        found = _find(element, path)
        if found is not None and (found.text or "").strip():
            return found.text.strip()
    return ""


def parse_camt053(data: bytes) -> tuple[Statement, ...]:
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise StatementParseError(
            exc.lineno or None,
            _("the XML is not well-formed: %(error)s") % {"error": getattr(exc, "msg", exc)},
        ) from None
    namespace = etree.QName(root).namespace or ""
    if "camt.053" not in namespace:
        raise StatementParseError(
            root.sourceline,
            _("the XML is not a CAMT.053 statement (namespace “%(namespace)s”)")
            % {"namespace": namespace},
        )
    statements = root.findall(_path("BkToCstmrStmt/Stmt"))
    if not statements:
        raise StatementParseError(root.sourceline, _("the CAMT.053 file holds no Stmt"))
    return tuple(_statement(element) for element in statements)


def _statement(element) -> Statement:
    account = compact_account(_text(element, "Acct/Id/IBAN", "Acct/Id/Othr/Id"))
    if not account:
        raise StatementParseError(element.sourceline, _("the statement has no account"))
    balances = {}
    for balance in element.findall(_path("Bal")):
        code = _text(balance, "Tp/CdOrPrtry/Cd")
        balances.setdefault(code, (_signed_amount(balance), balance.sourceline))
    opening = balances.get("OPBD") or balances.get("PRCD")
    closing = balances.get("CLBD")
    if opening is None:
        raise StatementParseError(
            element.sourceline, _("the statement has no OPBD opening balance")
        )
    if closing is None:
        raise StatementParseError(
            element.sourceline, _("the statement has no CLBD closing balance")
        )
    currency = _text(element, "Acct/Ccy") or opening[0][1]
    lines = []
    statement_id = _text(element, "Id")
    for position, entry in enumerate(element.findall(_path("Ntry")), start=1):
        status = _text(entry, "Sts/Cd", "Sts")
        if status and status != "BOOK":
            continue
        label = _entry_label(entry, position=position, statement_id=statement_id)
        lines.extend(_entry_lines(entry, account=account, currency=currency, label=label))
    check_balances(opening=opening[0][0], closing=closing[0][0], lines=lines, line=closing[1])
    return Statement(
        account=account,
        statement_id=statement_id,
        opening_balance=opening[0][0],
        closing_balance=closing[0][0],
        currency=currency,
        lines=with_identities(lines, account=account),
        format="camt053",
    )


def _entry_label(entry, *, position: int, statement_id: str) -> str:
    """How a message names an entry: its position in the statement and its references."""
    references = ", ".join(
        f"{name} {value}"
        for name, value in (
            ("AcctSvcrRef", _text(entry, "AcctSvcrRef")),
            ("NtryRef", _text(entry, "NtryRef")),
        )
        if value
    )
    label = _("entry %(position)s of statement %(statement)s") % {
        "position": position, "statement": statement_id or "?"}
    return f"{label} ({references})" if references else label


def _indicator(element, line: int | None, *, default: str = "") -> str:
    indicator = _text(element, "CdtDbtInd") or default
    if indicator not in ("CRDT", "DBIT"):
        raise StatementParseError(
            line,
            _("CdtDbtInd must be CRDT or DBIT, not “%(value)s”") % {"value": indicator},
        )
    return indicator


def _signed_amount(element, *, label: str | None = None) -> tuple[Decimal, str]:
    """(signed amount, currency) of an element holding Amt and CdtDbtInd.

    ISO 20022 amounts are never negative (CdtDbtInd gives the direction): a minus sign
    refuses the file, for a balance as for an entry; an entry (`label` names it) of zero
    is refused too (see `booking_amount`). A balance may be zero.
    """
    amount_element = _find(element, "Amt")
    if amount_element is None:
        raise StatementParseError(element.sourceline, _("an amount (Amt) is missing"))
    line = amount_element.sourceline
    text = (amount_element.text or "").strip()
    debit = _indicator(element, line) == "DBIT"
    if label is not None:
        amount = booking_amount(text, debit=debit, line=line, entry=label,
                                direction="ISO 20022")
    elif text.startswith("-"):
        raise StatementParseError(
            line,
            _("the %(balance)s balance “%(amount)s” has a minus sign; ISO 20022 amounts "
              "are never negative (CdtDbtInd DBIT says the balance is negative)")
            % {"balance": _text(element, "Tp/CdOrPrtry/Cd") or "?", "amount": text},
        )
    else:
        amount = money(text, line=line)
        amount = -amount if debit else amount
    return amount, amount_element.get("Ccy", "")


def _date(element, path: str) -> date | None:
    found = _find(element, path)
    if found is None:
        return None
    text = _text(found, "Dt", "DtTm")
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise StatementParseError(
            found.sourceline, _("“%(date)s” is not a date") % {"date": text}
        ) from None


def _entry_lines(entry, *, account: str, currency: str, label: str) -> list[StatementLine]:
    amount, entry_currency = _signed_amount(entry, label=label)
    if entry_currency and entry_currency != currency:
        raise StatementParseError(
            entry.sourceline,
            _("an entry in %(entry)s on a statement in %(statement)s")
            % {"entry": entry_currency, "statement": currency},
        )
    booking = _date(entry, "BookgDt")
    if booking is None:
        raise StatementParseError(entry.sourceline, _("the entry has no booking date"))
    value_date = _date(entry, "ValDt") or booking
    code = "/".join(
        part
        for part in (
            _text(entry, "BkTxCd/Domn/Cd"),
            _text(entry, "BkTxCd/Domn/Fmly/Cd"),
            _text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd"),
        )
        if part
    ) or _text(entry, "BkTxCd/Prtry/Cd")
    entry_reference = _text(entry, "AcctSvcrRef")
    details = entry.findall(_path("NtryDtls/TxDtls"))
    raw = etree.tostring(entry, encoding="unicode", with_tail=False)
    common = {"booking_date": booking, "value_date": value_date, "currency": currency}
    if len(details) <= 1:
        transaction = details[0] if details else None
        return [
            StatementLine(
                **common,
                amount=amount,
                transaction_code=code,
                raw=raw,
                **_transaction(transaction, credit=amount > 0, account=account),
                bank_reference=entry_reference or _reference(transaction),
            )
        ]
    lines = []
    for number, transaction in enumerate(details, start=1):
        part = _transaction_amount(
            transaction, entry,
            label=_("transaction %(number)s of %(entry)s") % {"number": number, "entry": label})
        lines.append(
            StatementLine(
                **common,
                amount=part,
                transaction_code=code,
                raw=raw,
                **_transaction(transaction, credit=part > 0, account=account),
                bank_reference=_text(transaction, "Refs/AcctSvcrRef")
                or (f"{entry_reference}/{number}" if entry_reference else "")
                or _reference(transaction),
            )
        )
    if sum(line.amount for line in lines) != amount:
        raise StatementParseError(
            entry.sourceline,
            _("the entry's transactions do not add up to its amount %(amount)s")
            % {"amount": amount},
        )
    return lines


def _transaction_amount(transaction, entry, *, label: str) -> Decimal:
    # Not `or`: an lxml element without children is false.
    amount_element = _find(transaction, "AmtDtls/TxAmt/Amt")
    if amount_element is None:
        amount_element = _find(transaction, "Amt")
    if amount_element is None:
        raise StatementParseError(
            transaction.sourceline, _("a transaction of a batch entry has no amount")
        )
    line = amount_element.sourceline
    indicator = _indicator(transaction, line, default=_text(entry, "CdtDbtInd"))
    return booking_amount((amount_element.text or "").strip(), debit=indicator == "DBIT",
                          line=line, entry=label, direction="ISO 20022")


def _reference(transaction) -> str:
    for path in ("Refs/AcctSvcrRef", "Refs/EndToEndId", "Refs/TxId"):
        value = _text(transaction, path)
        if value.upper() not in _NO_REFERENCE:
            return value
    return ""


def _transaction(transaction, *, credit: bool, account: str) -> dict:
    if transaction is None:
        return {}
    role, own = ("Dbtr", "Cdtr") if credit else ("Cdtr", "Dbtr")
    party = _find(transaction, f"RltdPties/{role}")
    # From version .08 the party sits one level lower, in Pty.
    if _find(party, "Pty") is not None:
        party = _find(party, "Pty")
    own_account = compact_account(
        _text(transaction, f"RltdPties/{own}Acct/Id/IBAN", f"RltdPties/{own}Acct/Id/Othr/Id")
    )
    title = join_chunks(
        [ustrd.text or "" for ustrd in transaction.findall(_path("RmtInf/Ustrd"))],
        _USTRD_WIDTH,
    ) or collapse(
        " ".join(ref.text or "" for ref in transaction.findall(_path("RmtInf/Strd/CdtrRefInf/Ref")))
    )
    return {
        "counterparty_name": collapse(_text(party, "Nm")),
        "counterparty_address": _address(_find(party, "PstlAdr")),
        "counterparty_account": compact_account(
            _text(
                transaction,
                f"RltdPties/{role}Acct/Id/IBAN",
                f"RltdPties/{role}Acct/Id/Othr/Id",
            )
        ),
        "title": title,
        # Money in for a virtual sub-account names it as the creditor account.
        "virtual_account": own_account if credit and own_account != account else "",
    }


def _address(element) -> str:
    if element is None:
        return ""
    lines = [line.text or "" for line in element.findall(_path("AdrLine"))]
    if not lines:
        lines = [_text(element, name) for name in ("StrtNm", "BldgNb", "PstCd", "TwnNm", "Ctry")]
    return collapse(" ".join(lines))
