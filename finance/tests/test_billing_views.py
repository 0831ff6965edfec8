"""Billing pages: tariffs, the billing run with its preview and progress, the card's
"Tariffs and payment schedule", the management command, and contracts that list tariffs."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from core.models import ActionLog
from core.roles import Role
from customers import services as customer_services
from documents import services as document_services
from documents.views.templates import context_rows
from finance import billing
from finance.models import BillingRun, FinanceDocument, Subscription, Suspension, Tariff
from finance.views.billing import subscriptions_section_context

D = Decimal
TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)
LAST_MONTH = (MONTH - timedelta(days=1)).replace(day=1)
# Of two months in a row one has 31 days; both lie in the allowed range of billing dates.
LONG_MONTH = MONTH if (MONTH + timedelta(days=31)).day == 1 else LAST_MONTH


@pytest.fixture
def internet(in_tenant, staff):
    return billing.tariff_create(actor=staff, name="Internet 300", net_price=D("100.00"),
                                 vat_rate="23")


def card(client, customer):
    """The card as a browser shows it: the page, then the section its tab loads into it."""
    response = client.get(reverse("customers:card", kwargs={"customer_id": customer.pk}))
    url = reverse("customers:section", args=[customer.pk, "subscriptions"])
    assert f'data-url="{url}"' in response.content.decode()
    section = client.get(url, headers={"HX-Request": "true"})
    response.content = response.content.replace(
        b'<div id="card-pane"', section.content + b'<div id="card-pane"', 1)
    return response


# --------------------------------------------------------------------------- tariffs


def test_tariff_added_on_the_tariffs_page(staff_client, in_tenant):
    response = staff_client.post(reverse("finance:tariffs"), {
        "name": "Światłowód 600", "net_price": "64.23", "vat_rate": "23", "period": "quarterly",
        "billing": "arrears", "download_kbps": "600000", "upload_kbps": "100000"}, follow=True)
    assert "Tariff Światłowód 600 added." in response.content.decode()
    tariff = Tariff.objects.get()
    assert (tariff.net_price, tariff.period, tariff.billing, tariff.download_kbps) == (
        D("64.23"), "quarterly", "arrears", 600000)
    row = response.content.decode().split('id="tariff-')[1]
    assert "64.23" in row and "quarterly" in row and "in arrears" in row


def test_negative_price_on_the_page_is_refused(staff_client, in_tenant):
    response = staff_client.post(reverse("finance:tariffs"), {
        "name": "Zły", "net_price": "-5", "vat_rate": "23", "period": "monthly",
        "billing": "advance"})
    assert response.status_code == 400
    assert "The net price must be above zero." in response.content.decode()
    assert not Tariff.objects.exists()


def test_tariff_edited_and_deactivated(staff_client, internet):
    response = staff_client.post(reverse("finance:tariff_edit", args=[internet.pk]), {
        "name": "Internet 300 Plus", "net_price": "110.00", "vat_rate": "23",
        "period": "monthly", "billing": "advance"}, follow=True)
    assert "Tariff Internet 300 Plus saved." in response.content.decode()
    staff_client.post(reverse("finance:tariff_deactivate", args=[internet.pk]))
    internet.refresh_from_db()
    assert (internet.name, internet.net_price, internet.is_active) == (
        "Internet 300 Plus", D("110.00"), False)
    assert ActionLog.objects.filter(kind="finance.tariff").count() == 3


def test_operator_sees_tariffs_but_cannot_add(client, tenant, internet):
    from conftest import make_staff

    client.force_login(make_staff(tenant, "olek", role=Role.OPERATOR))
    assert "Internet 300" in client.get(reverse("finance:tariffs")).content.decode()
    response = client.post(reverse("finance:tariffs"), {
        "name": "X", "net_price": "1", "vat_rate": "23", "period": "monthly",
        "billing": "advance"})
    assert response.status_code == 403
    assert Tariff.objects.count() == 1


# --------------------------------------------------------------------------- billing run


def test_preview_shows_what_the_run_would_issue_and_writes_nothing(staff_client, staff,
                                                                   customer, internet):
    day17 = LONG_MONTH.replace(day=17)
    billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                             start_date=day17)
    response = staff_client.get(reverse("finance:billing"), {"run_date": day17.isoformat()})
    page = response.content.decode()
    assert response.status_code == 200
    assert '<dd class="col-sm-9 preview-invoices">1</dd>' in page
    assert "PLN\xa048.39" in page and "PLN\xa059.52" in page  # 15 of 31 days
    assert (f"Internet 300, {LONG_MONTH.isoformat()} – {LONG_MONTH.replace(day=31)} "
            "(15 of 31 days)") in page
    assert "Jan Kowalski" in page and 'id="run-button"' in page
    assert not FinanceDocument.objects.exists() and not BillingRun.objects.exists()


def test_run_button_issues_and_shows_progress(staff_client, staff, customer, internet,
                                              django_capture_on_commit_callbacks):
    billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                             start_date=MONTH)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("finance:billing"),
                                     {"run_date": MONTH.isoformat()})
    run = BillingRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("finance:billing_run", args=[run.pk])
    assert (run.status, run.invoices, run.gross_total, run.created_by) == (
        "done", 1, D("123.00"), staff)
    progress = staff_client.get(reverse("finance:billing_run_progress", args=[run.pk]))
    text = progress.content.decode()
    assert "1 of 1 customers" in text and "1 invoice" in text and "hx-trigger" not in text
    runs = staff_client.get(reverse("finance:billing")).content.decode()
    assert "123.00" in runs and "Anna Testowy" in runs


def test_operator_cannot_start_a_run(client, tenant, in_tenant):
    from conftest import make_staff

    client.force_login(make_staff(tenant, "olek", role=Role.OPERATOR))
    assert client.get(reverse("finance:billing")).status_code == 200  # operators may look
    response = client.post(reverse("finance:billing"), {"run_date": "2026-01-01"})
    assert response.status_code == 403
    assert not BillingRun.objects.exists()


# --------------------------------------------------------------------------- the card


def test_card_lists_subscriptions_with_schedule_and_cycle_counter(staff_client, staff,
                                                                 customer, internet):
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                                            start_date=MONTH - timedelta(days=1))
    billing.billing_run(run_date=TODAY, actor=staff)
    page = card(staff_client, customer).content.decode()
    section = page.split('id="section-subscriptions"')[1].split("</section>")[0]
    assert "Tariffs and payment schedule" in page
    assert "Internet 300" in section
    assert '<span class="cycle-counter">2</span>' in section
    invoice = FinanceDocument.objects.filter(customer=customer).order_by("id").last()
    assert f"invoiced {invoice.number}" in section
    assert section.count('class="schedule-planned"') >= 1
    assert subscription.pk


def test_subscription_added_suspended_and_ended_from_the_card(staff_client, staff, customer,
                                                              internet):
    hx = {"HX-Request": "true"}
    response = staff_client.post(reverse("finance:subscription_add", args=[customer.pk]), {
        "tariff": internet.pk, "start_date": "2026-01-01", "discount": "10"}, headers=hx)
    assert "Tariff Internet 300 added." in response.content.decode()
    subscription = Subscription.objects.get()
    assert subscription.discount == D("10.00")
    response = staff_client.post(reverse("finance:subscription_suspend",
                                         args=[subscription.pk]),
                                 {"date_from": "2026-02-01", "date_to": "2026-02-10",
                                  "reason": "wyjazd"}, headers=hx)
    assert "suspended 2026-02-01 – 2026-02-10: wyjazd" in response.content.decode()
    response = staff_client.post(reverse("finance:subscription_end", args=[subscription.pk]),
                                 {"end_date": "2026-06-30"}, headers=hx)
    assert "Tariff Internet 300 ended." in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.end_date == date(2026, 6, 30)
    assert Suspension.objects.get().reason == "wyjazd"


def test_card_refusals_say_why_and_write_nothing(staff_client, staff, customer, internet):
    hx = {"HX-Request": "true"}
    response = staff_client.post(reverse("finance:subscription_add", args=[customer.pk]), {
        "tariff": internet.pk, "start_date": "2026-03-01", "end_date": "2026-02-01"},
        headers=hx)
    assert "The end is before the start." in response.content.decode()
    assert not Subscription.objects.exists()
    subscription = billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                                            start_date=date(2026, 3, 1))
    response = staff_client.post(reverse("finance:subscription_suspend",
                                         args=[subscription.pk]),
                                 {"date_from": "2026-02-20", "date_to": "2026-03-05",
                                  "reason": "x"}, headers=hx)
    assert "The suspension must lie within the subscription" in response.content.decode()
    assert not Suspension.objects.exists()


def test_section_runs_the_same_queries_for_1_and_3_subscriptions(rf, staff, customer, internet,
                                                                 django_assert_num_queries):
    request = rf.get("/")
    request.user = staff
    billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                             start_date=MONTH)
    billing.billing_run(run_date=TODAY, actor=staff)
    assert staff.has_perm("finance.add_subscription")  # the role, cached on the user
    # Subscriptions with tariffs (and their templates), their suspensions, billing items
    # with their invoices (the form's tariffs are read when it renders); the customer's
    # contracts, annexes and terminations, and the default templates of the documents
    # offered (group defaults, tenant defaults): documents.selectors.subscription_documents.
    with django_assert_num_queries(6):
        subscriptions_section_context(customer, request)
    for name in ("TV", "Telefon"):
        tariff = billing.tariff_create(actor=staff, name=name, net_price=D("10"), vat_rate="8")
        billing.subscription_add(actor=staff, customer=customer, tariff=tariff,
                                 start_date=MONTH)
    billing.billing_run(run_date=TODAY, actor=staff)
    with django_assert_num_queries(6):
        context = subscriptions_section_context(customer, request)
    assert len(context["subscription_rows"]) == 3


# --------------------------------------------------------------------------- command


def test_command_prints_counts_and_dry_run_writes_nothing(tenant, other_tenant, staff,
                                                         customer, internet):
    billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                             start_date=LAST_MONTH)
    out = io.StringIO()
    call_command("billing_run", "--date", MONTH.isoformat(), "--dry-run", "--tenant", "alfa",
                 stdout=out)
    assert out.getvalue().strip() == ("alfa: would issue 2 invoices (2 lines) to 1 customers, "
                                      "200.00 PLN net, 246.00 PLN gross")
    assert not FinanceDocument.objects.exists()
    out = io.StringIO()
    call_command("billing_run", "--date", MONTH.isoformat(), stdout=out)
    assert "alfa: issued 2 invoices" in out.getvalue()
    assert "beta: issued 0 invoices" in out.getvalue()
    assert FinanceDocument.objects.filter(kind="invoice").count() == 2


def test_command_refuses_a_bad_date(tenant):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--date must be YYYY-MM-DD"):
        call_command("billing_run", "--date", "1.02.2026")


def test_beat_task_bills_every_tenant(tenant, staff, customer, internet):
    from finance.tasks import billing_run_daily

    billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                             start_date=MONTH)
    billing_run_daily.delay()
    assert FinanceDocument.objects.filter(customer=customer, kind="invoice").count() == 1


# --------------------------------------------------------------------------- contracts


def test_contract_template_lists_the_customers_tariffs(staff, customer, internet):
    billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                             start_date=date(2026, 1, 1), discount="10")
    other = customer_services.customer_create(actor=staff, last_name="Nowak")
    tv = billing.tariff_create(actor=staff, name="TV", net_price=D("10"), vat_rate="8")
    billing.subscription_add(actor=staff, customer=other, tariff=tv,
                             start_date=date(2026, 1, 1))
    document_services.document_template_create(
        actor=staff, document_type="contract", name="Umowa", is_default=True,
        body="<p>{% for s in subscriptions %}[{{ s.tariff }}: {{ s.price_net }} netto, "
             "{{ s.price_gross }} brutto, od {{ s.start }}]{% endfor %}</p>")
    document = document_services.document_issue(actor=staff, customer=customer,
                                                document_type="contract")
    with document.files.get().file.open("rb") as handle:
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    assert "[Internet 300: 90.00 netto, 110.70 brutto, od 1 stycznia 2026]" in text
    assert "TV" not in text
    assert any(row["name"] == "subscriptions" and ".price_gross" in str(row["help"])
               for row in context_rows("contract"))
