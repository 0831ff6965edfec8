"""Staff pages of the sales VAT register and the revenue report (Finance menu)."""

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.charts import column_chart, series_limit
from core.views import staff_view

from ..forms_registers import RevenueForm, SalesRegisterForm, default_revenue_period
from ..registers import register_page, register_summary, revenue_table
from ..registers_export import File, revenue_file, sales_register_file

PERMISSION = "finance.view_financedocument"


def _download(file: File) -> HttpResponse:
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    return response


@staff_view(PERMISSION)
@require_GET
def sales_register(request):
    """The month's register: totals per rate on top, the rows a page at a time, and the
    PDF / XLSX / CSV downloads (``?format=``)."""
    data = request.GET if "month" in request.GET else {
        "month": timezone.localdate().strftime("%Y-%m")}
    form = SalesRegisterForm(data)
    if not form.is_valid():
        return render(request, "accounting/registers/sales.html", {"form": form}, status=400)
    month, fmt = form.cleaned_data["month"], form.cleaned_data["format"]
    if fmt:
        return _download(sales_register_file(actor=request.user, month=month, fmt=fmt))
    summary = register_summary(month=month)
    page = register_page(month=month, page_number=request.GET.get("page"))
    # Net and VAT of each rate of the month, in the columns' order.
    rows = [(row, [amount for rate in summary.rates
                   for amount in (row.rate(rate).net, row.rate(rate).vat)])
            for row in page.rows]
    return render(request, "accounting/registers/sales.html", {
        "form": form, "month": month, "summary": summary, "page": page, "rows": rows,
        "query": urlencode({"month": month.strftime("%Y-%m")}),
    })


def _chart(table) -> dict:
    """Whole złoty per month and row; a month the corrections took below zero is drawn
    at zero (the table shows the amount)."""
    series = [(row.label, [max(0, int(value)) for value in row.values]) for row in table.rows]
    return column_chart([m.strftime("%Y-%m") for m in table.months],
                        series_limit(series, _("other")), stacked=table.by == "tariff")


@staff_view(PERMISSION)
@require_GET
def revenue(request):
    """Net revenue per tariff or customer group per month: table, chart, CSV / XLSX."""
    data = request.GET if "month_from" in request.GET else {
        key: value.strftime("%Y-%m") if hasattr(value, "strftime") else value
        for key, value in default_revenue_period(timezone.localdate()).items()}
    form = RevenueForm(data)
    if not form.is_valid():
        return render(request, "accounting/registers/revenue.html", {"form": form}, status=400)
    first, last = form.cleaned_data["month_from"], form.cleaned_data["month_to"]
    by, fmt = form.cleaned_data["by"], form.cleaned_data["format"]
    if fmt:
        return _download(revenue_file(actor=request.user, first=first, last=last, by=by,
                                      fmt=fmt))
    table = revenue_table(first=first, last=last, by=by)
    return render(request, "accounting/registers/revenue.html", {
        "form": form, "table": table, "chart": _chart(table),
        "query": urlencode({"month_from": first.strftime("%Y-%m"),
                            "month_to": last.strftime("%Y-%m"), "by": by}),
    })
