"""The finance app's part of the one search (``core.search``): a customer found by the
number of one of its ledger documents — an invoice, a correction, a KP, a note...

The whole number first: when a document bears exactly the number typed, only such
documents are found, so "FV/1/2026" never lists "FV/1/2026/K" or "FV/1/20260" beside it.
Otherwise the numbers that start with it (four characters at least, with a "/" as every
numbering pattern has: a login or a phone number typed in the same box does not make the
database read every document's number — without an index on the number alone such a prefix
is a scan of the tenant's documents). Case does not matter for numbers written in capitals,
as the patterns write them. ``%``, ``_`` and ``\\`` are plain characters (the ORM escapes
them in ``startswith``).
"""

import re

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.search import SearchProvider

from .models import FinanceDocument, Kind

PREFIX_MIN_LENGTH = 4
# A document number has a digit and no space (every numbering pattern has {N}).
_NUMBER = re.compile(r"(?=.*\d)\S{2,60}")


def document_number_search(query: str, limit: int) -> list[tuple[int, str]]:
    """The provider: customers by the number of a ledger document; exact matches only
    when there are any. The kind is listed so that the (tenant, kind, number) unique index
    answers the exact match."""
    query = query.strip()
    if not _NUMBER.fullmatch(query):
        return []
    numbers = {query, query.upper()}
    documents = FinanceDocument.objects.filter(kind__in=Kind.values) \
        .order_by("number", "kind").values_list("customer_id", "kind", "number")
    rows = list(documents.filter(number__in=numbers)[:limit])
    if not rows and len(query) >= PREFIX_MIN_LENGTH and "/" in query:
        starts = Q()
        for number in numbers:
            starts |= Q(number__startswith=number)
        rows = list(documents.filter(starts)[:limit])
    labels = dict(Kind.choices)
    return [(customer_id, _("%(kind)s %(number)s") % {"kind": labels.get(kind, kind),
                                                       "number": number})
            for customer_id, kind, number in rows]


def register() -> None:
    from core.search import register_search_provider

    register_search_provider(SearchProvider(
        "finance", gettext_lazy("Financial documents"), document_number_search,
        "finance.view_financedocument", order=30))
