"""The billing run and the most one document may carry (``finance.money.DOCUMENT_MAX``,
99 999 999.99): a customer whose invoice would be above it gets nothing from the run — no
invoice, no period recorded as billed, no balance moved —, the run says so on the
customer's history and in its summary, and every other customer is billed."""

from datetime import date
from decimal import Decimal

import pytest

from core.models import ActionLog
from customers import services as customer_services
from finance import billing, services
from finance.models import BillingItem, BillingRun, CustomerAccount, FinanceDocument

pytestmark = pytest.mark.django_db

D = Decimal
DAY = date(2026, 1, 5)


def _tariff(staff, price: str, rate: str = "zw"):
    return billing.tariff_create(actor=staff, name=f"Łącze {price} {rate}", net_price=D(price),
                                 vat_rate=rate, period="monthly", billing="advance",
                                 download_kbps=1_000_000, upload_kbps=1_000_000)


def _subscribe(staff, customer, tariff, start=date(2026, 1, 1)):
    return billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                                    start_date=start)


def _balance(customer) -> Decimal:
    account = CustomerAccount.objects.filter(customer=customer).first()
    return account.balance if account else D("0.00")


@pytest.fixture
def ewa(in_tenant, staff):
    return customer_services.customer_create(actor=staff, first_name="Ewa", last_name="Nowak")


@pytest.fixture
def ola(in_tenant, staff):
    return customer_services.customer_create(actor=staff, first_name="Ola", last_name="Wiśniewska")


def test_an_invoice_above_the_maximum_is_not_issued_and_the_others_are(
        in_tenant, staff, customer, ewa, ola):
    # 90 000 000.00 net + 23 % VAT = 110 700 000.00 gross: one subscription, too much.
    huge = _subscribe(staff, ewa, _tariff(staff, "90000000.00", "23"))
    _subscribe(staff, customer, _tariff(staff, "100.00", "23"))
    _subscribe(staff, ola, _tariff(staff, "50.00", "23"))

    run = billing.billing_run(run_date=DAY, actor=staff)

    assert (run.status, run.invoices, run.gross_total, run.error) == (
        "done", 2, D("184.50"), "")
    assert not FinanceDocument.objects.filter(customer=ewa).exists()
    assert [i.debit for i in FinanceDocument.objects.filter(customer__in=[customer, ola])
            .order_by("customer_id")] == [D("123.00"), D("61.50")]
    assert _balance(ewa) == D("0.00") and services.ledger_balance(ewa) == D("0.00")
    huge.refresh_from_db()
    assert (huge.billed_until, huge.cycles_billed) == (None, 0)
    assert not BillingItem.objects.filter(subscription=huge).exists()
    # On Ewa's history: which invoice, how much, why, and what follows.
    [entry] = ActionLog.objects.filter(customer=ewa, kind="finance.billing_run")
    assert entry.text == (
        "Billing run for 2026-01-05: invoice for 2026-01-01 – 2026-01-31 not issued, "
        "PLN\xa0110,700,000.00 gross. At most PLN\xa099,999,999.99 on one document. Nothing was "
        "billed to this customer: their subscriptions stay unbilled until the invoice is "
        "made smaller, and the next run bills them.")
    assert list(billing.billing_run_refusals(run).values_list("customer_id", flat=True)) == [
        ewa.pk]
    # The run's summary says it too.
    summary = ActionLog.objects.filter(kind="finance.billing_run", customer=None).first()
    assert "2 invoices" in summary.text
    assert ("(1 customer not billed: their invoice would be above the most one document may "
            "carry; see the customer's history)") in summary.text


