"""Exports for accountants: the transaction history (CSV, XLSX) and EDI++ (.epp).

History
    One row per ledger document, oldest first: date, booking date (a transfer's booking date at
    the bank, else the day the document entered the ledger), type, number,
    customer number/name/NIP, net/VAT/gross per VAT rate (a column triple per rate present in
    the export; a correction shows its *differences*, i.e. its lines minus the state before
    it), debit, credit, the running balance of the customer (opening balance before the
    period included, all types counted even when only some are listed), linked documents
    (the corrected invoice, the counterparts of allocations), bank reference and title.

    CSV: UTF-8 with a BOM (Excel reads the BOM to choose UTF-8), ``;`` between fields and a
    decimal comma — what Excel with Polish regional settings, where the accountants open
    it, expects: with ``,`` it would put a whole row in one cell. Dates are ISO
    (YYYY-MM-DD), which every spreadsheet recognises. XLSX: openpyxl in write-only mode
    (rows go straight to the file), amounts as numbers with two decimals, dates as dates.
    Text that a spreadsheet would run as a formula (a transfer title "=HYPERLINK(…)") is
    written as text.

EDI++ 1.05 (InsERT Subiekt/Rewizor/Rachmistrz "Komunikacja", also read by Symfonia)
    CP1250 text, CRLF lines, one record per line, fields separated by commas; text in double
    quotes (a quote doubled), dates ``yyyymmddhhnnss``, amounts with a decimal point and four
    decimals, booleans 0/1. Sections:

    * ``[INFO]`` (24 fields): version "1.05", purpose 0 (accounting office), code page 1250,
      program "Abonent", sender code = tenant slug, short/long name, city, postal code,
      street and NIP of the seller (tenant settings ``finance.seller_*``), warehouse fields
      empty, period flag 1 with the export's dates, who made the file, when, "Polska", "PL",
      the EU VAT number (PL + NIP), not an EU sender.
    * FS (invoice) and KFS (correction): ``[NAGLOWEK]`` with the 62 fields of the sales
      document header — type, status 1 (done), the running number (the last digits of our
      number), the full number, for KFS the corrected invoice's number and date, customer
      code (customer number), short (40) and full name, city, postal code, street, NIP,
      category "Sprzedaż", place = seller's city, issue = sale = receipt date, the number of
      VAT rows, net prices, net/VAT/gross (a correction's differences, negative downward),
      payment "przelew" and due date, amount to pay, rounding to the grosz, the issuer, PLN
      at rate 1, the title or the correction's reason as remarks, a domestic transaction;
      then ``[ZAWARTOSC]`` with a row per VAT rate: symbol, percent, net, VAT, gross (the
      accounting-office layout). Rate symbols: "23", "8", "5", "0", "zw" (-1); "np" and
      "np II" (outside Polish VAT) have no EDI++ symbol of their own and are sent as "np"
      with 0 %.
    * KP and KW: ``[NAGLOWEK]`` only, the 56 fields of the cash document: type, status 1,
      running number, full number, date, recipient type 0 (customer) and the customer's
      code, names, address and NIP, empty employee and tax-office fields, the title as the
      description, the amount, the issuer, the cash register's symbol and name.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import DecimalField, Prefetch, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.spreadsheet import formula_defused
from core.tenancy import current_tenant, tenant_context

from .models import Allocation, FinanceDocument, InvoiceLine, Kind
from .money import VAT_RATES, RateTotal, vat_summary
from .selectors import correction_lines_before
from .seller import document_parties, seller_get

ZERO = Decimal("0.00")
_SUM = {"output_field": DecimalField(max_digits=14, decimal_places=2)}
CHUNK = 2000
EPP_KINDS = {Kind.INVOICE: "FS", Kind.CORRECTION: "KFS", Kind.KP: "KP", Kind.KW: "KW"}


@dataclass(frozen=True)
class HistoryFilter:
    customer: object = None
    kinds: tuple = ()
    date_from: date | None = None
    date_to: date | None = None


def _period(filters: HistoryFilter):
    """Documents of the period, every kind (the running balance counts them all)."""
    qs = FinanceDocument.objects.all()
    if filters.customer is not None:
        qs = qs.filter(customer=filters.customer)
    if filters.date_from:
        qs = qs.filter(issue_date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(issue_date__lte=filters.date_to)
    return qs


def _listed(filters: HistoryFilter):
    qs = _period(filters)
    return qs.filter(kind__in=filters.kinds) if filters.kinds else qs


def history_documents(filters: HistoryFilter, *, kinds_only: bool = False):
    """The period's documents with everything a row needs, in a fixed number of queries."""
    qs = _listed(filters) if kinds_only else _period(filters)
    return (qs.select_related("customer", "corrects", "cash_register", "created_by")
            .prefetch_related(
                "lines", "corrects__lines", "corrects__corrections__lines",
                Prefetch("allocations_out",
                         queryset=Allocation.objects.select_related("receivable")),
                Prefetch("allocations_in", queryset=Allocation.objects.select_related("payment")))
            .order_by("issue_date", "id"))


