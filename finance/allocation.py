"""Which receivable a payment settles, and which documents a transfer title names.

Pure functions on in-memory rows (no queries): ``services.allocate_open`` (a payment
booked interactively: a KP, a transfer typed by hand, any new document) and the set-based
bank import (``bank.importer``) both call them, so Civil Code art. 451 is decided in one
place.

Art. 451: a payment goes first to the document its title *names*, then to due documents
by earliest due date, then to documents not yet due. A title names a document where the
document's number stands whole in it — "FV/2021/06/12" names FV/2021/06/12, never
FV/2021/06/1 — and as payers really type it: any case, spaces or none around the
separators, other separators ("FV 2021-05-12"), leading zeros dropped ("fv 2021/5/12"
for FV/2021/05/0012). Numbers are found by the tenant's own number patterns, each compiled
to a tolerant matcher (``Recogniser``), and by a generic "letters / digits" shape for
numbers of earlier patterns; a found number and a document's number are compared by
``number_key``.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from core.numbering import TOKEN, number_format

_RUN = re.compile(r"[^\W\d_]+|\d+")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_DIGIT = re.compile(r"\d")
_SEP = r"/\\\-._"                                   # separators payers use inside a number
_SEP_ANY = rf"[\s{_SEP}]*"                          # next to letters: any, or none
_SEP_ONE = rf"(?:\s*[{_SEP}]\s*|\s+)"               # between two numbers: one is needed
_ALNUM = r"[^\W_]"
# Whole: not continued by a letter or digit, nor by a separator and a letter or digit
# ("FV/2021/06/1" is not named by "FV/2021/06/12" nor by "FV/2021/06/1/2").
_BEFORE_DIGIT = rf"(?<!{_ALNUM})(?<!{_ALNUM}[{_SEP}])"
_AFTER_DIGIT = rf"(?!{_ALNUM})(?![{_SEP}]{_ALNUM})"
_BEFORE_LETTER, _AFTER_LETTER = rf"(?<!{_ALNUM})", rf"(?!{_ALNUM})"
_TOKEN_REGEX = {"YYYY": r"(\d{4})", "YY": r"(\d{2})", "MM": r"(0?[1-9]|1[0-2])",
                "DD": r"(0?[1-9]|[12]\d|3[01])", "N": r"0*(\d{1,10})"}


@lru_cache(maxsize=65536)
def number_key(text: str) -> str:
    """A number as compared: its runs of letters (upper-cased) and of digits (without
    leading zeros), whatever stands between them. "fv 2021/5/12" and "FV/2021/05/0012"
    have one key; "FV/2021/06/1" and "FV/2021/06/12" do not."""
    return "|".join(run if not run.isdigit() else str(int(run))
                    for run in _RUN.findall((text or "").upper()))


@dataclass(frozen=True)
class Found:
    """A document number found in a title: as the pattern writes it, and what was typed."""

    number: str   # canonical: the tenant's pattern applied to what was found
    text: str     # as it stands in the title
    pattern: str  # the pattern that found it ("" for the generic shape)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset({number_key(self.number), number_key(self.text)})


class _Matcher:
    """One number pattern as a tolerant regular expression; ``find`` gives the numbers
    written as the pattern makes them, whatever the payer typed."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        pieces = []  # (kind, regex): "number" (a token or literal digits), "letters", "sep"
        self.tokens = []
        position = 0
        for match in TOKEN.finditer(pattern):
            pieces += self._literal(pattern[position:match.start()])
            name = "N" if match.group(1).startswith("N") else match.group(1)
            self.tokens.append(name)
            pieces.append(("number", _TOKEN_REGEX[name]))
            position = match.end()
        pieces += self._literal(pattern[position:])
        regex = []
        for index, (kind, piece) in enumerate(pieces):
            previous = pieces[index - 1][0] if index else None
            if kind == "sep":
                # Between two numbers a separator must be typed (one, or spaces): "2021 5"
                # but not "20215"; next to letters any or none: "FV2021", "fv / 2021".
                following = pieces[index + 1][0] if index + 1 < len(pieces) else None
                regex.append(_SEP_ONE if previous == following == "number" else _SEP_ANY)
                continue
            if previous not in (None, "sep"):  # two pieces with no separator in the pattern
                regex.append(r"\s*" if previous == kind == "number" else _SEP_ANY)
            regex.append(piece)
        solid = [kind for kind, _piece in pieces if kind != "sep"]
        before = _BEFORE_DIGIT if solid and solid[0] == "number" else _BEFORE_LETTER
        after = _AFTER_DIGIT if solid and solid[-1] == "number" else _AFTER_LETTER
        self.regex = re.compile(before + "".join(regex) + after, re.IGNORECASE)
        # The letters a number of the pattern always has: a title without them is skipped
        # without running the expression (most titles name no document of most kinds).
        self.letters = [piece.replace("\\", "").upper() for kind, piece in pieces
                        if kind == "letters"]

    @staticmethod
    def _literal(text: str) -> list[tuple[str, str]]:
        """A literal part of a pattern as pieces: separators, letters, digits."""
        pieces = []
        for run in re.findall(r"[^\W_]+|[\W_]+", text):
            if not run[0].isalnum():
                pieces.append(("sep", ""))
                continue
            for part in _RUN.findall(run):  # "KP1": letters, then digits, kept as typed
                pieces.append(("number" if part.isdigit() else "letters", re.escape(part)))
        return pieces

    def find(self, title: str, upper: str) -> list[tuple[Found, tuple[int, int]]]:
        if not all(letters in upper for letters in self.letters):
            return []
        found = []
        for match in self.regex.finditer(title):
            values = dict[str, int]()
            consistent = True
            for name, value in zip(self.tokens, match.groups(), strict=True):
                value = int(value)
                if values.setdefault(name, value) != value:
                    consistent = False  # {N} twice with two values: not this pattern's
            if not consistent or values.get("N", 0) <= 0:
                continue
            year = values.get("YYYY", 2000 + values.get("YY", 0))
            if "YY" in values and year % 100 != values["YY"]:
                continue  # "2021 … 22": not a number of this pattern
            try:
                when = date(year, values.get("MM", 1), values.get("DD", 1))
            except ValueError:
                continue  # 31 February: not a number of this pattern
            found.append((Found(number_format(self.pattern, when, values["N"]),
                                match.group(0), self.pattern), match.span()))
        return found


