"""The debtors report: who is listed (threshold at the boundary, credit, not yet due), the
columns (days overdue across month and year ends, last payment), filters, sorting, paging,
exports, the API and permissions."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounting.debtors import DebtorFilter, debtor_list, debtor_page, debtor_totals
from accounting.tests.fixtures_debtors import debtor_customer, debtor_owe, debtor_pay
from conftest import token_client
from customers.services import customer_group_add, group_create

TODAY = date(2026, 12, 4)


def rows(**filters):
    return {c.last_name: c for c in debtor_list(filters=DebtorFilter(**filters), today=TODAY)}


def test_threshold_lists_exactly_the_threshold_and_not_one_grosz_below(in_tenant, staff):
    exact = debtor_customer(staff, "Rowny")
    below = debtor_customer(staff, "Ponizej")
    debtor_owe(staff, exact, "100.00", due=date(2026, 11, 1))
    debtor_owe(staff, below, "99.99", due=date(2026, 11, 1))
    listed = rows(threshold=Decimal("100.00"))
    assert "Rowny" in listed and "Ponizej" not in listed
    assert listed["Rowny"].debt == Decimal("100.00")
    assert listed["Rowny"].balance == Decimal("-100.00")
    assert set(rows()) == {"Rowny", "Ponizej"}  # threshold 0: anyone who owes


def test_customer_with_credit_or_settled_is_not_a_debtor(in_tenant, staff):
    credit = debtor_customer(staff, "Nadplata")
    debtor_pay(staff, credit, "50.00", on=date(2026, 11, 1))
    settled = debtor_customer(staff, "Rozliczony")
    debtor_owe(staff, settled, "80.00", due=date(2026, 10, 1))
    debtor_pay(staff, settled, "80.00", on=date(2026, 10, 20))
    assert rows() == {}


def test_only_not_yet_due_invoices_is_listed_without_days_overdue(in_tenant, staff):
    customer = debtor_customer(staff, "Przyszly")
    debtor_owe(staff, customer, "60.00", due=TODAY + timedelta(days=3),
               issued=TODAY - timedelta(days=1))
    page = debtor_page(filters=DebtorFilter(), today=TODAY)
    (row,) = page.rows
    assert (row.debt, row.oldest_due, row.days_overdue, row.overdue_count,
            row.overdue_amount) == (Decimal("60.00"), None, 0, 0, Decimal("0.00"))
    assert rows(min_days=1) == {}
    # Due today is not overdue yet either.
    assert debtor_page(filters=DebtorFilter(), today=TODAY + timedelta(days=3)
                       ).rows[0].days_overdue == 0


@pytest.mark.parametrize(("due", "today", "days"), [
    (date(2026, 12, 31), date(2027, 1, 1), 1),   # across the year end
    (date(2027, 2, 28), date(2027, 3, 1), 1),    # end of February, not a leap year
    (date(2028, 2, 28), date(2028, 3, 1), 2),    # leap year: 29 February counts
    (date(2026, 1, 31), date(2027, 1, 31), 365),
])
def test_days_overdue_across_month_and_year_ends(in_tenant, staff, due, today, days):
    customer = debtor_customer(staff, "Graniczny")
    debtor_owe(staff, customer, "10.00", due=due, issued=due - timedelta(days=14))
    (row,) = debtor_page(filters=DebtorFilter(), today=today).rows
    assert (row.oldest_due, row.days_overdue, row.overdue_count) == (due, days, 1)
    assert list(debtor_list(filters=DebtorFilter(min_days=days), today=today))
    assert not list(debtor_list(filters=DebtorFilter(min_days=days + 1), today=today))


def test_oldest_due_overdue_amount_and_last_payment(in_tenant, staff):
    customer = debtor_customer(staff, "Kowal")
    debtor_owe(staff, customer, "30.00", due=date(2026, 9, 15))
    debtor_owe(staff, customer, "40.00", due=date(2026, 10, 15))
    debtor_owe(staff, customer, "50.00", due=date(2026, 12, 20))  # not yet due
    debtor_pay(staff, customer, "10.00", on=date(2026, 10, 1))
    debtor_pay(staff, customer, "5.00", on=date(2026, 11, 2))
    row = rows()["Kowal"]
    assert row.debt == Decimal("105.00")
    # Payments settle the oldest first: 15.00 of the September invoice is paid.
    assert row.overdue_amount == Decimal("55.00")
    assert (row.oldest_due, row.overdue_count) == (date(2026, 9, 15), 2)
    assert (row.last_payment_date, row.last_payment_amount) == (date(2026, 11, 2),
                                                                Decimal("5.00"))


def test_filters_by_group_and_status_and_sorts(in_tenant, staff):
    group = group_create(actor=staff, name="Blok 7")
    a = debtor_customer(staff, "Alfa")
    b = debtor_customer(staff, "Beta", status="suspended")
    debtor_owe(staff, a, "10.00", due=date(2026, 6, 1))
    debtor_owe(staff, b, "20.00", due=date(2026, 11, 1))
    customer_group_add(actor=staff, customer=a, group=group)
    assert set(rows(group_id=group.pk)) == {"Alfa"}
    assert set(rows(status="suspended")) == {"Beta"}

    def order(sort):
        return [c.last_name for c in debtor_list(filters=DebtorFilter(sort=sort), today=TODAY)]

    assert order("debt") == ["Beta", "Alfa"]
    assert order("-debt") == ["Alfa", "Beta"]
    assert order("days") == ["Alfa", "Beta"]
    assert order("-days") == ["Beta", "Alfa"]
    assert debtor_totals(filters=DebtorFilter(), today=TODAY) == (2, Decimal("30.00"))


def test_page_is_one_query_and_pages_without_counting(in_tenant, staff,
                                                      django_assert_num_queries):
    for n in range(3):
        debtor_owe(staff, debtor_customer(staff, f"Dluznik{n}"), f"{10 + n}.00",
                   due=date(2026, 11, 1))
    # One query: customers joined with their account, every column a subquery.
    with django_assert_num_queries(1):
        first = debtor_page(filters=DebtorFilter(), today=TODAY, per_page=2)
    assert len(first.rows) == 2 and first.has_next
    second = debtor_page(filters=DebtorFilter(), today=TODAY, per_page=2, page_number=2)
    assert [r.last_name for r in second.rows] == ["Dluznik0"] and not second.has_next
    assert debtor_page(filters=DebtorFilter(), today=TODAY, page_number="x").number == 1


# --------------------------------------------------------------------------- pages

@pytest.fixture
def two_debtors(in_tenant, staff):
    a = debtor_customer(staff, "Alfowski")
    debtor_owe(staff, a, "123.45", due=date.today() - timedelta(days=40))
    b = debtor_customer(staff, "=Formula")
    debtor_owe(staff, b, "10.00", due=date.today() - timedelta(days=5))
    return a, b


def test_report_page_shows_debtors_for_accountant(client, debtors_accountant, two_debtors):
    client.force_login(debtors_accountant)
    response = client.get(reverse("accounting:debtors"), {"threshold": "100"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Alfowski" in text and "=Formula" not in text
    assert 'name="customers"' in text  # the accountant may issue demands


def test_report_form_errors_are_shown(client, debtors_accountant, two_debtors):
    client.force_login(debtors_accountant)
    response = client.get(reverse("accounting:debtors"), {"threshold": "-5"})
    assert response.status_code == 200
    assert "greater than or equal to 0" in response.content.decode()


def test_technician_gets_403(client, debtors_technician, two_debtors):
    client.force_login(debtors_technician)
    assert client.get(reverse("accounting:debtors")).status_code == 403
    assert client.get(reverse("accounting:demands")).status_code == 403


def test_operator_views_the_report_but_cannot_demand(client, debtors_operator, two_debtors):
    """Needs "accounting.view_paymentdemand" in the operator's role (core/roles.py)."""
    client.force_login(debtors_operator)
    response = client.get(reverse("accounting:debtors"))
    assert response.status_code == 200
    assert 'name="customers"' not in response.content.decode()
    a, _b = two_debtors
    assert client.post(reverse("accounting:demands_start"),
                       {"customers": [a.pk]}).status_code == 403


