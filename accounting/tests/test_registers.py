"""The sales VAT register: rows, VAT per rate to the grosz, corrections, month bounds, files."""

import codecs
import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from accounting.registers import register_page, register_rows, register_summary
from accounting.registers_export import register_csv, register_pdf, register_xlsx
from core import document_hooks
from core.tenancy import tenant_context
from customers import services as customer_services
from finance import services
from finance.models import FinanceDocument, Kind

D = Decimal
MARCH = date(2026, 3, 1)


def line(net, rate="23", quantity="1", name="Internet światłowodowy 600 Mb/s"):
    return {"name": name, "quantity": D(quantity), "net_unit_price": D(net), "vat_rate": rate}


MIXED = [line("100.00"), line("50.00", "8"), line("20.00", "zw", name="Usługa zwolniona")]


def invoice(staff, customer, lines, day):
    return services.invoice_issue(actor=staff, customer=customer, lines=lines, issue_date=day)


def correct(staff, document, lines, day):
    correction, _warnings = services.correction_issue(actor=staff, invoice=document, lines=lines,
                                                      reason="Zła cena", issue_date=day)
    return correction


def ledger_total(month: date) -> Decimal:
    """Σdebit − Σcredit of the month's invoices and corrections: what the ledger says."""
    sums = FinanceDocument.objects.filter(
        kind__in=[Kind.INVOICE, Kind.CORRECTION], issue_date__year=month.year,
        issue_date__month=month.month).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (sums["d"] or D(0)) - (sums["c"] or D(0))


def test_register_lists_the_months_invoices_and_corrections_with_vat_per_rate(
        staff, register_company):
    invoice(staff, register_company, [line("999.00")], date(2026, 2, 28))
    march = invoice(staff, register_company, MIXED, date(2026, 3, 1))
    correct(staff, march, [line("80.00"), MIXED[1], MIXED[2]], date(2026, 3, 31))
    invoice(staff, register_company, [line("777.00")], date(2026, 4, 1))

    rows = list(register_rows(month=MARCH))
    summary = register_summary(month=MARCH)

    assert [(r.kind, r.issue_date) for r in rows] == [
        (Kind.INVOICE, date(2026, 3, 1)), (Kind.CORRECTION, date(2026, 3, 31))]
    first, correction = rows
    assert first.buyer_name == "Hurtownia Źdźbło S.A." and first.buyer_nip == "5260250274"
    assert first.rate("23") == (D("100.00"), D("23.00"), D("123.00"))
    assert first.rate("8") == (D("50.00"), D("4.00"), D("54.00"))
    assert first.rate("zw") == (D("20.00"), D("0.00"), D("20.00"))
    # The correction shows its difference, negative: the 23 % line lowered by 20.00 net.
    assert correction.corrected_number == march.number
    assert correction.rate("23") == (D("-20.00"), D("-4.60"), D("-24.60"))
    assert correction.rate("8") == (D("0.00"), D("0.00"), D("0.00"))
    assert summary.count == 2
    assert summary.rates == ["23", "8", "zw"]
    assert summary.totals["23"] == (D("80.00"), D("18.40"), D("98.40"))
    assert summary.total == (D("150.00"), D("22.40"), D("172.40"))
    assert summary.total.gross == ledger_total(MARCH)


def test_vat_is_rounded_once_per_rate_of_each_document_not_per_line(staff, register_company):
    # Three lines of 0.10 at 23 %: per line 0.02 × 3 = 0.06, on the rate's total 0.07.
    invoice(staff, register_company, [line("0.10"), line("0.10"), line("0.10")], MARCH)

    summary = register_summary(month=MARCH)

    assert summary.totals["23"] == (D("0.30"), D("0.07"), D("0.37"))
    assert summary.total.gross == ledger_total(MARCH) == D("0.37")


