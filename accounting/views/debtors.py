"""Staff pages of the debtors part: the debtors report (filters, sorting, paging, CSV and
XLSX), the payment-demand action on the customers ticked or on all matching, the job's
progress, the list of demands and a demand's PDF.

Viewing needs ``accounting.view_paymentdemand``; issuing ``accounting.add_paymentdemand``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.views import staff_view

from .. import debtors as selectors
from .. import demands as services
from ..forms_debtors import DebtorFilterForm, DemandStartForm
from ..models import DemandJob, PaymentDemand

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTER_FIELDS = ("threshold", "min_days", "group", "status", "sort")


def _filter_query(params) -> str:
    return urlencode([(k, params[k]) for k in FILTER_FIELDS if params.get(k)])


@staff_view("accounting.view_paymentdemand")
@require_GET
def debtor_report(request):
    """The report; ``?export=csv|xlsx`` downloads every matching row."""
    form = DebtorFilterForm(request.GET or None)
    filters = form.filters()
    today = timezone.localdate()
    export = request.GET.get("export")
    if export == "csv":
        response = StreamingHttpResponse(selectors.debtor_csv(filters=filters, today=today),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="dluznicy-{today}.csv"'
        return response
    if export == "xlsx":
        response = HttpResponse(selectors.debtor_xlsx(filters=filters, today=today),
                                content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="dluznicy-{today}.xlsx"'
        return response
    count, debt = selectors.debtor_totals(filters=filters, today=today)
    query = _filter_query(request.GET)
    return render(request, "accounting/debtors/report.html", {
        "form": form, "page": selectors.debtor_page(filters=filters, today=today,
                                                    page_number=request.GET.get("page")),
        "count": count, "debt": debt, "query": query,
        "extra": f"&{query}" if query else "",
        "can_demand": request.user.has_perm("accounting.add_paymentdemand"),
    })


@staff_view("accounting.add_paymentdemand")
@require_POST
def demands_start(request):
    """"Issue payment demands" for the customers ticked, or all matching the filters
    (the filters come with the form)."""
    form = DemandStartForm(request.POST)
    filters = DebtorFilterForm(request.POST).filters()
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()) or _("Select customers."))
        return redirect(f"{_report_url()}?{_filter_query(request.POST)}")
    ids = (selectors.debtor_ids(filters=filters, today=timezone.localdate())
           if form.cleaned_data["all_matching"] else form.cleaned_data["customers"])
    try:
        job = services.demands_start(actor=request.user, customer_ids=ids,
                                     threshold=filters.threshold)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect(f"{_report_url()}?{_filter_query(request.POST)}")
    return redirect("accounting:demand_job", demandjob_id=job.pk)


def _report_url() -> str:
    from django.urls import reverse

    return reverse("accounting:debtors")


@staff_view("accounting.view_paymentdemand")
@require_GET
def demand_job(request, demandjob_id: int):
    """A job's progress; the page polls itself (htmx) until the job is done."""
    try:
        job = selectors.demand_job_get(pk=demandjob_id)
    except DemandJob.DoesNotExist:
        raise Http404 from None
    template = ("accounting/debtors/_job.html" if request.headers.get("HX-Request")
                else "accounting/debtors/job.html")
    return render(request, template, {"job": job})


@staff_view("accounting.view_paymentdemand")
@require_GET
def demand_list(request):
    customer_id = request.GET.get("customer")
    customer_id = int(customer_id) if customer_id and customer_id.isdigit() else None
    return render(request, "accounting/debtors/demands.html", {
        "page": selectors.demand_page(customer_id=customer_id,
                                      page_number=request.GET.get("page")),
        "extra": f"&customer={customer_id}" if customer_id else "",
    })


@staff_view("accounting.view_paymentdemand")
@require_GET
def demand_pdf(request, paymentdemand_id: int):
    try:
        demand = selectors.demand_get(pk=paymentdemand_id)
    except PaymentDemand.DoesNotExist:
        raise Http404 from None
    response = HttpResponse(bytes(demand.pdf), content_type="application/pdf")
    name = demand.number.replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


CARD_ROWS = 10


def demands_section_context(customer, request) -> dict:
    """The card's "Wezwania": the customer's newest demands. Queries: one."""
    rows = list(selectors.demand_list(customer_id=customer.pk)[:CARD_ROWS + 1])
    return {"card_demands": rows[:CARD_ROWS], "card_demands_more": len(rows) > CARD_ROWS}
