"""Delivery reports: an SMS gateway tells Abonent what became of a message.

The URL names the tenant and the attempt (``MessageAttempt.key``) and carries the
tenant's DLR secret in ``?s=`` (``Gateway.dlr_secret`` of its SMS gateway, put there by
``gateways.kannel.report_url``). The secret is checked first, in constant time: a missing
or wrong one (or a tenant that does not exist) is a 403 and nothing is read. The attempt
is then looked up in that tenant's scope only, so another tenant's key is a 404 even
with a right secret: the key alone is never trusted. What the report says goes to
``services.message_report``, which never moves a message back (a late "submitted" after
"delivered", a report on an attempt that "Ponów" has replaced).
"""

import hmac

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.models import Tenant
from core.tenancy import tenant_context

from . import services
from .gateways.http_sms import callback_reports
from .gateways.kannel import dlr_status
from .models import Channel

MAX_DETAIL = 500


def _answer(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _secret_ok(given: str) -> bool:
    config = services.gateway_config(Channel.SMS)
    secret = config.dlr_secret if config is not None else ""
    return bool(secret) and hmac.compare_digest(secret.encode(), given.encode())


def _gateway_report(view):
    """Authenticate the report (see the module's doc) and run ``view(params, key)`` in the
    tenant's scope; ``params``: the query's and the form's fields."""

    @csrf_exempt
    @require_http_methods(["GET", "POST"])
    def wrapper(request, tenant_id: int, key):
        tenant = Tenant.objects.filter(pk=tenant_id).first()
        if tenant is None:
            return _answer(403, "forbidden")
        with tenant_context(tenant):
            if not _secret_ok(request.GET.get("s", "")):
                return _answer(403, "forbidden")
            params = {**request.GET.dict(), **request.POST.dict()}
            return view(params, key)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@_gateway_report
def dlr_kannel(params, key):
    """Kannel's dlr-url: ``type`` (%d), ``answer`` (%A), ``smsc_id`` (%F)."""
    answer = params.get("answer", "")
    status = dlr_status(params.get("type", ""), answer)
    if status is None:
        return _answer(400, "unknown report type")
    detail = f"DLR {params.get('type')}: {answer}".strip()[:MAX_DETAIL]
    message = services.message_report(attempt_key=key, status=status, detail=detail,
                                       gateway_id=params.get("smsc_id", ""))
    if message is None:
        return _answer(404, "no such message")
    return _answer(200, "OK")


@_gateway_report
def sms_status(params, key):
    """The SMS provider's status callback (``gateways.http_sms``); answers "OK", which
    the provider expects, also for a status that changes nothing."""
    reports = callback_reports(params)
    if not reports:
        return _answer(400, "no status")
    for status, name, msg_id in reports:
        if status is None:
            continue
        if services.message_report(attempt_key=key, status=status, detail=name[:MAX_DETAIL],
                                   gateway_id=msg_id) is None:
            return _answer(404, "no such message")
    return _answer(200, "OK")
