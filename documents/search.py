"""The documents app's part of the one search (``core.search``): a customer found by the
number of one of its documents (a contract, an annex, a letter...) or by the code under
its barcode (``Document.code``, ``ABN000000042``).

Numbers follow the one rule of ``core.search.number_rows``, as ledger documents do: the
whole number first, and only it when a document bears it; otherwise numbers starting with
the query (index: migration 0006_search_number).
"""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.search import SearchProvider, number_rows

from .models import Document, DocumentType

_CODE = re.compile(r"ABN(\d{9})", re.IGNORECASE)


def document_search(query: str, limit: int) -> list[tuple[int, str]]:
    """The provider: customers by a document's barcode code or number; exact first."""
    query = query.strip()
    code = _CODE.fullmatch(query)
    if code:
        document = Document.objects.filter(pk=int(code.group(1))) \
            .values_list("customer_id", "number").first()
        if document is None:
            return []
        return [(document[0], _("document code %(code)s, %(number)s")
                 % {"code": query.upper(), "number": document[1]})]
    documents = Document.objects.filter(document_type__in=DocumentType.values) \
        .order_by("number", "document_type") \
        .values_list("customer_id", "document_type", "number")
    rows = number_rows(documents, query, limit=limit)
    labels = dict(DocumentType.choices)
    return [(customer_id, _("%(type)s %(number)s") % {"type": labels.get(kind, kind),
                                                     "number": number})
            for customer_id, kind, number in rows]


def register() -> None:
    from core.search import register_search_provider

    register_search_provider(SearchProvider(
        "documents", gettext_lazy("Documents"), document_search, "documents.view_document",
        order=40))
