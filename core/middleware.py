import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import ngettext

from .selectors import membership_tenant_for
from .tenancy import activate_tenant, deactivate_tenant

SESSION_KEY = "tenant_id"


class TenantMiddleware:
    """Activates the staff user's chosen tenant for the whole request.

    The tenant id in the session is trusted only while the user is still a member of
    that tenant; otherwise the user's first tenant is taken.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = None
        user = request.user
        if user.is_authenticated:
            tenant = membership_tenant_for(user=user, tenant_id=request.session.get(SESSION_KEY))
            if tenant is not None and request.session.get(SESSION_KEY) != tenant.pk:
                request.session[SESSION_KEY] = tenant.pk
        request.tenant = tenant
        token = activate_tenant(tenant)
        try:
            return self.get_response(request)
        finally:
            deactivate_tenant(token)


class RequestBodyLimitMiddleware:
    """Refuse a request body over the limit from its Content-Length, before it is read.

    Uploads (``UPLOAD_PATH_PATTERNS``) may be up to ``REQUEST_UPLOAD_MAX_MB``, any other
    body up to ``REQUEST_BODY_MAX_MB``; a bigger one is answered 413 at once (JSON under
    /api/, a page otherwise), so a worker does not first receive 50 MB it will refuse.
    It stands before every middleware that reads the body (CSRF reads the form).
    """

    def __init__(self, get_response):
        import re

        from django.conf import settings

        self.get_response = get_response
        self.upload_paths = [re.compile(p) for p in settings.UPLOAD_PATH_PATTERNS]
        self.upload_max = settings.REQUEST_UPLOAD_MAX_MB * 1024 * 1024
        self.body_max = settings.REQUEST_BODY_MAX_MB * 1024 * 1024

    def __call__(self, request):
        # A chunked body states no length: it could only be measured by reading it.
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self._refuse(request, 0, status=411)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        upload = any(p.search(request.path_info) for p in self.upload_paths)
        limit = self.upload_max if upload else self.body_max
        if length > limit:
            return self._refuse(request, limit)
        return self.get_response(request)

    def _refuse(self, request, limit: int, status: int = 413):
        from django.http import HttpResponse
        from django.template.loader import render_to_string
        from django.utils import translation
        from django.utils.translation import gettext as _

        # LocaleMiddleware comes later and is never reached: the language is chosen here.
        with translation.override(translation.get_language_from_request(request)):
            if status == 411:
                message = _("The request's body does not state its length (Content-Length) "
                            "and was refused.")
            else:
                message = _("The request is larger than %(mb)s MB and was refused.") % {
                    "mb": limit // (1024 * 1024)}
            code = "length_required" if status == 411 else "payload_too_large"
            if request.path_info.startswith("/api/"):
                from .api import api_error_response  # the API's one error shape

                response = api_error_response(status_code=status, detail=message, code=code)
            else:
                response = HttpResponse(render_to_string("core/request_too_large.html",
                                                         {"message": message}), status=status)
        # Set here: the middleware that would (CommonMiddleware) is never reached.
        response["Content-Length"] = str(len(response.content))
        return response


class StaffSessionTimeoutMiddleware:
    """Ends a staff login STAFF_SESSION_HOURS after it began, or after STAFF_IDLE_MINUTES
    without a request (settings; 0 turns a limit off). The customer panel's session is not
    Django's authentication and is left alone.

    Stands after TenantMiddleware and MessageMiddleware: the tenant they chose is dropped
    with the login, and the message says why. The last request's time is written to the
    session at most once a minute, so a page that polls does not save the session on every
    request.
    """

    LOGIN_AT, SEEN_AT = "staff_login_at", "staff_seen_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self.check(request)
        return self.get_response(request)

    def check(self, request) -> None:
        now = int(time.time())
        session = request.session
        login_at = session.setdefault(self.LOGIN_AT, now)
        seen_at = session.get(self.SEEN_AT, now)
        hours, idle = settings.STAFF_SESSION_HOURS, settings.STAFF_IDLE_MINUTES
        if hours and now - login_at >= hours * 3600:
            reason = ngettext("Your session ended after %(hours)d hour: please log in again.",
                              "Your session ended after %(hours)d hours: please log in again.",
                              hours) % {"hours": hours}
        elif idle and now - seen_at >= idle * 60:
            reason = ngettext("Your session ended after %(minutes)d minute without activity: "
                              "please log in again.",
                              "Your session ended after %(minutes)d minutes without activity: "
                              "please log in again.", idle) % {"minutes": idle}
        else:
            if now - seen_at >= 60 or self.SEEN_AT not in session:
                session[self.SEEN_AT] = now
            return
        logout(request)
        # TenantMiddleware, before this one, resets the tenant when the request ends.
        request.tenant = None
        activate_tenant(None)
        messages.info(request, reason)
