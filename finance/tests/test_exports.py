"""Exports for accountants: the history as CSV and XLSX, EDI++, the pages and the API."""

import codecs
import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from conftest import make_staff, token_client
from core.roles import Role
from core.services import tenant_setting_set
from customers import services as customer_services
from customers.tests.factories import VALID_NIP
from finance import services
from finance.exports import History, HistoryFilter, epp_export, history_csv, history_xlsx

D = Decimal
JAN = date(2026, 1, 10)
FEB = date(2026, 2, 10)
MAR = date(2026, 3, 10)
SELLER = {"finance.seller_name": "Światłowód Łódź Sp. z o.o.", "finance.seller_nip": "5260001246",
          "finance.seller_street": "ul. Żółkiewskiego 5", "finance.seller_postal_code": "90-001",
          "finance.seller_city": "Łódź",
          "finance.vat_exemption_basis": "art. 43 ust. 1 pkt 37 ustawy o VAT"}


# --------------------------------------------------------------------------- helpers

def seller_set(staff):
    for key, value in SELLER.items():
        tenant_setting_set(actor=staff, key=key, raw_value=value)


def address_add(staff, customer, street="Źródlana", building_no="3", city="Piaseczno",
                postal_code="05-500"):
    return customer_services.address_add(actor=staff, customer=customer, kind="residence",
                                         street=street, building_no=building_no,
                                         apartment_no="4", postal_code=postal_code, city=city)


def company_create(staff):
    company = customer_services.customer_create(
        actor=staff, kind="company", company_name="Hurtownia Źdźbło S.A.", nip=VALID_NIP,
        status="connected")
    address_add(staff, company, street="Gęsia", building_no="12", city="Warszawa",
                postal_code="00-112")
    return company


def line(net, rate="23", quantity="1", name="Internet światłowodowy 600 Mb/s", **kw):
    return {"name": name, "quantity": D(quantity), "net_unit_price": D(net), "vat_rate": rate,
            **kw}


MIXED = [line("100.00"), line("50.00", "8"), line("20.00", "zw", name="Usługa zwolniona")]


def invoice(staff, customer, lines=None, when=JAN):
    return services.invoice_issue(actor=staff, customer=customer, lines=lines or MIXED,
                                  issue_date=when, due_date=when.replace(day=24))


def register(staff):
    return services.cash_register_create(actor=staff, name="Kasa główna", symbol="k1")


@pytest.fixture
def ledger(in_tenant, staff, customer):
    """An invoice 23 % + 8 % + zw (gross 197.00), a KP of 100.00 paying part of it, a
    downward correction of the 23 % line to 80.00 (-24.60), and a KW refund."""
    seller_set(staff)
    address_add(staff, customer)
    fv = invoice(staff, customer)
    kp = services.kp_issue(actor=staff, customer=customer, register=register(staff),
                           amount=D("100.00"), invoices=[fv], issue_date=FEB,
                           title="Wpłata gotówką – Jan Kowalski")
    fk, _warnings = services.correction_issue(
        actor=staff, invoice=fv, reason="Obniżka za awarię",
        lines=[line("80.00"), line("50.00", "8"), line("20.00", "zw", name="Usługa zwolniona")],
        issue_date=FEB)
    kw = services.kw_issue(actor=staff, customer=customer, register=kp.cash_register,
                           amount=D("10.00"), title="Zwrot nadpłaty", issue_date=MAR)
    return {"fv": fv, "kp": kp, "fk": fk, "kw": kw}


def read_csv(chunks) -> list[list[str]]:
    raw = b"".join(chunks)
    assert raw.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8")), delimiter=";"))


def as_dicts(rows):
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


# --------------------------------------------------------------------------- history

