"""Sending through the local KSeF peer (h1's ``ksef_peer``): accepted with the KSeF number
and a valid UPO, rejected with codes, 429, KSeF unreachable (offline24 with its deadline),
a lost answer and a crash mid-session — and never an invoice received twice."""

from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ksef import pipeline
from ksef.client import KsefClient
from ksef.models import KsefSubmission
from ksef.tests.fixtures_pipeline import SELLER_NIP, issue
from ksef.upo import upo_parse, upo_validate

State = KsefSubmission.State


@pytest.fixture
def client_of(peer_profile):
    clients = []

    def make(timeout: float = 5.0):
        client = KsefClient(peer_profile.base_url, timeout=timeout, poll_interval=0.01)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def quiet(monkeypatch):
    """No Celery task after commit: the test runs the rounds itself."""
    monkeypatch.setattr(pipeline, "send_later", lambda *a, **kw: None)
    monkeypatch.setattr(pipeline, "POLL_INTERVAL_S", 0.01)


def queue(staff, customer, n=1):
    invoices = issue(staff, customer, n)
    pipeline.submissions_queue(document_ids=[i.pk for i in invoices], trigger="issue")
    return invoices


def received_once(peer, invoices) -> bool:
    """Each invoice reached KSeF exactly once (a second copy would be recorded too, as a
    duplicate), and nothing else did."""
    received = peer.received()
    counts = Counter(i.number for r in received for i in invoices
                     if f"<P_2>{i.number}</P_2>" in r["xml"])
    return len(received) == len(invoices) and all(counts[i.number] == 1 for i in invoices)


def test_issued_b2c_invoices_reach_ksef_once_with_number_and_valid_upo(
        peer_profile, staff, customer, ksef_peer_clean, django_capture_on_commit_callbacks,
        staff_client, monkeypatch):
    monkeypatch.setattr(pipeline, "POLL_INTERVAL_S", 0.01)
    with django_capture_on_commit_callbacks(execute=True):  # the event, then the task
        invoices = issue(staff, customer, 3)
    rows = list(KsefSubmission.objects.order_by("document_id"))
    assert [r.state for r in rows] == [State.ACCEPTED] * 3
    assert received_once(ksef_peer_clean, invoices)
    for row, invoice in zip(rows, invoices, strict=True):
        assert row.ksef_number.startswith(f"{SELLER_NIP}-")
        assert upo_validate(row.upo.encode()) == []
        parsed = upo_parse(row.upo.encode())
        assert parsed["ksef_number"] == row.ksef_number
        assert parsed["invoice_number"] == invoice.number
        assert row.acquired_at is not None and row.invoice_hash
    page = staff_client.get(reverse("finance:document", args=[rows[0].document_id]))
    assert rows[0].ksef_number in page.content.decode()
    upo = staff_client.get(reverse("ksef:upo", args=[rows[0].pk]))
    assert upo.status_code == 200 and upo_validate(upo.content) == []


def test_rejected_invoice_keeps_codes_and_is_accepted_after_resend(
        peer_profile, staff, customer, ksef_peer_clean, quiet, client_of):
    invoice, = queue(staff, customer)
    ksef_peer_clean.script({"answer": "reject", "code": 450,
                            "details": ["Nieprawidłowa wartość P_2"]})
    pipeline.submissions_send(client=client_of())
    row = KsefSubmission.objects.get()
    assert (row.state, row.error_code) == (State.REJECTED, 450)
    assert "Nieprawidłowa wartość P_2" in row.error_details
    pipeline.submission_resend(actor=staff, submission=row)
    pipeline.submissions_send(client=client_of())
    row.refresh_from_db()
    assert row.state == State.ACCEPTED and row.ksef_number
    assert len(ksef_peer_clean.received()) == 2  # the rejected one and the accepted one


def test_a_429_is_waited_out_and_the_invoice_sent_once(
        peer_profile, staff, customer, ksef_peer_clean, quiet, client_of):
    invoices = queue(staff, customer, 2)
    ksef_peer_clean.script({"answer": "429", "retry_after": 1})
    pipeline.submissions_send(client=client_of())
    assert set(KsefSubmission.objects.values_list("state", flat=True)) == {State.ACCEPTED}
    assert received_once(ksef_peer_clean, invoices)


