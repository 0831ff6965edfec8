"""The KSeF client against the local peer: every exchange is checked by the peer against
the Ministry's OpenAPI (ksef_peer_clean fails a test that broke it)."""
import socket
import time
from datetime import date
from decimal import Decimal

import pytest

from finance.ksef import CorrectedInvoice, Invoice, InvoiceLine, Party, invoice_xml
from ksef.client import (
    KsefClient,
    KsefError,
    KsefRateLimited,
    KsefUnavailable,
    invoice_hash,
    ksef_number_valid,
)
from ksef.tests.fixtures_client import KSEF_TEST_NIP
from ksef.upo import upo_parse, upo_validate

OTHER_NIP = "7251801126"


def fa3(number: str = "FV/2026/02/0001", *, seller_nip: str = KSEF_TEST_NIP,
        net: str = "100.00", quantity: str = "1", issue_date: date = date(2026, 2, 1),
        **extra) -> bytes:
    """A valid FA(3) invoice built by finance.ksef, as the pipeline will send it."""
    return invoice_xml(Invoice(
        number=number, issue_date=issue_date, sale_date=issue_date, place="Łódź",
        seller=Party("Światłowód Łódź Sp. z o.o.", seller_nip, "ul. Żółkiewskiego 5",
                     "90-001 Łódź"),
        buyer=Party("Hurtownia Źdźbło S.A.", OTHER_NIP, "ul. Gęsia 12", "00-112 Warszawa"),
        lines=[InvoiceLine("Internet 600 Mb/s", Decimal(quantity), "usł.", Decimal(net),
                           "23")], **extra))


def paths(peer, method: str | None = None) -> list[str]:
    return [entry["path"] for entry in peer.log() if method in (None, entry["method"])]


# --- authentication ----------------------------------------------------------------------

def test_authentication_polls_until_ready_then_redeems_tokens(ksef_peer_clean, ksef_token):
    ksef_peer_clean.config(auth_polls=2)
    client = KsefClient(ksef_peer_clean.url, timeout=2, poll_interval=0.01)

    client.authenticate(nip=KSEF_TEST_NIP, ksef_token=ksef_token)

    seen = paths(ksef_peer_clean)
    assert seen[:3] == ["/v2/auth/challenge", "/v2/security/public-key-certificates",
                        "/v2/auth/ksef-token"]
    assert sum(1 for path in seen if path.startswith("/v2/auth/2")) == 3  # 100, 100, 200
    assert seen[-1] == "/v2/auth/token/redeem"
    assert client.rate_limits()["invoiceSend"]["perMinute"] > 0


def test_wrong_token_is_refused_with_the_api_code(ksef_peer_clean, ksef_token):
    client = KsefClient(ksef_peer_clean.url, timeout=2, poll_interval=0.01)
    with pytest.raises(KsefError) as refused:
        client.authenticate(nip=KSEF_TEST_NIP, ksef_token=ksef_token + "x")
    assert refused.value.code == 450
    assert "Invalid KSeF token" in " ".join(refused.value.details)
    with pytest.raises(KsefError, match="Not authenticated with KSeF"):
        client.rate_limits()


def test_token_of_one_nip_does_not_open_another_context(ksef_peer_clean, ksef_token):
    client = KsefClient(ksef_peer_clean.url, timeout=2, poll_interval=0.01)
    with pytest.raises(KsefError) as refused:
        client.authenticate(nip=OTHER_NIP, ksef_token=ksef_token)
    assert refused.value.code == 450


def test_access_token_is_refreshed_before_it_expires(ksef_peer_clean, ksef_token):
    # An access token valid for 20 s is within the client's 30 s margin: the next call
    # refreshes it first and goes out with the new one.
    ksef_peer_clean.config(access_ttl=20)
    client = KsefClient(ksef_peer_clean.url, timeout=2, poll_interval=0.01)
    client.authenticate(nip=KSEF_TEST_NIP, ksef_token=ksef_token)
    first = client.access_valid_until

    session = client.online_session_open()

    assert paths(ksef_peer_clean)[-2:] == ["/v2/auth/token/refresh", "/v2/sessions/online"]
    assert client.access_valid_until > first
    assert session.reference_number


