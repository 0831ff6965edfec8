"""The local KSeF peer itself: it refuses what KSeF refuses (tampered ciphertext, wrong
keys, parts that do not match), holds under concurrent sends and really checks the OpenAPI."""
import base64
import threading

import pytest
import requests

from ksef import encryption
from ksef.client import KsefClient, KsefError, invoice_hash
from ksef.tests.fixtures_client import KSEF_TEST_NIP
from ksef.tests.test_client import fa3


def send_raw(client: KsefClient, session, body: dict):
    return client._call("POST", f"/sessions/online/{session.reference_number}/invoices",
                        json=body).json()["referenceNumber"]


def encrypted_body(xml: bytes, encrypted: bytes) -> dict:
    return {"invoiceHash": invoice_hash(xml), "invoiceSize": len(xml),
            "encryptedInvoiceHash": encryption.sha256_b64(encrypted),
            "encryptedInvoiceSize": len(encrypted),
            "encryptedInvoiceContent": base64.b64encode(encrypted).decode()}


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


def test_tampered_ciphertext_is_refused(ksef_client, ksef_peer_clean):
    xml = fa3()
    session = ksef_client.online_session_open()
    encrypted = encryption.aes_encrypt(xml, session.key, session.iv)

    garbled = send_raw(ksef_client, session, encrypted_body(xml, flip(encrypted, 3)))
    bad_padding = send_raw(ksef_client, session, encrypted_body(
        xml, encrypted[:-16] + encryption.aes_encrypt(b"x" * 16, session.key, session.iv)[:16]))

    first = ksef_client.invoice_status(session.reference_number, garbled)
    second = ksef_client.invoice_status(session.reference_number, bad_padding)
    assert first.code == 430 and first.ksef_number is None  # decrypts, but not to the XML
    assert second.code in (430, 435) and second.ksef_number is None
    assert not any(r["ksef_number"] for r in ksef_peer_clean.received())


def test_ciphertext_not_matching_its_hash_is_a_bad_request(ksef_client):
    xml = fa3()
    session = ksef_client.online_session_open()
    encrypted = encryption.aes_encrypt(xml, session.key, session.iv)
    body = encrypted_body(xml, encrypted)
    body["encryptedInvoiceContent"] = base64.b64encode(flip(encrypted, 3)).decode()

    with pytest.raises(KsefError) as refused:
        send_raw(ksef_client, session, body)
    assert refused.value.status == 400 and refused.value.code == 21405


def test_session_key_encrypted_with_another_key_is_refused(ksef_client, monkeypatch):
    from ksef.peer.keys import key_pair_new

    stranger = key_pair_new("SymmetricKeyEncryption").certificate
    monkeypatch.setitem(ksef_client._certificates, "SymmetricKeyEncryption", stranger)
    with pytest.raises(KsefError) as refused:
        ksef_client.online_session_open()
    assert refused.value.status == 400


def test_closed_session_takes_no_more_invoices(ksef_client):
    session = ksef_client.online_session_open()
    ksef_client.session_close(session)
    with pytest.raises(KsefError) as refused:
        ksef_client.invoice_send(session, fa3())
    assert refused.value.status == 400
    assert ksef_client.session_status(session.reference_number).code == 440  # no invoices


def test_the_same_invoice_sent_twice_at_once_is_accepted_once(ksef_client, ksef_peer_clean):
    xml = fa3()
    session = ksef_client.online_session_open()
    clients = []
    for _ in range(2):
        client = KsefClient(ksef_peer_clean.url, timeout=5, poll_interval=0.01)
        client._access_token = ksef_client._access_token
        client._access_valid_until = ksef_client._access_valid_until
        client._certificates = ksef_client._certificates
        clients.append(client)
    barrier = threading.Barrier(2)

    def send(client):
        barrier.wait()
        client.invoice_send(session, xml)

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    codes = sorted(s.code for s in ksef_client.session_invoices(session.reference_number))
    assert codes == [200, 440]


def test_batch_part_not_matching_its_declaration_is_refused(ksef_client, monkeypatch):
    from ksef import client as client_module

    original = client_module.KsefClient._part_upload
    monkeypatch.setattr(client_module.KsefClient, "_part_upload",
                        lambda self, upload, part: original(self, upload, part + b"x" * 16))
    with pytest.raises(KsefError) as refused:
        ksef_client.batch_send([("a.xml", fa3())], part_max_bytes=1000)
    assert refused.value.status == 400 and refused.value.code == 21157


def test_peer_records_requests_that_break_the_openapi(ksef_peer, ksef_client):
    # A request without the required "encryption" must be noticed by the validator — else
    # the empty violation lists of the other tests would prove nothing.
    url = ksef_peer.url + "/sessions/online"
    headers = {"Authorization": f"Bearer {ksef_client._access_token}"}
    requests.post(url, json={"formCode": {"systemCode": "FA (3)"}}, headers=headers, timeout=5)
    violations = ksef_peer.violations()
    ksef_peer.reset()  # keep ksef_peer_clean's check for the client's own traffic
    assert any("sessions/online" in v and "request" in v for v in violations)


def test_peer_answers_with_its_own_valid_certificates(ksef_peer_clean):
    certificates = requests.get(ksef_peer_clean.url + "/security/public-key-certificates",
                                timeout=5).json()
    assert sorted(u for c in certificates for u in c["usage"]) == [
        "KsefTokenEncryption", "SymmetricKeyEncryption"]
    for item in certificates:
        assert encryption.certificate_load(item["certificate"]).public_key().key_size == 2048
        assert len(item["publicKeyId"]) == 44


def test_unknown_scripted_answer_is_refused(ksef_peer_clean):
    response = requests.post(ksef_peer_clean.root + "/_peer/script",
                             json={"answers": [{"answer": "explode"}]}, timeout=5)
    assert response.status_code == 400


def test_received_shows_the_decrypted_invoice_and_context(ksef_client, ksef_peer_clean):
    xml = fa3("FV/\"%{x}\\")
    session = ksef_client.online_session_open()
    ksef_client.invoice_send(session, xml)
    received = ksef_peer_clean.received()
    assert received[0]["xml"].encode() == xml
    assert received[0]["nip"] == KSEF_TEST_NIP
    assert received[0]["number"] == "FV/\"%{x}\\"


def test_peer_runs_standalone_with_a_token_for_the_bench():
    import subprocess
    import sys

    from ksef.tests.fixtures_client import PROJECT_ROOT

    process = subprocess.Popen(
        [sys.executable, "-m", "ksef.peer", "--port", "0", "--token", f"{KSEF_TEST_NIP}:bench"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        root = process.stdout.readline().decode().split()[-1]
        client = KsefClient(root + "/v2", timeout=5, poll_interval=0.01)
        client.authenticate(nip=KSEF_TEST_NIP, ksef_token="bench")
        sent = client.invoice_send(client.online_session_open(), fa3())
        assert sent.reference_number
        assert requests.get(root + "/_peer/violations", timeout=5).json() == []
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()
