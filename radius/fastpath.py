"""The FreeRADIUS endpoints without Django's middleware and URL resolver.

Every Access-Request a NAS sends costs FreeRADIUS a call here (authorize; post-auth too
for a reject or MS-CHAP) and every interim one (accounting): thousands per second on a
busy network. The staff pages' middleware (sessions, authentication, CSRF, locale,
messages, htmx, the tenant from the host) and URL resolving cost more than the answer
itself, and none of it applies to FreeRADIUS, which authenticates with its key.

``RadiusFastPath`` wraps the WSGI application (``config/wsgi.py``): a POST to one of the
three ``/radius/rest/`` URLs goes straight to its view in ``radius/views.py`` — the same
functions, so there is one implementation, also reachable through ``radius/urls.py`` (the
test client and ``runserver`` use that path) — and everything else to Django.

The database connection is kept between requests (as ``CONN_MAX_AGE`` would) and closed
after a request that failed on it, so the next one reconnects.
"""

import gc
import logging

from django.conf import settings
from django.db import close_old_connections

from . import views

logger = logging.getLogger(__name__)

PREFIX = "/radius/rest/"
VIEWS = {"authorize": views.authorize, "post-auth": views.post_auth,
         "accounting": views.accounting}


class RestRequest:
    """What the rlm_rest views read of a request — its method, the WSGI environ as
    ``META`` and the body — without building a whole ``WSGIRequest`` for each."""

    method = "POST"
    __slots__ = ("META", "body")

    def __init__(self, environ: dict, body: bytes):
        self.META = environ
        self.body = body


class RadiusFastPath:
    def __init__(self, application):
        self.application = application
        # Everything loaded so far (Django, the apps, the URLconf) lives as long as the
        # worker: keep it out of the collector's walks, which otherwise stall a request
        # now and then for milliseconds (the tail of FreeRADIUS's latency).
        gc.collect()
        gc.freeze()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        view = VIEWS.get(path[len(PREFIX):]) if path.startswith(PREFIX) else None
        if view is None or environ.get("REQUEST_METHOD") != "POST":
            return self.application(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            start_response("413 Content Too Large",
                           [("Content-Type", "application/json"), ("Content-Length", "2")])
            return [b"{}"]
        request = RestRequest(environ, environ["wsgi.input"].read(length) if length else b"")
        try:
            response = view(request)
        except Exception:
            logger.exception("FreeRADIUS endpoint %s failed", path)
            close_old_connections()  # a broken connection is closed; the next reconnects
            start_response("500 Internal Server Error",
                           [("Content-Type", "application/json"), ("Content-Length", "2")])
            return [b"{}"]
        body = response.content
        headers = [(k, v) for k, v in response.items() if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return [body]
