"""The customer panel's "Telefony": the customer's phones with this period's usage, their
calls (paged) and the invoices' call lists as CSV. Included by ``panel/urls.py`` in the
panel's namespace; another customer's invoice is a 404."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.paging import page_number
from panel.session import panel_view

from . import billing, selectors, selectors_calls
from .models import Call


@panel_view
@require_GET
def calls(request):
    customer = request.panel_customer
    return render(request, "voip/panel/calls.html", {
        "phones": selectors.customer_phone_usage(
            customer_id=customer.pk, period=timezone.localdate().replace(day=1)),
        "page": selectors_calls.customer_call_page(
            customer_id=customer.pk, page_number=page_number(request.GET.get("page"))),
        "invoices": selectors.customer_call_invoices(customer_id=customer.pk),
    })


@panel_view
@require_GET
def invoice_calls_csv(request, financedocument_id):
    if not Call.objects.filter(invoice_id=financedocument_id,
                               customer_id=request.panel_customer.pk).exists():
        raise Http404
    return csv_response(financedocument_id)


def csv_response(invoice_id: int) -> HttpResponse:
    from finance.models import FinanceDocument

    number = FinanceDocument.objects.filter(pk=invoice_id).values_list("number", flat=True) \
        .first() or str(invoice_id)
    response = HttpResponse(billing.invoice_calls_csv(invoice_id),
                            content_type="text/csv; charset=utf-8")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in number)
    response["Content-Disposition"] = f'attachment; filename="biling_{safe}.csv"'
    return response
