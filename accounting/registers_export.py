"""The sales VAT register and the revenue table as files: PDF, XLSX and CSV.

CSV as ``finance.exports`` writes it for the accountants' Excel: UTF-8 with a BOM, ``;``
between fields, a decimal comma, ISO dates, text that a spreadsheet would run as a formula
prefixed with an apostrophe. XLSX: openpyxl in write-only mode, amounts as numbers with two
decimals, dates as dates, a totals row. PDF: A4 landscape through WeasyPrint, the seller
and the month in the header, "page n of m" in every page's footer; the register is a Polish
tax record, so it is printed in Polish whatever the operator's language.
"""

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.actionlog import action_log
from core.spreadsheet import FORMULA_START, formula_defused
from finance.models import Kind
from finance.money import VAT_RATES
from finance.printing import money_text, vat_rate_text

from .registers import (
    RegisterSummary,
    RevenueTable,
    kind_label,
    register_rows,
    register_summary,
    revenue_table,
)

PRINT_TEMPLATES = Path(__file__).parent / "print_templates"
MONEY_FORMAT = "#,##0.00"
PDF_LANGUAGE = "pl"
POLISH_KINDS = {Kind.INVOICE: "faktura", Kind.CORRECTION: "korekta"}


# --------------------------------------------------------------------------- sales register

def register_columns(summary: RegisterSummary) -> list[str]:
    columns = [_("No."), _("Date"), _("Type"), _("Number"), _("Corrected invoice"),
               _("Buyer"), _("NIP"), _("KSeF number")]
    for rate in summary.rates:
        label = vat_rate_text(rate)
        columns += [_("Net %(rate)s") % {"rate": label}, _("VAT %(rate)s") % {"rate": label},
                    _("Gross %(rate)s") % {"rate": label}]
    return [*columns, _("Net"), _("VAT"), _("Gross")]


def _amounts(totals, rates, overall) -> list[Decimal]:
    values = []
    for rate in rates:
        total = totals(rate)
        values += [total.net, total.vat, total.gross]
    return [*values, overall.net, overall.vat, overall.gross]


def register_table(summary: RegisterSummary):
    """The register's rows as plain values (the same in every format), then the totals."""
    for number, row in enumerate(register_rows(month=summary.month), start=1):
        yield [number, row.issue_date, kind_label(row.kind), row.number, row.corrected_number,
               row.buyer_name, row.buyer_nip, row.ksef,
               *_amounts(row.rate, summary.rates, row.total)]


def register_totals_row(summary: RegisterSummary) -> list:
    return [_("Total"), "", "", "", "", "", "", "",
            *_amounts(lambda rate: summary.totals[rate], summary.rates, summary.total)]


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return formula_defused(text)


def _csv(header: list, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def _xlsx(title: str, header: list, rows, totals: list) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    bold = Font(bold=True)

    def cells(values, *, font=None):
        out = []
        for value in values:
            if isinstance(value, str) and value.startswith(FORMULA_START):
                value = "'" + value
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, Decimal):
                cell.number_format = MONEY_FORMAT
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            if font:
                cell.font = font
            out.append(cell)
        return out

    sheet.append(cells(header, font=bold))
    for row in rows:
        sheet.append(cells(row))
    sheet.append(cells(totals, font=bold))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def register_csv(summary: RegisterSummary) -> bytes:
    return _csv(register_columns(summary),
                [*register_table(summary), register_totals_row(summary)])


def register_xlsx(summary: RegisterSummary) -> bytes:
    return _xlsx(_("Sales VAT register"), register_columns(summary), register_table(summary),
                 register_totals_row(summary))


def _pdf(template: str, context: dict) -> bytes:
    import weasyprint

    html = Template((PRINT_TEMPLATES / template).read_text(encoding="utf-8")).render(
        Context(context))
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()


def _pdf_amounts(totals, rates, overall) -> list[Decimal]:
    """Net and VAT of each rate (net only for 0 %, zw, np: no VAT there), then net, VAT
    and gross of the document: a rate's gross (their sum) is in the summary on top, so
    the landscape page keeps room for the buyer and the KSeF number."""
    values = []
    for rate in rates:
        values += [totals(rate).net, totals(rate).vat] if VAT_RATES[rate] else [totals(rate).net]
    return [*values, overall.net, overall.vat, overall.gross]


