"""The card's "Historia transakcji" (transaction history) and its gear menu.

The history is a card section: filters and pages come back by htmx as the table alone
(``history``); a click on a row loads what the document paid or what paid it
(``document_allocations``). The forms that create documents are in ``ledger_forms``.
"""

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import apply_service_errors
from core.templatetags.money import money_format
from core.views import staff_view
from customers.models import Customer
from customers.views.base import card_url

from .. import dashboard, selectors, services
from ..forms import AllocationLinkForm, AllocationRemoveForm, HistoryFilterForm
from ..models import FinanceDocument
from ..permissions import issuable_kinds

SECTION = "history"


def url_or_none(name: str, **kwargs) -> str | None:
    """A URL another part of finance provides (PDF, exports), or None until it exists."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def customer_get(customer_id) -> Customer:
    return get_object_or_404(Customer, pk=customer_id)


def document_or_404(financedocument_id) -> FinanceDocument:
    return get_object_or_404(FinanceDocument.objects.select_related("customer"),
                             pk=financedocument_id)


def history_url(customer_id) -> str:
    return card_url(customer_id, SECTION)


def history_context(customer, request) -> dict:
    """The history table: one page of ``selectors.customer_history_page`` under the
    filters of the request (``h-kind``, ``h-status``, ``h-page``).

    Queries: the page of documents (status, running balance and the "K" marker are
    annotations of that one query) and the cached balance.
    """
    filters = HistoryFilterForm(request.GET, prefix="h")
    values = filters.values()
    page = selectors.customer_history_page(customer=customer, **values)
    for row in page.rows:
        row.status_label = selectors.STATUS_LABELS.get(row.settlement_status, "")
        row.tickable = row.settlement_status in (selectors.UNSETTLED,
                                                 selectors.PARTIALLY_SETTLED)
    return {
        "history": page,
        "history_filters": filters,
        "history_kind": values["kind"],
        "history_status": values["status"],
        "history_balance": selectors.customer_balance(customer=customer),
        # The "New document" buttons and the KP ticks: the kinds this user may issue.
        "issuable": issuable_kinds(request.user),
        "history_export_url": url_or_none("finance:customer_history_export",
                                          customer_id=customer.pk),
        "history_print_url": url_or_none("finance:customer_history_pdf",
                                         customer_id=customer.pk),
    }


def history_section_context(customer, request) -> dict:
    """The card section "Transaction history" (``core.sections``): see ``history_context``."""
    return history_context(customer, request)


@staff_view("finance.view_financedocument")
@require_GET
def history(request, customer_id):
    """The history table alone (htmx: filters, pages) or on a page of its own."""
    customer = customer_get(customer_id)
    context = {"customer": customer, **history_context(customer, request)}
    if request.htmx:
        return render(request, "finance/ledger/_history.html", context)
    return render(request, "finance/ledger/history.html", context)


@staff_view("finance.view_financedocument")
@require_GET
def document_allocations(request, financedocument_id):
    """What a document paid and what paid it: amounts and the rule that linked them."""
    document = document_or_404(financedocument_id)
    context = {"document": document,
               "links": selectors.document_allocation_list(document=document)}
    if request.htmx:
        return render(request, "finance/ledger/_allocations.html", context)
    return render(request, "finance/ledger/allocations.html",
                  {**context, "customer": document.customer})


# --------------------------------------------------------------------------- gear menu

def _page(request, template, context, status=200):
    return render(request, template, context, status=status)


@staff_view("finance.add_allocation")
@require_http_methods(["GET", "POST"])
def allocation_link(request, customer_id):
    """"Powiąż nierozliczone transakcje": link a payment to a receivable by hand."""
    customer = customer_get(customer_id)
    choices = {"payments": selectors.open_payment_list(customer=customer),
               "receivables": selectors.open_receivable_list(customer=customer)}
    form = AllocationLinkForm(request.POST or None, **choices, auto_id="link_%s")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            link = services.allocation_link(actor=request.user, payment=data["payment"],
                                            receivable=data["receivable"],
                                            amount=data["amount"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("%(p)s linked to %(r)s: %(a)s.") % {
                "p": data["payment"].number, "r": data["receivable"].number,
                "a": money_format(link.amount)})
            return redirect(history_url(customer.pk))
    return _page(request, "finance/ledger/form.html", {
        "customer": customer, "form": form, "title": _("Link unsettled transactions"),
        "submit": _("Link"), "cancel_url": history_url(customer.pk),
        "empty_note": None if choices["payments"] and choices["receivables"] else
        _("There is nothing to link: the customer has no open payment or no open "
          "receivable."),
    }, status=400 if form.errors else 200)


@staff_view("finance.delete_allocation")
@require_http_methods(["GET", "POST"])
def allocation_remove(request, customer_id):
    """"Usuń powiązania": unlink a document from everything it pays or is paid by."""
    customer = customer_get(customer_id)
    documents = selectors.linked_document_list(customer=customer)
    data = request.POST if request.method == "POST" else None
    initial = {"document": request.GET.get("document")}
    form = AllocationRemoveForm(data, documents=documents, initial=initial, auto_id="unlink_%s")
    if request.method == "POST" and form.is_valid():
        document = form.cleaned_data["document"]
        try:
            count = services.allocations_remove(actor=request.user, document=document)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("Links of %(n)s removed: %(c)s.") % {
                "n": document.number, "c": count})
            return redirect(history_url(customer.pk))
    return _page(request, "finance/ledger/form.html", {
        "customer": customer, "form": form, "title": _("Remove links"),
        "submit": _("Remove links"), "cancel_url": history_url(customer.pk),
        "confirm": _("Remove every link of the chosen document? Its amounts become "
                     "unsettled again."),
        "empty_note": None if documents else _("No document of this customer is linked."),
    }, status=400 if form.errors else 200)



# --------------------------------------------------------------------------- tenant-wide lists
# The lists the home page's tiles open (finance.dashboard): the debtors and a day's payments.

LIST_PER_PAGE = 100


def _day(value) -> date:
    """``?date=``: ISO or Polish, "today" (also "dziś") or nothing: today."""
    text = (value or "").strip()
    if text and text not in ("today", "dziś"):
        for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                continue
    return timezone.localdate()


@staff_view("finance.view_financedocument")
@require_GET
def debtor_list(request):
    """Customers with receivables past due, most owed first, with the amount overdue and
    the oldest due date. Queries: the totals, the page's count and rows, its customers."""
    today = timezone.localdate()
    count, amount = dashboard.overdue_totals(today=today)
    page = Paginator(dashboard.debtor_rows(today=today), LIST_PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "finance/ledger/debtors.html", {
        "page": page, "rows": dashboard.debtor_customers_attach(page.object_list),
        "count": count, "amount": amount, "today": today,
    })


@staff_view("finance.view_financedocument")
@require_GET
def payment_list(request):
    """The payments (KP, bank transfers) of one day — today unless ``?date=`` says — with
    their customers. Queries: the totals, the page's count and rows."""
    day = _day(request.GET.get("date"))
    count, amount = dashboard.payment_totals(day=day)
    page = Paginator(dashboard.payment_list(day=day), LIST_PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "finance/ledger/payments.html", {
        "page": page, "count": count, "amount": amount, "day": day,
        "previous_day": day - timedelta(days=1), "next_day": day + timedelta(days=1),
        "query_string": f"date={day.isoformat()}&",
    })