def test_expired_refresh_token_means_signing_in_again(ksef_peer_clean, ksef_token):
    ksef_peer_clean.config(access_ttl=1, refresh_ttl=1)
    client = KsefClient(ksef_peer_clean.url, timeout=2, poll_interval=0.01)
    client.authenticate(nip=KSEF_TEST_NIP, ksef_token=ksef_token)
    time.sleep(1.1)
    ksef_peer_clean.config(access_ttl=900, refresh_ttl=900)

    client.rate_limits()

    seen = paths(ksef_peer_clean)
    assert "/v2/auth/token/refresh" not in seen
    assert seen.count("/v2/auth/challenge") == 2


def test_expired_access_token_is_refused_by_ksef(ksef_peer_clean, ksef_token):
    ksef_peer_clean.config(access_ttl=1)
    client = KsefClient(ksef_peer_clean.url, timeout=2, poll_interval=0.01)
    client.authenticate(nip=KSEF_TEST_NIP, ksef_token=ksef_token)
    time.sleep(1.1)
    client._access_valid_until = None  # pretend not to know the expiry: KSeF still checks
    with pytest.raises(KsefError) as refused:
        client.rate_limits()
    assert refused.value.status == 401


# --- online session ----------------------------------------------------------------------

def test_invoice_sent_in_online_session_gets_ksef_number(ksef_client, ksef_peer_clean):
    xml = fa3()
    session = ksef_client.online_session_open()

    sent = ksef_client.invoice_send(session, xml)
    status = ksef_client.invoice_status(session.reference_number, sent.reference_number)
    ksef_client.session_close(session)

    assert sent.invoice_hash == invoice_hash(xml)
    assert status.accepted and not status.rejected and not status.processing
    assert ksef_number_valid(status.ksef_number)
    assert status.ksef_number.startswith(KSEF_TEST_NIP + "-")
    assert status.acquired_at is not None and status.invoice_number == "FV/2026/02/0001"
    received = ksef_peer_clean.received()
    assert [r["xml"].encode() for r in received] == [xml]  # decrypted by the peer intact
    assert received[0]["session"] == session.reference_number
    closed = ksef_client.session_status(session.reference_number)
    assert (closed.code, closed.invoice_count, closed.successful, closed.failed) == (
        200, 1, 1, 0)


def test_status_is_processing_until_ksef_finishes(ksef_client, ksef_peer_clean):
    ksef_peer_clean.script({"answer": "processing", "polls": 2})
    session = ksef_client.online_session_open()
    sent = ksef_client.invoice_send(session, fa3())

    codes = [ksef_client.invoice_status(session.reference_number, sent.reference_number)
             for _ in range(3)]

    assert [s.code for s in codes] == [150, 150, 200]
    assert codes[0].processing and codes[0].ksef_number is None
    assert codes[2].accepted and ksef_number_valid(codes[2].ksef_number)


def test_scripted_rejection_carries_code_and_details(ksef_client, ksef_peer_clean):
    ksef_peer_clean.script({"answer": "reject", "code": 450,
                            "details": ["Brak wymaganego pola P_15"]})
    session = ksef_client.online_session_open()
    sent = ksef_client.invoice_send(session, fa3())

    status = ksef_client.invoice_status(session.reference_number, sent.reference_number)

    assert status.rejected and status.code == 450
    assert status.details == ["Brak wymaganego pola P_15"]
    assert status.ksef_number is None
    with pytest.raises(KsefError) as no_upo:
        ksef_client.invoice_upo(session.reference_number, sent.reference_number)
    assert no_upo.value.status == 400


def test_schema_error_is_rejected_with_450_and_the_error(ksef_client):
    broken = fa3().replace(b"<P_2>", b"<P_2X>").replace(b"</P_2>", b"</P_2X>")
    session = ksef_client.online_session_open()
    sent = ksef_client.invoice_send(session, broken)

    status = ksef_client.invoice_status(session.reference_number, sent.reference_number)

    assert status.code == 450
    assert any("P_2X" in detail for detail in status.details)


def test_invoice_of_another_seller_is_rejected(ksef_client):
    session = ksef_client.online_session_open()
    sent = ksef_client.invoice_send(session, fa3(seller_nip=OTHER_NIP))

    status = ksef_client.invoice_status(session.reference_number, sent.reference_number)

    assert status.rejected and status.code == 410


def test_the_same_invoice_twice_is_a_duplicate(ksef_client):
    xml = fa3()
    session = ksef_client.online_session_open()
    first = ksef_client.invoice_send(session, xml)
    second = ksef_client.invoice_send(session, xml)
    other = ksef_client.invoice_send(session, fa3("FV/2026/02/0002"))

    statuses = {s.reference_number: s for s in
                ksef_client.session_invoices(session.reference_number)}

    assert statuses[first.reference_number].accepted
    duplicate = statuses[second.reference_number]
    assert duplicate.code == 440
    assert duplicate.extensions["originalKsefNumber"] == statuses[
        first.reference_number].ksef_number
    assert statuses[other.reference_number].accepted


