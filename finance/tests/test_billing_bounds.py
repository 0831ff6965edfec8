"""The limits of a billing run (issue 11): the billing date's range, the periods one run
bills per subscription, a batch's locks, one run at a time, and a run that dies —
resumed or abandoned."""

import calendar
import threading
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_staff, token_client
from core.models import ActionLog, Tenant
from core.roles import Role
from core.services import tenant_setting_set
from core.tenancy import tenant_context
from customers import services as customer_services
from finance import billing, services
from finance.models import BillingItem, BillingRun, FinanceDocument, Subscription

D = Decimal
TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)
LAST_MONTH = (MONTH - timedelta(days=1)).replace(day=1)
NEXT_MONTH = (MONTH + timedelta(days=32)).replace(day=1)
# The default range: the first of last month … the last day of next month.
FIRST = LAST_MONTH
LAST = NEXT_MONTH.replace(day=calendar.monthrange(NEXT_MONTH.year, NEXT_MONTH.month)[1])
RUNS = "/api/v1/billing-runs/"


def months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def add_months(first_of_month: date, months: int) -> date:
    for _ in range(months):
        first_of_month = (first_of_month + timedelta(days=31)).replace(day=1)
    return first_of_month


@pytest.fixture
def internet(in_tenant, staff):
    return billing.tariff_create(actor=staff, name="Internet 300", net_price=D("100.00"),
                                 vat_rate="23")


@pytest.fixture
def subscribed(staff, customer, internet):
    """A monthly subscription billed in advance from the first of this month."""
    return billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                                    start_date=MONTH)


def range_message(day: date) -> str:
    return (f"The billing date must be from {FIRST} to {LAST} (the tenant's settings allow "
            f"1 month(s) back and 1 month(s) ahead); {day} is outside.")


def nothing_written():
    return (not BillingRun.objects.exists() and not FinanceDocument.objects.exists()
            and not BillingItem.objects.exists())


# --------------------------------------------------------------------------- the date range


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(today=st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31)),
       back=st.integers(min_value=0, max_value=12), ahead=st.integers(min_value=0, max_value=12))
def test_range_runs_from_the_first_of_a_month_back_to_the_end_of_a_month_ahead(
        in_tenant, staff, today, back, ahead):
    tenant_setting_set(actor=staff, key="finance.billing_months_back", raw_value=back)
    tenant_setting_set(actor=staff, key="finance.billing_months_ahead", raw_value=ahead)
    first, last = billing.billing_date_range(today=today)
    assert first.day == 1 and (last + timedelta(days=1)).day == 1
    assert months_between(first, today) == back and months_between(today, last) == ahead
    for day in (first, today, last):
        assert billing.billing_date_check(day, today=today) == day
    for day in (first - timedelta(days=1), last + timedelta(days=1)):
        with pytest.raises(ValidationError) as e:
            billing.billing_date_check(day, today=today)
        assert f"from {first} to {last}" in e.value.message_dict["run_date"][0]


def test_range_crosses_the_year_both_ways(in_tenant):
    assert billing.billing_date_range(today=date(2027, 1, 15)) == (date(2026, 12, 1),
                                                                  date(2027, 2, 28))
    assert billing.billing_date_range(today=date(2026, 12, 31)) == (date(2026, 11, 1),
                                                                   date(2027, 1, 31))
    assert billing.billing_date_range(today=date(2028, 1, 31)) == (date(2027, 12, 1),
                                                                  date(2028, 2, 29))


