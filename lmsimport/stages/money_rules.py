"""Pure helpers of the money stages (``documents``, ``cash``): no queries here.

LMS's words: a *number plan* (``numberplans``) prints a document's number from its
``template`` — ``%N`` the counter (``%4N`` zero-padded to four), ``%Y``/``%y`` the year,
``%m`` the month, ``%d`` the day (strftime of the document's date), ``%C`` the customer id,
``%I`` the document's extra number — and restarts the counter each ``period`` (1 day,
3 month, 5 year, 6 never; 2 week, 4 quarter, 7 half year Abonent cannot express). LMS stores
local (Polish) time as Unix seconds.

Allocation ("which receivable does this payment settle") is finance's rule
(``finance.allocation.payment_shares``, Civil Code art. 451); the import only adds LMS's
own word first: what LMS marked settled (``documents.closed``) is settled before the rest.
"""

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from core.numbering import pattern_validate
from finance.allocation import payment_shares
from finance.money import VAT_RATES, round_grosz

WARSAW = ZoneInfo("Europe/Warsaw")
ZERO = Decimal("0.00")

# lib/definitions.php: the periods of a number plan.
PLAN_DAILY, PLAN_WEEKLY, PLAN_MONTHLY, PLAN_QUARTERLY, PLAN_YEARLY = 1, 2, 3, 4, 5
PLAN_CONTINUOUS, PLAN_HALFYEARLY = 6, 7

_TEMPLATE_TOKEN = re.compile(r"%(\d*)([A-Za-z%])")
# LMS template token → Abonent pattern token (the counter's width is kept: %4N → {N:4}).
_TO_PATTERN = {"Y": "{YYYY}", "y": "{YY}", "m": "{MM}", "d": "{DD}"}
# The period an Abonent pattern restarts its counter in, by the tokens it shows.
_PERIOD_OF_PATTERN = {"day": PLAN_DAILY, "month": PLAN_MONTHLY, "year": PLAN_YEARLY,
                      "none": PLAN_CONTINUOUS}


def fingerprint(*values) -> str:
    """``runner.digest`` for the money stages' millions of rows: the same role (equal
    fingerprints = nothing to write), from ``repr`` — ten times cheaper than JSON. The
    values are built in a fixed order by the stages, so equal rows repr equally."""
    return hashlib.md5(repr(values).encode(), usedforsecurity=False).hexdigest()


def parties_json(seller_json: str, buyer_json: str) -> str:
    """A document's ``parties`` snapshot as JSON text for COPY, of its parts serialised
    by the caller (once per seller, once per buyer)."""
    return '{"version": 1, "seller": ' + seller_json + ', "buyer": ' + buyer_json + "}"


@lru_cache(maxsize=100_000)
def lms_day(epoch: int | None) -> date | None:
    """An LMS timestamp (local time as Unix seconds) as the Polish calendar day."""
    if not epoch:
        return None
    return datetime.fromtimestamp(epoch, WARSAW).date()


def lms_epoch(day: date) -> int:
    """The first second of ``day`` in Poland, as LMS stores it."""
    return int(datetime(day.year, day.month, day.day, tzinfo=WARSAW).timestamp())


def number_render(template: str, *, number: int, when: date, customer_id: int | None = None,
                  extnumber: str = "") -> str:
    """A document number as LMS prints it from its plan's ``template``."""
    def token(match):
        width, name = match.group(1), match.group(2)
        if name == "N":
            return f"{number:0{int(width)}d}" if width else str(number)
        if name == "C":
            value = customer_id or 0
            return f"{value:0{int(width)}d}" if width else str(value)
        if name == "I":
            return extnumber or ""
        if name == "%":
            return "%"
        return when.strftime(f"%{name}") if name in "YymdjU" else match.group(0)

    return _TEMPLATE_TOKEN.sub(token, template or "")