def test_correction_and_offline_mode_reach_ksef(ksef_client, ksef_peer_clean):
    original = fa3()
    session = ksef_client.online_session_open()
    ksef_client.invoice_send(session, original)
    ksef_client.invoice_send(session, fa3("FV/2026/02/0001/K", net="90.00"),
                             offline_mode=True, hash_of_corrected_invoice=invoice_hash(original))

    correction = ksef_peer_clean.received()[1]

    assert correction["offline_mode"] is True
    assert correction["hash_of_corrected_invoice"] == invoice_hash(original)


def test_negative_correction_and_zero_invoice_are_accepted(ksef_client, ksef_peer_clean):
    original = fa3()
    session = ksef_client.online_session_open()
    first = ksef_client.invoice_send(session, original)
    number = ksef_client.invoice_status(session.reference_number,
                                        first.reference_number).ksef_number
    correction = fa3("FV/2026/03/0001/KOR", quantity="-1", issue_date=date(2026, 3, 1),
                     kind="KOR", correction_reason="Zwrot za awarię",
                     corrected=CorrectedInvoice("FV/2026/02/0001", date(2026, 2, 1), number))
    zero = fa3("FV/2026/03/0002", net="0.00", issue_date=date(2026, 3, 31))

    sent = [ksef_client.invoice_send(session, correction,
                                     hash_of_corrected_invoice=first.invoice_hash),
            ksef_client.invoice_send(session, zero)]

    for item in sent:
        status = ksef_client.invoice_status(session.reference_number, item.reference_number)
        assert status.accepted, status.details
        upo = ksef_client.invoice_upo(session.reference_number, item.reference_number)
        assert upo_validate(upo) == [] and upo_parse(upo)["ksef_number"] == status.ksef_number


def test_upo_is_fetched_and_valid(ksef_client):
    xml = fa3()
    session = ksef_client.online_session_open()
    sent = ksef_client.invoice_send(session, xml)
    status = ksef_client.invoice_status(session.reference_number, sent.reference_number)

    upo = ksef_client.invoice_upo(session.reference_number, sent.reference_number)

    assert upo_validate(upo) == []
    parsed = upo_parse(upo)
    assert parsed["ksef_number"] == status.ksef_number
    assert parsed["hash"] == invoice_hash(xml)
    assert parsed["invoice_number"] == "FV/2026/02/0001"
    assert parsed["session_reference"] == session.reference_number


def test_other_context_cannot_see_the_session(ksef_client, ksef_peer_clean):
    session = ksef_client.online_session_open()
    ksef_peer_clean.token_add(OTHER_NIP, "other-token")
    other = KsefClient(ksef_peer_clean.url, timeout=2, poll_interval=0.01)
    other.authenticate(nip=OTHER_NIP, ksef_token="other-token")

    with pytest.raises(KsefError) as refused:
        other.session_status(session.reference_number)
    assert refused.value.status == 400 and refused.value.code == 21170


# --- failures ----------------------------------------------------------------------------

def test_429_raises_rate_limited_with_retry_after(ksef_client, ksef_peer_clean):
    ksef_peer_clean.script({"answer": "429", "retry_after": 7})
    session = ksef_client.online_session_open()

    with pytest.raises(KsefRateLimited) as limited:
        ksef_client.invoice_send(session, fa3())

    assert limited.value.retry_after == 7 and limited.value.status == 429
    assert ksef_peer_clean.received() == []
    ksef_client.invoice_send(session, fa3())  # the next call, after the wait, goes through
    assert len(ksef_peer_clean.received()) == 1


def test_short_retry_after_is_waited_out_once(ksef_peer_clean, ksef_token):
    client = KsefClient(ksef_peer_clean.url, timeout=2, poll_interval=0.01, rate_limit_wait=1)
    client.authenticate(nip=KSEF_TEST_NIP, ksef_token=ksef_token)
    session = client.online_session_open()
    ksef_peer_clean.script({"answer": "429", "retry_after": 1})

    started = time.monotonic()
    client.invoice_send(session, fa3())

    assert time.monotonic() - started >= 1
    assert len(ksef_peer_clean.received()) == 1
    ksef_peer_clean.script({"answer": "429", "retry_after": 1},
                           {"answer": "429", "retry_after": 1})
    with pytest.raises(KsefRateLimited):  # waited once, not forever
        client.invoice_send(session, fa3("FV/2"))