@pytest.mark.parametrize("day", [
    date(7143, 11, 11), date(9999, 12, 31), date(1, 1, 1), date(1900, 1, 1),
    FIRST - timedelta(days=1), LAST + timedelta(days=1), NEXT_MONTH.replace(year=LAST.year + 1),
])
def test_api_run_and_preview_refuse_a_date_outside_the_range_and_write_nothing(
        api_client, subscribed, day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = api_client.post(RUNS + "run/", {"run_date": day.isoformat()}, format="json")
    preview = api_client.post(RUNS + "preview/", {"run_date": day.isoformat()}, format="json")
    for response in (run, preview):
        assert response.status_code == 400
        assert response.json()["errors"] == {"run_date": [range_message(day)]}
    assert nothing_written()


def test_api_accepts_the_range_boundaries_exactly(api_client, staff, subscribed,
                                                  django_capture_on_commit_callbacks):
    first = api_client.post(RUNS + "preview/", {"run_date": FIRST.isoformat()},
                            format="json").json()
    assert (first["allowed_from"], first["allowed_to"]) == (FIRST.isoformat(), LAST.isoformat())
    assert first["invoices"] == 0  # nothing is due before the subscription starts
    preview = api_client.post(RUNS + "preview/", {"run_date": LAST.isoformat()},
                              format="json").json()
    # The last day of next month bills this month and next month in advance, no further.
    assert (preview["invoices"], preview["gross_total"], preview["subscriptions_capped"]) == (
        2, "246.00", 0)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(RUNS + "run/", {"run_date": LAST.isoformat()},
                                   format="json")
    assert response.status_code == 201
    run = api_client.get(f"{RUNS}{response.json()['id']}/").json()
    assert (run["status"], run["invoices"], run["interrupted"]) == ("done", 2, False)
    subscribed.refresh_from_db()
    assert subscribed.billed_until == LAST


def test_a_tenant_may_allow_more_months_ahead(api_client, staff, subscribed):
    tenant_setting_set(actor=staff, key="finance.billing_months_ahead", raw_value=3)
    later = (LAST + timedelta(days=1)).replace(day=15)
    response = api_client.post(RUNS + "preview/", {"run_date": later.isoformat()},
                               format="json")
    assert response.status_code == 200 and response.json()["invoices"] == 3
    with pytest.raises(ValidationError, match="must be at most 12"):
        tenant_setting_set(actor=staff, key="finance.billing_months_ahead", raw_value=120)


def test_operator_may_preview_within_the_range_only_and_never_run(tenant, subscribed):
    client = token_client(make_staff(tenant, "olek", role=Role.OPERATOR), tenant)
    assert client.post(RUNS + "preview/", {"run_date": MONTH.isoformat()},
                       format="json").status_code == 200
    response = client.post(RUNS + "preview/", {"run_date": "7143-11-11"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"run_date": [range_message(date(7143, 11, 11))]}
    assert client.post(RUNS + "run/", {"run_date": MONTH.isoformat()},
                       format="json").status_code == 403
    assert nothing_written()


def test_staff_page_refuses_a_date_outside_the_range_with_a_form_error(
        staff_client, subscribed, django_capture_on_commit_callbacks):
    page = staff_client.get(reverse("finance:billing")).content.decode()
    assert f'min="{FIRST}"' in page and f'max="{LAST}"' in page
    assert f"From {FIRST} to {LAST}." in page
    response = staff_client.get(reverse("finance:billing"), {"run_date": "7143-11-11"})
    assert response.status_code == 400
    assert range_message(date(7143, 11, 11)) in unescape(response.content.decode())
    assert 'id="preview"' not in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("finance:billing"), {"run_date": "9999-12-31"})
    assert response.status_code == 400
    assert range_message(date(9999, 12, 31)) in unescape(response.content.decode())
    assert nothing_written()
    # The list's paging alone is no preview, and no error.
    assert staff_client.get(reverse("finance:billing"), {"page": "2"}).status_code == 200


def test_command_refuses_a_date_outside_the_tenants_range(tenant, subscribed):
    with pytest.raises(CommandError, match="No billing run for: alfa"):
        call_command("billing_run", "--date", "7143-11-11", "--tenant", "alfa")
    assert nothing_written()


def test_schedule_is_not_asked_for_beyond_ten_years(api_client, customer, subscribed):
    url = f"/api/v1/customers/{customer.pk}/subscriptions/{subscribed.pk}/schedule/"
    response = api_client.get(url, {"until": "9999-12-31"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"until": [
        f"A schedule shows at most 10 years ahead: until {TODAY.year + 10}-12-31."]}
    entries = api_client.get(url, {"until": f"{TODAY.year + 10}-12-31"}).json()["entries"]
    assert len(entries) == months_between(MONTH, date(TODAY.year + 10, 12, 1)) + 1


@pytest.mark.parametrize("start", ["0001-01-01", "1999-12-31", "7143-11-11", "9999-12-31"])
def test_a_subscription_cannot_start_in_a_runaway_year(api_client, customer, internet, start):
    response = api_client.post(f"/api/v1/customers/{customer.pk}/subscriptions/",
                               {"tariff": internet.pk, "start_date": start}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"start_date": [
        f"The start must be from 2000-01-01 to {TODAY.year + 10}-12-31."]}
    assert not Subscription.objects.exists()


# --------------------------------------------------------------------------- work of one run


def test_a_catch_up_bills_the_oldest_periods_up_to_the_limit_and_says_so(
        in_tenant, staff, customer, internet):
    tenant_setting_set(actor=staff, key="finance.billing_max_periods", raw_value=5)
    start = date(MONTH.year - 1, MONTH.month, 1)  # 12 months behind, 13 periods due today
    sub = billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                                   start_date=start)
    preview = billing.billing_preview(run_date=TODAY)
    assert (preview.invoices, preview.capped) == (5, 1)
    run = billing.billing_run(run_date=TODAY, actor=staff)
    assert (run.invoices, run.subscriptions_capped, run.status) == (5, 1, "done")
    sub.refresh_from_db()
    assert sub.billed_until == add_months(start, 5) - timedelta(days=1)  # the oldest five
    assert ("(1 subscription has more periods due than one run bills: the next run "
            "continues)") in ActionLog.objects.filter(kind="finance.billing_run").first().text
    assert [billing.billing_run(run_date=TODAY, actor=staff).invoices for _ in range(3)] == [
        5, 3, 0]
    items = BillingItem.objects.filter(subscription=sub).order_by("period_start")
    assert [i.period_start for i in items] == [add_months(start, n) for n in range(13)]
    assert items.count() == 13 and len({i.period_start for i in items}) == 13


def test_even_a_runaway_date_given_to_the_service_is_bounded_work(in_tenant, staff, customer,
                                                                 internet):
    # The service trusts its date (the nightly run bills today); the work is bounded anyway.
    billing.subscription_add(actor=staff, customer=customer, tariff=internet,
                             start_date=MONTH)
    run = billing.billing_run(run_date=date(7143, 11, 11), actor=staff)
    assert (run.status, run.invoices, run.subscriptions_capped) == ("done", 12, 1)


# --------------------------------------------------------------------------- concurrency


class Pause:
    """Holds a run inside its first batch's transaction (the accounts of the batch locked)
    until released — the run "in progress" for the other thread."""

    def __init__(self, monkeypatch, *, fail_at=None, kill_at=None):
        self.paused, self.release = threading.Event(), threading.Event()
        self.calls = 0
        original = billing._advance_subscriptions

        def advance(items):
            original(items)
            self.calls += 1
            if self.calls == fail_at:
                raise RuntimeError("disk full")
            if self.calls == kill_at:
                raise Killed
            if fail_at is None and kill_at is None and self.calls == 1:
                self.paused.set()
                assert self.release.wait(30)

        monkeypatch.setattr(billing, "_advance_subscriptions", advance)
        monkeypatch.setattr(billing, "CHUNK", 1)


class Killed(BaseException):
    """Like SIGKILL to the process: nothing after it runs (not even ``except Exception``)."""


def customers_with_subscriptions(staff, count):
    internet = billing.tariff_create(actor=staff, name="Internet 300",
                                     net_price=D("100.00"), vat_rate="23")
    customers = [customer_services.customer_create(actor=staff, last_name=f"Nowak{i}")
                 for i in range(count)]
    for c in customers:
        billing.subscription_add(actor=staff, customer=c, tariff=internet, start_date=MONTH)
    return customers


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")


def in_thread(tenant, work, results):
    def target():
        try:
            with tenant_context(Tenant.objects.get(pk=tenant.pk)):
                results.append(work())
        except BaseException as e:  # noqa: BLE001 - reported by the test
            results.append(e)
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_ledger_write_on_another_customer_completes_while_a_run_is_in_progress(
        transactional_db, postgres_only, tenant, staff, monkeypatch):
    with tenant_context(tenant):
        first, second = customers_with_subscriptions(staff, 2)
    pause = Pause(monkeypatch)
    results = []
    thread = in_thread(tenant, lambda: billing.billing_run(run_date=TODAY, actor=None), results)
    try:
        assert pause.paused.wait(30)
        with tenant_context(tenant):
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '300ms'")
            # The batch in progress holds its own customer's account …
            with pytest.raises(OperationalError, match="lock timeout"):
                services.bank_transfer_record(actor=staff, customer=first, amount=D("10.00"),
                                              booking_date=TODAY, title="wpłata",
                                              bank_reference="REF-FIRST")
            # … and no other: a payment of the next customer is booked at once.
            payment = services.bank_transfer_record(
                actor=staff, customer=second, amount=D("123.00"), booking_date=TODAY,
                title="abonament", bank_reference="REF-SECOND")
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")
            assert BillingRun.objects.get().status == "running"
    finally:
        pause.release.set()
        thread.join(60)
    [run] = results
    assert (run.status, run.invoices, run.customers_done) == ("done", 2, 2)
    with tenant_context(tenant):
        invoice = FinanceDocument.objects.get(customer=second, kind="invoice")
        # Billed after the payment was booked: the credit settles it.
        assert services.invoice_settlement(invoice).status == "settled"
        assert payment.pk and not FinanceDocument.objects.filter(
            bank_reference="REF-FIRST").exists()


def test_the_same_run_request_twice_at_once_starts_one_run(transactional_db, postgres_only,
                                                           tenant, staff, monkeypatch):
    with tenant_context(tenant):
        customers_with_subscriptions(staff, 2)
    pause = Pause(monkeypatch)
    barrier = threading.Barrier(2)
    clients = [token_client(staff, tenant) for _ in range(2)]
    responses = []

    def post(client):
        def work():
            barrier.wait()
            return client.post(RUNS + "run/", {"run_date": TODAY.isoformat()}, format="json")
        return work

    threads = [in_thread(tenant, post(client), responses) for client in clients]
    try:
        assert pause.paused.wait(30)  # one run is in its first batch
        # The other request is answered meanwhile (a 400), not after the run.
        deadline = timezone.now() + timedelta(seconds=30)
        while len(responses) < 1 and timezone.now() < deadline:
            threading.Event().wait(0.05)
        [refused] = responses
        assert refused.status_code == 400
        assert refused.json()["errors"] == {"non_field_errors": [
            f"A billing run is already in progress ({TODAY}): wait for it to end."]}
    finally:
        pause.release.set()
        for thread in threads:
            thread.join(60)
    assert sorted(r.status_code for r in responses) == [201, 400]
    with tenant_context(tenant):
        run = BillingRun.objects.get()
        assert (run.status, run.invoices) == ("done", 2)
        assert FinanceDocument.objects.filter(kind="invoice").count() == 2


def test_a_live_run_abandoned_stops_before_its_next_batch(transactional_db, postgres_only,
                                                         tenant, staff, monkeypatch):
    with tenant_context(tenant):
        customers_with_subscriptions(staff, 3)
    pause = Pause(monkeypatch)
    ran, abandoned = [], []
    runner = in_thread(tenant, lambda: billing.billing_run(run_date=TODAY, actor=None), ran)
    try:
        assert pause.paused.wait(30)
        with tenant_context(tenant):
            run = BillingRun.objects.get()
        # The abandon waits for the batch in progress (it holds the run row) …
        abandoner = in_thread(
            tenant, lambda: billing.billing_run_abandon(actor=staff, run=run), abandoned)
        abandoner.join(0.5)
        assert abandoner.is_alive() and not abandoned
    finally:
        pause.release.set()
        runner.join(60)
    abandoner.join(60)
    # … and the run stops after it: one customer billed, the other two left.
    [result] = ran
    assert (result.status, result.customers_done, result.invoices) == ("abandoned", 1, 1)
    with tenant_context(tenant):
        assert FinanceDocument.objects.filter(kind="invoice").count() == 1
        assert billing.billing_run(run_date=TODAY, actor=None).invoices == 2


# --------------------------------------------------------------------------- dies, resumed


def test_a_run_that_fails_mid_way_is_resumed_and_bills_nothing_twice(
        api_client, in_tenant, staff, monkeypatch, django_capture_on_commit_callbacks):
    customers = customers_with_subscriptions(staff, 3)
    pause = Pause(monkeypatch, fail_at=2)
    with pytest.raises(RuntimeError, match="disk full"):
        billing.billing_run(run_date=TODAY, actor=staff)
    run = BillingRun.objects.get()
    assert (run.status, run.customers_done, run.customers_total, run.invoices, run.error) == (
        "failed", 1, 3, 1, "disk full")
    assert FinanceDocument.objects.filter(kind="invoice").count() == 1  # batch 2 rolled back
    # Resume it: the customers not done yet, each once.
    assert pause.calls == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"{RUNS}{run.pk}/resume/")
    assert response.status_code == 200
    run.refresh_from_db()
    assert (run.status, run.customers_done, run.invoices, run.error) == ("done", 3, 3, "")
    for c in customers:
        assert FinanceDocument.objects.filter(customer=c, kind="invoice").count() == 1
        assert Subscription.objects.get(customer=c).cycles_billed == 1
    numbers = list(FinanceDocument.objects.filter(kind="invoice").values_list("number",
                                                                                 flat=True))
    assert len(set(numbers)) == 3
    with translation.override("en"):
        assert any("resumed (failed after 1 of 3" in entry.text for entry in
                   ActionLog.objects.filter(kind="finance.billing_run"))
    # Done is done: a second resume is refused.
    response = api_client.post(f"{RUNS}{run.pk}/resume/")
    assert response.status_code == 400
    assert response.json()["errors"] == {"non_field_errors": [
        "Only a failed or interrupted billing run can be resumed; this one is done."]}


