"""The client's pure parts: encryption, KSeF numbers, error mapping, package splitting and
the UPO (validation and parsing) — no server needed."""
import json
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from ksef import encryption
from ksef.client import (
    KsefError,
    KsefRateLimited,
    KsefUnavailable,
    error_from_response,
    ksef_number_build,
    ksef_number_valid,
    parse_datetime,
    split_parts,
)
from ksef.peer.keys import key_pair_new
from ksef.upo import upo_parse, upo_validate

API = Path(__file__).resolve().parents[3] / "shared" / "data" / "ksef" / "api"
UPO_INVOICE = (API / "upo-examples" / "upo-faktura-kontekst-id-nip.xml").read_bytes()
UPO_SESSION = (API / "upo-examples" / "upo-sesja-kontekst-id-nip.xml").read_bytes()
KSEF_NUMBER_PATTERN = json.loads((API / "open-api.json").read_text())[
    "components"]["schemas"]["KsefNumber"]["pattern"]
KEY = bytes(range(32))
IV = bytes(range(16))


# --- encryption --------------------------------------------------------------------------

@given(st.binary(max_size=300))
def test_aes_round_trip_pads_every_length(data):
    encrypted = encryption.aes_encrypt(data, KEY, IV)
    assert len(encrypted) % 16 == 0 and len(encrypted) > len(data)  # a full block when aligned
    assert encryption.aes_decrypt(encrypted, KEY, IV) == data


def test_aes_wrong_key_or_cut_ciphertext_is_refused():
    encrypted = encryption.aes_encrypt(b"<Faktura/>" * 5, KEY, IV)
    with pytest.raises(encryption.DecryptionError):
        encryption.aes_decrypt(encrypted[:-1], KEY, IV)
    with pytest.raises(encryption.DecryptionError):
        encryption.aes_decrypt(b"", KEY, IV)
    try:
        wrong = encryption.aes_decrypt(encrypted, bytes(32), IV)
    except encryption.DecryptionError:
        wrong = None
    assert wrong != b"<Faktura/>" * 5


def test_rsa_oaep_with_a_certificate_and_its_key():
    pair = key_pair_new("SymmetricKeyEncryption")
    certificate = encryption.certificate_load(pair.entry()["certificate"])
    encrypted = encryption.rsa_encrypt(KEY, certificate)
    assert encryption.rsa_decrypt(encrypted, pair.private_key) == KEY
    other = key_pair_new("SymmetricKeyEncryption")
    with pytest.raises(encryption.DecryptionError):
        encryption.rsa_decrypt(encrypted, other.private_key)


def test_sha256_b64_is_the_api_hash():
    assert encryption.sha256_b64(b"") == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


# --- KSeF numbers ------------------------------------------------------------------------

@pytest.mark.parametrize("number", [
    "5265877635-20250826-0100001AF629-AF",  # the Ministry's example
    "5265877635-20250916-0200A0D6723E-C2",  # from the Ministry's UPO examples
    "5265877635-20250916-010040741B3E-46",
])
def test_official_ksef_numbers_are_valid(number):
    assert ksef_number_valid(number)


@pytest.mark.parametrize("number", [
    "5265877635-20250826-0100001AF629-AE",   # checksum off by one
    "5265877635-20250826-0100001af629-AF",   # lower-case hex
    "5265877635-20250826-0100001AF62-AF",    # 34 characters
    "", "5265877635-20250826-0100001AF629",
])
def test_damaged_ksef_numbers_are_not(number):
    assert not ksef_number_valid(number)


def test_ksef_number_needs_ascii_digits():
    assert not ksef_number_valid("526587763\u0665-20250826-0100001AF629-AF")
    with pytest.raises(ValueError):
        ksef_number_build("526587763\u0665", date(2026, 1, 1), "0100001AF629")


@given(st.from_regex(r"[1-9][0-9]{9}", fullmatch=True),
       st.dates(min_value=date(2026, 1, 1), max_value=date(2999, 12, 31)),
       st.from_regex(r"[0-9A-F]{12}", fullmatch=True))
def test_built_ksef_numbers_are_valid_and_match_the_api_pattern(nip, day, technical):
    number = ksef_number_build(nip, day, technical)
    assert ksef_number_valid(number) and len(number) == 35
    if nip[1:3] != "00":  # the API's pattern refuses NIPs with "00" at positions 2-3
        assert re.fullmatch(KSEF_NUMBER_PATTERN, number)


# --- answers and errors ------------------------------------------------------------------

def response(status: int, body=None, headers=None, content_type="application/json"):
    answer = requests.Response()
    answer.status_code = status
    answer._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer.headers.update({"Content-Type": content_type, **(headers or {})})
    return answer


