"""The customer card: one page of sections registered in ``core.sections``."""

from django.views.decorators.http import require_GET

from core.sections import address_tags_for
from customers import selectors

from .base import load_card, render_card, render_section, render_summary, staff_view

ACTIONLOG_PAGE = 20
ACTIONLOG_MAX_PAGES = 50


def actionlog_section_context(customer, request):
    """The newest entries of the action log, filtered by ``log_kind`` / ``log_actor``.

    ``log_pages`` pages are shown ("more" adds one); one extra row says whether more exist.
    """
    kind = request.GET.get("log_kind", "")
    actor = request.GET.get("log_actor", "")
    try:
        pages = min(max(int(request.GET.get("log_pages", 1)), 1), ACTIONLOG_MAX_PAGES)
    except ValueError:
        pages = 1
    limit = ACTIONLOG_PAGE * pages
    entries = list(selectors.action_log_list(customer=customer, kind=kind,
                                             actor=actor)[:limit + 1])
    return {
        "log_entries": entries[:limit],
        "log_has_more": len(entries) > limit,
        "log_next_pages": pages + 1,
        "log_kinds": selectors.action_log_kinds(customer=customer),
        "log_kind": kind,
        "log_actor": actor,
    }


def addresses_section_context(customer, request):
    """"Dane adresowe": each address with what other apps install there (the login IDs,
    net47's "identyfikatory komputerów"), from ``core.sections.address_tags_for``."""
    tags = address_tags_for(customer, request)
    return {"address_rows": [(address, tags.get(address.pk, []))
                             for address in customer.addresses.all()]}


@staff_view("customers.view_customer")
@require_GET
def customer_card(request, customer_id):
    return render_card(request, customer_id)


@staff_view("customers.view_customer")
@require_GET
def card_section(request, customer_id, key):
    """One section alone: htmx filters of the action log, refreshes after a change."""
    return render_section(request, customer_id, key)


@staff_view("customers.view_customer")
@require_GET
def card_summary(request, customer_id):
    """The card's summary header alone: htmx refreshes it after a change in a section."""
    return render_summary(request, load_card(customer_id))