def test_a_long_retry_after_puts_the_invoices_back_in_the_queue(
        peer_profile, staff, customer, ksef_peer_clean, quiet, client_of):
    queue(staff, customer, 2)
    ksef_peer_clean.script({"answer": "429", "retry_after": 120})
    before = timezone.now()
    result = pipeline.submissions_send(client=client_of())
    rows = list(KsefSubmission.objects.all())
    assert {r.state for r in rows} == {State.QUEUED}
    assert all(r.next_try_at >= before + timedelta(seconds=119) for r in rows)
    assert result["retry_in"] > 100
    assert ksef_peer_clean.received() == []


def test_ksef_unreachable_issues_offline24_with_deadline_then_sends_when_back(
        peer_profile, staff, customer, ksef_peer_clean, quiet, client_of):
    invoices = queue(staff, customer, 2)
    ksef_peer_clean.script({"answer": "500", "on": "open"})
    pipeline.submissions_send(client=client_of())
    rows = list(KsefSubmission.objects.all())
    assert {(r.state, r.offline_mode) for r in rows} == {(State.QUEUED, "offline24")}
    assert all(r.offline_deadline and r.offline_deadline > r.document.created_at
               for r in rows)
    assert all(r.next_try_at > timezone.now() for r in rows)
    assert pipeline.submissions_send(client=client_of())["claimed"] == 0  # not due yet
    KsefSubmission.objects.update(next_try_at=timezone.now())
    pipeline.submissions_send(client=client_of())
    assert set(KsefSubmission.objects.values_list("state", flat=True)) == {State.ACCEPTED}
    assert received_once(ksef_peer_clean, invoices)
    assert all(r["offline_mode"] for r in ksef_peer_clean.received())


def test_a_lost_answer_is_found_by_hash_not_sent_again(
        peer_profile, staff, customer, ksef_peer_clean, quiet, client_of):
    """KSeF got the invoice but the answer timed out: the next round asks the session."""
    invoices = queue(staff, customer, 2)
    ksef_peer_clean.script({"answer": "timeout", "seconds": 2.5})
    pipeline.submissions_send(client=client_of(timeout=1.0))
    KsefSubmission.objects.filter(state=State.QUEUED).update(next_try_at=timezone.now())
    pipeline.submissions_send(client=client_of())
    assert set(KsefSubmission.objects.values_list("state", flat=True)) == {State.ACCEPTED}
    assert received_once(ksef_peer_clean, invoices)


class Killed(BaseException):
    """Stands for a worker killed mid-send (nothing catches it)."""


def test_a_crash_after_sending_resumes_by_hash(
        peer_profile, staff, customer, ksef_peer_clean, quiet, client_of, monkeypatch):
    invoices = queue(staff, customer, 3)
    real_send = KsefClient.invoice_send
    calls = []

    def send_then_die(self, session, xml, **kw):
        sent = real_send(self, session, xml, **kw)
        calls.append(sent)
        if len(calls) == 2:
            raise Killed
        return sent

    monkeypatch.setattr(KsefClient, "invoice_send", send_then_die)
    with pytest.raises(Killed):
        pipeline.submissions_send(client=client_of())
    monkeypatch.setattr(KsefClient, "invoice_send", real_send)
    states = Counter(KsefSubmission.objects.values_list("state", flat=True))
    assert states == {State.SENT: 1, State.SENDING: 2}
    # Within the lease another worker leaves them alone …
    assert pipeline.submissions_send(client=client_of())["claimed"] == 0
    # … past it they are resumed: the one KSeF has is matched by hash, the third sent.
    KsefSubmission.objects.filter(state=State.SENDING).update(next_try_at=timezone.now())
    pipeline.submissions_send(client=client_of())
    assert set(KsefSubmission.objects.values_list("state", flat=True)) == {State.ACCEPTED}
    assert received_once(ksef_peer_clean, invoices)


def test_status_processing_is_polled_until_accepted(
        peer_profile, staff, customer, ksef_peer_clean, quiet, client_of):
    queue(staff, customer)
    ksef_peer_clean.script({"answer": "processing", "polls": 3})
    result = pipeline.submissions_send(client=client_of())
    assert result["accepted"] == 1
    assert KsefSubmission.objects.get().state == State.ACCEPTED