def test_exception_response_gives_code_description_and_details():
    error = error_from_response(response(400, {"exception": {"exceptionDetailList": [
        {"exceptionCode": 21405, "exceptionDescription": "Błąd walidacji danych wejściowych.",
         "details": ["Wskazany kod formularza nie jest wspierany."]}]}}))
    assert type(error) is KsefError
    assert (error.status, error.code) == (400, 21405)
    assert error.details == ["Wskazany kod formularza nie jest wspierany."]
    assert "21405" in str(error)


def test_problem_details_are_read_too():
    error = error_from_response(response(400, {"title": "Bad Request", "status": 400,
                                               "errors": [{"code": 21157, "description": "x",
                                                           "details": ["część 1"]}]},
                                         content_type="application/problem+json"))
    assert (error.code, error.details) == (21157, ["część 1"])
    forbidden = error_from_response(response(403, {"title": "Forbidden", "detail": "Brak",
                                                   "reasonCode": "missing-permissions"}))
    assert forbidden.description == "Brak" and forbidden.details == ["missing-permissions"]


def test_429_reads_retry_after_seconds_or_date():
    limited = error_from_response(response(429, {"status": {
        "code": 429, "description": "Too Many Requests", "details": ["po 30 s"]}},
        headers={"Retry-After": "30"}))
    assert isinstance(limited, KsefRateLimited) and limited.retry_after == 30
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    dated = error_from_response(response(429, {}, headers={"Retry-After": later}))
    assert 100 < dated.retry_after <= 120
    missing = error_from_response(response(429, b"", content_type="text/plain"))
    assert missing.retry_after == 1.0


def test_5xx_without_json_is_unavailable():
    error = error_from_response(response(502, b"<html>Bad Gateway</html>",
                                         content_type="text/html"))
    assert isinstance(error, KsefUnavailable) and error.status == 502


def test_api_timestamps_with_seven_fraction_digits():
    assert parse_datetime("2025-07-11T12:23:56.0154302+00:00") == datetime(
        2025, 7, 11, 12, 23, 56, 15430, tzinfo=UTC)
    assert parse_datetime("2025-07-11T12:23:56Z").tzinfo is not None
    assert parse_datetime(None) is None


@given(st.binary(min_size=1, max_size=500), st.integers(min_value=1, max_value=600))
def test_parts_join_back_and_respect_the_limit(data, size):
    parts = split_parts(data, size)
    assert b"".join(parts) == data
    assert all(0 < len(part) <= size for part in parts)
    assert len(parts) == -(-len(data) // size)


def test_part_size_must_be_positive():
    with pytest.raises(ValueError):
        split_parts(b"abc", 0)


# --- UPO ---------------------------------------------------------------------------------

def test_ministry_examples_validate():
    assert upo_validate(UPO_INVOICE) == []
    assert upo_validate(UPO_SESSION) == []


def test_tampered_upo_does_not_validate():
    tampered = UPO_INVOICE.replace(b"5265877635-20250916-0200A0D6723E-C2",
                                   b"5265877635-20250916-0200A0D6723E")
    assert upo_validate(tampered)
    assert upo_validate(UPO_INVOICE.replace(b"<TrybWysylki>Online", b"<TrybWysylki>Inny"))
    foreign = UPO_INVOICE.replace("Ministerstwo Finansów - środowisko testowe (TE)".encode(),
                                  b"Ministerstwo Zdrowia")
    assert upo_validate(foreign)
    assert upo_validate(b"<Potwierdzenie") != []


def test_signed_upo_validates_without_its_signature():
    signed = UPO_INVOICE.replace(
        b"</Potwierdzenie>",
        b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></Potwierdzenie>')
    assert upo_validate(signed) == []


def test_upo_fields_for_display():
    parsed = upo_parse(UPO_INVOICE)
    assert parsed["ksef_number"] == "5265877635-20250916-0200A0D6723E-C2"
    assert parsed["invoice_number"] == "FA/XVQUD-9997622510/04/2027"
    assert parsed["acquired_at"] == "2025-09-16T11:05:41.045+02:00"
    assert parsed["hash"] == "GZMGNVzs3krF6URKgvaw77OOeG3nJ+WGziT5xguliQ8="
    assert parsed["context_nip"] == "5265877635"
    assert len(upo_parse(UPO_SESSION)["documents"]) == 2


# --- the contract ------------------------------------------------------------------------

def test_every_client_call_is_published_and_served_by_the_peer():
    from ksef.tests.openapi_contract import CLIENT_OPERATIONS, peer_operations, spec_operations

    assert spec_operations() >= CLIENT_OPERATIONS
    assert peer_operations() >= CLIENT_OPERATIONS
    assert peer_operations() <= spec_operations()  # the peer invents no paths