def test_zero_rate_exempt_and_outside_vat_have_no_vat(staff, register_company):
    invoice(staff, register_company, [line("10.00", "0"), line("20.00", "zw"),
                                      line("30.00", "np"), line("0.00", "5", quantity="1")],
            MARCH)

    summary = register_summary(month=MARCH)

    assert summary.totals["0"] == (D("10.00"), D("0.00"), D("10.00"))
    assert summary.totals["zw"] == (D("20.00"), D("0.00"), D("20.00"))
    assert summary.totals["np"] == (D("30.00"), D("0.00"), D("30.00"))
    assert summary.totals["5"] == (D("0.00"), D("0.00"), D("0.00"))
    assert summary.total.gross == ledger_total(MARCH) == D("60.00")


def test_correction_to_zero_and_upward_correction_keep_their_signs(staff, register_company):
    first = invoice(staff, register_company, [line("100.00")], date(2026, 2, 10))
    second = invoice(staff, register_company, [line("10.00", "8")], date(2026, 2, 11))
    correct(staff, first, [], MARCH)  # the whole invoice cancelled
    correct(staff, second, [line("12.50", "8")], MARCH)

    rows = list(register_rows(month=MARCH))

    assert [r.total.gross for r in rows] == [D("-123.00"), D("2.70")]
    assert register_summary(month=MARCH).total.gross == ledger_total(MARCH) == D("-120.30")


def test_second_correction_shows_the_difference_to_the_first(staff, register_company):
    document = invoice(staff, register_company, [line("100.00")], date(2026, 2, 10))
    correct(staff, document, [line("90.00")], date(2026, 2, 20))
    correct(staff, document, [line("95.00")], MARCH)

    [row] = register_rows(month=MARCH)

    assert row.rate("23") == (D("5.00"), D("1.15"), D("6.15"))


def test_an_invoice_issued_after_midnight_warsaw_time_belongs_to_the_next_month(
        staff, register_company, monkeypatch):
    # 31 January 23:30 UTC is 1 February 00:30 in Warsaw.
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
    document = services.invoice_issue(actor=staff, customer=register_company,
                                      lines=[line("10.00")])
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 1, 31, 22, 59, tzinfo=UTC))
    earlier = services.invoice_issue(actor=staff, customer=register_company,
                                     lines=[line("20.00")])

    assert [r.number for r in register_rows(month=date(2026, 2, 1))] == [document.number]
    assert [r.number for r in register_rows(month=date(2026, 1, 1))] == [earlier.number]


def test_other_tenants_documents_are_never_in_the_register(
        staff, register_company, other_tenant, other_staff):
    invoice(staff, register_company, [line("10.00")], MARCH)
    with tenant_context(other_tenant):
        stranger = customer_services.customer_create(actor=other_staff, first_name="Obcy",
                                                     last_name="Betowski")
        customer_services.address_add(actor=other_staff, customer=stranger, kind="residence",
                                      street="Obca", building_no="1", apartment_no="",
                                      postal_code="00-001", city="Kraków")
        services.invoice_issue(actor=other_staff, customer=stranger, lines=[line("500.00")],
                               issue_date=MARCH)

    rows = list(register_rows(month=MARCH))

    assert [r.buyer_name for r in rows] == ["Hurtownia Źdźbło S.A."]
    assert register_summary(month=MARCH).total.gross == D("12.30")


def test_ksef_number_or_marker_comes_from_the_registered_lookup(
        staff, register_company, monkeypatch):
    sent = invoice(staff, register_company, [line("10.00")], MARCH)
    offline = invoice(staff, register_company, [line("20.00")], MARCH)
    answers = {sent.pk: "5260001246-20260301-0123456789AB-01", offline.pk: "OFF"}
    monkeypatch.setattr(document_hooks, "_KSEF_REFERENCE",
                        [lambda ids: {i: answers[i] for i in ids if i in answers}])

    assert [r.ksef for r in register_rows(month=MARCH)] == [
        "5260001246-20260301-0123456789AB-01", "OFF"]


def test_register_pages_keep_order_and_say_whether_more_follow(staff, register_company):
    numbers = [invoice(staff, register_company, [line("1.00")], MARCH).number for _ in range(5)]

    first = register_page(month=MARCH, page_number=1, per_page=2)
    last = register_page(month=MARCH, page_number=3, per_page=2)
    beyond = register_page(month=MARCH, page_number="x", per_page=2)
    far = register_page(month=MARCH, page_number="99999999999999999999999", per_page=2)

    assert [r.number for r in first.rows] == numbers[:2] and first.has_next
    assert [r.number for r in last.rows] == numbers[4:] and not last.has_next
    assert beyond.number == 1
    assert far.rows == [] and not far.has_next


