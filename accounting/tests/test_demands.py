"""Payment demands: what one lists and prints, the fee's debit note, idempotency (twice,
twice at once), customers skipped when the job reaches them, another tenant's ids, the
job through the page and the API, the event for e-mail."""

import io
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from accounting import demands
from accounting.models import DemandJob, PaymentDemand
from accounting.tests.fixtures_debtors import (
    debtor_customer,
    debtor_owe,
    debtor_pay,
    demand_setting,
)
from conftest import token_client
from core.events import subscribe, unsubscribe
from core.models import Tenant
from core.tenancy import tenant_context
from finance.models import FinanceDocument, Kind
from finance.selectors import customer_balance

TODAY = date.today()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def debtor(in_tenant, staff):
    """Owes 150.00 overdue (two invoices) and 40.00 not yet due."""
    customer = debtor_customer(staff, "Dluzny")
    first = debtor_owe(staff, customer, "100.00", due=TODAY - timedelta(days=30))
    second = debtor_owe(staff, customer, "50.00", due=TODAY - timedelta(days=3))
    future = debtor_owe(staff, customer, "40.00", due=TODAY + timedelta(days=10),
                        issued=TODAY)
    return customer, [first, second, future]


def test_demand_lists_overdue_invoices_prints_them_and_sets_the_deadline(debtor, staff,
                                                                         tenant):
    customer, (first, second, future) = debtor
    demand_setting(tenant, "demand_days", 10)
    outcome = demands.demand_issue(actor=staff, customer_id=customer.pk)
    assert outcome.status == demands.ISSUED
    demand = outcome.demand
    assert demand.number == f"WZ/{TODAY.year}/1"
    assert (demand.amount, demand.balance, demand.fee) == (
        Decimal("150.00"), Decimal("-190.00"), Decimal("0.00"))
    assert demand.deadline == TODAY + timedelta(days=10)
    assert [(i.number, i.amount) for i in demand.items.all()] == [
        (first.number, Decimal("100.00")), (second.number, Decimal("50.00"))]
    assert demand.pay_to == (customer.virtual_account or "")
    text = pdf_text(bytes(demand.pdf))
    assert "Wezwanie do zapłaty" in text
    assert first.number in text and second.number in text and future.number not in text
    assert "150,00" in text
    assert TODAY.strftime("%d.%m.%Y") in text  # the date of issue
    assert (TODAY + timedelta(days=10)).strftime("%d.%m.%Y") in text


def test_no_fee_no_debit_note_and_balance_unchanged(debtor, staff):
    customer, _docs = debtor
    demand = demands.demand_issue(actor=staff, customer_id=customer.pk).demand
    assert demand.fee_note is None
    assert not FinanceDocument.objects.filter(customer=customer, kind=Kind.DEBIT_NOTE).exists()
    assert customer_balance(customer=customer) == Decimal("-190.00")


def test_fee_is_charged_by_a_debit_note_in_the_ledger(debtor, staff, tenant):
    customer, _docs = debtor
    demand_setting(tenant, "demand_fee", "20,50")
    demand = demands.demand_issue(actor=staff, customer_id=customer.pk).demand
    note = FinanceDocument.objects.get(customer=customer, kind=Kind.DEBIT_NOTE)
    assert demand.fee == Decimal("20.50") and demand.fee_note == note
    assert note.debit == Decimal("20.50") and demand.number in note.title
    assert note.due_date == demand.deadline
    assert customer_balance(customer=customer) == Decimal("-210.50")
    assert "20,50" in pdf_text(bytes(demand.pdf))
    # The demand itself is not charged twice when asked again the same day.
    again = demands.demand_issue(actor=staff, customer_id=customer.pk)
    assert again.status == demands.ALREADY_DEMANDED
    assert FinanceDocument.objects.filter(customer=customer, kind=Kind.DEBIT_NOTE).count() == 1
    assert customer_balance(customer=customer) == Decimal("-210.50")


def test_fee_setting_refuses_nonsense():
    assert demands.fee_clean("0") == "0.00"
    assert demands.fee_clean("15,5") == "15.50"
    for bad in ("-1", "abc", "1.005", "NaN", "1e9"):
        with pytest.raises(ValidationError):
            demands.fee_clean(bad)


