"""One search for everything staff are told on the phone.

The customer list's search box asks every app: the customers app matches names, numbers,
phones, e-mails, PESEL/NIP/REGON, accounts and addresses; radius a login, an IP or a MAC
address; finance an invoice or other ledger document number; documents a document number
or the code under its barcode. Each app registers a ``SearchProvider`` in its
``AppConfig.ready``, so the customers app searches without importing its siblings.

A provider's ``search(query, limit)`` returns at most ``limit`` pairs ``(customer id,
reason)`` — the reason is what the result list shows beside the customer ("login:
jan.kowalski", "IP 10.0.0.5", "invoice FV/12/2026"), in the active language. It runs in the
active tenant (its queries go through the tenant's managers) and a constant number of
queries, each served by an index; a query that cannot be one of its kinds (letters for an
IP address) costs it nothing. A provider is asked only for users with its ``permission``:
a permission name, or a callable ``(user) -> bool``.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

SEARCH_LIMIT = 50


@dataclass(frozen=True)
class SearchProvider:
    key: str
    label: str
    # search(query, limit) -> list[(customer_id, reason)]
    search: Callable[[str, int], list[tuple[int, str]]]
    permission: str | Callable | None = None
    order: int = 100


_PROVIDERS: dict[str, SearchProvider] = {}


def register_search_provider(provider: SearchProvider) -> None:
    _PROVIDERS[provider.key] = provider


def _allowed(permission, user) -> bool:
    if permission is None:
        return True
    if callable(permission):
        return bool(permission(user))
    return user.has_perm(permission)


def search_providers_for(user, *, exclude=()) -> list[SearchProvider]:
    """The providers ``user`` may ask, in their order, without the keys in ``exclude``."""
    return [p for p in sorted(_PROVIDERS.values(), key=lambda p: (p.order, p.key))
            if p.key not in exclude and _allowed(p.permission, user)]


def search_hits(*, query: str, user, limit: int = SEARCH_LIMIT,
                exclude=()) -> dict[int, list[str]]:
    """Customer id → the reasons it matched ``query``, from every provider ``user`` may
    ask (at most ``limit`` hits from each), in the providers' order."""
    query = (query or "").strip()
    hits: dict[int, list[str]] = {}
    if not query:
        return hits
    for provider in search_providers_for(user, exclude=exclude):
        for customer_id, reason in provider.search(query, limit):
            reasons = hits.setdefault(customer_id, [])
            if reason and reason not in reasons:
                reasons.append(reason)
    return hits


# A document number has a digit and no space (every numbering pattern has {N}).
_NUMBER = re.compile(r"(?=.*\d)\S{2,60}")
NUMBER_PREFIX_MIN_LENGTH = 4


def number_rows(rows, query: str, *, limit: int) -> list:
    """The rule for document numbers, shared by the ledger's and the documents' providers:
    ``rows`` (a queryset of values_list rows with a ``number`` field, ordered) filtered by
    the whole number when a row bears it — and then only those, so "FV/1/2026" never lists
    "FV/1/2026/K" or "FV/10/2026" beside it — otherwise by the numbers that start with it
    (four characters at least, with a "/" as every numbering pattern has, so a login or a
    phone typed in the same box does not scan every number). Numbers are written in
    capitals: the query is tried as typed and upper-cased. The ORM escapes ``%``, ``_`` and
    ``\\`` in ``startswith``."""
    query = query.strip()
    if not _NUMBER.fullmatch(query):
        return []
    numbers = {query, query.upper()}
    found = list(rows.filter(number__in=numbers)[:limit])
    if not found and len(query) >= NUMBER_PREFIX_MIN_LENGTH and "/" in query:
        starts = Q()
        for number in numbers:
            starts |= Q(number__startswith=number)
        found = list(rows.filter(starts)[:limit])
    return found