def test_the_next_run_refuses_again_until_the_cause_is_fixed_and_then_bills_it(
        in_tenant, staff, ewa):
    first = _subscribe(staff, ewa, _tariff(staff, "60000000.00"))
    second = _subscribe(staff, ewa, _tariff(staff, "40000000.00"))  # together 100 000 000.00
    assert billing.billing_run(run_date=DAY, actor=staff).invoices == 0
    again = billing.billing_run(run_date=DAY, actor=staff)
    assert (again.invoices, billing.billing_run_refusals(again).count()) == (0, 1)
    assert ActionLog.objects.filter(customer=ewa, kind="finance.billing_run").count() == 2
    # Staff end the second subscription before it started: the first alone is billed.
    billing.subscription_end(actor=staff, subscription=second, end_date=date(2026, 1, 1))
    fixed = billing.billing_run(run_date=DAY, actor=staff)
    # 1 day of 40 000 000.00 of 31 (1 290 322.58) + the full 60 000 000.00
    [invoice] = FinanceDocument.objects.filter(customer=ewa)
    assert (fixed.invoices, billing.billing_run_refusals(fixed).count()) == (1, 0)
    assert invoice.debit == D("61290322.58") and _balance(ewa) == -invoice.debit
    first.refresh_from_db()
    assert first.billed_until == date(2026, 1, 31)


def test_an_invoice_of_exactly_the_maximum_is_issued(in_tenant, staff, customer):
    _subscribe(staff, customer, _tariff(staff, "99999999.99"))
    run = billing.billing_run(run_date=DAY, actor=staff)
    [invoice] = FinanceDocument.objects.filter(customer=customer)
    assert (run.invoices, invoice.debit, billing.billing_run_refusals(run).count()) == (
        1, D("99999999.99"), 0)
    assert _balance(customer) == D("-99999999.99")


def test_one_grosz_above_the_maximum_is_refused(in_tenant, staff, customer):
    _subscribe(staff, customer, _tariff(staff, "99999999.99"))
    _subscribe(staff, customer, _tariff(staff, "0.01"))
    run = billing.billing_run(run_date=DAY, actor=staff)
    assert (run.invoices, run.status) == (0, "done")
    assert not FinanceDocument.objects.exists()
    assert BillingRun.objects.get(pk=run.pk).customers_done == 1


def test_the_preview_counts_the_customers_the_run_would_not_bill(in_tenant, staff, customer,
                                                                 ewa):
    month = date.today().replace(day=1)
    _subscribe(staff, ewa, _tariff(staff, "90000000.00", "23"), month)
    _subscribe(staff, customer, _tariff(staff, "100.00", "23"), month)
    preview = billing.billing_preview(run_date=month)
    assert (preview.customers, preview.invoices, preview.refused) == (1, 1, 1)
    [(shown, invoice)] = preview.refused_first
    assert (shown, invoice.gross) == (ewa, D("110700000.00"))
    assert not FinanceDocument.objects.exists()


def test_a_refused_customers_suspended_period_is_not_recorded_as_dealt_with_either(
        in_tenant, staff, ewa):
    # A run that bills Ewa records her suspended January as dealt with; one that refuses
    # her invoice writes nothing of hers.
    _subscribe(staff, ewa, _tariff(staff, "100000000.00"))
    quiet = _subscribe(staff, ewa, _tariff(staff, "10.00"))
    billing.subscription_suspend(actor=staff, subscription=quiet, date_from=date(2026, 1, 1),
                                 date_to=date(2026, 1, 31), reason="wyjazd")
    run = billing.billing_run(run_date=DAY, actor=staff)
    assert (run.invoices, billing.billing_run_refusals(run).count()) == (0, 1)
    assert not BillingItem.objects.exists()
    quiet.refresh_from_db()
    assert quiet.billed_until is None


def test_the_billing_page_names_the_customers_the_run_would_not_bill(staff_client, staff,
                                                                     customer, ewa):
    from django.urls import reverse

    month = date.today().replace(day=1)
    _subscribe(staff, ewa, _tariff(staff, "90000000.00", "23"), month)
    _subscribe(staff, customer, _tariff(staff, "100.00", "23"), month)
    page = staff_client.get(reverse("finance:billing"), {"run_date": month.isoformat()})
    html = page.content.decode()
    assert "1 customer will not be billed" in html and "preview-refused" in html
    assert "Nowak" in html.split("preview-refused", 1)[1].split("</div>", 1)[0]
