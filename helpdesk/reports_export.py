"""The reports' tables as plain rows (header + values), for CSV and XLSX files.

The same tables the page shows, with a total row where the page has one. Times are in
seconds (rounded to 0.1 s); percentages with one decimal. CSV: UTF-8 with a BOM, ``;``
between fields and a decimal comma (what Excel with Polish settings expects, as the
finance exports); text a spreadsheet would run as a formula (a topic named "=HYPERLINK(…)")
is written as text in both formats.
"""

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.spreadsheet import FORMULA_START, formula_defused

from .selectors import reports
from .selectors.reports import Period

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TABLES = {
    "queue_load": gettext_lazy("Queue load"),
    "sla": gettext_lazy("SLA compliance"),
    "topics_daily": gettext_lazy("Interactions per topic per day"),
    "handling_topic": gettext_lazy("Handling time per topic"),
    "handling_agent": gettext_lazy("Handling time per agent"),
    "case_times": gettext_lazy("Case response and resolution times"),
}


@dataclass
class Table:
    name: str
    title: str
    header: list[str]
    rows: list[list]


def _total() -> str:
    return _("Total")


def _queue_load(period: Period) -> Table:
    rows = reports.queue_load(period)
    total = reports.queue_load_total(rows)
    return Table("queue_load", str(TABLES["queue_load"]),
                 [_("Queue"), _("Created"), _("Resolved"), _("Open at the end")],
                 [[r.queue, r.created, r.resolved, r.open_at_end] for r in rows]
                 + [[_total(), total.created, total.resolved, total.open_at_end]])


def _sla(period: Period) -> Table:
    rows = reports.sla_compliance(period)
    total = reports.sla_total(rows)
    return Table("sla", str(TABLES["sla"]),
                 [_("Queue"), _("Case type"), _("Resolved"), _("Within SLA"), _("Breached"),
                  _("Without a target"), _("Within SLA (%)")],
                 [[r.queue, r.case_type, r.resolved, r.met, r.breached, r.without_target,
                   r.percent] for r in rows]
                 + [[_total(), "", total.resolved, total.met, total.breached,
                     total.without_target, total.percent]])


def _topics_daily(period: Period) -> Table:
    data = reports.interactions_per_topic_day(period)
    return Table("topics_daily", str(TABLES["topics_daily"]),
                 [_("Topic"), *data.days, _("Total")],
                 [[r.topic, *r.counts, r.total] for r in data.rows]
                 + [[_total(), *data.day_totals, data.total]])


def _handling(rows, name: str, first: str, nobody: str) -> Table:
    total = reports.handling_total(rows)
    return Table(name, str(TABLES[name]),
                 [first, _("Interactions"), _("With a duration"), _("Average (s)")],
                 [[r.name or nobody, r.interactions, r.timed, r.average_seconds]
                  for r in rows]
                 + [[_total(), total.interactions, total.timed, total.average_seconds]])


def _case_times(period: Period) -> Table:
    rows = reports.case_times(period)
    return Table("case_times", str(TABLES["case_times"]),
                 [_("Case type"), _("Created"), _("With a first response"),
                  _("Average to first response (s)"), _("Resolved"),
                  _("Average to resolution (s)")],
                 [[r.case_type or _total(), r.created, r.responded, r.first_response_seconds,
                   r.resolved, r.resolution_seconds] for r in rows])


def report_table(name: str, period: Period) -> Table:
    """One table of the reports by its name (a key of ``TABLES``)."""
    if name == "queue_load":
        return _queue_load(period)
    if name == "sla":
        return _sla(period)
    if name == "topics_daily":
        return _topics_daily(period)
    if name == "handling_topic":
        return _handling(reports.handling_per_topic(period), name, _("Topic"), "")
    if name == "handling_agent":
        return _handling(reports.handling_per_agent(period), name, _("Agent"),
                         _("no agent"))
    if name == "case_times":
        return _case_times(period)
    raise KeyError(name)


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return formula_defused(text)


def table_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_value(v) for v in table.header])
    for row in table.rows:
        writer.writerow([_csv_value(v) for v in row])
    return codecs.BOM_UTF8 + out.getvalue().encode()


def table_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    # A sheet's name: at most 31 characters, none of []:*?/\ (the titles have none).
    sheet = workbook.create_sheet(table.title[:31])
    bold = Font(bold=True)

    def cell(value, *, header=False):
        c = WriteOnlyCell(sheet, value=value)
        if header:
            c.font = bold
        if isinstance(value, date):
            c.number_format = "yyyy-mm-dd"
        elif isinstance(value, str) and value.startswith(FORMULA_START):
            c.data_type = "s"  # text, never a formula
        return c

    sheet.append([cell(v, header=True) for v in table.header])
    for row in table.rows:
        sheet.append([cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