def test_resumed_job_finishes_a_fee_interrupted_before_linking(debtor, staff, tenant):
    """A crash between the demand and its note: running the job again issues the note
    once; a crash after the note but before linking: the note is found, not issued again."""
    customer, _docs = debtor
    demand_setting(tenant, "demand_fee", "9.99")
    job = DemandJob.objects.create(customer_ids=[customer.pk], total=1)
    outcome = demands._demand_create(actor=staff, customer_id=customer.pk, threshold=0,
                                     job=job, today=TODAY, fee=Decimal("9.99"))
    assert outcome.demand.fee_note is None  # "crashed" here
    demands.demand_job_run(job=job, actor=staff)
    demand = PaymentDemand.objects.get()
    assert demand.fee_note is not None
    PaymentDemand.objects.filter(pk=demand.pk).update(fee_note=None)  # crash before linking
    demands._fee_charge(actor=staff, demand=PaymentDemand.objects.get())
    assert FinanceDocument.objects.filter(customer=customer, kind=Kind.DEBIT_NOTE).count() == 1
    assert PaymentDemand.objects.get().fee_note_id == demand.fee_note_id


def test_customer_below_threshold_when_the_job_runs_is_skipped(debtor, staff):
    customer, _docs = debtor
    job = demands.demands_start(actor=staff, customer_ids=[customer.pk],
                                threshold=Decimal("150.00"))
    debtor_pay(staff, customer, "40.01", on=TODAY)  # 149.99 left: one grosz below
    job = demands.demand_job_run(job=job, actor=staff)
    assert (job.status, job.done, job.issued, job.skipped) == ("done", 1, 0, 1)
    assert not PaymentDemand.objects.exists()


def test_exactly_the_threshold_is_demanded(debtor, staff):
    customer, _docs = debtor
    debtor_pay(staff, customer, "40.00", on=TODAY)  # 150.00 left
    outcome = demands.demand_issue(actor=staff, customer_id=customer.pk,
                                   threshold=Decimal("150.00"))
    assert outcome.status == demands.ISSUED


def test_only_not_yet_due_or_credit_is_not_demanded(in_tenant, staff):
    future = debtor_customer(staff, "Przyszly")
    debtor_owe(staff, future, "70.00", due=TODAY + timedelta(days=1), issued=TODAY)
    credit = debtor_customer(staff, "Nadplata")
    debtor_pay(staff, credit, "10.00", on=TODAY)
    assert demands.demand_issue(actor=staff, customer_id=future.pk).status \
        == demands.NOTHING_OVERDUE
    assert demands.demand_issue(actor=staff, customer_id=credit.pk).status \
        == demands.BELOW_THRESHOLD
    assert not PaymentDemand.objects.exists()


def test_other_tenants_customer_ids_are_refused(debtor, staff, other_tenant, other_staff):
    with tenant_context(other_tenant):
        foreign = debtor_customer(other_staff, "Obcy")
    customer, _docs = debtor
    with pytest.raises(ValidationError) as error:
        demands.demands_start(actor=staff, customer_ids=[customer.pk, foreign.pk])
    assert str(foreign.pk) in str(error.value)
    assert not DemandJob.objects.exists()
    # Nor does a job given a foreign id (written by hand) issue anything for it.
    assert demands.demand_issue(actor=staff, customer_id=foreign.pk).status \
        == demands.NOT_FOUND


def test_demands_start_refuses_empty_and_negative(in_tenant, staff):
    with pytest.raises(ValidationError):
        demands.demands_start(actor=staff, customer_ids=[])
    with pytest.raises(ValidationError):
        demands.demands_start(actor=staff, customer_ids=["x"])


