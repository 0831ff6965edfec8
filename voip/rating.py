"""Rating a call: which price rule, how many seconds are billed, what is free, what it
costs — the one function every path calls (the CDR import, a re-rating, the benchmark).

* **Price rule**: the longest prefix of the dialled number (E.164 digits) in the price
  list; a number no prefix matches is not rated (reported, never guessed).
* **Short numbers** (fewer digits than any international number, or not digits at all:
  an emergency number, an extension, ``s``) are never looked up among the price list's
  prefixes, which are international ones (with ``1`` and ``998`` in the list, 112 is not
  a call to the USA nor 998 — the fire brigade — one to Uzbekistan). An emergency or help
  number (``EMERGENCY``, and the European ``116…`` numbers of social value) is free
  (``emergency``); an extension (up to ``EXTENSION_MAX_DIGITS`` digits), a feature code
  (``*97``) or ``s`` is free and counted as internal (``internal``); any other short
  number — a 5- or 6-digit service number (``19xxx``, ``118xxx``, often paid), one with
  ``#`` or other signs — is not rated (``no_rule``: reported for staff to see, never
  silently free), as a price list has no way to name a rule for it.
* **Billing increment** ``first/next`` (60/60, 1/1, 30/6): a call of ``s`` answered
  seconds is billed ``first`` seconds if ``s <= first``, else ``first`` plus ``s - first``
  rounded up to a multiple of ``next``; an unanswered call (0 s) costs nothing.
* **Free numbers**: a call to one of the numbers the phone names costs nothing.
* **Free minutes** of the billing period, for the billing groups the phone names: the
  billed seconds are taken from what is left of them; a call that crosses the end of the
  free minutes pays for the seconds past it (per second of the minute price), and the
  connection fee only when some of it is paid.
* **Amount**: ``price per minute × paid seconds / 60 + connection fee``, to the grosz
  (half up, ``finance.money.round_grosz``) per call, as the call list prints it. Net:
  the price list's prices are net; a postpaid call's VAT is added on its invoice.
* **Limit and threshold**: the period's running total of the calls' net amounts — what
  the phone window and the customer's notice show ("zł netto") — for postpaid and prepaid
  phones alike; the call that brings it to the amount limit or past it says so (the
  phone is then blocked), and the one that first reaches the notification threshold says
  so (the customer is told once a period).
* **Prepaid balance**: money the customer paid gross (a top-up is invoiced gross at the
  calls' VAT rate), so a prepaid phone's call takes its gross off it (``prepaid_charge``:
  the net amount plus VAT at ``voip.vat_rate``, to the grosz per call) — the same as a
  postpaid customer pays for it on the invoice. The call that brings the balance to zero
  or below says so (the phone is then blocked until a top-up puts it above zero:
  ``prepaid_exhausted``). The call is charged in full even when it costs more than was
  left — the exchange let it through.

Every rated call keeps what priced it (``Rated``): the rule, the seconds billed, the free
seconds used, why it is free — a customer's question "why this amount" has an answer.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from finance.money import gross_unit_price, round_grosz

ZERO = Decimal("0")
MAX_PREFIX = 15  # E.164
# The shortest international numbers have 7 digits (Niue's +683 XXXX, Tokelau's): a
# number of fewer digits, or with other signs than digits, is a short one.
INTERNATIONAL_MIN_DIGITS = 7
# Poland's emergency and help numbers ("numery alarmowe", three digits dialled without
# any prefix, set by the telecommunications law and the national numbering plan; the
# operator must connect them free of charge): 112 (the European one), 981 road, 984
# river, 985 sea and mountain rescue, 986 municipal police (straż miejska), 987 crisis
# management, 991–994 power, gas, heating and water emergency, 995 Child Alert, 996 the
# anti-terrorist centre, 997 police, 998 fire brigade, 999 ambulance.
# The European harmonised numbers of social value (116 000 missing children, 116 111 the
# children's helpline, 116 123 emotional support): free to call, as the emergency ones.
HARMONISED_PREFIX = "116"
# Internal extensions of an exchange have at most this many digits.
EXTENSION_MAX_DIGITS = 4
EMERGENCY = frozenset({"112", "981", "984", "985", "986", "987", "991", "992", "993", "994",
                       "995", "996", "997", "998", "999"})


@dataclass(frozen=True, slots=True)
class Rule:
    """One line of the price list."""

    id: int
    prefix: str
    group: str  # billing group's code
    price_per_minute: Decimal
    first_increment: int = 60
    next_increment: int = 60
    connection_fee: Decimal = ZERO


@dataclass(slots=True)
class Usage:
    """A phone's billing period so far (what the next call is rated against)."""

    free_seconds_left: int = 0
    amount: Decimal = ZERO
    limit_reached: bool = False
    threshold_reached: bool = False


@dataclass(slots=True)
class Balance:
    """A prepaid phone's balance as the calls are rated: gross money, so each call takes
    its gross at ``vat_rate`` (the tenant's ``voip.vat_rate``, a key of
    ``finance.money.VAT_RATES``) off it. The rate has no default: a balance without it
    would be charged net prices."""

    left: Decimal = ZERO
    exhausted: bool = False
    vat_rate: str = field(kw_only=True)


def limit_reached(amount: Decimal, limit: Decimal | None) -> bool:
    """A period's calls costing ``amount`` have reached the phone's amount limit."""
    return limit is not None and amount >= limit


def prepaid_charge(amount: Decimal, vat_rate: str) -> Decimal:
    """What a prepaid call of net ``amount`` takes off the balance: its gross, net × (1 +
    rate) half up to the grosz — finance's rounding of a net price to gross (the call is
    one unit), the VAT a postpaid customer's invoice adds to the same call."""
    return gross_unit_price(amount, vat_rate)


