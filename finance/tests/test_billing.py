"""Tariffs, subscriptions, the payment schedule and the billing run (services)."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.models import ActionLog, Tenant
from core.tenancy import tenant_context
from customers import services as customer_services
from finance import billing, services
from finance.models import (
    Allocation,
    BillingItem,
    BillingRun,
    CustomerAccount,
    FinanceDocument,
    Subscription,
    Suspension,
    Tariff,
)

D = Decimal


def tariff(staff, price="100.00", rate="23", period="monthly", billed="advance", name=None):
    return billing.tariff_create(actor=staff, name=name or f"Internet {period} {billed} {price}",
                                 net_price=D(price), vat_rate=rate, period=period,
                                 billing=billed, download_kbps=300_000, upload_kbps=50_000)


def subscribe(staff, customer, t, start, end=None, discount=0):
    return billing.subscription_add(actor=staff, customer=customer, tariff=t, start_date=start,
                                    end_date=end, discount=discount)


def run(staff, day):
    return billing.billing_run(run_date=day, actor=staff)


def invoices(customer):
    return list(FinanceDocument.objects.filter(customer=customer, kind="invoice")
                .prefetch_related("lines").order_by("id"))


def balance(customer):
    cached = CustomerAccount.objects.get(customer=customer).balance
    assert cached == services.ledger_balance(customer)  # the cache never drifts
    return cached


# --------------------------------------------------------------------------- pro-rata


def test_first_partial_month_in_advance_is_pro_rata_by_days(in_tenant, staff, customer):
    subscribe(staff, customer, tariff(staff), date(2026, 1, 17))
    result = run(staff, date(2026, 1, 17))
    [invoice] = invoices(customer)
    # 17–31 January: 15 of 31 days of 100.00 = 48.387… → 48.39 net, VAT 11.13, 59.52 gross.
    [line] = invoice.lines.all()
    assert line.net == D("48.39")
    assert "(15 of 31 days)" in line.name
    assert invoice.debit == D("59.52")
    assert invoice.number == "FV/2026/01/1"
    assert invoice.issue_date == date(2026, 1, 17) and invoice.due_date == date(2026, 1, 31)
    assert (result.invoices, result.gross_total, result.status) == (1, D("59.52"), "done")
    assert balance(customer) == D("-59.52")


def test_second_run_issues_nothing_new(in_tenant, staff, customer):
    sub = subscribe(staff, customer, tariff(staff), date(2026, 1, 1))
    run(staff, date(2026, 1, 5))
    again = run(staff, date(2026, 1, 20))
    assert again.invoices == 0
    assert len(invoices(customer)) == 1
    sub.refresh_from_db()
    assert sub.cycles_billed == 1 and sub.billed_until == date(2026, 1, 31)


def test_full_months_and_the_last_partial_month(in_tenant, staff, customer):
    sub = subscribe(staff, customer, tariff(staff), date(2026, 1, 1))
    run(staff, date(2026, 1, 1))
    run(staff, date(2026, 2, 1))
    billing.subscription_end(actor=staff, subscription=sub, end_date=date(2026, 3, 10))
    run(staff, date(2026, 3, 1))
    run(staff, date(2026, 4, 1))  # ended: nothing in April
    assert [i.debit for i in invoices(customer)] == [D("123.00"), D("123.00"), D("39.68")]
    # March: 10 of 31 days = 32.258… → 32.26 net, VAT 7.42.
    assert invoices(customer)[-1].lines.get().net == D("32.26")
    sub.refresh_from_db()
    assert sub.cycles_billed == 3


def test_missed_runs_catch_up_one_invoice_per_period(in_tenant, staff, customer):
    subscribe(staff, customer, tariff(staff), date(2026, 1, 1))
    run(staff, date(2026, 3, 2))
    assert [(i.number, i.debit) for i in invoices(customer)] == [
        ("FV/2026/03/1", D("123.00")), ("FV/2026/03/2", D("123.00")),
        ("FV/2026/03/3", D("123.00"))]


def test_arrears_bill_the_period_after_it_ends(in_tenant, staff, customer):
    subscribe(staff, customer, tariff(staff, billed="arrears"), date(2026, 1, 17))
    assert run(staff, date(2026, 1, 31)).invoices == 0
    run(staff, date(2026, 2, 1))
    [invoice] = invoices(customer)
    assert invoice.lines.get().net == D("48.39")
    assert "2026-01-01 – 2026-01-31" in invoice.lines.get().name


def test_quarterly_in_advance_pro_rata(in_tenant, staff, customer):
    subscribe(staff, customer, tariff(staff, price="300.00", period="quarterly"),
              date(2026, 2, 15))
    run(staff, date(2026, 2, 15))
    # Q1 2026 has 90 days; 15 Feb – 31 Mar is 45 of them: 300.00 × 45/90 = 150.00.
    assert invoices(customer)[0].lines.get().net == D("150.00")
    run(staff, date(2026, 4, 1))
    assert invoices(customer)[1].lines.get().net == D("300.00")


def test_yearly_in_arrears_pro_rata(in_tenant, staff, customer):
    subscribe(staff, customer, tariff(staff, price="1200.00", rate="8", period="yearly",
                                      billed="arrears"), date(2026, 7, 1))
    assert run(staff, date(2026, 12, 31)).invoices == 0
    run(staff, date(2027, 1, 1))
    [invoice] = invoices(customer)
    # 1 Jul – 31 Dec: 184 of 365 days: 1200 × 184/365 = 604.931… → 604.93; VAT 8 % 48.39.
    assert invoice.lines.get().net == D("604.93")
    assert invoice.debit == D("653.32")


def test_discount_lowers_the_price(in_tenant, staff, customer):
    subscribe(staff, customer, tariff(staff), date(2026, 1, 1), discount="10")
    run(staff, date(2026, 1, 1))
    assert invoices(customer)[0].lines.get().net == D("90.00")


def test_one_invoice_per_customer_and_period_with_a_line_per_subscription(
        in_tenant, staff, customer):
    subscribe(staff, customer, tariff(staff, price="10.01"), date(2026, 1, 1))
    subscribe(staff, customer, tariff(staff, price="10.01", name="TV"), date(2026, 1, 1))
    run(staff, date(2026, 1, 1))
    [invoice] = invoices(customer)
    assert invoice.lines.count() == 2
    # VAT on the rate's total (20.02 × 23 % = 4.6046 → 4.60), not per line (2.30 + 2.30).
    assert invoice.debit == D("24.62")


def test_fully_suspended_period_is_not_billed_and_a_partly_suspended_one_is_pro_rata(
        in_tenant, staff, customer):
    sub = subscribe(staff, customer, tariff(staff), date(2026, 1, 1))
    run(staff, date(2026, 1, 1))
    billing.subscription_suspend(actor=staff, subscription=sub, date_from=date(2026, 2, 1),
                                 date_to=date(2026, 2, 28), reason="wyjazd")
    billing.subscription_suspend(actor=staff, subscription=sub, date_from=date(2026, 3, 11),
                                 date_to=date(2026, 3, 20), reason="awaria")
    assert run(staff, date(2026, 2, 1)).invoices == 0
    run(staff, date(2026, 3, 1))
    # March: 21 of 31 days = 67.741… → 67.74.
    assert [i.lines.get().net for i in invoices(customer)] == [D("100.00"), D("67.74")]
    sub.refresh_from_db()
    assert sub.cycles_billed == 2
    statuses = [(e.period_start.month, e.status) for e in billing.schedule(sub, date(2026, 4, 1))]
    assert statuses == [(1, "billed"), (2, "suspended"), (3, "billed"), (4, "planned")]


def test_resume_ends_a_suspension_early(in_tenant, staff, customer):
    sub = subscribe(staff, customer, tariff(staff), date(2026, 1, 1))
    suspension = billing.subscription_suspend(
        actor=staff, subscription=sub, date_from=date(2026, 1, 1), date_to=date(2026, 1, 31),
        reason="wyjazd")
    billing.subscription_resume(actor=staff, suspension=suspension, on_date=date(2026, 1, 21))
    run(staff, date(2026, 1, 1))
    # 21–31 January: 11 of 31 days = 35.48.
    assert invoices(customer)[0].lines.get().net == D("35.48")


def test_schedule_shows_invoice_numbers_amounts_and_planned_periods(in_tenant, staff, customer):
    sub = subscribe(staff, customer, tariff(staff), date(2026, 1, 17))
    run(staff, date(2026, 1, 17))
    entries = billing.schedule(sub, date(2026, 3, 1))
    assert [(e.status, e.invoice_number, e.net, e.gross) for e in entries] == [
        ("billed", "FV/2026/01/1", D("48.39"), D("59.52")),
        ("planned", "", D("100.00"), D("123.00")),
        ("planned", "", D("100.00"), D("123.00")),
    ]


def test_credit_settles_the_new_invoice(in_tenant, staff, customer):
    services.bank_transfer_record(actor=staff, customer=customer, amount=D("200.00"),
                                  booking_date=date(2025, 12, 20), title="nadpłata",
                                  bank_reference="REF1")
    other = customer_services.customer_create(actor=staff, first_name="Ewa", last_name="Nowak")
    t = tariff(staff)
    subscribe(staff, customer, t, date(2026, 1, 1))
    subscribe(staff, other, t, date(2026, 1, 1))
    run(staff, date(2026, 1, 1))
    [invoice] = invoices(customer)
    assert services.invoice_settlement(invoice).status == "settled"
    assert Allocation.objects.get(receivable=invoice).amount == D("123.00")
    assert balance(customer) == D("77.00")
    assert services.invoice_settlement(invoices(other)[0]).status == "unsettled"
    assert balance(other) == D("-123.00")


def test_every_invoice_is_action_logged_on_its_customer(in_tenant, staff, customer):
    subscribe(staff, customer, tariff(staff), date(2026, 1, 1))
    run(staff, date(2026, 1, 1))
    entry = ActionLog.objects.get(customer=customer, kind="finance.invoice")
    assert entry.text == "Invoice FV/2026/01/1 issued: PLN\xa0123.00"
    assert entry.actor_user == staff
    assert ActionLog.objects.filter(kind="finance.billing_run").count() == 2  # start, end


def test_numbers_continue_the_series_of_invoices_issued_by_hand(in_tenant, staff, customer):
    services.invoice_issue(actor=staff, customer=customer, issue_date=date(2026, 1, 1),
                           lines=[{"name": "Instalacja", "quantity": D(1),
                                   "net_unit_price": D("50.00"), "vat_rate": "23"}])
    subscribe(staff, customer, tariff(staff), date(2026, 1, 1))
    run(staff, date(2026, 1, 1))
    assert [i.number for i in invoices(customer)] == ["FV/2026/01/1", "FV/2026/01/2"]


def test_dry_run_writes_nothing_but_the_run_row(in_tenant, staff, customer):
    # A preview's date lies in the allowed range (last month … next month by default).
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    subscribe(staff, customer, tariff(staff), last_month)
    preview = billing.billing_preview(run_date=this_month)
    assert (preview.customers, preview.invoices, preview.lines, preview.gross) == (
        1, 2, 2, D("246.00"))
    assert preview.first[0][0] == customer
    result = billing.billing_run(run_date=this_month, dry_run=True, actor=staff)
    assert (result.invoices, result.gross_total, result.dry_run) == (2, D("246.00"), True)
    assert not FinanceDocument.objects.exists() and not BillingItem.objects.exists()


def test_the_database_refuses_a_period_twice(in_tenant, staff, customer):
    sub = subscribe(staff, customer, tariff(staff), date(2026, 1, 1))
    run(staff, date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingItem.objects.create(subscription=sub, period_start=date(2026, 1, 1),
                                   period_end=date(2026, 1, 31), days=31, net=D("1.00"))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"net_price": D("-1")}, "net_price", "The net price must be above zero."),
    ({"net_price": D("0")}, "net_price", "The net price must be above zero."),
    ({"vat_rate": "22"}, "vat_rate", "Unknown VAT rate “22”"),
    ({"period": "weekly"}, "period", "Choose monthly, quarterly or yearly."),
    ({"name": " "}, "name", "A tariff needs a name."),
])
def test_bad_tariff_is_refused_and_nothing_written(in_tenant, staff, kwargs, field, message):
    data = {"name": "Internet", "net_price": D("100"), "vat_rate": "23", **kwargs}
    with pytest.raises(ValidationError) as e:
        billing.tariff_create(actor=staff, **data)
    assert message in e.value.message_dict[field][0]
    assert not Tariff.objects.exists() and not ActionLog.objects.exists()


def test_duplicate_tariff_name_is_refused(in_tenant, staff):
    tariff(staff, name="Internet")
    with pytest.raises(ValidationError, match="already exists"):
        tariff(staff, name="internet")


def test_bad_subscriptions_are_refused_and_nothing_written(in_tenant, staff, customer):
    t = tariff(staff)
    with pytest.raises(ValidationError) as e:
        subscribe(staff, customer, t, date(2026, 2, 1), end=date(2026, 1, 31))
    assert e.value.message_dict["end_date"] == ["The end is before the start."]
    with pytest.raises(ValidationError) as e:
        subscribe(staff, customer, t, date(2026, 2, 1), discount="120")
    assert e.value.message_dict["discount"] == ["The discount must be between 0 and 100 %."]
    billing.tariff_update(actor=staff, tariff=t, is_active=False)
    with pytest.raises(ValidationError, match="is not active"):
        subscribe(staff, customer, t, date(2026, 2, 1))
    assert not Subscription.objects.exists()


def test_suspension_outside_the_subscription_is_refused(in_tenant, staff, customer):
    sub = subscribe(staff, customer, tariff(staff), date(2026, 2, 1), end=date(2026, 6, 30))
    for start, end in ((date(2026, 1, 20), date(2026, 2, 10)),
                       (date(2026, 6, 20), date(2026, 7, 10))):
        with pytest.raises(ValidationError) as e:
            billing.subscription_suspend(actor=staff, subscription=sub, date_from=start,
                                         date_to=end, reason="x")
        assert e.value.message_dict["date_from"] == [
            "The suspension must lie within the subscription (2026-02-01 – 2026-06-30)."]
    with pytest.raises(ValidationError) as e:
        billing.subscription_suspend(actor=staff, subscription=sub, date_from=date(2026, 3, 5),
                                     date_to=date(2026, 3, 1), reason="x")
    assert e.value.message_dict["date_to"] == ["The suspension ends before it starts."]
    assert not Suspension.objects.exists()


def test_billed_periods_cannot_be_suspended_or_ended_before(in_tenant, staff, customer):
    sub = subscribe(staff, customer, tariff(staff), date(2026, 1, 1))
    run(staff, date(2026, 1, 1))
    with pytest.raises(ValidationError, match="already billed up to 2026-01-31"):
        billing.subscription_suspend(actor=staff, subscription=sub, date_from=date(2026, 1, 20),
                                     date_to=date(2026, 2, 10), reason="x")
    with pytest.raises(ValidationError, match="billed up to 2026-01-31"):
        billing.subscription_end(actor=staff, subscription=sub, end_date=date(2026, 1, 15))


def test_database_constraints_guard_money(in_tenant, staff, customer):
    t = tariff(staff)
    for bad in (lambda: Tariff.objects.create(name="x", net_price=D("-1"), vat_rate="23"),
                lambda: Tariff.objects.create(name="y", net_price=D("1"), vat_rate="22"),
                lambda: Subscription.objects.create(customer=customer, tariff=t,
                                                    start_date=date(2026, 1, 1),
                                                    discount=D("101")),
                lambda: Subscription.objects.create(customer=customer, tariff=t,
                                                    start_date=date(2026, 2, 1),
                                                    end_date=date(2026, 1, 1))):
        with pytest.raises(IntegrityError), transaction.atomic():
            bad()


# --------------------------------------------------------------------------- concurrency


def test_two_concurrent_runs_issue_each_invoice_once(transactional_db, tenant, staff):
    """Two runs at once: the second is refused while the first is active (one run per
    tenant; test_billing_bounds.py pins that down), or, started after the first ended,
    finds nothing left — each invoice is issued once either way."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    with tenant_context(tenant):
        t = tariff(staff)
        customers = [customer_services.customer_create(actor=staff, last_name=f"Nowak{i}")
                     for i in range(30)]
        for c in customers:
            subscribe(staff, c, t, date(2026, 1, 1))
    errors, refused, counts = [], [], []
    barrier = threading.Barrier(2)

    def work():
        try:
            with tenant_context(Tenant.objects.get(pk=tenant.pk)):
                barrier.wait()
                counts.append(billing.billing_run(run_date=date(2026, 2, 1), actor=None).invoices)
        except ValidationError as e:
            refused.append([error.code for error in e.error_list])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert refused in ([], [["run_active"]])
    assert sum(counts) == 60 and len(counts) + len(refused) == 2
    with tenant_context(tenant):
        numbers = sorted(int(n.rsplit("/", 1)[1]) for n in FinanceDocument.objects.filter(
            kind="invoice").values_list("number", flat=True))
        assert numbers == list(range(1, 61))  # each period once, numbers without gaps
        assert BillingRun.objects.filter(status="done").count() == len(counts)
        for c in customers:
            assert balance(c) == D("-246.00")