def test_csv_has_a_row_per_document_with_per_rate_amounts_and_running_balance(ledger, customer):
    rows = read_csv(history_csv(History(HistoryFilter(customer=customer))))

    header = rows[0]
    assert header[:7] == ["Date", "Booking date", "Type", "Number", "Customer number",
                          "Customer", "NIP"]
    assert header[7:16] == ["Net 23%", "VAT 23%", "Gross 23%", "Net 8%", "VAT 8%", "Gross 8%",
                            "Net zw", "VAT zw", "Gross zw"]
    assert header[16:] == ["Debit", "Credit", "Balance", "Linked documents", "Bank reference",
                           "Title"]
    fv, kp, fk, kw = as_dicts(rows)
    assert (fv["Date"], fv["Type"], fv["Number"]) == ("2026-01-10", "invoice",
                                                       ledger["fv"].number)
    assert (fv["Customer number"], fv["Customer"]) == (str(customer.number), "Jan Kowalski")
    # 100.00 + 23.00 | 50.00 + 4.00 | 20.00 exempt = 197.00, written with a decimal comma.
    assert [fv[c] for c in ("Net 23%", "VAT 23%", "Gross 23%", "Net 8%", "VAT 8%",
                            "Gross zw", "Debit", "Credit", "Balance")] == \
        ["100,00", "23,00", "123,00", "50,00", "4,00", "20,00", "197,00", "0,00", "-197,00"]
    assert fv["Linked documents"] == f"{ledger['kp'].number}, {ledger['fk'].number}"
    assert (kp["Credit"], kp["Balance"], kp["Net 23%"]) == ("100,00", "-97,00", "")
    assert kp["Title"] == "Wpłata gotówką – Jan Kowalski"
    # The correction shows its differences: 23 % net -20.00, VAT -4.60.
    assert [fk[c] for c in ("Net 23%", "VAT 23%", "Gross 23%", "Net 8%", "Credit",
                            "Balance")] == ["-20,00", "-4,60", "-24,60", "0,00", "24,60",
                                            "-72,40"]
    assert fk["Linked documents"].startswith(ledger["fv"].number)
    assert (kw["Debit"], kw["Balance"], kw["Title"]) == ("10,00", "-82,40", "Zwrot nadpłaty")


def test_period_starts_from_the_opening_balance_and_type_filter_keeps_the_real_balance(
        ledger, customer):
    filters = HistoryFilter(customer=customer, kinds=("kp", "kw"), date_from=FEB)
    rows = as_dicts(read_csv(history_csv(History(filters))))

    # The invoice of January is outside the period but in the balance; the correction of
    # February is not listed but counted.
    assert [(r["Number"], r["Balance"]) for r in rows] == [
        (ledger["kp"].number, "-97,00"), (ledger["kw"].number, "-82,40")]
    # No invoice or correction listed: no rate columns.
    assert "Net 23%" not in rows[0]


def test_xlsx_writes_numbers_and_dates_as_such(ledger, customer):
    workbook = openpyxl.load_workbook(io.BytesIO(history_xlsx(History(
        HistoryFilter(customer=customer, date_to=JAN)))))
    sheet = workbook.active
    header, row = list(sheet.iter_rows(values_only=True))
    values = dict(zip(header, row, strict=True))
    assert values["Date"].date() == JAN
    assert values["Debit"] == 197 and values["Balance"] == -197
    assert values["VAT 8%"] == 4
    cells = dict(zip(header, next(sheet.iter_rows(min_row=2)), strict=True))
    assert cells["Debit"].number_format == "#,##0.00"
    assert cells["Date"].is_date


def test_tenant_wide_history_lists_every_customer_with_its_own_balance(in_tenant, staff,
                                                                       customer):
    company = company_create(staff)
    invoice(staff, customer, [line("100.00")])
    invoice(staff, company, [line("10.00")])
    rows = as_dicts(read_csv(history_csv(History(HistoryFilter()))))

    assert [(r["Customer"], r["NIP"], r["Balance"]) for r in rows] == [
        ("Jan Kowalski", "", "-123,00"), ("Hurtownia Źdźbło S.A.", VALID_NIP, "-12,30")]


def _many(staff, customer, n):
    kp_register = register(staff)
    for _i in range(n):
        fv = invoice(staff, customer, [line("10.00"), line("5.00", "8")])
        services.kp_issue(actor=staff, customer=customer, register=kp_register,
                          amount=D("1.00"), invoices=[fv], issue_date=JAN)
        services.correction_issue(actor=staff, invoice=fv, reason="x", lines=[line("9.00")],
                                  issue_date=JAN)


