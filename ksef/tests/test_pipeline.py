"""The KSeF pipeline without KSeF: queueing after issue, the profile, the constraints, the
references for corrections and JPK, the queue page, the invoice panel and the API."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from finance import services as finance_services
from finance.ksef_ledger import document_ksef_get, document_ksef_xml
from ksef import pipeline
from ksef.models import KsefProfile, KsefSubmission
from ksef.tests.fixtures_pipeline import KSEF_TOKEN, SELLER_NIP, issue, profile_enable

State = KsefSubmission.State


# --------------------------------------------------------------------------- profile

def test_profile_token_is_encrypted_at_rest_and_never_logged(in_tenant, staff):
    from django.db import connection

    profile = profile_enable(staff)
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM ksef_ksefprofile WHERE id = %s", [profile.pk])
        stored = cursor.fetchone()[0]
    assert KSEF_TOKEN not in stored and stored
    assert KsefProfile.objects.get().token == KSEF_TOKEN
    entry = ActionLog.objects.filter(kind="ksefprofile.create").get()
    assert KSEF_TOKEN not in str(entry.changes) and KSEF_TOKEN not in str(entry.params)


def test_profile_refuses_an_invalid_nip_and_enabling_without_token(in_tenant, staff):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as bad_nip:
        profile_enable(staff, nip="5260001247")
    assert "nip" in bad_nip.value.message_dict
    with pytest.raises(ValidationError) as no_token:
        profile_enable(staff, token="")
    assert "token" in no_token.value.message_dict
    with pytest.raises(ValidationError) as no_url:
        profile_enable(staff, custom_url="")
    assert "custom_url" in no_url.value.message_dict
    assert not KsefProfile.objects.exists()


def test_empty_token_keeps_the_stored_one_and_nip_dashes_are_dropped(in_tenant, staff):
    profile_enable(staff)
    profile = profile_enable(staff, token="", nip="526-000-12-46", environment="production")
    assert profile.token == KSEF_TOKEN and profile.nip == SELLER_NIP
    assert profile.base_url == "https://api.ksef.mf.gov.pl/v2"
    entry = ActionLog.objects.filter(kind="ksefprofile.update").get()
    assert entry.changes["environment"] == ["custom", "production"]
    assert "token" not in entry.changes


def test_profile_page_is_for_administrators_only(client, tenant, staff):
    accountant = make_staff(tenant, "ksiegowa", Role.ACCOUNTANT)
    client.force_login(accountant)
    assert client.get(reverse("ksef:profile")).status_code == 403
    client.force_login(staff)
    response = client.post(reverse("ksef:profile"), {
        "nip": SELLER_NIP, "environment": "test", "token": "secret-token-1",
        "enabled": "on", "send_on_issue": "on"})
    assert response.status_code == 302
    page = client.get(reverse("ksef:profile")).content.decode()
    assert "secret-token-1" not in page
    bad = client.post(reverse("ksef:profile"), {"nip": "123", "environment": "test"})
    assert bad.status_code == 400


# --------------------------------------------------------------------------- queueing

def test_issued_invoices_are_queued_once_even_if_the_event_comes_twice(
        ksef_profile, staff, customer, django_capture_on_commit_callbacks, monkeypatch):
    sent_tasks = []
    monkeypatch.setattr(pipeline, "send_later", lambda tenant_id, **kw: sent_tasks.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        invoices = issue(staff, customer, 2)
    assert set(KsefSubmission.objects.values_list("document_id", flat=True)) == {
        i.pk for i in invoices}
    assert set(KsefSubmission.objects.values_list("state", flat=True)) == {State.QUEUED}
    # A billing batch delivering the same invoices again queues nothing new.
    pipeline.on_invoices_issued(run_id=1, invoice_ids=[i.pk for i in invoices])
    assert KsefSubmission.objects.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        KsefSubmission.objects.create(document=invoices[0])


def test_nothing_is_queued_while_the_profile_is_disabled_or_absent(
        ksef_seller, staff, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        issue(staff, customer)
    assert not KsefSubmission.objects.exists()
    profile_enable(staff, enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        issue(staff, customer)
    assert not KsefSubmission.objects.exists()


def test_billing_runs_are_left_alone_when_only_manual_issue_is_sent(
        ksef_seller, staff, customer, monkeypatch):
    monkeypatch.setattr(pipeline, "send_later", lambda *a, **kw: None)
    profile_enable(staff, send_after_billing=False)
    invoice, = issue(staff, customer)
    assert pipeline.on_invoices_issued(run_id=1, invoice_ids=[invoice.pk]) is None
    assert not KsefSubmission.objects.exists()
    pipeline.on_invoice_issued(invoice_id=invoice.pk, customer_id=customer.pk)
    assert KsefSubmission.objects.count() == 1


def test_only_invoices_and_corrections_are_queued(ksef_profile, staff, customer, monkeypatch):
    monkeypatch.setattr(pipeline, "send_later", lambda *a, **kw: None)
    invoice, = issue(staff, customer)
    correction, _warnings = finance_services.correction_issue(
        actor=staff, invoice=invoice, reason="Zła cena",
        lines=[{"name": "Internet 600 Mb/s nr 0", "quantity": Decimal("1"),
                "net_unit_price": Decimal("80.00"), "vat_rate": "23"}])
    kp = finance_services.kp_issue(actor=staff, customer=customer, amount=Decimal("10.00"),
                                   register=finance_services.cash_register_create(
                                       actor=staff, name="Kasa", symbol="k1"))
    ids = [invoice.pk, correction.pk, kp.pk]
    assert pipeline.submissions_queue(document_ids=ids, trigger="issue") == 2
    assert set(KsefSubmission.objects.values_list("document_id", flat=True)) == {
        invoice.pk, correction.pk}


def test_another_tenants_document_ids_queue_nothing(ksef_profile, staff, customer,
                                                    other_tenant, other_staff, monkeypatch):
    from core.tenancy import tenant_context
    from customers.services import customer_create

    monkeypatch.setattr(pipeline, "send_later", lambda *a, **kw: None)
    with tenant_context(other_tenant):
        foreign = customer_create(actor=other_staff, first_name="Obcy", last_name="Klient",
                                  status="connected")
        their, = issue(other_staff, foreign)
    assert pipeline.submissions_queue(document_ids=[their.pk], trigger="issue") == 0
    assert not KsefSubmission.all_tenants.filter(document_id=their.pk).exists()


# --------------------------------------------------------------------------- constraints

def test_accepted_needs_a_ksef_number_and_numbers_are_unique_per_tenant(
        ksef_profile, staff, customer, monkeypatch):
    monkeypatch.setattr(pipeline, "send_later", lambda *a, **kw: None)
    first, second = issue(staff, customer, 2)
    pipeline.submissions_queue(document_ids=[first.pk, second.pk], trigger="issue")
    a, b = KsefSubmission.objects.order_by("document_id")
    with pytest.raises(IntegrityError), transaction.atomic():
        KsefSubmission.objects.filter(pk=a.pk).update(state=State.ACCEPTED)
    KsefSubmission.objects.filter(pk=a.pk).update(state=State.ACCEPTED, ksef_number="N-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        KsefSubmission.objects.filter(pk=b.pk).update(state=State.ACCEPTED, ksef_number="N-1")


# --------------------------------------------------------------------------- references

def test_references_give_the_number_off_or_bfk(ksef_profile, staff, customer, monkeypatch):
    monkeypatch.setattr(pipeline, "send_later", lambda *a, **kw: None)
    accepted, offline, waiting, outside = issue(staff, customer, 4)
    pipeline.submissions_queue(document_ids=[accepted.pk, offline.pk, waiting.pk],
                               trigger="issue")
    KsefSubmission.objects.filter(document=accepted).update(
        state=State.ACCEPTED, ksef_number="5260001246-20260110-0123456789AB-CD")
    KsefSubmission.objects.filter(document=offline).update(offline_mode="offline24")
    from core.document_hooks import ksef_references

    assert ksef_references([accepted.pk, offline.pk, waiting.pk, outside.pk]) == {
        accepted.pk: "5260001246-20260110-0123456789AB-CD", offline.pk: "OFF",
        outside.pk: "BFK"}


def test_correction_xml_names_the_corrected_invoices_ksef_number(
        ksef_profile, staff, customer, monkeypatch):
    monkeypatch.setattr(pipeline, "send_later", lambda *a, **kw: None)
    invoice, = issue(staff, customer)
    number = "5260001246-20260110-0123456789AB-CD"
    correction, _w = finance_services.correction_issue(
        actor=staff, invoice=invoice, reason="Rabat",
        lines=[{"name": "Internet 600 Mb/s nr 0", "quantity": Decimal("1"),
                "net_unit_price": Decimal("90.00"), "vat_rate": "23"}])
    xml = document_ksef_xml(document_ksef_get(correction.pk)).decode()
    assert "<NrKSeFN>1</NrKSeFN>" in xml  # the invoice is not in KSeF yet
    pipeline.submissions_queue(document_ids=[invoice.pk], trigger="issue")
    KsefSubmission.objects.filter(document=invoice).update(state=State.ACCEPTED,
                                                           ksef_number=number)
    xml = document_ksef_xml(document_ksef_get(correction.pk)).decode()
    assert f"<NrKSeFFaKorygowanej>{number}</NrKSeFFaKorygowanej>" in xml


# --------------------------------------------------------------------------- pages, API

@pytest.fixture
def rejected(ksef_profile, staff, customer, monkeypatch):
    monkeypatch.setattr(pipeline, "send_later", lambda *a, **kw: None)
    invoice, = issue(staff, customer)
    pipeline.submissions_queue(document_ids=[invoice.pk], trigger="issue")
    KsefSubmission.objects.filter(document=invoice).update(
        state=State.REJECTED, error_code=450,
        error_details=["Błąd weryfikacji semantyki dokumentu faktury", "P_2: zły numer"])
    return KsefSubmission.objects.get(document=invoice)


def test_invoice_page_shows_the_rejection_and_resend_puts_it_back(
        rejected, staff_client, staff):
    page = staff_client.get(reverse("finance:document", args=[rejected.document_id]))
    html = page.content.decode()
    assert 'id="ksef-panel"' in html and "P_2: zły numer" in html and "450" in html
    response = staff_client.post(reverse("ksef:resend", args=[rejected.pk]))
    assert response.status_code == 302
    rejected.refresh_from_db()
    assert rejected.state == State.QUEUED and rejected.error_details == []
    assert ActionLog.objects.filter(kind="ksefsubmission.resend").count() == 1
    # A second resend of the same (no longer rejected) invoice changes nothing.
    staff_client.post(reverse("ksef:resend", args=[rejected.pk]))
    assert ActionLog.objects.filter(kind="ksefsubmission.resend").count() == 1


def test_operator_sees_the_queue_but_cannot_resend(rejected, client, tenant):
    operator = make_staff(tenant, "operator", Role.OPERATOR)
    technician = make_staff(tenant, "technik", Role.TECHNICIAN)
    client.force_login(operator)
    assert client.get(reverse("ksef:queue")).status_code == 200
    assert client.post(reverse("ksef:resend", args=[rejected.pk])).status_code == 403
    assert client.post(reverse("ksef:queue_resend"), {"ids": [rejected.pk]}).status_code == 403
    client.force_login(technician)
    assert client.get(reverse("ksef:queue")).status_code == 403
    rejected.refresh_from_db()
    assert rejected.state == State.REJECTED


def test_queue_filters_pages_and_bulk_resends(rejected, staff_client, staff, customer):
    others = issue(staff, customer, 3)
    pipeline.submissions_queue(document_ids=[i.pk for i in others], trigger="issue")
    url = reverse("ksef:queue")
    page = staff_client.get(url, {"state": "rejected"}).content.decode()
    assert page.count('class="ksef-row"') == 1
    assert staff_client.get(url).content.decode().count('class="ksef-row"') == 4
    assert staff_client.get(url, {"page": 99}).status_code == 200
    # The page's queries (session, user, membership, state counts, count, the page with
    # documents and customers) do not grow with the rows.
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    more = issue(staff, customer, 5)
    pipeline.submissions_queue(document_ids=[i.pk for i in more], trigger="issue")
    with CaptureQueriesContext(connection) as many:
        staff_client.get(url)
    assert len(many) == len(few)  # no query per row
    response = staff_client.post(reverse("ksef:queue_resend"),
                                 {"ids": [rejected.pk, others[0].pk], "next": "https://evil"})
    assert response.status_code == 302 and response["Location"] == url
    assert KsefSubmission.objects.filter(state=State.REJECTED).count() == 0


def test_api_lists_filters_and_resends(rejected, api_client):
    listing = api_client.get("/api/v1/ksef/submissions/", {"state": "rejected"})
    assert listing.status_code == 200
    body = listing.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [r["id"] for r in rows] == [rejected.pk]
    assert rows[0]["error_details"][1] == "P_2: zły numer"
    assert api_client.get(f"/api/v1/ksef/submissions/{rejected.pk}/upo/").status_code == 404
    assert api_client.post(f"/api/v1/ksef/submissions/{rejected.pk}/resend/").status_code == 200
    again = api_client.post(f"/api/v1/ksef/submissions/{rejected.pk}/resend/")
    assert again.status_code == 409


def test_api_of_another_tenant_is_404(rejected, other_api_client):
    assert other_api_client.get(
        f"/api/v1/ksef/submissions/{rejected.pk}/").status_code == 404
    assert other_api_client.post(
        f"/api/v1/ksef/submissions/{rejected.pk}/resend/").status_code == 404
    rejected.refresh_from_db()
    assert rejected.state == State.REJECTED


def test_demo_profile_is_disabled_and_points_nowhere(ksef_seller, staff, customer,
                                                      django_capture_on_commit_callbacks):
    from ksef.demo import NOWHERE, ksef_demo_build

    profile = ksef_demo_build(admin=staff)
    ksef_demo_build(admin=staff)
    assert KsefProfile.objects.count() == 1
    assert (profile.enabled, profile.base_url, profile.nip) == (False, NOWHERE, SELLER_NIP)
    with django_capture_on_commit_callbacks(execute=True):
        issue(staff, customer)
    assert not KsefSubmission.objects.exists()
