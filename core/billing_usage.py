"""Charges other apps add to the billing run's invoices ("usage"), without finance
importing them: the calls of a phone (voip), later other metered services.

An app registers a ``UsageSource`` in its ``ready()``. The billing run (finance.billing)
asks each source, inside the run's transaction for a batch of customers:

- ``customers(run_date, after, limit)``: the ids (ascending, above ``after``, at most
  ``limit``) of customers with usage to bill on ``run_date`` — they get an invoice even
  when no subscription of theirs is due;
- ``lines(run_date, customer_ids, lock)``: the lines to bill, each with a ``key`` the
  source recognises; with ``lock`` (the run, not the preview) the source locks what it
  reads, and the run's transaction holds the locks;
- ``billed(keys_to_invoice)``: after the invoices are written, ``{key: invoice id}`` —
  the source marks its usage billed, in the same transaction (a failed batch bills
  nothing, a repeated run bills nothing twice).

A line's ``net`` is already rounded to the grosz; its VAT is added by the invoice's
totals like any other line's.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class UsageLine:
    customer_id: int
    key: object  # hashable; handed back to the source's ``billed``
    name: str
    net: Decimal
    vat_rate: str
    gtu: str = ""
    unit: str = "usł."


@dataclass(frozen=True)
class UsageSource:
    name: str
    customers: Callable[[date, int | None, int], list[int]]
    lines: Callable[[date, list[int], bool], list[UsageLine]]
    billed: Callable[[dict], None]


_SOURCES: dict[str, UsageSource] = {}


def register_usage_source(source: UsageSource) -> None:
    _SOURCES[source.name] = source


def usage_sources() -> list[UsageSource]:
    return [_SOURCES[name] for name in sorted(_SOURCES)]


def usage_customers(run_date: date, after: int | None, limit: int) -> list[int]:
    """The first ``limit`` customer ids above ``after`` with usage of any source."""
    ids: set[int] = set()
    for source in usage_sources():
        ids.update(source.customers(run_date, after, limit))
    return sorted(ids)[:limit]


def usage_lines(run_date: date, customer_ids: list[int], *,
                lock: bool) -> list[tuple[UsageSource, UsageLine]]:
    return [(source, line) for source in usage_sources()
            for line in source.lines(run_date, customer_ids, lock)]
