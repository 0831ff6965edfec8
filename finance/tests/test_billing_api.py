"""Billing API: tariffs, a customer's subscriptions and schedule, billing runs."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import formats, timezone

from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from customers import services as customer_services
from finance import billing
from finance.models import BillingRun, FinanceDocument, Subscription, Suspension, Tariff

D = Decimal


@pytest.fixture
def internet(in_tenant, staff):
    return billing.tariff_create(actor=staff, name="Internet 300", net_price=D("100.00"),
                                 vat_rate="23")


def subs_url(customer, suffix=""):
    return f"/api/v1/customers/{customer.pk}/subscriptions/{suffix}"


def test_tariff_created_listed_and_updated(api_client, in_tenant):
    response = api_client.post("/api/v1/tariffs/", {
        "name": "Światłowód 600", "net_price": "64.23", "vat_rate": "23", "period": "yearly",
        "billing": "arrears", "download_kbps": 600000, "upload_kbps": 100000}, format="json")
    assert response.status_code == 201
    tariff = response.json()
    assert (tariff["net_price"], tariff["period"], tariff["billing"], tariff["is_active"]) == (
        "64.23", "yearly", "arrears", True)
    response = api_client.post(f"/api/v1/tariffs/{tariff['id']}/update/",
                               {"net_price": "70.00", "is_active": False}, format="json")
    assert response.status_code == 200
    assert (response.json()["net_price"], response.json()["is_active"]) == ("70.00", False)
    listed = api_client.get("/api/v1/tariffs/").json()
    assert listed["count"] == 1 and listed["results"][0]["name"] == "Światłowód 600"


def test_bad_tariff_is_a_400_with_the_reason_and_nothing_written(api_client, in_tenant):
    response = api_client.post("/api/v1/tariffs/", {"name": "X", "net_price": "-1",
                                                    "vat_rate": "23"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"net_price": ["The net price must be above zero."]}
    response = api_client.post("/api/v1/tariffs/", {"name": "X", "net_price": "1",
                                                    "vat_rate": "22"}, format="json")
    assert response.status_code == 400 and "vat_rate" in response.json()["errors"]
    assert not Tariff.objects.exists()


def test_subscription_added_suspended_ended_and_its_schedule(api_client, staff, customer,
                                                            internet):
    response = api_client.post(subs_url(customer), {
        "tariff": internet.pk, "start_date": "2026-01-17", "discount": "0"}, format="json")
    assert response.status_code == 201
    sub = response.json()
    assert sub["tariff"]["name"] == "Internet 300" and sub["cycles_billed"] == 0
    response = api_client.post(subs_url(customer, f"{sub['id']}/suspend/"), {
        "date_from": "2026-02-01", "date_to": "2026-02-28", "reason": "wyjazd"},
        format="json")
    assert response.status_code == 201
    assert response.json()["suspensions"][0]["reason"] == "wyjazd"
    response = api_client.post(subs_url(customer, f"{sub['id']}/end/"),
                               {"end_date": "2026-03-10"}, format="json")
    assert response.json()["end_date"] == "2026-03-10"
    billing.billing_run(run_date=date(2026, 1, 17), actor=staff)
    schedule = api_client.get(subs_url(customer, f"{sub['id']}/schedule/"),
                              {"until": "2026-12-31"}).json()
    assert schedule["cycles_billed"] == 1
    assert [(e["period_start"], e["days"], e["net"], e["gross"], e["status"])
            for e in schedule["entries"]] == [
        ("2026-01-01", 15, "48.39", "59.52", "billed"),
        ("2026-02-01", 0, "0.00", "0.00", "suspended"),
        ("2026-03-01", 10, "32.26", "39.68", "planned"),
    ]
    assert schedule["entries"][0]["invoice_number"] == "FV/2026/01/1"


def test_suspension_outside_the_subscription_is_a_400(api_client, customer, internet, staff):
    sub = billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                                   start_date=date(2026, 2, 1))
    response = api_client.post(subs_url(customer, f"{sub.pk}/suspend/"), {
        "date_from": "2026-01-01", "date_to": "2026-02-10", "reason": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["date_from"] == [
        "The suspension must lie within the subscription (2026-02-01 – …)."]
    assert not Suspension.objects.exists()


def test_another_tenants_tariff_cannot_be_subscribed(api_client, customer, other_tenant,
                                                     other_staff):
    with tenant_context(other_tenant):
        foreign = billing.tariff_create(actor=other_staff, name="Obca", net_price=D("1"),
                                        vat_rate="23")
    response = api_client.post(subs_url(customer), {"tariff": foreign.pk,
                                                    "start_date": "2026-01-01"}, format="json")
    assert response.status_code == 400 and "tariff" in response.json()["errors"]
    assert not Subscription.objects.exists()


def test_preview_then_run(api_client, staff, customer, internet,
                          django_capture_on_commit_callbacks):
    # Dates in the allowed range: a subscription from the first of last month, billed on
    # the first of this month (two periods in advance).
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                             start_date=last_month)
    preview = api_client.post("/api/v1/billing-runs/preview/",
                              {"run_date": this_month.isoformat()}, format="json").json()
    assert (preview["customers"], preview["invoices"], preview["gross_total"]) == (
        1, 2, "246.00")
    assert preview["first_lines"][0]["name"] == (
        f"Internet 300, {last_month.isoformat()} – "
        f"{(this_month - timedelta(days=1)).isoformat()}")
    assert not FinanceDocument.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/v1/billing-runs/run/",
                                   {"run_date": this_month.isoformat()}, format="json")
    assert response.status_code == 201
    run = api_client.get(f"/api/v1/billing-runs/{response.json()['id']}/").json()
    assert (run["status"], run["invoices"], run["gross_total"]) == ("done", 2, "246.00")
    assert FinanceDocument.objects.filter(kind="invoice").count() == 2
    listed = api_client.get("/api/v1/billing-runs/").json()
    assert listed["count"] == 1


def test_operator_cannot_run_billing_or_add_tariffs(tenant, in_tenant, customer):
    from conftest import make_staff, token_client

    client = token_client(make_staff(tenant, "olek", role=Role.OPERATOR), tenant)
    assert client.get("/api/v1/tariffs/").status_code == 200
    assert client.post("/api/v1/billing-runs/run/", {}, format="json").status_code == 403
    assert client.post("/api/v1/tariffs/", {"name": "X", "net_price": "1", "vat_rate": "23"},
                       format="json").status_code == 403
    assert not BillingRun.objects.exists() and not Tariff.objects.exists()


def test_subscription_list_runs_the_same_queries_for_1_and_5(api_client, staff, customer,
                                                             internet,
                                                             django_assert_num_queries):
    def count():
        # token, membership, token's last use, customer, permissions (role), page count,
        # the page with tariffs, their suspensions
        with django_assert_num_queries(8):
            response = api_client.get(subs_url(customer))
        return response.json()["count"]

    billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                             start_date=date(2026, 1, 1))
    assert count() == 1
    for day in range(2, 6):
        billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                                 start_date=date(2026, 1, day))
    assert count() == 5


def test_writes_are_action_logged(api_client, customer, internet):
    other = customer_services.customer_create(actor=None, last_name="Nowak")
    api_client.post(subs_url(other), {"tariff": internet.pk, "start_date": "2026-01-01"},
                    format="json")
    entry = ActionLog.objects.get(customer=other, kind="finance.subscription")
    day = formats.date_format(date(2026, 1, 1), "SHORT_DATE_FORMAT")
    assert entry.text == f"Tariff Internet 300 from {day} added"
    assert entry.actor_name == "Anna Testowy"
