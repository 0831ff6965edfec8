"""The demo ISP's money: tariffs, subscriptions, three billing runs, payments.

Built through the services, after the customers exist (``customers.demo.demo_load`` calls
``finance_demo_build`` in each demo tenant once its customers are committed: the money
services open their own durable transactions). The mix gives every screen something to
show: settled, partly paid and overdue invoices (statutory interest), overpayments left as
credit, cash at the desk, and a statement line nobody could identify.
"""

import datetime
import random
from decimal import Decimal

from core.services import tenant_setting_set
from customers.models import Customer

from . import billing, services
from .models import Kind

TARIFFS = (
    # name, net price, download/upload kbit/s
    ("Internet 300 Mb/s", "65.04", 300_000, 50_000),
    ("Internet 600 Mb/s", "81.30", 600_000, 100_000),
    ("Internet 1 Gb/s", "105.69", 1_000_000, 200_000),
)
TV_TARIFF = ("Telewizja – pakiet Start", "32.52")


def _first_of_month(day: datetime.date, months_back: int) -> datetime.date:
    month = day.month - 1 - months_back
    return datetime.date(day.year + month // 12, month % 12 + 1, 1)


def _no_progress(step: str, done: int, total: int) -> None:
    pass


def finance_demo_build(*, admin, operator, seed: int, today: datetime.date | None = None,
                       seller: dict[str, str] | None = None, progress=_no_progress) -> None:
    """The seller's data, tariffs, a subscription per connected customer, three months
    billed, payments. ``progress(step, done, total)`` is told how far it is.

    ``seller``: the tenant settings ``finance.seller_*`` (the demo ISP's, valid), set
    first: the invoices keep the seller as it was when they were issued."""
    rng = random.Random(seed)
    today = today or datetime.date.today()
    for key, value in (seller or {}).items():
        tenant_setting_set(actor=admin, key=key, raw_value=value)
    register = services.cash_register_create(actor=admin, name="Kasa główna", symbol="kasa")
    internet = [billing.tariff_create(actor=admin, name=name, net_price=Decimal(price),
                                      vat_rate="23", download_kbps=down, upload_kbps=up)
                for name, price, down, up in TARIFFS]
    tv = billing.tariff_create(actor=admin, name=TV_TARIFF[0], net_price=Decimal(TV_TARIFF[1]),
                               vat_rate="8")
    first_run = _first_of_month(today, 2)
    customers = list(Customer.objects.filter(status="connected").order_by("number"))
    for done, customer in enumerate(customers):
        progress("subscriptions", done, len(customers))
        # Billing begins with the first run's month (a start further back would be billed
        # at once, every missed period); some start within it or the month before
        # (pro-rata first periods).
        start = first_run + datetime.timedelta(days=rng.choice((0, 0, 0, 9, -12)))
        billing.subscription_add(actor=admin, customer=customer, tariff=rng.choice(internet),
                                 start_date=start,
                                 discount=rng.choice((0, 0, 0, 10)))
        if rng.random() < 0.3:
            billing.subscription_add(actor=admin, customer=customer, tariff=tv,
                                     start_date=start)
    progress("subscriptions", len(customers), len(customers))
    for done, months_back in enumerate((2, 1, 0)):
        progress("billing runs", done, 3)
        billing.billing_run(run_date=_first_of_month(today, months_back), actor=admin)
    progress("billing runs", 3, 3)
    _payments(customers, rng, register, operator, today, progress)


def _payments(customers, rng, register, operator, today, progress=_no_progress) -> None:
    """Most pay every invoice but the newest by transfer, some at the desk, some not at all;
    a few pay too much (credit)."""
    for done, customer in enumerate(customers):
        progress("payments", done, len(customers))
        invoices = list(customer.finance_documents.filter(kind=Kind.INVOICE)
                        .order_by("issue_date", "id"))
        if len(invoices) < 2:
            continue
        habit = rng.random()
        if habit < 0.1:
            continue  # pays nothing: overdue invoices, statutory interest
        for invoice in invoices[:-1]:
            paid_on = min(invoice.due_date + datetime.timedelta(days=rng.randint(-10, 12)),
                          today)
            if habit < 0.25:
                services.kp_issue(actor=operator, customer=customer, register=register,
                                  invoices=[invoice], issue_date=paid_on)
                continue
            amount = invoice.debit
            if habit > 0.95:
                amount += Decimal("50.00")  # an overpayment stays as credit
            services.bank_transfer_record(
                actor=operator, customer=customer, amount=amount, booking_date=paid_on,
                title=f"Opłata za internet {invoice.number}",
                bank_reference=f"DEMO-{invoice.number}")
    progress("payments", len(customers), len(customers))
