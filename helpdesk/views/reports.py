"""Staff pages of the call-centre reports: the period's tables and charts, and each
table as a CSV or XLSX file."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.charts import column_chart, series_limit
from core.views import staff_view

from ..forms_reports import ReportExportForm, ReportPeriodForm
from ..reports_export import TABLES, XLSX, report_table, table_csv, table_xlsx
from ..selectors import reports

PERMISSION = "helpdesk.view_case"
# The columns of the per-topic handling chart: the busiest topics.
HANDLING_CHART_TOPICS = 15


def _charts(data: dict) -> dict:
    load = data["queue_load"]
    sla_by_queue: dict[str, list[int]] = {}
    for row in data["sla"]:
        met_breached = sla_by_queue.setdefault(row.queue, [0, 0])
        met_breached[0] += row.met
        met_breached[1] += row.breached
    daily = data["topics_daily"]
    handling = [r for r in data["handling_topic"] if r.average_seconds is not None]
    handling = handling[:HANDLING_CHART_TOPICS]
    return {
        "queue_load": column_chart(
            [r.queue for r in load],
            [(_("Created"), [r.created for r in load]),
             (_("Resolved"), [r.resolved for r in load]),
             (_("Open at the end"), [r.open_at_end for r in load])]),
        "sla": column_chart(
            list(sla_by_queue),
            [(_("Within SLA"), [v[0] for v in sla_by_queue.values()]),
             (_("Breached"), [v[1] for v in sla_by_queue.values()])], stacked=True),
        "topics_daily": column_chart(
            [day.strftime("%d.%m") for day in daily.days],
            series_limit([(r.topic, r.counts) for r in daily.rows], _("other topics")),
            stacked=True),
        "handling_topic": column_chart(
            [r.name for r in handling],
            [(_("Average (s)"), [round(r.average_seconds) for r in handling])],
            max_labels=HANDLING_CHART_TOPICS),
    }


@staff_view(PERMISSION)
@require_GET
def reports_page(request):
    """The period's reports. Queries: queue load (one), SLA (one), interactions per topic
    per day (three), handling per topic (three) and per agent (two), case times (two)."""
    form = ReportPeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "helpdesk/reports/reports.html", {"form": form}, status=400)
    period = form.period() if request.GET else reports.period_default()
    if not request.GET:
        form = ReportPeriodForm(initial={"date_from": period.date_from,
                                         "date_to": period.date_to})
    data = {
        "queue_load": reports.queue_load(period),
        "sla": reports.sla_compliance(period),
        "topics_daily": reports.interactions_per_topic_day(period),
        "handling_topic": reports.handling_per_topic(period),
        "handling_agent": reports.handling_per_agent(period),
        "case_times": reports.case_times(period),
    }
    data["queue_load_total"] = reports.queue_load_total(data["queue_load"])
    data["sla_total"] = reports.sla_total(data["sla"])
    data["handling_topic_total"] = reports.handling_total(data["handling_topic"])
    data["handling_agent_total"] = reports.handling_total(data["handling_agent"])
    return render(request, "helpdesk/reports/reports.html", {
        "form": form, "period": period, "data": data, "charts": _charts(data),
        "tables": TABLES,
        "period_query": f"date_from={period.date_from.isoformat()}"
                        f"&date_to={period.date_to.isoformat()}"})


@staff_view(PERMISSION)
@require_GET
def reports_export(request):
    """One table as a file: ``?table=…&format=csv|xlsx&date_from=&date_to=``."""
    form = ReportExportForm(request.GET)
    if not form.is_valid():
        return HttpResponse("\n".join(f"{field}: {' '.join(errors)}"
                                      for field, errors in form.errors.items()),
                            status=400, content_type="text/plain; charset=utf-8")
    period = form.period()
    table = report_table(form.cleaned_data["table"], period)
    fmt = form.cleaned_data["format"]
    body = table_csv(table) if fmt == "csv" else table_xlsx(table)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8" if fmt == "csv"
                            else XLSX)
    name = f"{table.name}-{period.date_from.isoformat()}-{period.date_to.isoformat()}.{fmt}"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