def test_event_payment_demand_issued_is_published_after_commit(debtor, staff,
                                                               django_capture_on_commit_callbacks):
    customer, _docs = debtor
    received = []

    def handler(**data):
        received.append(data)

    subscribe("payment_demand.issued", handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            demand = demands.demand_issue(actor=staff, customer_id=customer.pk).demand
    finally:
        unsubscribe("payment_demand.issued", handler)
    assert received == [{"demand_id": demand.pk, "customer_id": customer.pk}]


def test_numbers_follow_the_tenant_pattern(in_tenant, staff, tenant):
    demand_setting(tenant, "demand_number_pattern", "WDZ/{YYYY}/{MM}/{N:3}")
    numbers = []
    for name in ("Pierwszy", "Drugi"):
        customer = debtor_customer(staff, name)
        debtor_owe(staff, customer, "5.00", due=TODAY - timedelta(days=1))
        numbers.append(demands.demand_issue(actor=staff, customer_id=customer.pk).demand.number)
    assert numbers == [f"WDZ/{TODAY:%Y/%m}/001", f"WDZ/{TODAY:%Y/%m}/002"]


def test_twice_at_once_issues_one_demand_and_one_fee(transactional_db, tenant, staff):
    with tenant_context(tenant):
        demand_setting(tenant, "demand_fee", "15.00")
        customer = debtor_customer(staff, "Rownoczesny")
        debtor_owe(staff, customer, "80.00", due=TODAY - timedelta(days=20))
    outcomes, errors = [], []
    barrier = threading.Barrier(4)

    def work():
        try:
            with tenant_context(Tenant.objects.get(pk=tenant.pk)):
                barrier.wait()
                outcomes.append(demands.demand_issue(actor=staff,
                                                     customer_id=customer.pk).status)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == [demands.ALREADY_DEMANDED] * 3 + [demands.ISSUED]
    with tenant_context(tenant):
        assert PaymentDemand.objects.count() == 1
        assert FinanceDocument.objects.filter(kind=Kind.DEBIT_NOTE).count() == 1
        assert customer_balance(customer=customer) == Decimal("-95.00")


# --------------------------------------------------------------------------- pages, API

def test_page_action_issues_demands_for_ticked_customers(client, debtors_accountant, debtor,
                                                         django_capture_on_commit_callbacks):
    customer, _docs = debtor
    client.force_login(debtors_accountant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounting:demands_start"),
                               {"customers": [customer.pk], "threshold": "100"})
    job = DemandJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("accounting:demand_job", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.issued, job.threshold) == ("done", 1, Decimal("100.00"))
    page = client.get(response["Location"]).content.decode()
    assert "1 of 1 customers: 1 demands issued" in page
    demand = PaymentDemand.objects.get()
    listing = client.get(reverse("accounting:demands")).content.decode()
    assert demand.number in listing
    pdf = client.get(reverse("accounting:demand_pdf", args=[demand.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_page_action_on_all_matching(client, debtors_accountant, debtor, staff,
                                     django_capture_on_commit_callbacks):
    small = debtor_customer(staff, "Maly")
    debtor_owe(staff, small, "5.00", due=TODAY - timedelta(days=2))
    client.force_login(debtors_accountant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounting:demands_start"), {"all_matching": "1",
                                                          "threshold": "100"})
    assert list(PaymentDemand.objects.values_list("customer__last_name", flat=True)) \
        == ["Dluzny"]


def test_page_action_without_selection_says_so(client, debtors_accountant, debtor):
    client.force_login(debtors_accountant)
    response = client.post(reverse("accounting:demands_start"), {}, follow=True)
    assert "Select at least one customer." in response.content.decode()
    assert not DemandJob.objects.exists()


def test_action_log_records_the_demand(debtor, staff):
    from core.models import ActionLog

    customer, _docs = debtor
    demand = demands.demand_issue(actor=staff, customer_id=customer.pk).demand
    entry = ActionLog.objects.get(kind="accounting.demand")
    assert entry.customer_id == customer.pk and entry.params["n"] == demand.number


def test_api_starts_a_job_and_lists_demands(tenant, debtors_accountant, debtor,
                                            django_capture_on_commit_callbacks):
    customer, _docs = debtor
    client = token_client(debtors_accountant, tenant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/payment-demand-jobs/", {"customers": [customer.pk]},
                               format="json")
    assert response.status_code == 201, response.json()
    job = client.get(f"/api/v1/payment-demand-jobs/{response.json()['id']}/").json()
    assert (job["status"], job["issued"]) == ("done", 1)
    (demand,) = client.get("/api/v1/payment-demands/", {"customer": customer.pk}
                           ).json()["results"]
    assert demand["amount"] == "150.00"
    pdf = client.get(f"/api/v1/payment-demands/{demand['id']}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_api_refuses_other_tenants_customer(tenant, debtors_accountant, other_tenant,
                                            other_staff):
    with tenant_context(other_tenant):
        foreign = debtor_customer(other_staff, "Obcy")
    client = token_client(debtors_accountant, tenant)
    response = client.post("/api/v1/payment-demand-jobs/", {"customers": [foreign.pk]},
                           format="json")
    assert response.status_code == 400
    with tenant_context(tenant):
        assert not DemandJob.objects.exists()


def test_api_operator_cannot_start_and_technician_cannot_read(tenant, debtors_operator,
                                                              debtors_technician, debtor):
    customer, _docs = debtor
    response = token_client(debtors_operator, tenant).post(
        "/api/v1/payment-demand-jobs/", {"customers": [customer.pk]}, format="json")
    assert response.status_code == 403
    assert token_client(debtors_technician, tenant).get(
        "/api/v1/payment-demands/").status_code == 403


def test_other_tenants_demand_pdf_is_404(client, other_tenant, debtor, staff):
    from conftest import make_staff

    customer, _docs = debtor
    demand = demands.demand_issue(actor=staff, customer_id=customer.pk).demand
    client.force_login(make_staff(other_tenant, "obca"))
    assert client.get(reverse("accounting:demand_pdf", args=[demand.pk])).status_code == 404


def test_card_section_lists_the_customers_demands(client, debtors_accountant, debtors_technician,
                                                  debtor, staff):
    customer, _docs = debtor
    demand = demands.demand_issue(actor=staff, customer_id=customer.pk).demand
    url = reverse("customers:section", args=[customer.pk, "demands"])
    client.force_login(debtors_accountant)
    response = client.get(url)
    assert response.status_code == 200 and demand.number in response.content.decode()
    client.force_login(debtors_technician)
    assert demand.number not in client.get(url).content.decode()


def test_the_demand_goes_by_e_mail_with_its_pdf_once(debtor, staff, tenant,
                                                    django_capture_on_commit_callbacks):
    """``accounting.demand_email`` on (the default): messaging queues one e-mail to the
    customer's address for notifications with the demand's PDF; asking again (a resumed
    job) queues nothing more; with the setting off nothing is e-mailed."""
    from customers import services as customer_services
    from messaging.models import Message

    customer, _docs = debtor
    customer_services.email_add(actor=staff, customer=customer, address="dluzny@example.pl")
    with django_capture_on_commit_callbacks(execute=True):
        demand = demands.demand_issue(actor=staff, customer_id=customer.pk).demand
    with django_capture_on_commit_callbacks(execute=True):
        demands.demand_mail_request(demand)

    message = Message.objects.get(related_kind="payment_demand", related_id=demand.pk)
    assert (message.purpose, message.recipient) == ("document", "dluzny@example.pl")
    assert message.subject == f"Wezwanie do zapłaty {demand.number}"
    assert "150,00 zł" in message.body and demand.deadline.strftime("%d.%m.%Y") in message.body
    attachment = message.attachments.get()
    assert bytes(attachment.content) == bytes(demand.pdf)
    assert attachment.filename == demand.number.replace("/", "-") + ".pdf"

    other = debtor_customer(staff, "Bezmailowy")
    customer_services.email_add(actor=staff, customer=other, address="b@example.pl")
    debtor_owe(staff, other, "80.00", due=TODAY - timedelta(days=20))
    demand_setting(tenant, "demand_email", False)
    with django_capture_on_commit_callbacks(execute=True):
        quiet = demands.demand_issue(actor=staff, customer_id=other.pk).demand
    assert quiet is not None
    assert not Message.objects.filter(related_kind="payment_demand", related_id=quiet.pk)