def plan_pattern(template: str, period: int | None) -> str | None:
    """The Abonent number pattern of an LMS plan, or None when Abonent cannot number the
    same way (a token it has no equivalent of, a period its counter does not restart in,
    a pattern ``core.numbering`` refuses)."""
    out, position, kinds = [], 0, set()
    for match in _TEMPLATE_TOKEN.finditer(template or ""):
        literal = template[position:match.start()]
        if "{" in literal or "}" in literal:
            return None
        out.append(literal)
        width, name = match.group(1), match.group(2)
        if name == "N":
            out.append(f"{{N:{int(width)}}}" if width and int(width) > 1 else "{N}")
        elif name in _TO_PATTERN and not width:
            out.append(_TO_PATTERN[name])
            kinds.add(name.lower())
        else:
            return None
        position = match.end()
    tail = (template or "")[position:]
    if "{" in tail or "}" in tail:
        return None
    pattern = "".join(out) + tail
    try:
        pattern = pattern_validate(pattern)
    except Exception:  # noqa: BLE001 - ValidationError: Abonent refuses the pattern
        return None
    shown = "day" if "d" in kinds else "month" if "m" in kinds else "year" if "y" in kinds \
        else "none"
    if period is not None and _PERIOD_OF_PATTERN[shown] != period:
        return None
    return pattern


def vat_rate(taxed: int | None, value) -> str:
    """LMS tax row → Abonent's VAT rate name ("23", "8", "zw" …)."""
    if taxed is not None and not taxed:
        return "zw"
    if value is None:
        return "np"
    return str(Decimal(value).normalize()) if Decimal(value) else "0"


def known_rate(rate: str) -> bool:
    return rate in VAT_RATES


def item_gross(value, count) -> Decimal:
    """An invoice item's gross as LMS totals it: round(unit gross × |count|, 2)."""
    return round_grosz(Decimal(value) * abs(Decimal(count)))


# --------------------------------------------------------------------------- allocation

@dataclass
class Entry:
    """A ledger document as the allocation needs it (what ``payment_shares`` reads)."""

    pk: int
    number: str
    issue_date: date
    due_date: date | None
    debit: Decimal
    credit: Decimal
    title: str = ""
    corrects_id: int | None = None
    kind: str = ""
    closed: bool = False


def allocations_plan(entries: Iterable[Entry], *, taken_out: dict, taken_in: dict,
                     today: date, recogniser: Callable) -> list[tuple[int, int, Decimal, str]]:
    """How one customer's payments settle its receivables: (payment, receivable, amount,
    rule) to write. ``taken_out``/``taken_in``: what allocations kept (Abonent's own)
    already use of each document.

    As ``finance.services`` does it: a downward correction first pays its own invoice
    (rule "correction"); then every credit, oldest first, goes by art. 451
    (``payment_shares``) — to what LMS marked settled first, then to the rest.
    """
    entries = list(entries)
    by_pk = {e.pk: e for e in entries}
    left = {e.pk: e.credit - taken_out.get(e.pk, ZERO) for e in entries if e.credit > 0}
    owed = {e.pk: e.debit - taken_in.get(e.pk, ZERO) for e in entries if e.debit > 0}
    made = []

    def book(payment, receivable, amount, rule):
        made.append((payment, receivable, amount, rule))
        left[payment] -= amount
        owed[receivable] -= amount

    for entry in entries:  # a downward correction settles its own invoice (and group)
        if entry.credit > 0 and entry.corrects_id in by_pk:
            group = [by_pk[entry.corrects_id]] + [
                e for e in entries if e.corrects_id == entry.corrects_id and e.debit > 0]
            for receivable in group:
                part = min(left[entry.pk], owed.get(receivable.pk, ZERO))
                if part > 0:
                    book(entry.pk, receivable.pk, part, "correction")
    payments = sorted((e for e in entries if e.credit > 0),
                      key=lambda e: (e.issue_date, e.pk))
    for payment in payments:
        for closed_only in (True, False):
            if left[payment.pk] <= 0:
                break
            receivables = [by_pk[pk] for pk, amount in owed.items() if amount > 0
                           and (by_pk[pk].closed or not closed_only)]
            for receivable, amount, rule in payment_shares(
                    left=left[payment.pk], receivables=receivables, open_amounts=owed,
                    title=payment.title, recogniser=recogniser, today=today):
                book(payment.pk, receivable.pk, amount, rule)
    return made
