"""SMS through Kannel's ``sendsms`` HTTP interface (smsbox), with delivery reports.

The tenant's ``Gateway`` row: ``url`` is the sendsms URL (or ``host`` and ``port``:
``http://host:port/cgi-bin/sendsms``), ``username``/``password`` the sendsms-user,
``from_address`` the sender (Kannel's ``global-sender`` when empty), ``options["smsc"]``
an SMSC id to route through. Kannel's ``sendsms-user`` needs ``concatenation = true`` and
``max-messages`` of 24 or more: a 1600-character UCS-2 text is 24 parts, and Kannel
silently cuts a text beyond ``max-messages``.

Each SMS goes with ``dlr-mask`` 31 and a ``dlr-url`` naming the tenant, the attempt's key
and the tenant's DLR secret (``messaging.webhooks``); Kannel fills in ``%d`` (the report's
type), ``%A`` (the SMSC's answer) and ``%F`` (the SMSC's message id). Kannel's answers:
``0: Accepted for delivery`` and ``3: Queued for later delivery`` (bearerbox keeps it
until its SMSC is back: sent, and sending again would deliver it twice) are accepted;
another 2xx/4xx answer (bad credentials, a refused number) is permanent; a 5xx answer,
a refused connection or a timeout is temporary (the attempt is tried again).

The HTTP helpers here (one keep-alive pool per process, a small thread pool for a
batch, the report URL with the tenant's secret) serve ``http_sms`` too.
"""

import functools
import secrets
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import urllib3
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .. import sms
from ..models import Status
from . import Accepted, GatewayBase, GatewayError, PermanentError, TemporaryError, register

# 1 delivered, 2 undelivered, 4 buffered at the SMSC, 8 submitted to the SMSC, 16 rejected.
DLR_MASK = 31
# Concurrent requests of one batch: each sendsms request waits on smsbox and bearerbox
# more than on this process, so throughput grows with parallel connections, until the
# threads' own CPU competes with the workers and Kannel (the 10,000-SMS bench on 2 cores:
# 16 → 588/s, 32 → 394/s). ``MESSAGING_GATEWAY_THREADS`` sets it.
THREADS = settings.MESSAGING_GATEWAY_THREADS
TIMEOUT = urllib3.Timeout(connect=5, read=20)

# One pool of keep-alive connections per host, shared by every batch of this process.
HTTP = urllib3.PoolManager(num_pools=20, maxsize=THREADS, block=True, retries=False,
                           timeout=TIMEOUT)


def dlr_secret_ensure(config) -> str:
    """The gateway's DLR secret (``messaging.gateway_config`` makes one with the gateway);
    a row without one gets one here, once: a conditional update, so two workers at once
    keep the same secret."""
    if not config.dlr_secret:
        from ..models import Gateway

        Gateway.objects.filter(pk=config.pk, dlr_secret="").update(
            dlr_secret=secrets.token_urlsafe(32))
        config.dlr_secret = Gateway.objects.values_list("dlr_secret", flat=True).get(
            pk=config.pk)
    return config.dlr_secret


_NO_KEY = uuid.UUID(int=0)


@functools.lru_cache(maxsize=256)
def _report_path(view: str, tenant_id: int) -> tuple[str, str]:
    # Reversed once per tenant: the key goes in by text (a batch of thousands of SMS).
    path = reverse(f"messaging:{view}", kwargs={"tenant_id": tenant_id, "key": _NO_KEY})
    before, _key, after = path.partition(str(_NO_KEY))
    return before, after


def report_url(config, attempt, view: str) -> str:
    """Where the gateway reports on ``attempt``: Abonent's public address, the tenant,
    the attempt's key and the tenant's secret (``?s=``)."""
    before, after = _report_path(view, config.tenant_id)
    secret = urllib.parse.quote(dlr_secret_ensure(config), safe="")
    return (f"{settings.MESSAGING_PUBLIC_URL.rstrip('/')}{before}{attempt.key}{after}"
            f"?s={secret}")


def send_parallel(send, items) -> dict:
    """``send(message, attempt)`` for each item on a few threads; the outcome (``Accepted``
    or the ``GatewayError``) by attempt key. ``send`` must not use the database."""

    language = translation.get_language()

    def one(item):
        message, attempt = item
        try:
            return attempt.key, send(message, attempt)
        except GatewayError as e:
            return attempt.key, e

    def in_thread(item):
        with translation.override(language):  # the reply reads as in the caller's thread
            return one(item)

    if len(items) <= 1:
        return dict(map(one, items))
    with ThreadPoolExecutor(max_workers=min(THREADS, len(items))) as pool:
        return dict(pool.map(in_thread, items))


def unreachable(name: str, error: Exception) -> TemporaryError:
    # urllib3's text starts with the connection object's repr: keep what follows.
    reason = str(error).split(">: ", 1)[-1].split("): ", 1)[-1][:300]
    return TemporaryError(_("%(gateway)s did not answer: %(error)s")
                          % {"gateway": name, "error": reason or type(error).__name__})


def dlr_status(dlr_type: str, answer: str = "") -> str | None:
    """The message status a Kannel delivery report means; None for a type Kannel does not
    send. An undelivered report whose SMSC answer says ``stat:EXPIRED`` or
    ``stat:REJECTD`` (SMPP receipts) is expired or rejected."""
    try:
        value = int(dlr_type)
    except (TypeError, ValueError):
        return None
    if value == 1:
        return Status.DELIVERED
    if value == 2:
        answer = answer.upper()
        if "STAT:EXPIRED" in answer:
            return Status.EXPIRED
        if "STAT:REJECTD" in answer:
            return Status.REJECTED
        return Status.UNDELIVERED
    if value in (4, 8):  # buffered at the SMSC, or submitted to it: still on its way
        return Status.SENT
    if value == 16:
        return Status.REJECTED
    return None


@register("kannel")
class KannelGateway(GatewayBase):
    def __init__(self, config):
        super().__init__(config)
        self.url = config.url or f"http://{config.host}:{config.port or 13013}/cgi-bin/sendsms"

    def params(self, message, attempt) -> dict:
        text = message.text_to_send
        params = {
            "username": self.config.username,
            "password": self.config.password,
            "to": message.recipient,
            "text": text,
            "charset": "UTF-8",
            # UCS-2 for a text beyond GSM-7 (Polish letters): Kannel would send "?" instead.
            "coding": "0" if sms.is_gsm7(text) else "2",
            "dlr-mask": str(DLR_MASK),
            "dlr-url": report_url(self.config, attempt, "dlr_kannel")
            + "&type=%d&answer=%A&smsc_id=%F",
        }
        if self.config.from_address:
            params["from"] = self.config.from_address
        if self.config.options.get("smsc"):
            params["smsc"] = self.config.options["smsc"]
        return params

    def send(self, message, attempt) -> Accepted:
        # GET: smsbox reads the parameters of a POST only from X-Kannel headers.
        query = urllib.parse.urlencode(self.params(message, attempt))
        try:
            response = HTTP.request("GET", f"{self.url}?{query}")
        except urllib3.exceptions.HTTPError as e:
            raise unreachable("Kannel", e) from None
        reply = response.data.decode("utf-8", "replace").strip()[:500]
        answer = f"{response.status} {reply}"
        if response.status >= 500:
            raise TemporaryError(answer)
        if response.status < 300 and reply.split(":")[0] in ("0", "3"):
            return Accepted(reply=answer)
        raise PermanentError(answer)

    def send_many(self, items) -> dict:
        dlr_secret_ensure(self.config)  # once, before the threads (it may write)
        return send_parallel(self.send, items)