@pytest.mark.parametrize("n", [1, 20])
def test_history_and_epp_run_a_constant_number_of_queries(in_tenant, staff, customer, n,
                                                          django_assert_num_queries):
    seller_set(staff)
    address_add(staff, customer)
    _many(staff, customer, n)
    filters = HistoryFilter(date_from=JAN, date_to=JAN)
    # rate columns, opening balances, documents (+ customer, corrected invoice, bank line,
    # register, author), then prefetches: lines, the corrected invoice's lines, its
    # corrections, their lines, allocations out, allocations in.
    with django_assert_num_queries(9):
        rows = list(History(filters).rows())
    assert len(rows) == 3 * n
    # + the seller's settings and the customers' addresses.
    with django_assert_num_queries(9):
        epp_export(filters)


def test_a_title_is_never_a_formula_in_the_spreadsheet(in_tenant, staff, customer):
    title = '=HYPERLINK("http://evil.example","x")'
    services.bank_transfer_record(actor=staff, customer=customer, amount=D("5.00"),
                                  booking_date=JAN, title=title, bank_reference="R1",
                                  bank_account="29114010810000267002001002")
    (row,) = as_dicts(read_csv(history_csv(History(HistoryFilter()))))
    assert row["Title"] == "'" + title

    sheet = openpyxl.load_workbook(io.BytesIO(history_xlsx(History(HistoryFilter())))).active
    header, cells = sheet.iter_rows(max_row=2)
    cell = dict(zip([c.value for c in header], cells, strict=True))["Title"]
    assert (cell.value, cell.data_type) == (title, "s")


# --------------------------------------------------------------------------- EDI++

def _sections(text):
    """[(label, [records])] of an EDI++ file."""
    sections = []
    for raw in text.split("\r\n"):
        if raw.startswith("["):
            sections.append((raw, []))
        elif raw:
            sections[-1][1].append(next(csv.reader([raw])))
    return sections


def test_epp_is_cp1250_with_info_invoices_corrections_and_cash(ledger, customer, staff):
    data = epp_export(HistoryFilter(date_from=JAN, date_to=MAR), actor=staff)

    text = data.decode("cp1250")
    assert "\r\n" in text and text.endswith("\r\n")
    assert "Światłowód Łódź".encode("cp1250") in data
    sections = _sections(text)
    labels = [label for label, _records in sections]
    assert labels == ["[INFO]", "[NAGLOWEK]", "[ZAWARTOSC]", "[NAGLOWEK]", "[NAGLOWEK]",
                      "[ZAWARTOSC]", "[NAGLOWEK]"]
    info = sections[0][1][0]
    assert len(info) == 24
    assert info[:3] == ["1.05", "0", "1250"]
    assert info[5:11] == ["Światłowód Łódź Sp. z o.o.", "Światłowód Łódź Sp. z o.o.", "Łódź",
                          "90-001", "ul. Żółkiewskiego 5", "5260001246"]
    assert (info[16], info[17]) == ("20260110000000", "20260310000000")

    fs = sections[1][1][0]
    assert len(fs) == 62
    assert (fs[0], fs[6], fs[11]) == ("FS", ledger["fv"].number, str(customer.number))
    assert fs[13:18] == ["Jan Kowalski", "Piaseczno", "05-500", "Źródlana 3/4", ""]
    assert (fs[21], fs[24]) == ("20260110000000", "3")
    assert fs[27:30] == ["170.0000", "27.0000", "197.0000"]
    assert sections[2][1] == [["23", "23.0000", "100.0000", "23.0000", "123.0000"],
                              ["8", "8.0000", "50.0000", "4.0000", "54.0000"],
                              ["zw", "-1.0000", "20.0000", "0.0000", "20.0000"]]

    kp = sections[3][1][0]
    assert len(kp) == 56
    assert (kp[0], kp[3], kp[42], kp[49]) == ("KP", ledger["kp"].number, "100.0000", "k1")
    assert kp[36] == "Wpłata gotówką – Jan Kowalski"

    kfs = sections[4][1][0]
    assert len(kfs) == 62
    assert (kfs[0], kfs[7], kfs[8]) == ("KFS", ledger["fv"].number, "20260110000000")
    assert kfs[27:30] == ["-20.0000", "-4.6000", "-24.6000"]
    assert kfs[48] == "Obniżka za awarię"
    assert sections[5][1][0] == ["23", "23.0000", "-20.0000", "-4.6000", "-24.6000"]

    kw = sections[6][1][0]
    assert (kw[0], kw[42], len(kw)) == ("KW", "10.0000", 56)