def test_large_run_goes_in_a_batch_session(
        peer_profile, staff, customer, ksef_peer_clean, quiet, client_of, monkeypatch):
    monkeypatch.setattr(pipeline, "BATCH_THRESHOLD", 2)
    invoices = queue(staff, customer, 4)
    pipeline.submissions_send(client=client_of())
    rows = list(KsefSubmission.objects.all())
    assert {r.state for r in rows} == {State.ACCEPTED}
    assert len({r.session_reference for r in rows}) == 1
    assert received_once(ksef_peer_clean, invoices)


def test_a_correction_sent_after_its_invoice_names_its_ksef_number(
        peer_profile, staff, customer, ksef_peer_clean, quiet, client_of):
    from decimal import Decimal

    from finance import services as finance_services

    invoice, = queue(staff, customer)
    pipeline.submissions_send(client=client_of())
    number = KsefSubmission.objects.get(document=invoice).ksef_number
    correction, _w = finance_services.correction_issue(
        actor=staff, invoice=invoice, reason="Rabat",
        lines=[{"name": "Internet 600 Mb/s nr 0", "quantity": Decimal("1"),
                "net_unit_price": Decimal("50.00"), "vat_rate": "23"}])
    pipeline.on_correction_issued(correction_id=correction.pk, invoice_id=invoice.pk,
                                  customer_id=customer.pk)
    pipeline.submissions_send(client=client_of())
    sent = KsefSubmission.objects.get(document=correction)
    assert sent.state == State.ACCEPTED
    xml = ksef_peer_clean.received()[-1]["xml"]
    assert f"<NrKSeFFaKorygowanej>{number}</NrKSeFFaKorygowanej>" in xml


def test_wrong_seller_nip_is_rejected_and_shown(
        peer_profile, staff, customer, ksef_peer_clean, quiet, client_of):
    from core.services import tenant_setting_set

    tenant_setting_set(actor=staff, key="finance.seller_nip", raw_value="5260250274")
    queue(staff, customer)
    pipeline.submissions_send(client=client_of())
    row = KsefSubmission.objects.get()
    assert row.state == State.REJECTED and row.error_code == 410


def test_test_connection_says_what_ksef_answered(peer_profile, staff_client, staff,
                                                 ksef_peer_clean):
    from core.models import ActionLog

    url = reverse("ksef:profile_test")
    ok = staff_client.post(url, follow=True).content.decode()
    assert "KSeF accepted the token" in ok
    pipeline.profile_save(actor=staff, nip=SELLER_NIP, environment="custom",
                          custom_url=peer_profile.custom_url, token="a-wrong-token",
                          enabled=True)
    refused = staff_client.post(url, follow=True).content.decode()
    assert "KSeF refused or did not answer" in refused
    assert ActionLog.objects.filter(kind="ksefprofile.test").count() == 2


def test_a_batch_cut_short_is_adopted_from_ksefs_duplicate_answer(
        peer_profile, staff, customer, ksef_peer_clean, quiet, client_of, monkeypatch):
    """A worker died after the batch upload, before it learnt the session: the resend is
    refused as a duplicate (440) of the same hash, and the original is adopted."""
    monkeypatch.setattr(pipeline, "BATCH_THRESHOLD", 2)
    queue(staff, customer, 3)
    real_batch = KsefClient.batch_send

    def upload_then_die(self, *args, **kwargs):
        real_batch(self, *args, **kwargs)
        raise Killed

    monkeypatch.setattr(KsefClient, "batch_send", upload_then_die)
    with pytest.raises(Killed):
        pipeline.submissions_send(client=client_of())
    monkeypatch.setattr(KsefClient, "batch_send", real_batch)
    first = {r["hash"]: r["ksef_number"] for r in ksef_peer_clean.received()}
    assert len(first) == 3 and all(first.values())
    KsefSubmission.objects.update(next_try_at=timezone.now())
    pipeline.submissions_send(client=client_of())
    rows = list(KsefSubmission.objects.all())
    assert {r.state for r in rows} == {State.ACCEPTED}
    assert {r.invoice_hash: r.ksef_number for r in rows} == first
    assert all(upo_validate(r.upo.encode()) == [] for r in rows)