def export_bound_error(fmt: str, filters: HistoryFilter) -> str | None:
    """Why an export is refused, or None. XLSX and EDI++ files are built whole in memory:
    above ``API_EXPORT_MAX_DOCUMENTS`` documents they are refused, naming the limit. CSV is
    streamed and has no bound. The staff page and the API both ask here."""
    from django.conf import settings

    if fmt == "csv":
        return None
    limit = settings.API_EXPORT_MAX_DOCUMENTS
    count = history_documents(filters, kinds_only=True).count()
    if count <= limit:
        return None
    return _("The period has %(count)s documents; a %(format)s file takes at most %(limit)s. "
             "Choose a shorter period, or CSV.") % {"count": count, "format": fmt.upper(),
                                                    "limit": limit}


def _opening_balances(filters: HistoryFilter) -> dict[int, Decimal]:
    """Each customer's balance before the period (one grouped query)."""
    if not filters.date_from:
        return {}
    qs = FinanceDocument.objects.filter(issue_date__lt=filters.date_from)
    if filters.customer is not None:
        qs = qs.filter(customer=filters.customer)
    rows = qs.values("customer").annotate(
        c=Coalesce(Sum("credit"), Value(ZERO), **_SUM),
        d=Coalesce(Sum("debit"), Value(ZERO), **_SUM)).order_by()
    return {row["customer"]: row["c"] - row["d"] for row in rows}


def document_totals(document: FinanceDocument) -> dict[str, RateTotal]:
    """Net/VAT/gross per rate: an invoice's own, a correction's differences."""
    if document.kind == Kind.INVOICE:
        return vat_summary((line.vat_rate, line.net, line.gross)
                           for line in document.lines.all())
    if document.kind != Kind.CORRECTION or document.corrects is None:
        return {}
    after = vat_summary((line.vat_rate, line.net, line.gross) for line in document.lines.all())
    before = vat_summary((line.vat_rate, line.net, line.gross)
                         for line in correction_lines_before(document))
    totals = {}
    for rate in VAT_RATES:
        if rate in after or rate in before:
            a = after.get(rate, RateTotal(ZERO, ZERO, ZERO))
            b = before.get(rate, RateTotal(ZERO, ZERO, ZERO))
            totals[rate] = RateTotal(a.net - b.net, a.vat - b.vat, a.gross - b.gross)
    return totals


def linked_numbers(document: FinanceDocument) -> list[str]:
    """The corrected invoice, then what this document pays or is paid by."""
    numbers = [document.corrects.number] if document.corrects else []
    numbers += [a.receivable.number for a in document.allocations_out.all()]
    numbers += [a.payment.number for a in document.allocations_in.all()]
    return list(dict.fromkeys(numbers))


def booking_date(document: FinanceDocument) -> date:
    """A transfer's date is the bank's booking date; other documents are booked the day
    they entered the ledger."""
    if document.kind == Kind.BANK_TRANSFER:
        return document.issue_date
    return timezone.localdate(document.created_at)


def rate_label(rate: str) -> str:
    return f"{rate}%" if rate[0].isdigit() else rate


def history_rates(filters: HistoryFilter) -> list[str]:
    """VAT rates of the listed invoices and corrections (and of the states corrections
    refer to), in ``VAT_RATES`` order: the rate columns of the export."""
    listed = _listed(filters).filter(kind__in=(Kind.INVOICE, Kind.CORRECTION))
    present = set(InvoiceLine.objects.filter(
        Q(document__in=listed) | Q(document__corrections__in=listed)
        | Q(document__corrects__corrections__in=listed))
        .values_list("vat_rate", flat=True).distinct())
    return [rate for rate in VAT_RATES if rate in present]