def kill_a_run(staff, monkeypatch, count=3):
    """A run whose process died in its second batch, ten minutes and more ago."""
    customers = customers_with_subscriptions(staff, count)
    Pause(monkeypatch, kill_at=2)
    with pytest.raises(Killed):
        billing.billing_run(run_date=TODAY, actor=staff)
    run = BillingRun.objects.get()
    assert (run.status, run.is_interrupted) == ("running", False)  # just now: alive
    BillingRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - BillingRun.STALE_AFTER - timedelta(seconds=1))
    monkeypatch.undo()
    run.refresh_from_db()
    return run, customers


def test_an_interrupted_run_is_shown_blocks_new_runs_and_is_resumed(
        api_client, staff_client, in_tenant, staff, monkeypatch,
        django_capture_on_commit_callbacks):
    run, customers = kill_a_run(staff, monkeypatch)
    assert run.is_interrupted and run.customers_done == 1
    assert api_client.get(f"{RUNS}{run.pk}/").json()["interrupted"] is True
    page = staff_client.get(reverse("finance:billing_run", args=[run.pk])).content.decode()
    assert "interrupted" in page and "No sign of life since" in page
    assert 'id="resume-button"' in page and 'id="abandon-button"' in page
    assert 'hx-trigger="every 1s"' not in page  # a dead run is not polled
    listing = staff_client.get(reverse("finance:billing")).content.decode()
    assert 'class="run-state-interrupted">interrupted<' in listing
    response = api_client.post(RUNS + "run/", {"run_date": TODAY.isoformat()}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"non_field_errors": [
        f"The billing run for {TODAY} was interrupted (1 of 3 customers done): resume or "
        "abandon it first."]}
    # The task delivered again (a worker died: acks_late) continues the interrupted run too.
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("finance:billing_run_resume", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.customers_done, run.invoices) == ("done", 3, 3)
    assert FinanceDocument.objects.filter(kind="invoice").count() == 3