def prepaid_exhausted(balance: Decimal) -> bool:
    """A prepaid phone with this balance may not call (blocked): nothing above zero left."""
    return balance <= 0


@dataclass(frozen=True, slots=True)
class Allowance:
    """What a phone may use in a period; ``amount_limit`` and ``notify_threshold`` are of
    the period's net total (``Usage.amount``)."""

    free_seconds: int = 0
    free_groups: frozenset = frozenset()
    free_numbers: frozenset = frozenset()
    amount_limit: Decimal | None = None
    notify_threshold: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Rated:
    rule: Rule | None
    billed_seconds: int
    free_seconds: int  # of the billed ones, taken from the free minutes
    paid_seconds: int
    amount: Decimal
    # "priced", "free_number", "free_minutes", "unanswered", "no_rule", "emergency",
    # "internal"
    reason: str
    limit_reached: bool = False  # this call brought the period to the amount limit
    threshold_crossed: bool = False  # this call first reached the notification threshold
    balance_exhausted: bool = False  # this call used up the prepaid balance
    charged: Decimal = ZERO  # taken off the prepaid balance (gross); 0 when postpaid


class PriceList:
    """The prefixes of one price list, looked up longest first (at most 15 probes)."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules: dict[str, Rule] = {}
        for rule in rules:
            if not rule.prefix.isdigit() or len(rule.prefix) > MAX_PREFIX:
                raise ValueError(f"price rule {rule.id}: prefix {rule.prefix!r} is not digits")
            if rule.first_increment < 1 or rule.next_increment < 1:
                raise ValueError(f"price rule {rule.id}: increments must be at least 1 s")
            self.rules[rule.prefix] = rule
        self.longest = max((len(p) for p in self.rules), default=0)

    def match(self, number: str) -> Rule | None:
        rules = self.rules
        for length in range(min(len(number), self.longest), 0, -1):
            rule = rules.get(number[:length])
            if rule is not None:
                return rule
        return None


def billed_seconds(seconds: int, first: int, following: int) -> int:
    if seconds <= 0:
        return 0
    if seconds <= first:
        return first
    return first + -(-(seconds - first) // following) * following


def international(number: str) -> bool:
    """``number`` (as ``cdr.destination_digits`` gives it) is in international form, as
    the price list's prefixes are: digits only, at least as many as the shortest
    international number has."""
    return number.isdigit() and len(number) >= INTERNATIONAL_MIN_DIGITS


def short_number_reason(number: str) -> str:
    """Why a number not in international form costs nothing (module docstring): an
    emergency or help number, an internal one, or one no rule can price."""
    if number in EMERGENCY or (len(number) == 6 and number.isdigit()
                               and number.startswith(HARMONISED_PREFIX)):
        return "emergency"
    if (number.isdigit() and len(number) <= EXTENSION_MAX_DIGITS) or number in ("", "s") \
            or (number.startswith("*") and number[1:].isdigit()):
        return "internal"
    return "no_rule"


def rate(*, destination: str, seconds: int, prices: PriceList, allowance: Allowance,
         usage: Usage, balance: Balance | None = None) -> Rated:
    """Rate one call and update ``usage`` (the phone's period so far, net) with it, and
    ``balance`` (a prepaid phone's, gross) when given."""
    if not international(destination):
        return Rated(None, 0, 0, 0, ZERO, short_number_reason(destination))
    rule = prices.match(destination)
    if rule is None:
        return Rated(None, 0, 0, 0, ZERO, "no_rule")
    billed = billed_seconds(seconds, rule.first_increment, rule.next_increment)
    if billed == 0:
        return Rated(rule, 0, 0, 0, ZERO, "unanswered")
    if destination in allowance.free_numbers:
        return Rated(rule, billed, 0, 0, ZERO, "free_number")
    free = 0
    if rule.group in allowance.free_groups and usage.free_seconds_left > 0:
        free = min(billed, usage.free_seconds_left)
        usage.free_seconds_left -= free
    paid = billed - free
    if paid == 0:
        return Rated(rule, billed, free, 0, ZERO, "free_minutes")
    amount = round_grosz(rule.price_per_minute * paid / 60 + rule.connection_fee)
    usage.amount += amount
    limit = threshold = False
    if not usage.limit_reached and limit_reached(usage.amount, allowance.amount_limit):
        usage.limit_reached = limit = True
    if allowance.notify_threshold is not None and not usage.threshold_reached \
            and usage.amount >= allowance.notify_threshold:
        usage.threshold_reached = threshold = True
    exhausted, charged = False, ZERO
    if balance is not None:
        charged = prepaid_charge(amount, balance.vat_rate)
        balance.left -= charged
        if not balance.exhausted and prepaid_exhausted(balance.left):
            balance.exhausted = exhausted = True
    return Rated(rule, billed, free, paid, amount, "priced", limit, threshold, exhausted,
                 charged)


@dataclass
class GroupTotal:
    """A billing group's line on the invoice: its calls, seconds and amount."""

    group: str
    calls: int = 0
    seconds: int = 0
    amount: Decimal = ZERO
    rules: set = field(default_factory=set)


def group_totals(rated: Iterable[Rated]) -> dict[str, GroupTotal]:
    """The period's calls per billing group (one invoice line each), paid calls only."""
    totals: dict[str, GroupTotal] = {}
    for call in rated:
        if call.rule is None or call.amount == 0:
            continue
        total = totals.setdefault(call.rule.group, GroupTotal(call.rule.group))
        total.calls += 1
        total.seconds += call.paid_seconds
        total.amount += call.amount
        total.rules.add(call.rule.id)
    return totals
