"""The customer card: one page of sections registered in ``core.sections``."""

from django.views.decorators.http import require_GET

from customers import selectors

from .base import render_card, render_section, staff_view

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


@staff_view("customers.view_customer")
@require_GET
def customer_card(request, customer_id):
    return render_card(request, customer_id)


@staff_view("customers.view_customer")
@require_GET
def card_section(request, customer_id, key):
    """One section alone: htmx filters of the action log, refreshes after a change."""
    return render_section(request, customer_id, key)
