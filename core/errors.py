"""The error pages people see: 403, 404, 500 and a refused form token, each saying what to do.

403 and 404 are drawn inside the layout (the staff layout, or the customer panel's under
``/panel/``) with a way back, the home page and whom to ask. 500 is a standalone copy of
the layout rendered with no request and no context processors: the error may be the
database, and the page must not need it. Under ``/api/`` the API keeps its JSON errors
(``core.api``). Wired in config/urls.py (handler403/404/500) and settings.CSRF_FAILURE_VIEW.
"""

import logging

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme

from . import api

logger = logging.getLogger(__name__)

PANEL_PREFIX = "/panel/"


def _context(request) -> dict:
    """The layout to draw in, where "home" is, and the page to go back to (the referring
    page of this site, when it is another page)."""
    panel = request.path.startswith(PANEL_PREFIX)
    back = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
    except Exception:  # DisallowedHost: an error page must still render
        host = ""
    if not (back and host and url_has_allowed_host_and_scheme(
            back, allowed_hosts={host}, require_https=request.is_secure())
            and back != request.build_absolute_uri()):
        back = ""
    return {"layout": "panel/base.html" if panel else "base.html", "panel": panel,
            "back_url": back, "home_url": PANEL_PREFIX if panel else "/"}


def permission_denied(request, exception):
    if api._under_api(request):
        return api.permission_denied(request, exception)
    return render(request, "403.html", _context(request), status=403)


def page_not_found(request, exception):
    if api._under_api(request):
        return api.page_not_found(request, exception)
    return render(request, "404.html", _context(request), status=404)


def server_error(request):
    """Rendered without the request: no context processors, no query."""
    if api._under_api(request):
        return api.server_error(request)
    try:
        return HttpResponseServerError(loader.get_template("500.html").render())
    except Exception:  # the template itself failing must not hide the first error
        logger.exception("The 500 page could not be rendered")
        return HttpResponseServerError("<h1>Server Error (500)</h1>")


def csrf_failure(request, reason=""):
    """A form refused for its security token (settings.CSRF_FAILURE_VIEW): most often the
    page was open long enough for the login to end, or cookies are blocked."""
    if api._under_api(request):
        return api.api_error_response(status_code=403, detail=reason or "CSRF failed.",
                                      code="csrf_failed")
    return render(request, "403_csrf.html", _context(request) | {"reason": reason}, status=403)
