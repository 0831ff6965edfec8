"""The client's IP address as far as it can be trusted."""

from django.conf import settings


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