def test_an_interrupted_run_is_abandoned_and_a_new_run_starts(
        api_client, in_tenant, staff, monkeypatch, django_capture_on_commit_callbacks):
    run, _customers = kill_a_run(staff, monkeypatch)
    response = api_client.post(f"{RUNS}{run.pk}/abandon/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["interrupted"]) == ("abandoned", False)
    with translation.override("en"):
        assert any("abandoned (interrupted after 1 of 3 customers, 1 invoices)" in entry.text
                   for entry in ActionLog.objects.filter(kind="finance.billing_run"))
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(RUNS + "run/", {"run_date": TODAY.isoformat()},
                                   format="json")
    assert response.status_code == 201
    new = BillingRun.objects.get(pk=response.json()["id"])
    # The new run bills the two customers the abandoned one did not reach.
    assert (new.status, new.invoices) == ("done", 2)
    assert FinanceDocument.objects.filter(kind="invoice").count() == 3
    assert api_client.post(f"{RUNS}{run.pk}/resume/").status_code == 400


def test_a_task_delivered_again_continues_an_interrupted_run_and_leaves_others_alone(
        in_tenant, staff, monkeypatch):
    from finance.tasks import billing_run_task

    run, _customers = kill_a_run(staff, monkeypatch)
    billing_run_task.delay(run.tenant_id, run.pk, None)
    run.refresh_from_db()
    assert (run.status, run.invoices) == ("done", 3)
    billing_run_task.delay(run.tenant_id, run.pk, None)  # done: nothing more
    run.refresh_from_db()
    assert run.invoices == 3 and FinanceDocument.objects.filter(kind="invoice").count() == 3


def test_a_run_out_of_the_range_by_now_cannot_be_resumed_only_abandoned(
        api_client, in_tenant, staff, monkeypatch):
    run, _customers = kill_a_run(staff, monkeypatch)
    BillingRun.objects.filter(pk=run.pk).update(run_date=FIRST - timedelta(days=1))
    response = api_client.post(f"{RUNS}{run.pk}/resume/")
    assert response.status_code == 400 and "run_date" in response.json()["errors"]
    assert api_client.post(f"{RUNS}{run.pk}/abandon/").status_code == 200


def test_operator_can_neither_resume_nor_abandon_an_accountant_can(
        client, tenant, in_tenant, staff, monkeypatch, django_capture_on_commit_callbacks):
    run, _customers = kill_a_run(staff, monkeypatch)
    operator = make_staff(tenant, "olek", role=Role.OPERATOR)
    api = token_client(operator, tenant)
    assert api.get(f"{RUNS}{run.pk}/").status_code == 200  # operators may look
    assert api.post(f"{RUNS}{run.pk}/resume/").status_code == 403
    assert api.post(f"{RUNS}{run.pk}/abandon/").status_code == 403
    client.force_login(operator)
    page = client.get(reverse("finance:billing_run", args=[run.pk])).content.decode()
    assert 'id="resume-button"' not in page and 'id="abandon-button"' not in page
    assert client.post(reverse("finance:billing_run_resume", args=[run.pk])).status_code == 403
    assert client.post(reverse("finance:billing_run_abandon", args=[run.pk])).status_code == 403
    run.refresh_from_db()
    assert run.is_interrupted
    accountant = token_client(make_staff(tenant, "ksiegowa", role=Role.ACCOUNTANT), tenant)
    with django_capture_on_commit_callbacks(execute=True):
        assert accountant.post(f"{RUNS}{run.pk}/resume/").status_code == 200
    run.refresh_from_db()
    assert run.status == "done"


def test_another_tenants_run_is_a_404(api_client, other_tenant, other_staff, monkeypatch):
    with tenant_context(other_tenant):
        run, _customers = kill_a_run(other_staff, monkeypatch)
    for action in ("resume", "abandon"):
        assert api_client.post(f"{RUNS}{run.pk}/{action}/").status_code == 404
    with tenant_context(other_tenant):
        run.refresh_from_db()
        assert run.is_interrupted