class History:
    """The rows of a history export; ``columns()`` first, then ``rows()`` (typed values:
    ``date``, ``Decimal``, ``str``; a missing amount is ``None``)."""

    def __init__(self, filters: HistoryFilter):
        self.filters = filters
        self.rates: list[str] | None = None

    def columns(self) -> list[str]:
        self.rates = history_rates(self.filters)
        per_rate = []
        for rate in self.rates:
            label = rate_label(rate)
            per_rate += [_("Net %(rate)s") % {"rate": label}, _("VAT %(rate)s") % {"rate": label},
                         _("Gross %(rate)s") % {"rate": label}]
        return [_("Date"), _("Booking date"), _("Type"), _("Number"), _("Customer number"),
                _("Customer"), _("NIP"), *per_rate, _("Debit"), _("Credit"), _("Balance"),
                _("Linked documents"), _("Bank reference"), _("Title")]

    def rows(self) -> Iterator[list]:
        if self.rates is None:
            self.columns()
        balances = _opening_balances(self.filters)
        kinds = set(self.filters.kinds)
        labels = dict(Kind.choices)
        for document in history_documents(self.filters).iterator(chunk_size=CHUNK):
            balance = balances.get(document.customer_id, ZERO) + document.credit - document.debit
            balances[document.customer_id] = balance
            if kinds and document.kind not in kinds:
                continue
            totals = document_totals(document)
            amounts = []
            for rate in self.rates:
                total = totals.get(rate)
                amounts += list(total) if total else [None, None, None]
            customer = document.customer
            yield [document.issue_date, booking_date(document), str(labels[document.kind]),
                   document.number, str(customer.number), customer.display_name, customer.nip,
                   *amounts, document.debit, document.credit, balance,
                   ", ".join(linked_numbers(document)), document.bank_reference,
                   document.title or document.reason]


# --------------------------------------------------------------------------- CSV and XLSX

class _Echo:
    def write(self, value):
        return value




def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return formula_defused(text)


def history_csv(history: History, tenant=None) -> Iterator[bytes]:
    """The export as CSV chunks (UTF-8 with BOM, ``;``), for a streaming response.

    The response is read after the view returned and the request's tenant was reset, so
    the generator activates the tenant itself."""
    tenant = tenant or current_tenant()

    def generate():
        with tenant_context(tenant):
            writer = csv.writer(_Echo(), delimiter=";")
            yield codecs.BOM_UTF8 + writer.writerow(history.columns()).encode()
            batch = []
            for row in history.rows():
                batch.append(writer.writerow([_csv_value(v) for v in row]))
                if len(batch) >= 500:
                    yield "".join(batch).encode()
                    batch = []
            if batch:
                yield "".join(batch).encode()

    return generate()


def history_xlsx(history: History) -> bytes:
    """The export as an XLSX workbook (write-only: rows are not kept in memory)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("History"))
    bold = Font(bold=True)
    header = []
    for title in history.columns():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in history.rows():
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula (core.spreadsheet)
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- EDI++

EPP_RATES = {"23": ("23", "23"), "8": ("8", "8"), "5": ("5", "5"), "0": ("0", "0"),
             "zw": ("zw", "-1"), "np": ("np", "0"), "np II": ("np", "0")}


def _t(value, length: int | None = None) -> str:
    text = re.sub(r"[\r\n]+", " ", str(value or ""))
    if length:
        text = text[:length]
    return '"' + text.replace('"', '""') + '"'


def _d(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y%m%d%H%M%S")
    return value.strftime("%Y%m%d") + "000000"


def _a(value) -> str:
    return f"{value if value is not None else ZERO:.4f}"


def _running_number(number: str) -> str:
    digits = re.findall(r"\d+", number)
    return str(int(digits[-1])) if digits else "0"


def _person(user) -> str:
    if user is None:
        return ""
    return f"{user.last_name} {user.first_name}".strip() or user.get_username()


def _epp_info(seller, tenant, filters: HistoryFilter, actor) -> list[str]:
    return [_t("1.05"), "0", "1250", _t("Abonent"), _t(tenant.slug, 20),
            _t(seller.name, 40), _t(seller.name, 80), _t(seller.city, 30),
            _t(seller.postal_code, 6), _t(seller.street, 50), _t(seller.nip, 13),
            _t(""), _t(""), _t(""), _t(""),
            "1", _d(filters.date_from), _d(filters.date_to), _t(_person(actor), 35),
            _d(timezone.now()), _t("Polska"), _t("PL"), _t(f"PL{seller.nip}" if seller.nip else ""),
            "0"]


def _customer_fields(document, name_length=255, number_length=20) -> list[str]:
    """The buyer as the document was issued to them (its snapshot, ``finance.seller``)."""
    _seller, buyer = document_parties(document, customer=document.customer)
    return [_t(buyer.number, number_length), _t(buyer.name, 40), _t(buyer.name, name_length),
            _t(buyer.city, 30), _t(buyer.postal_code, 6), _t(buyer.street, 50),
            _t(buyer.nip, 20)]


def _issued_city(document, seller) -> str:
    """The place of issue: the seller's city when the document was issued."""
    return document_parties(document)[0].city if document.parties else seller.city


