"""The finance app's part of the one search (``core.search``): a customer found by the
number of one of its ledger documents — an invoice, a correction, a KP, a note...

The rule for numbers is ``core.search.number_rows`` (the documents app's provider uses it
too): the whole number first and only it when a document bears it, so "FV/1/2026" never
lists "FV/1/2026/K"; otherwise the numbers that start with it, served by the index of
migration 0014_search_number.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.search import SearchProvider, number_rows

from .models import FinanceDocument, Kind


def document_number_search(query: str, limit: int) -> list[tuple[int, str]]:
    """The provider: customers by the number of a ledger document; exact matches only
    when there are any. The kind is listed so that the (tenant, kind, number) unique index
    answers the exact match."""
    documents = FinanceDocument.objects.filter(kind__in=Kind.values) \
        .order_by("number", "kind").values_list("customer_id", "kind", "number")
    rows = number_rows(documents, query, limit=limit)
    labels = dict(Kind.choices)
    return [(customer_id, _("%(kind)s %(number)s") % {"kind": labels.get(kind, kind),
                                                       "number": number})
            for customer_id, kind, number in rows]


def register() -> None:
    from core.search import register_search_provider

    register_search_provider(SearchProvider(
        "finance", gettext_lazy("Financial documents"), document_number_search,
        "finance.view_financedocument", order=30))