def register_pdf(summary: RegisterSummary) -> bytes:
    """The register on A4 landscape: seller and month on top, the per-rate totals, the
    rows, "Strona n z m" in the footer. The layout's words are Polish (a Polish tax
    record), the amounts those of the register."""
    with translation.override(PDF_LANGUAGE):
        rows = [{"no": n, "date": row.issue_date.strftime("%d.%m.%Y"),
                 "kind": POLISH_KINDS.get(row.kind, row.kind), "number": row.number,
                 "corrected": row.corrected_number, "buyer": row.buyer_name,
                 "nip": row.buyer_nip, "ksef": row.ksef,
                 "amounts": [money_text(v) for v in _pdf_amounts(row.rate, summary.rates,
                                                                 row.total)]}
                for n, row in enumerate(register_rows(month=summary.month), start=1)]
        context = {
            "seller": summary.seller, "month": summary.month.strftime("%m.%Y"),
            "count": summary.count,
            "rates": [{"label": vat_rate_text(rate), "net": money_text(t.net),
                       "vat": money_text(t.vat), "gross": money_text(t.gross)}
                      for rate, t in summary.totals.items()],
            "total": {"net": money_text(summary.total.net), "vat": money_text(summary.total.vat),
                      "gross": money_text(summary.total.gross)},
            "rate_columns": [{"label": vat_rate_text(rate), "vat": bool(VAT_RATES[rate])}
                             for rate in summary.rates],
            "rows": rows,
            "totals_row": [money_text(v) for v in _pdf_amounts(
                lambda rate: summary.totals[rate], summary.rates, summary.total)],
        }
        return _pdf("sales_register.html", context)


# --------------------------------------------------------------------------- revenue

def revenue_columns(table: RevenueTable) -> list[str]:
    first = _("Tariff") if table.by == "tariff" else _("Customer group")
    return [first, *(month.strftime("%Y-%m") for month in table.months), _("Total")]


def revenue_rows(table: RevenueTable) -> list[list]:
    return [[row.label, *row.values, row.total] for row in table.rows]


def revenue_totals_row(table: RevenueTable) -> list:
    return [_("Total revenue"), *table.totals, table.total]


def revenue_csv(table: RevenueTable) -> bytes:
    return _csv(revenue_columns(table), [*revenue_rows(table), revenue_totals_row(table)])


def revenue_xlsx(table: RevenueTable) -> bytes:
    return _xlsx(_("Revenue"), revenue_columns(table), revenue_rows(table),
                 revenue_totals_row(table))


# --------------------------------------------------------------------------- downloads

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"pdf": "application/pdf", "xlsx": XLSX, "csv": "text/csv; charset=utf-8"}


@dataclass(frozen=True)
class File:
    content: bytes
    content_type: str
    name: str


def sales_register_file(*, actor, month: date, fmt: str) -> File:
    """The month's register as ``fmt`` (pdf, xlsx, csv); the download is logged."""
    summary = register_summary(month=month)
    build = {"pdf": register_pdf, "xlsx": register_xlsx, "csv": register_csv}[fmt]
    content = build(summary)
    action_log(actor=actor, kind="registers.sales_download",
               message=N_("Sales VAT register of %(m)s downloaded (%(f)s)"),
               params={"m": month.strftime("%Y-%m"), "f": fmt.upper()})
    return File(content, CONTENT_TYPES[fmt], f"rejestr-sprzedazy-{month:%Y-%m}.{fmt}")


def revenue_file(*, actor, first: date, last: date, by: str, fmt: str) -> File:
    """The revenue table as ``fmt`` (xlsx, csv); the download is logged."""
    table = revenue_table(first=first, last=last, by=by)
    content = revenue_xlsx(table) if fmt == "xlsx" else revenue_csv(table)
    action_log(actor=actor, kind="registers.revenue_download",
               message=N_("Revenue report %(a)s – %(b)s downloaded (%(f)s)"),
               params={"a": first.strftime("%Y-%m"), "b": last.strftime("%Y-%m"),
                       "f": fmt.upper()})
    return File(content, CONTENT_TYPES[fmt],
                f"przychody-{by}-{first:%Y-%m}-{last:%Y-%m}.{fmt}")
