"""Revenue per tariff and per customer group per month, from what the billing run issued."""

from datetime import date
from decimal import Decimal

import pytest

from accounting.registers import month_range, register_summary, revenue_table
from customers import services as customer_services
from finance import billing, services

D = Decimal
JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def row_values(table) -> dict:
    return {row.label: (row.values, row.total) for row in table.rows}


@pytest.fixture
def billed(staff, register_company, customer):
    """Two months billed: the company has a fibre and a radio tariff, Jan Kowalski the
    fibre one; a hand-typed installation in February; in March a correction lowers the
    company's January fibre line from 100 to 70."""
    fibre = billing.tariff_create(actor=staff, name="Światłowód 300", net_price="100.00",
                                  vat_rate="23")
    radio = billing.tariff_create(actor=staff, name="Radio 50", net_price="40.00",
                                  vat_rate="8")
    for who, tariff in ((register_company, fibre), (register_company, radio),
                        (customer, fibre)):
        billing.subscription_add(actor=staff, customer=who, tariff=tariff, start_date=JAN)
    firms = customer_services.group_create(actor=staff, name="Firmy")
    village = customer_services.group_create(actor=staff, name="Wieś")
    customer_services.customer_group_add(actor=staff, customer=register_company, group=firms)
    customer_services.customer_group_add(actor=staff, customer=register_company, group=village)
    customer_services.customer_group_add(actor=staff, customer=customer, group=village)
    billing.billing_run(run_date=JAN, actor=staff)
    billing.billing_run(run_date=FEB, actor=staff)
    services.invoice_issue(actor=staff, customer=customer, issue_date=date(2026, 2, 14), lines=[
        {"name": "Instalacja", "quantity": D(1), "net_unit_price": D("50.00"),
         "vat_rate": "23"}])
    january = register_company.finance_documents.get(issue_date=JAN)
    lines = [{"name": line.name, "quantity": line.quantity, "vat_rate": line.vat_rate,
              "net_unit_price": D("70.00") if line.vat_rate == "23" else line.net_unit_price}
             for line in january.lines.order_by("position")]
    services.correction_issue(actor=staff, invoice=january, lines=lines, reason="Rabat",
                              issue_date=date(2026, 3, 20))


def test_revenue_per_tariff_counts_corrections_in_their_own_month(billed):
    table = revenue_table(first=JAN, last=MAR, by="tariff")

    assert row_values(table) == {
        "Radio 50": ([D("40.00"), D("40.00"), D("0.00")], D("80.00")),
        "Światłowód 300": ([D("200.00"), D("200.00"), D("-30.00")], D("370.00")),
        "outside subscriptions": ([D("0.00"), D("50.00"), D("0.00")], D("50.00")),
    }
    assert [row.label for row in table.rows][-1] == "outside subscriptions"
    assert table.totals == [D("240.00"), D("290.00"), D("-30.00")]
    assert table.total == D("500.00")


def test_revenue_equals_the_registers_net_per_month(billed):
    table = revenue_table(first=JAN, last=MAR)

    assert table.totals == [register_summary(month=m).total.net for m in (JAN, FEB, MAR)]


def test_revenue_per_group_counts_a_customer_in_each_of_its_groups(billed, staff, in_tenant):
    loner = customer_services.customer_create(actor=staff, first_name="Ewa", last_name="Sama")
    services.invoice_issue(actor=staff, customer=loner, issue_date=date(2026, 3, 2), lines=[
        {"name": "Router", "quantity": D(1), "net_unit_price": D("10.00"), "vat_rate": "23"}])

    table = revenue_table(first=JAN, last=MAR, by="group")

    assert row_values(table) == {
        "Firmy": ([D("140.00"), D("140.00"), D("-30.00")], D("250.00")),
        "Wieś": ([D("240.00"), D("290.00"), D("-30.00")], D("500.00")),
        "no group": ([D("0.00"), D("0.00"), D("10.00")], D("10.00")),
    }
    # The total counts every invoice once, not once per group.
    assert table.totals == [D("240.00"), D("290.00"), D("-20.00")]


def test_months_without_invoices_are_zero_and_far_months_work(in_tenant):
    table = revenue_table(first=date(2099, 1, 1), last=date(2099, 12, 1))

    assert len(table.months) == 12 and table.rows == [] and table.total == D("0.00")


def test_more_than_24_months_is_refused(in_tenant):
    assert len(month_range(date(2025, 1, 1), date(2026, 12, 1))) == 24
    revenue_table(first=date(2025, 1, 1), last=date(2026, 12, 1))
    with pytest.raises(ValueError):
        revenue_table(first=date(2025, 1, 1), last=date(2027, 1, 1))