class _Generic:
    """Numbers of no current pattern (an earlier pattern, the previous system): letters,
    then two or more groups of digits ("FV/2021/06/12", "fv 2021 6 12")."""

    pattern = ""
    regex = re.compile(
        rf"{_BEFORE_LETTER}[A-Z]{{1,5}}{_SEP_ANY}\d{{1,10}}(?:{_SEP_ONE}\d{{1,10}}){{1,4}}"
        rf"{_AFTER_DIGIT}", re.IGNORECASE)

    def find(self, title: str, upper: str) -> list[tuple[Found, tuple[int, int]]]:
        return [(Found(re.sub(r"\s+", "", m.group(0)).upper(), m.group(0), ""), m.span())
                for m in self.regex.finditer(title)]


class Recogniser:
    """The numbers of the tenant's patterns (and the generic shape) in transfer titles."""

    def __init__(self, patterns: Iterable[str]):
        self.patterns = tuple(dict.fromkeys(p for p in patterns if p))
        self.matchers = [_Matcher(p) for p in self.patterns] + [_Generic()]

    def find(self, title: str) -> list[Found]:
        """Every number the title names, the tenant's patterns first, each once."""
        if not title or not _DIGIT.search(title):
            return []
        found, seen, spans = [], set(), []
        upper = title.upper()
        for matcher in self.matchers:
            for item, span in matcher.find(title, upper):
                if matcher.pattern == "" and any(s < span[1] and span[0] < e for s, e in spans):
                    continue  # inside a number a pattern found: not another number
                spans.append(span)
                if item.number not in seen:
                    seen.add(item.number)
                    found.append(item)
        return found

    def keys(self, title: str) -> frozenset[str]:
        """The keys (``number_key``) of every number the title names."""
        return frozenset().union(*(item.keys for item in self.find(title)))


@lru_cache(maxsize=64)
def recogniser(patterns: tuple[str, ...]) -> Recogniser:
    """The compiled recogniser of a tuple of patterns (compiled once per process)."""
    return Recogniser(patterns)


# --------------------------------------------------------------------------- art. 451

RULES = ("named", "due", "not_due")


def _letters(number: str) -> list[str]:
    """The runs of letters of a number (as in its key): a title without them cannot
    name it."""
    return _LETTER_RUN.findall(number.upper())


def payment_shares(*, left: Decimal, receivables: Iterable, open_amounts: Mapping, title: str,
                   recogniser: Callable[[], Recogniser], today: date
                   ) -> list[tuple[object, Decimal, str]]:
    """How ``left`` of one payment settles open ``receivables`` (Civil Code art. 451).

    ``receivables`` have ``pk``, ``number``, ``due_date`` and ``issue_date``;
    ``open_amounts[pk]`` is what each still owes. Order: the documents the payment's
    ``title`` names (by the tenant's ``recogniser()``), then the due ones by earliest due
    date, then those not yet due (then by issue date and id). Returns (receivable, amount,
    rule) in that order; nothing is changed — the caller books it.

    ``recogniser`` is called only for a title that could name one of the receivables (it
    has digits and the letters of that number), so most payments cost no recognition.
    """
    if left <= 0:
        return []
    receivables = list(receivables)
    named = frozenset()
    if title and _DIGIT.search(title):
        upper = title.upper()
        if any(all(run in upper for run in _letters(r.number)) for r in receivables):
            named = recogniser().keys(title)

    def order(r):
        due = r.due_date or r.issue_date
        rank = 0 if named and number_key(r.number) in named else 1 if due <= today else 2
        return (rank, due, r.issue_date, r.pk)

    shares = []
    for key, receivable in sorted((order(r), r) for r in receivables):
        if left <= 0:
            break
        open_amount = open_amounts[receivable.pk]
        if open_amount <= 0:
            continue
        amount = min(left, open_amount)
        shares.append((receivable, amount, RULES[key[0]]))
        left -= amount
    return shares
