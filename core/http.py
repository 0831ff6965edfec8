"""HTTP helpers the apps' views share: the client's IP address as far as it can be trusted,
a PDF as a response."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import content_disposition_header


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT`` proxies the address the outermost
    trusted proxy saw; a client-supplied X-Forwarded-For is never trusted beyond that."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        chain = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                 if a.strip()]
        if len(chain) >= proxies:
            return chain[-proxies]
    return request.META.get("REMOTE_ADDR")


def pdf_response(pdf: bytes, name: str, *, attachment: bool = False) -> HttpResponse:
    """``pdf`` named ``name``.pdf (a document number's slashes, not allowed in a file name,
    become underscores), shown in the browser or, with ``attachment``, downloaded."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        attachment, f"{name.replace('/', '_')}.pdf")
    return response
