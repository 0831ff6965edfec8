"""Calls on the billing run's invoices (a line per period and billing group, with VAT),
and each invoice's call list: CSV for staff and the customer, pages of the PDF."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from core.tenancy import tenant_context
from customers import services as customer_services
from customers.services import customer_create
from finance import billing as finance_billing
from finance import printing
from finance.models import FinanceDocument
from voip import services
from voip.billing import invoice_calls_csv
from voip.models import BillingGroup, Call

D = Decimal
RUN = datetime.date(2026, 12, 5)  # bills calls of November and before
NOVEMBER = datetime.date(2026, 11, 1)

PASSWORD = "Haslo-Bardzo-Tajne-1"

pytestmark = pytest.mark.django_db(databases=["default", "asterisk"])


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The billing dates allowed are around "today": today is the run's day."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: RUN)


@pytest.fixture
def groups(in_tenant):
    return {code: BillingGroup.objects.create(name=name, code=code)
            for code, name in (("mobile", "Komórkowe"), ("landline", "Stacjonarne PL"))}


@pytest.fixture
def phone(in_tenant, staff, customer, numbers_range):
    return services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range)[0]


_seq = iter(range(1, 10**6))


def call(phone, *, group="mobile", amount="0.50", seconds=90, billed=120, period=NOVEMBER,
         customer=None, destination="48600100200", reason="priced", started=None):
    started = started or timezone.make_aware(datetime.datetime.combine(
        period, datetime.time(10, 0)) + datetime.timedelta(hours=next(_seq) % 500))
    return Call.objects.create(
        phone=phone, customer_id=customer.pk if customer else phone.customer_id,
        unique_id=f"c.{next(_seq)}", caller=str(phone.number.number) if phone else "48223000000",
        destination=destination, started_at=started, seconds=seconds, billed_seconds=billed,
        free_seconds=0, amount=D(amount), reason=reason, period=period,
        priced_by={"group": group} if group else {})


def invoices_of(customer):
    return list(FinanceDocument.objects.filter(customer=customer, kind="invoice")
                .prefetch_related("lines").order_by("id"))


def test_calls_of_a_past_period_become_one_line_per_billing_group_with_vat(
        staff, customer, phone, groups):
    mobile = [call(phone, amount="0.50"), call(phone, amount="1.25", seconds=30, billed=60)]
    landline = [call(phone, group="landline", amount="0.10", seconds=59, billed=60)]
    finance_billing.billing_run(run_date=RUN, actor=staff)
    [invoice] = invoices_of(customer)
    lines = {line.name: line for line in invoice.lines.all()}
    assert len(lines) == 2
    mobile_line = next(v for k, v in lines.items() if "Komórkowe" in k or "Mobile" in k)
    assert mobile_line.net == D("1.75") and mobile_line.vat_rate == "23"
    assert "11.2026" in mobile_line.name and "2" in mobile_line.name
    landline_line = next(v for k, v in lines.items() if "Stacjonarne" in k)
    assert landline_line.net == D("0.10")
    # VAT on the rate's total: 1.85 × 23 % = 0.4255 → 0.43
    assert invoice.debit == D("2.28")
    assert set(Call.objects.filter(invoice=invoice)) == set(mobile + landline)


def test_a_second_run_bills_no_call_twice(staff, customer, phone, groups):
    call(phone)
    finance_billing.billing_run(run_date=RUN, actor=staff)
    finance_billing.billing_run(run_date=RUN + datetime.timedelta(days=1), actor=staff)
    assert len(invoices_of(customer)) == 1


def test_calls_of_the_period_under_way_wait_for_it_to_end(staff, customer, phone, groups):
    current = call(phone, period=RUN.replace(day=1))
    finance_billing.billing_run(run_date=RUN, actor=staff)
    assert invoices_of(customer) == []
    current.refresh_from_db()
    assert current.invoice_id is None


def test_calls_go_on_the_invoice_of_the_customers_subscription(staff, customer, phone, groups):
    tariff = finance_billing.tariff_create(
        actor=staff, name="Internet 300", net_price=D("50.00"), vat_rate="23",
        period="monthly", billing="advance", download_kbps=300_000, upload_kbps=50_000)
    finance_billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                                     start_date=RUN.replace(day=1))
    call(phone, amount="2.00")
    finance_billing.billing_run(run_date=RUN, actor=staff)
    [invoice] = invoices_of(customer)
    names = [line.name for line in invoice.lines.order_by("position")]
    assert names[0].startswith("Internet 300") and len(names) == 2
    assert invoice.debit == D("63.96")  # (50.00 + 2.00) × 1.23


def test_free_calls_ride_on_the_paid_ones_and_alone_make_no_invoice(
        staff, customer, phone, groups, other_customer_here):
    free = call(phone, group="landline", amount="0", reason="free_minutes")
    paid = call(phone, amount="0.30")
    other_phone = services.phone_create(actor=staff, customer=other_customer_here,
                                        numbers_range=phone.number.range)[0]
    only_free = call(other_phone, amount="0", reason="free_minutes")
    finance_billing.billing_run(run_date=RUN, actor=staff)
    [invoice] = invoices_of(customer)
    assert invoice.lines.count() == 1  # no 0.00 line
    free.refresh_from_db(), paid.refresh_from_db(), only_free.refresh_from_db()
    assert free.invoice_id == paid.invoice_id == invoice.pk
    assert invoices_of(other_customer_here) == [] and only_free.invoice_id is None


def test_a_removed_phones_calls_are_still_billed(staff, customer, phone, groups):
    kept = call(phone, amount="0.70")
    services.phone_remove(actor=staff, phone=phone)
    kept.refresh_from_db()
    assert kept.phone_id is None
    finance_billing.billing_run(run_date=RUN, actor=staff)
    [invoice] = invoices_of(customer)
    assert invoice.lines.get().net == D("0.70")


def test_a_run_dated_ahead_bills_no_period_still_under_way(staff, customer, phone, groups):
    december = call(phone, period=RUN.replace(day=1), amount="1.00")
    finance_billing.billing_run(run_date=datetime.date(2027, 1, 2), actor=staff)
    december.refresh_from_db()
    assert december.invoice_id is None  # today is in December: not ended yet


def test_the_preview_counts_the_call_lines(staff, customer, phone, groups):
    call(phone, amount="1.00")
    call(phone, group="landline", amount="1.00")
    preview = finance_billing.billing_preview(run_date=RUN)
    assert (preview.invoices, preview.lines, preview.gross) == (1, 2, D("2.46"))
    assert not Call.objects.filter(invoice__isnull=False).exists()


def test_call_list_csv_for_staff_and_customer_only_of_their_invoice(
        client, staff, customer, phone, groups, other_customer_here):
    call(phone, amount="1.50", destination="=HYPERLINK(\"x\")")
    finance_billing.billing_run(run_date=RUN, actor=staff)
    [invoice] = invoices_of(customer)
    text = invoice_calls_csv(invoice.pk)
    header, row = text.strip().split("\r\n")
    assert header.startswith("date;time;phone;destination")
    assert row.endswith(";1,50") and "'=HYPERLINK" in row  # never a formula
    client.force_login(staff)
    response = client.get(reverse("voip:invoice_calls_csv", args=[invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert invoice.number.replace("/", "_") in response["Content-Disposition"]
    page = client.get(reverse("finance:document", args=[invoice.pk]))
    assert b"voip-calls-panel" in page.content


def test_the_invoice_pdf_carries_the_call_list(staff, customer, phone, groups):
    call(phone, amount="1.50", destination="48601234567")
    finance_billing.billing_run(run_date=RUN, actor=staff)
    [invoice] = invoices_of(customer)
    text = "".join(p.extract_text() for p in PdfReader(
        io.BytesIO(printing.document_pdf(invoice))).pages)
    assert "Biling szczegółowy" in text and "48601234567" in text


@pytest.fixture
def other_customer_here(in_tenant, staff):
    return customer_create(actor=staff, first_name="Ewa", last_name="Nowak", status="connected")


def test_the_panel_shows_calls_and_the_call_list_of_its_own_invoices_only(
        client, staff, customer, phone, groups, other_customer_here):
    call(phone, amount="1.50", destination="48601234567")
    finance_billing.billing_run(run_date=RUN, actor=staff)
    [invoice] = invoices_of(customer)
    other_phone = services.phone_create(actor=staff, customer=other_customer_here,
                                        numbers_range=phone.number.range)[0]
    call(other_phone, amount="3.00")
    finance_billing.billing_run(run_date=RUN, actor=staff)
    [foreign] = invoices_of(other_customer_here)
    customer_services.panel_credentials_set(actor=staff, customer=customer, login="jkowalski",
                                            password=PASSWORD)
    response = client.post(reverse("panel:login"), {"login": "jkowalski", "secret": PASSWORD})
    assert response.status_code == 302
    page = client.get(reverse("panel:voip_calls"))
    body = page.content.decode()
    assert page.status_code == 200 and "48601234567" in body and invoice.number in body
    assert foreign.number not in body
    own = client.get(reverse("panel:voip_invoice_calls_csv", args=[invoice.pk]))
    assert own.status_code == 200 and b"48601234567" in own.content
    assert client.get(reverse("panel:voip_invoice_calls_csv",
                              args=[foreign.pk])).status_code == 404


def test_a_phones_calls_with_no_paid_group_leave_no_line_for_another_tenant(
        staff, customer, phone, groups, other_tenant, other_staff):
    call(phone, amount="0.40")
    with tenant_context(other_tenant):
        finance_billing.billing_run(run_date=RUN, actor=other_staff)
        assert not FinanceDocument.objects.exists()
    assert Call.objects.get().invoice_id is None
