"""The register and revenue pages, their downloads and the API: permissions, tenants,
validation messages, queries."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_staff, token_client
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from customers import services as customer_services
from finance import services

D = Decimal
MARCH = date(2026, 3, 1)
SALES = reverse("accounting:sales_register")
REVENUE = reverse("accounting:revenue")
API_SALES = "/api/v1/accounting/registers/sales/"
API_REVENUE = "/api/v1/accounting/registers/revenue/"


def issue(staff, customer, net="100.00", day=MARCH, rate="23"):
    return services.invoice_issue(actor=staff, customer=customer, issue_date=day, lines=[
        {"name": "Abonament", "quantity": D(1), "net_unit_price": D(net), "vat_rate": rate}])


@pytest.fixture
def march(staff, register_company):
    first = issue(staff, register_company, "100.00")
    services.correction_issue(actor=staff, invoice=first, reason="Rabat", issue_date=MARCH,
                              lines=[{"name": "Abonament", "quantity": D(1),
                                      "net_unit_price": D("90.00"), "vat_rate": "23"}])
    issue(staff, register_company, "10.00", rate="zw")
    return first


def test_page_shows_the_months_totals_and_rows(staff_client, march):
    response = staff_client.get(SALES, {"month": "2026-03"})

    assert response.status_code == 200
    text = response.content.decode()
    assert march.number in text and "Hurtownia Źdźbło S.A." in text
    totals = text[text.index('id="register-totals"'):text.index('id="register-rows"')]
    totals = totals.replace("\u00a0", "").replace(",", ".")
    assert "110.70" in totals  # 23 %: 123.00 − 12.30
    assert "120.70" in totals  # and 10.00 exempt
    rows = text[text.index('id="register-rows"'):]
    assert "-10.00" in rows.replace("\u00a0", "").replace(",", ".")  # the correction's net


def test_page_without_a_month_shows_the_current_one(staff_client, in_tenant):
    assert staff_client.get(SALES).status_code == 200


@pytest.mark.parametrize("month", ["2026-13", "marzec", "1899-01", "2026-3"])
def test_a_wrong_month_is_a_clear_400(staff_client, in_tenant, month):
    response = staff_client.get(SALES, {"month": month})

    assert response.status_code == 400
    assert "Enter a month as YYYY-MM" in response.content.decode() or \
        "Choose a month between" in response.content.decode()


def test_page_reads_a_fixed_number_of_queries(staff_client, staff, register_company, march):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(SALES, {"month": "2026-03"}).status_code == 200
        return len(captured)

    queries()  # the first request of a session also touches the session and caches
    few = queries()
    for _n in range(4):
        services.correction_issue(actor=staff, invoice=issue(staff, register_company),
                                  reason="Rabat", issue_date=MARCH, lines=[])
    # Session, user, membership with its role (3); invoice nets by rate (1); the month's
    # corrections with their lines, corrected invoices' lines, those invoices' corrections
    # and their lines (5); the seller's settings (1); the count (1); the page's documents
    # with the same four prefetches (5); the KSeF references (1).
    assert queries() == few == 17


def test_page_two_continues_the_numbering(staff_client, staff, register_company):
    numbers = [issue(staff, register_company, "1.00").number for _ in range(51)]

    text = staff_client.get(SALES, {"month": "2026-03", "page": "2"}).content.decode()

    assert numbers[50] in text and numbers[0] not in text
    assert "<td>51</td>" in text


@pytest.mark.parametrize("fmt, content_type", [
    ("pdf", "application/pdf"), ("csv", "text/csv; charset=utf-8"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
def test_downloads_are_files_and_logged(staff_client, march, fmt, content_type):
    response = staff_client.get(SALES, {"month": "2026-03", "format": fmt})

    assert response.status_code == 200 and response["Content-Type"] == content_type
    assert response["Content-Disposition"] == \
        f'attachment; filename="rejestr-sprzedazy-2026-03.{fmt}"'
    entry = ActionLog.objects.get(kind="registers.sales_download")
    assert entry.params["m"] == "2026-03"


@pytest.mark.parametrize("url, params", [
    (SALES, {"month": "2026-03"}), (SALES, {"month": "2026-03", "format": "csv"}),
    (REVENUE, {}), (REVENUE, {"month_from": "2026-01", "month_to": "2026-03", "format": "csv"})])
def test_technician_gets_403(client, tenant, march, url, params):
    client.force_login(make_staff(tenant, "tomek", Role.TECHNICIAN))

    assert client.get(url, params).status_code == 403


def test_accountant_and_operator_may_read(client, tenant, march):
    for name, role in (("ola", Role.ACCOUNTANT), ("olek", Role.OPERATOR)):
        client.force_login(make_staff(tenant, name, role))
        assert client.get(SALES, {"month": "2026-03"}).status_code == 200


def test_other_tenant_sees_only_its_own_register(client, march, other_tenant, other_staff):
    with tenant_context(other_tenant):
        stranger = customer_services.customer_create(actor=other_staff, first_name="Piotr",
                                                     last_name="Betowski")
        own = issue(other_staff, stranger, "5.00")
    client.force_login(other_staff)

    text = client.get(SALES, {"month": "2026-03"}).content.decode()
    csv_text = client.get(SALES, {"month": "2026-03", "format": "csv"}).content.decode("utf-8")

    assert own.number in text and "Betowski" in csv_text
    assert "Hurtownia" not in text and "Hurtownia" not in csv_text
    assert "Źdźbło" not in client.get(REVENUE, {"month_from": "2026-03", "month_to": "2026-03",
                                                "by": "group"}).content.decode()


# --------------------------------------------------------------------------- revenue page

def test_revenue_page_has_table_and_svg_chart(staff_client, march):
    response = staff_client.get(REVENUE, {"month_from": "2026-01", "month_to": "2026-03",
                                          "by": "tariff"})

    text = response.content.decode()
    assert response.status_code == 200
    assert 'id="revenue-table"' in text and "<svg" in text and "outside subscriptions" in text


def test_revenue_page_defaults_to_the_last_twelve_months(staff_client, in_tenant):
    response = staff_client.get(REVENUE)

    assert response.status_code == 200
    assert response.content.decode().count('<th class="text-end">') == 13  # 12 months, total


@pytest.mark.parametrize("params, message", [
    ({"month_from": "2024-01", "month_to": "2026-01"}, "Choose at most 24 months."),
    ({"month_from": "2026-03", "month_to": "2026-01"}, "The last month is before the first."),
    ({"month_from": "", "month_to": "2026-01"}, "This field is required.")])
def test_revenue_period_errors_are_explained(staff_client, in_tenant, params, message):
    response = staff_client.get(REVENUE, {"by": "tariff", **params})

    assert response.status_code == 400 and message in response.content.decode()


def test_revenue_xlsx_has_months_as_columns_and_totals(staff_client, march):
    response = staff_client.get(REVENUE, {"month_from": "2026-02", "month_to": "2026-03",
                                          "by": "tariff", "format": "xlsx"})

    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active
                .iter_rows(values_only=True))
    assert rows[0] == ("Tariff", "2026-02", "2026-03", "Total")
    assert rows[-1] == ("Total revenue", 0, pytest.approx(100), pytest.approx(100))
    assert ActionLog.objects.filter(kind="registers.revenue_download").count() == 1


# --------------------------------------------------------------------------- API

def test_api_sales_register_is_the_same_table(api_client, march):
    response = api_client.get(API_SALES, {"month": "2026-03"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["month"] == "2026-03" and not body["has_next"]
    assert body["total"] == {"net": "100.00", "vat": "20.70", "gross": "120.70"}
    assert [r["rate"] for r in body["rates"]] == ["23", "zw"]
    correction = body["rows"][1]
    assert correction["kind"] == "correction" and correction["corrected_number"] == march.number
    assert correction["total"] == {"net": "-10.00", "vat": "-2.30", "gross": "-12.30"}


def test_api_refuses_a_wrong_month_and_a_long_period(api_client, in_tenant):
    assert api_client.get(API_SALES, {"month": "2026-1"}).status_code == 400
    response = api_client.get(API_REVENUE, {"month_from": "2020-01", "month_to": "2026-01"})
    assert response.status_code == 400 and "24" in str(response.json())


def test_api_revenue_per_tariff(api_client, march):
    body = api_client.get(API_REVENUE, {"month_from": "2026-03", "month_to": "2026-03"}).json()

    assert body["months"] == ["2026-03"] and body["total"] == "100.00"
    assert body["rows"] == [{"key": "outside", "label": "outside subscriptions",
                             "values": ["100.00"], "total": "100.00"}]


def test_api_needs_the_finance_view_permission(tenant, march):
    technician = token_client(make_staff(tenant, "tomek", Role.TECHNICIAN), tenant)

    assert technician.get(API_SALES, {"month": "2026-03"}).status_code == 403
    assert technician.get(API_REVENUE, {"month_from": "2026-03",
                                        "month_to": "2026-03"}).status_code == 403


def test_api_of_another_tenant_lists_nothing_of_ours(other_api_client, march):
    body = other_api_client.get(API_SALES, {"month": "2026-03"}).json()

    assert body["count"] == 0 and body["rows"] == [] and body["total"]["gross"] == "0.00"
