"""SMS through a Polish SMS provider's HTTP API (the SMSAPI.pl shape, which others copy).

The tenant's ``Gateway`` row: ``url`` the provider's send endpoint (e.g.
``https://api.smsapi.pl/sms.do``), ``password`` the API token (sent as ``Authorization:
Bearer``), ``from_address`` the sender name registered with the provider.

Each SMS is one POST (form fields ``to`` — the number without "+", ``message``,
``from``, ``encoding=utf-8``, ``format=json``, ``idx`` — the attempt's key, with
``check_idx=1``, and ``notify_url`` — the status callback with the tenant's secret,
``messaging.webhooks.sms_status``). The answer is JSON: ``{"count": 1, "list": [{"id":
..., "status": "QUEUE", "parts": 1, ...}]}`` or ``{"error": <code>, "message": ...}``.

``check_idx`` makes the provider refuse an ``idx`` it has already sent: an attempt tried
again after a lost answer is then recorded as accepted, never delivered twice.

The provider calls ``notify_url`` with ``MsgId``, ``status`` (a code, 401…412) and
``status_name`` (DELIVERED, UNDELIVERED, EXPIRED, …), several comma-separated at once.
"""

import json
import urllib.parse

import urllib3
from django.utils.translation import gettext as _

from ..models import Status
from . import Accepted, GatewayBase, PermanentError, TemporaryError, register
from .kannel import HTTP, dlr_secret_ensure, report_url, send_parallel, unreachable

# The provider's error codes that mean "try again later" (internal error, too many
# requests at once); every other code is a refusal of this message.
TEMPORARY_CODES = {200, 201, 202, 203}
# "The idx has been used already": this attempt was sent before its answer was lost.
DUPLICATE_IDX_CODES = {53}

# The provider's status names (and their codes) as message statuses; None: no change.
STATUSES = {
    "DELIVERED": Status.DELIVERED,
    "UNDELIVERED": Status.UNDELIVERED,
    "EXPIRED": Status.EXPIRED,
    "REJECTED": Status.REJECTED,
    "FAILED": Status.FAILED,
    "NOT_FOUND": Status.FAILED,
    "STOP": Status.REJECTED,
    "SENT": Status.SENT,
    "ACCEPTED": Status.SENT,
    "QUEUE": Status.SENT,
    "QUEUED": Status.SENT,
    "RENEWAL": Status.SENT,
    "UNKNOWN": None,
}
STATUS_CODES = {"401": "NOT_FOUND", "402": "EXPIRED", "403": "SENT", "404": "DELIVERED",
                "405": "UNDELIVERED", "406": "FAILED", "407": "REJECTED", "408": "UNKNOWN",
                "409": "QUEUE", "410": "ACCEPTED", "411": "RENEWAL", "412": "STOP"}


def callback_reports(params) -> list[tuple[str | None, str, str]]:
    """``(status, detail, provider's id)`` for each report of a status callback
    (``params``: its query or form fields); status None for a name Abonent doesn't know
    or that changes nothing."""
    ids = params.get("MsgId", "").split(",")
    names = params.get("status_name", "").split(",")
    codes = params.get("status", "").split(",")
    reports = []
    for i in range(max(len(names), len(codes))):
        name = names[i].strip().upper() if i < len(names) else ""
        code = codes[i].strip() if i < len(codes) else ""
        name = name or STATUS_CODES.get(code, code.upper())
        if not name:
            continue
        msg_id = ids[i].strip() if i < len(ids) else ""
        reports.append((STATUSES.get(name), name, msg_id))
    return reports


@register("http_sms")
class HttpSmsGateway(GatewayBase):
    def fields(self, message, attempt) -> dict:
        fields = {
            "to": message.recipient.lstrip("+"),
            "message": message.text_to_send,
            "encoding": "utf-8",
            "format": "json",
            "idx": str(attempt.key),
            "check_idx": "1",
            "notify_url": report_url(self.config, attempt, "sms_status"),
        }
        if self.config.from_address:
            fields["from"] = self.config.from_address
        return fields

    def send(self, message, attempt) -> Accepted:
        token = self.config.password
        # An HTTP header carries ASCII only, and a line break would start another header.
        if not token.isascii() or not token.isprintable():
            raise PermanentError(_("The SMS provider's API token may hold only printable "
                                   "ASCII characters."))
        body = urllib.parse.urlencode(self.fields(message, attempt))
        try:
            response = HTTP.request("POST", self.config.url, body=body, headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/x-www-form-urlencoded"})
        except urllib3.exceptions.HTTPError as e:
            raise unreachable(self.config.url, e) from None
        text = response.data.decode("utf-8", "replace").strip()
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            reply = f"{response.status} {text[:300]}"
            if response.status >= 500 or response.status == 429:
                raise TemporaryError(reply)
            raise PermanentError(reply)
        if answer.get("error"):
            code = answer["error"]
            code = int(code) if str(code).isdigit() else code
            reply = f"{response.status} {code}: {answer.get('message', '')}"[:500]
            if code in DUPLICATE_IDX_CODES:
                return Accepted(reply=reply)
            if code in TEMPORARY_CODES or response.status >= 500:
                raise TemporaryError(reply)
            raise PermanentError(reply)
        if response.status >= 300:
            raise (TemporaryError if response.status >= 500 else PermanentError)(
                f"{response.status} {text[:300]}")
        first = (answer.get("list") or [{}])[0]
        return Accepted(gateway_id=str(first.get("id", "")),
                        reply=f"{response.status} {first.get('status', 'OK')}")

    def send_many(self, items) -> dict:
        dlr_secret_ensure(self.config)  # once, before the threads (it may write)
        return send_parallel(self.send, items)