def test_csv_export_lists_every_matching_row(client, debtors_accountant, two_debtors):
    client.force_login(debtors_accountant)
    response = client.get(reverse("accounting:debtors"), {"export": "csv", "sort": "number"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert table[0][0] == "Customer number"
    assert len(table) == 3
    by_name = {r[1]: r for r in table[1:]}
    assert by_name["Jan Alfowski"][4] == "123,45"
    assert by_name["Jan =Formula"][1].startswith("Jan")  # not a formula either way
    assert by_name["Jan Alfowski"][7] == "40"


def test_xlsx_export(client, debtors_accountant, two_debtors):
    client.force_login(debtors_accountant)
    response = client.get(reverse("accounting:debtors"), {"export": "xlsx", "threshold": "50"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert len(values) == 2
    assert values[1][1] == "Jan Alfowski" and Decimal(str(values[1][4])) == Decimal("123.45")


def test_api_report(tenant, debtors_accountant, two_debtors):
    client = token_client(debtors_accountant, tenant)
    response = client.get("/api/v1/debtors/", {"threshold": "100"})
    assert response.status_code == 200, response.json()
    (row,) = response.json()["results"]
    assert (row["name"], row["debt"], row["days_overdue"]) == ("Jan Alfowski", "123.45", 40)
    assert client.get("/api/v1/debtors/", {"threshold": "abc"}).status_code == 400


def test_api_report_refused_to_technician(tenant, debtors_technician, two_debtors):
    assert token_client(debtors_technician, tenant).get("/api/v1/debtors/").status_code == 403