def test_transfer_row_has_its_bank_reference_and_epp_leaves_it_out(in_tenant, staff,
                                                                    customer):
    seller_set(staff)
    services.bank_transfer_record(actor=staff, customer=customer, amount=D("5.00"),
                                  booking_date=JAN, title="Abonament 01/2026",
                                  bank_reference="REF-0001",
                                  bank_account="29114010810000267002001002")
    (row,) = as_dicts(read_csv(history_csv(History(HistoryFilter()))))
    assert (row["Type"], row["Booking date"], row["Bank reference"], row["Credit"],
            row["Balance"], row["Title"]) == ("bank transfer", "2026-01-10", "REF-0001",
                                              "5,00", "5,00", "Abonament 01/2026")

    text = epp_export(HistoryFilter(date_from=JAN, date_to=JAN)).decode("cp1250")
    assert [label for label, _records in _sections(text)] == ["[INFO]"]


# --------------------------------------------------------------------------- pages

def _export_page(client, **params):
    return client.get(reverse("finance:exports"), params)


def test_export_page_shows_the_form_with_last_month(staff_client, in_tenant):
    response = _export_page(staff_client)
    assert response.status_code == 200
    assert b'name="date_from"' in response.content and b"EDI++" in response.content


def test_export_page_refuses_a_period_that_ends_before_it_starts(staff_client, in_tenant):
    response = _export_page(staff_client, date_from="2026-02-01", date_to="2026-01-01",
                            format="csv")
    assert response.status_code == 400
    assert "The end of the period is before its start." in response.content.decode()


def test_export_page_refuses_epp_of_types_it_cannot_carry(staff_client, in_tenant):
    response = _export_page(staff_client, date_from="2026-01-01", date_to="2026-01-31",
                            format="epp", kind="bank_transfer")
    assert response.status_code == 400
    assert "EDI++ carries invoices, corrections, KP and KW only" in response.content.decode()


def test_export_page_downloads_csv_xlsx_and_epp(staff_client, ledger):
    period = {"date_from": "2026-01-01", "date_to": "2026-03-31"}
    response = _export_page(staff_client, format="csv", kind=["invoice", "kw"], **period)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == \
        'attachment; filename="history-20260101-20260331.csv"'
    rows = as_dicts(read_csv(response.streaming_content))
    assert [r["Number"] for r in rows] == [ledger["fv"].number, ledger["kw"].number]

    response = _export_page(staff_client, format="xlsx", **period)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 5

    response = _export_page(staff_client, format="epp", **period)
    assert response["Content-Type"] == "text/plain; charset=windows-1250"
    assert response.content.decode("cp1250").startswith("[INFO]\r\n")