def test_server_error_is_unavailable(ksef_client, ksef_peer_clean):
    ksef_peer_clean.script({"answer": "500", "on": "open"})
    with pytest.raises(KsefUnavailable) as unavailable:
        ksef_client.online_session_open()
    assert unavailable.value.status == 500


def test_timeout_is_unavailable_and_the_retry_meets_a_duplicate(ksef_peer_clean, ksef_token):
    client = KsefClient(ksef_peer_clean.url, timeout=0.5, poll_interval=0.01)
    client.authenticate(nip=KSEF_TEST_NIP, ksef_token=ksef_token)
    session = client.online_session_open()
    ksef_peer_clean.script({"answer": "timeout", "seconds": 1})
    xml = fa3()

    with pytest.raises(KsefUnavailable, match="did not answer"):
        client.invoice_send(session, xml)
    time.sleep(0.8)  # the slow KSeF took the invoice all the same
    retry = client.invoice_send(session, xml)

    assert client.invoice_status(session.reference_number, retry.reference_number).code == 440


def test_connection_refused_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = KsefClient(f"http://127.0.0.1:{port}/v2", timeout=1)
    with pytest.raises(KsefUnavailable) as unavailable:
        client.authenticate(nip=KSEF_TEST_NIP, ksef_token="x")
    assert unavailable.value.status is None


# --- batch session -----------------------------------------------------------------------

def test_batch_split_into_parts_end_to_end(ksef_client, ksef_peer_clean):
    invoices = [(f"FV-{i:03}.xml", fa3(f"FV/2026/02/{i:04}")) for i in range(1, 6)]

    reference = ksef_client.batch_send(invoices, part_max_bytes=2000)

    opened = [e for e in ksef_peer_clean.log() if e["path"] == "/v2/sessions/batch"]
    assert len(opened) == 1
    statuses = ksef_client.session_invoices(reference)
    assert sorted(s.file_name for s in statuses) == [name for name, _ in invoices]
    assert all(s.accepted and ksef_number_valid(s.ksef_number) for s in statuses)
    assert {s.invoice_hash for s in statuses} == {invoice_hash(x) for _, x in invoices}
    session = ksef_client.session_status(reference)
    assert (session.code, session.successful, session.failed) == (200, 5, 0)
    received = ksef_peer_clean.received()
    assert {r["session_kind"] for r in received} == {"batch"}


def test_batch_parts_count(ksef_client, ksef_peer_clean, monkeypatch):
    from ksef import client as client_module

    parts_seen = []
    original = client_module.split_parts
    monkeypatch.setattr(client_module, "split_parts",
                        lambda data, size: parts_seen.append(original(data, size))
                        or parts_seen[-1])
    ksef_client.batch_send([(f"{i}.xml", fa3(f"FV/{i}")) for i in range(4)],
                           part_max_bytes=1000)
    assert len(parts_seen[0]) >= 2
    assert all(len(part) <= 1000 for part in parts_seen[0])


def test_session_invoices_follow_every_page(ksef_client):
    invoices = [(f"{i}.xml", fa3(f"FV/P/{i}")) for i in range(105)]
    reference = ksef_client.batch_send(invoices)

    statuses = ksef_client.session_invoices(reference)

    assert len(statuses) == 105
    assert len({s.reference_number for s in statuses}) == 105


def test_batch_with_a_rejected_invoice_reports_it(ksef_client, ksef_peer_clean):
    ksef_peer_clean.script({"answer": "accept"},
                           {"answer": "reject", "code": 450, "details": ["Zła data"]})
    reference = ksef_client.batch_send([("a.xml", fa3("FV/A")), ("b.xml", fa3("FV/B"))],
                                       part_max_bytes=500)

    statuses = {s.file_name: s for s in ksef_client.session_invoices(reference)}

    assert statuses["a.xml"].accepted
    assert statuses["b.xml"].code == 450 and statuses["b.xml"].details == ["Zła data"]
    assert ksef_client.session_status(reference).failed == 1


def test_empty_batch_is_refused_before_any_call(ksef_client, ksef_peer_clean):
    before = len(ksef_peer_clean.log())
    with pytest.raises(ValueError):
        ksef_client.batch_send([])
    assert len(ksef_peer_clean.log()) == before