def _epp_sales(document, seller, totals: dict[str, RateTotal]) -> list[str]:
    net = sum((t.net for t in totals.values()), ZERO)
    vat = sum((t.vat for t in totals.values()), ZERO)
    gross = document.debit - document.credit
    corrected = document.corrects
    return [
        _t(EPP_KINDS[document.kind]), "1", "0", _running_number(document.number), _t(""), _t(""),
        _t(document.number, 30), _t(corrected.number if corrected else "", 30),
        _d(corrected.issue_date if corrected else None), _t(""), _t(""),
        *_customer_fields(document),
        _t("Sprzedaż", 30), _t(""), _t(_issued_city(document, seller), 30),
        _d(document.issue_date), _d(document.issue_date), _d(document.issue_date),
        str(len(totals)), "1", _t(""), _a(net), _a(vat), _a(gross), _a(ZERO),
        _t(""), _a(ZERO), _t("przelew", 30), _d(document.due_date), _a(ZERO), _a(gross),
        "0", "0", "1", "0", _t(_person(document.created_by), 35), _t(""), _t(""),
        _a(ZERO), _a(ZERO), _t("PLN"), _a(Decimal(1)),
        _t(document.reason or document.title, 255), _t(""), _t(""), _t(""), "0", "0", "0",
        _t(""), _a(ZERO), _t(""), _a(ZERO), _t("Polska"), _t(""), "0",
    ]


def _epp_cash(document) -> list[str]:
    register = document.cash_register
    return [
        _t(EPP_KINDS[document.kind]), "1", _running_number(document.number),
        _t(document.number, 30), _d(document.issue_date), "0",
        *_customer_fields(document, 80, number_length=50),
        # the employee (14-29) and the tax office (30-34): not used
        *[_t("")] * 5, "", _t(""), *[_t("")] * 9,
        *[_t("")] * 5,
        _t(""), _t(""), _t(document.title, 255), "0", "", _t(""), _t(""),
        _a(ZERO), _a(document.amount), "0", _t(""), _t(""), _t(""),
        _t(_person(document.created_by), 50), _t(""),
        _t(register.symbol if register else "", 20), _t(register.name if register else "", 80),
        _t(""), _t(""), _t("Polska"), _t(""), "0",
    ]


def _epp_vat_rows(totals: dict[str, RateTotal]) -> list[list[str]]:
    rows = []
    for rate, total in totals.items():
        symbol, percent = EPP_RATES[rate]
        rows.append([_t(symbol), _a(Decimal(percent)), _a(total.net), _a(total.vat),
                     _a(total.gross)])
    return rows


def epp_export(filters: HistoryFilter, *, actor=None) -> bytes:
    """EDI++ 1.05 of the period's invoices, corrections, KP and KW, encoded in CP1250."""
    tenant = current_tenant()
    seller = seller_get(tenant)
    kinds = [k for k in (filters.kinds or EPP_KINDS) if k in EPP_KINDS]
    filters = HistoryFilter(customer=filters.customer, kinds=tuple(kinds),
                            date_from=filters.date_from, date_to=filters.date_to)
    documents = history_documents(filters, kinds_only=True).prefetch_related(
        "customer__addresses")
    out = ["[INFO]", ",".join(_epp_info(seller, tenant, filters, actor)), ""]
    for document in documents.iterator(chunk_size=CHUNK):
        if document.kind in (Kind.INVOICE, Kind.CORRECTION):
            totals = document_totals(document)
            out += ["[NAGLOWEK]", ",".join(_epp_sales(document, seller, totals)), "",
                    "[ZAWARTOSC]", *(",".join(row) for row in _epp_vat_rows(totals)), ""]
        else:
            out += ["[NAGLOWEK]", ",".join(_epp_cash(document)), ""]
    return "\r\n".join([*out, ""]).encode("cp1250", errors="replace")
