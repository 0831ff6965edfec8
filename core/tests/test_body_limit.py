"""Request bodies over the limit are refused from their Content-Length, before they are
sent (core.middleware.RequestBodyLimitMiddleware)."""

import json
import socket
from urllib.parse import urlsplit

import pytest
from django.test import RequestFactory

from core.middleware import RequestBodyLimitMiddleware

MB = 1024 * 1024


def send_headers_only(live_server, path: str, length: int, content_type: str,
                      language: str = "en") -> bytes:
    """Announce a body of ``length`` bytes, send none of it, read the answer."""
    address = urlsplit(live_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: {address.hostname}\r\n"
                      f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n"
                      f"Accept-Language: {language}\r\n\r\n").encode())
        # The answer comes while the body is still unsent. (Django's development server
        # then waits to drain the body it announced; gunicorn closes the connection.)
        answer = b""
        while not _complete(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def _complete(answer: bytes) -> bool:
    if b"\r\n\r\n" not in answer:
        return False
    head, body = answer.split(b"\r\n\r\n", 1)
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_50_mb_scan_is_refused_before_its_body_is_sent(live_server):
    answer = send_headers_only(live_server, "/customers/1/scans/add/", 50 * MB,
                               "multipart/form-data; boundary=x")
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.endswith(b"413 Request Entity Too Large")
    assert b"larger than 25 MB" in answer


@pytest.mark.django_db(transaction=True)
def test_api_answers_413_in_json(live_server):
    answer = send_headers_only(live_server, "/api/v1/customers/1/scans/", 30 * MB,
                               "multipart/form-data; boundary=x")
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.split(b"\r\n", 1)[0].endswith(b"413 Request Entity Too Large")
    assert b"application/json" in head
    assert json.loads(body)["detail"] == "The request is larger than 25 MB and was refused."


def test_413_speaks_the_language_the_client_asks_for(live_server):
    """The refusal comes before LocaleMiddleware: it picks the language itself."""
    answer = send_headers_only(live_server, "/api/v1/customers/1/scans/", 30 * MB,
                               "multipart/form-data; boundary=x", language="pl")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"] == \
        "Żądanie jest większe niż 25 MB i zostało odrzucone."


def _middleware(settings):
    return RequestBodyLimitMiddleware(lambda request: "passed")


@pytest.mark.parametrize(("path", "length", "passes"), [
    ("/customers/1/scans/add/", 25 * MB, True),  # at the upload limit
    ("/customers/1/scans/add/", 25 * MB + 1, False),
    ("/finance/bank/", 20 * MB, True),
    ("/customers/1/edit/", 5 * MB, True),  # at the limit of other requests
    ("/customers/1/edit/", 5 * MB + 1, False),
    ("/api/v1/customers/", 6 * MB, False),
    ("/customers/1/scans/add/extra/", 6 * MB, False),  # not an upload path
])
def test_limits_by_path_kind(settings, path, length, passes):
    middleware = _middleware(settings)
    request = RequestFactory().post(path, data=b"", content_type="application/octet-stream")
    request.META["CONTENT_LENGTH"] = str(length)
    answer = middleware(request)
    assert (answer == "passed") is passes
    if not passes:
        assert answer.status_code == 413


@pytest.mark.parametrize("path", ["/api/v1/customers/1/scans/", "/customers/1/scans/add/"])
def test_a_chunked_body_without_its_length_is_refused(settings, path):
    """A chunked body states no length: the limit could only be checked by reading it."""
    request = RequestFactory().post(path, data=b"", content_type="application/octet-stream")
    request.META.pop("CONTENT_LENGTH", None)
    request.META["HTTP_TRANSFER_ENCODING"] = "Chunked"
    request.META["HTTP_ACCEPT_LANGUAGE"] = "en"
    answer = _middleware(settings)(request)
    assert answer != "passed" and answer.status_code == 411
    assert b"does not state its length" in answer.content


def test_limits_come_from_settings(settings):
    settings.REQUEST_BODY_MAX_MB = 1
    middleware = _middleware(settings)
    request = RequestFactory().post("/customers/1/edit/", data=b"",
                                    content_type="application/octet-stream")
    request.META["CONTENT_LENGTH"] = str(2 * MB)
    assert middleware(request).status_code == 413


def test_bank_statement_over_its_limit_is_refused(staff_client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.BANK_STATEMENT_MAX_MB = 1
    response = staff_client.post("/finance/bank/", {"file": SimpleUploadedFile(
        "wyciag.sta", b":20:" + b"x" * MB)})
    assert "The file is larger than 1 MB." in response.content.decode()