def test_customer_history_export(staff_client, ledger, customer):
    url = reverse("finance:customer_history_export", kwargs={"customer_id": customer.pk})
    response = staff_client.get(url, {"kind": "invoice"})
    rows = as_dicts(read_csv(response.streaming_content))
    assert [r["Number"] for r in rows] == [ledger["fv"].number]

    response = staff_client.get(url, {"format": "xlsx"})
    assert response["Content-Disposition"].endswith(f'history-{customer.number}.xlsx"')

    response = staff_client.get(url, {"format": "epp"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_other_tenants_customer_is_not_found(client, other_tenant, customer):
    other = make_staff(other_tenant, "bartek")
    client.force_login(other)
    url = reverse("finance:customer_history_export", kwargs={"customer_id": customer.pk})
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(("role", "status"), [(Role.OPERATOR, 200), (Role.ACCOUNTANT, 200),
                                              (Role.TECHNICIAN, 403)])
def test_exports_need_the_finance_view_permission(client, tenant, customer, role, status):
    user = make_staff(tenant, f"user-{role}", role=role)
    client.force_login(user)
    url = reverse("finance:customer_history_export", kwargs={"customer_id": customer.pk})
    assert client.get(url).status_code == status
    assert _export_page(client).status_code == status


# --------------------------------------------------------------------------- API

def test_api_tenant_history_and_epp(api_client, ledger):
    response = api_client.get("/api/v1/finance/exports/history/",
                              {"format": "csv", "date_from": "2026-01-01",
                               "date_to": "2026-01-31"})
    assert response.status_code == 200
    rows = as_dicts(read_csv(response.streaming_content))
    assert [r["Number"] for r in rows] == [ledger["fv"].number]

    response = api_client.get("/api/v1/finance/exports/history/", {"format": "xlsx",
                                                                    "date_from": "2026-01-01",
                                                                    "date_to": "2026-03-31"})
    assert openpyxl.load_workbook(io.BytesIO(response.content)).active.max_row == 5

    response = api_client.get("/api/v1/finance/exports/epp/", {"date_from": "2026-01-01",
                                                               "date_to": "2026-03-31",
                                                               "kind": "kp"})
    assert [s for s, _r in _sections(response.content.decode("cp1250"))] == \
        ["[INFO]", "[NAGLOWEK]"]


def test_api_refuses_bad_parameters_with_the_field_named(api_client, in_tenant):
    response = api_client.get("/api/v1/finance/exports/history/", {"format": "pdf"})
    assert response.status_code == 400
    body = response.json()["errors"]
    assert set(body) == {"format", "date_from", "date_to"}
    response = api_client.get("/api/v1/finance/exports/history/",
                              {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.json()["errors"] == {"date_to": ["The end of the period is before its start."]}


def test_api_customer_history_and_other_tenant(api_client, ledger, customer, other_tenant):
    url = f"/api/v1/customers/{customer.pk}/exports/history/"
    rows = as_dicts(read_csv(api_client.get(url, {"kind": "kw"}).streaming_content))
    assert [r["Number"] for r in rows] == [ledger["kw"].number]

    other = token_client(make_staff(other_tenant, "bartek"), other_tenant)
    assert other.get(url).status_code == 404
    response = other.get("/api/v1/finance/exports/history/",
                         {"date_from": "2026-01-01", "date_to": "2026-12-31"})
    assert response.status_code == 200
    assert as_dicts(read_csv(response.streaming_content)) == []


def test_api_technician_is_refused(tenant, customer):
    technician = token_client(make_staff(tenant, "tech", role=Role.TECHNICIAN), tenant)
    assert technician.get(f"/api/v1/customers/{customer.pk}/exports/history/").status_code == 403


def test_api_xlsx_and_epp_above_the_bound_are_refused_naming_it(api_client, ledger, settings):
    period = {"date_from": "2026-01-01", "date_to": "2026-03-31"}
    settings.API_EXPORT_MAX_DOCUMENTS = 1

    for url, params in (("/api/v1/finance/exports/history/", {"format": "xlsx"}),
                        ("/api/v1/finance/exports/epp/", {})):
        refused = api_client.get(url, {**period, **params})
        assert refused.status_code == 400
        assert "takes at most 1" in refused.json()["errors"]["date_to"][0]
    # CSV is streamed: no bound.
    assert api_client.get("/api/v1/finance/exports/history/",
                          {**period, "format": "csv"}).status_code == 200
    settings.API_EXPORT_MAX_DOCUMENTS = 1000
    assert api_client.get("/api/v1/finance/exports/epp/", period).status_code == 200


def test_staff_pages_refuse_xlsx_and_epp_above_the_bound_as_the_api(staff_client, ledger,
                                                                    customer, settings):
    period = {"date_from": "2026-01-01", "date_to": "2026-03-31"}
    settings.API_EXPORT_MAX_DOCUMENTS = 1
    for params in ({"format": "xlsx"}, {"format": "epp"}):
        refused = staff_client.get(reverse("finance:exports"), {**period, **params})
        assert refused.status_code == 400
        assert "takes at most 1" in refused.content.decode()
    url = reverse("finance:customer_history_export", kwargs={"customer_id": customer.pk})
    refused = staff_client.get(url, {**period, "format": "xlsx"})
    assert refused.status_code == 400 and "takes at most 1" in refused.content.decode()
    # CSV is streamed: no bound.
    assert staff_client.get(reverse("finance:exports"),
                            {**period, "format": "csv"}).status_code == 200
    settings.API_EXPORT_MAX_DOCUMENTS = 1000
    assert staff_client.get(reverse("finance:exports"),
                            {**period, "format": "xlsx"}).status_code == 200