amounts = st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2)
lines_strategy = st.lists(st.tuples(amounts, st.sampled_from(["23", "8", "5", "0", "zw", "np"]),
                                    st.sampled_from(["1", "2", "3", "0.5"])),
                          min_size=1, max_size=5)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(documents=st.lists(st.tuples(lines_strategy, st.none() | lines_strategy),
                          min_size=1, max_size=3))
def test_register_equals_the_ledger_to_the_grosz(staff, register_company, documents):
    for invoice_lines, corrected_lines in documents:
        lines = [line(net, rate, quantity) for net, rate, quantity in invoice_lines]
        document = invoice(staff, register_company, lines, MARCH)
        if corrected_lines is not None:
            correct(staff, document, [line(net, rate, quantity)
                                      for net, rate, quantity in corrected_lines], MARCH)

    summary = register_summary(month=MARCH)
    rows = list(register_rows(month=MARCH))

    assert summary.total.gross == ledger_total(MARCH)
    assert sum((r.total.gross for r in rows), D(0)) == summary.total.gross
    for rate, total in summary.totals.items():
        assert sum((r.rate(rate).vat for r in rows), D(0)) == total.vat
    for row in rows:
        document = FinanceDocument.objects.get(pk=row.document_id)
        assert row.total.gross == document.debit - document.credit


# --------------------------------------------------------------------------- files

@pytest.fixture
def march_register(staff, register_company):
    document = invoice(staff, register_company, MIXED, MARCH)
    correct(staff, document, [line("80.00"), MIXED[1], MIXED[2]], date(2026, 3, 15))
    return register_summary(month=MARCH)


def test_csv_is_utf8_with_bom_semicolons_and_decimal_commas(march_register):
    content = register_csv(march_register)

    assert content.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    header, first, correction, totals = rows
    assert header[:8] == ["No.", "Date", "Type", "Number", "Corrected invoice", "Buyer", "NIP",
                          "KSeF number"]
    assert header[-3:] == ["Net", "VAT", "Gross"]
    assert first[1] == "2026-03-01" and first[5] == "Hurtownia Źdźbło S.A."
    assert first[header.index("VAT 23%")] == "23,00"
    assert correction[header.index("Net 23%")] == "-20,00"
    assert totals[0] == "Total" and totals[-1] == "172,40"


def test_xlsx_has_numbers_with_two_decimals_and_a_totals_row(march_register):
    sheet = openpyxl.load_workbook(io.BytesIO(register_xlsx(march_register))).active
    rows = list(sheet.iter_rows(values_only=True))
    cells = list(sheet.iter_rows())

    header, first, correction, totals = rows
    gross = header.index("Gross")
    assert first[gross] == 197 and correction[gross] == pytest.approx(-24.6)
    assert totals[0] == "Total" and totals[gross] == pytest.approx(172.4)
    assert cells[1][gross].number_format == "#,##0.00"
    assert isinstance(first[1], datetime) and first[1].date() == MARCH


def test_pdf_names_seller_month_documents_totals_and_pages(march_register):
    reader = PdfReader(io.BytesIO(register_pdf(march_register)))
    text = "\n".join(page.extract_text() for page in reader.pages)

    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    assert "Rejestr sprzedaży VAT" in text and "03.2026" in text
    assert "Światłowód Łódź Sp. z o.o." in text and "5260001246" in text
    assert "Hurtownia Źdźbło S.A." in text
    assert "-24,60" in text.replace("\u00a0", " ") and "172,40" in text
    assert f"Strona 1 z {len(reader.pages)}" in text


def test_pdf_of_an_empty_month_still_prints(in_tenant, register_seller):
    text = PdfReader(io.BytesIO(register_pdf(register_summary(month=date(1999, 12, 1))))
                     ).pages[0].extract_text()

    assert "12.1999" in text and "0,00" in text
