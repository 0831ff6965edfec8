"""A client of the KSeF API v2 (Krajowy System e-Faktur, API 2.6.0).

It follows the Ministry's OpenAPI description (/work/shared/data/ksef/api/open-api.json)
and is tested against the local peer (``python -m ksef.peer``), which validates every request
and its own answer against that description. ``base_url`` includes the version prefix, e.g.
``https://api-test.ksef.mf.gov.pl/v2`` or ``http://127.0.0.1:8765/v2``.

Errors: every failed call raises ``KsefError`` with the HTTP status and the API's exception
code and description. ``KsefUnavailable`` (network trouble, a timeout, HTTP 5xx) and
``KsefRateLimited`` (HTTP 429, ``.retry_after`` in seconds) are the ones worth retrying; the
caller decides when (the pipeline schedules a Celery retry after ``retry_after``).

The client is not thread-safe: use one per worker task. It holds the access token of the
last ``authenticate()`` and refreshes it with the refresh token shortly before it expires.
"""
from __future__ import annotations

import base64
import email.utils
import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests

from . import encryption

FORM_CODE_FA3 = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}
USAGE_TOKEN = "KsefTokenEncryption"
USAGE_SYMMETRIC_KEY = "SymmetricKeyEncryption"
# Refresh the access token this long before it expires, so that a call made just before
# the expiry does not reach KSeF with a dead token.
REFRESH_MARGIN = timedelta(seconds=30)
# KSeF answers 100 while it checks the token; polling stops after this many tries.
AUTH_POLL_TRIES = 50
SESSION_INVOICES_PAGE = 100


def _(message: str) -> str:
    """Django's gettext when Django is configured; the message itself in the peer's
    process, which runs without Django."""
    try:
        from django.conf import settings
        from django.utils.translation import gettext

        if settings.configured:
            return gettext(message)
    except ImportError:
        pass
    return message


class KsefError(Exception):
    """A call KSeF refused or could not answer.

    ``status``: the HTTP status (None when there was no HTTP answer or the failure was a
    status inside a 200 answer, e.g. authentication code 450); ``code``: the API's
    exceptionCode / status code; ``description`` and ``details``: its texts.
    """

    def __init__(self, description: str, *, status: int | None = None, code: int | None = None,
                 details: list[str] | None = None):
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.details = list(details or [])

    def __str__(self) -> str:
        parts = [self.description]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code is not None:
            parts.append(f"code {self.code}")
        parts.extend(self.details)
        return "; ".join(parts)


class KsefUnavailable(KsefError):
    """Connection refused or reset, a timeout or HTTP 5xx: try again later."""


class KsefRateLimited(KsefError):
    """HTTP 429: KSeF asks to wait ``retry_after`` seconds before the next call."""

    def __init__(self, description: str, *, retry_after: float, **kwargs):
        super().__init__(description, **kwargs)
        self.retry_after = retry_after


@dataclass
class OnlineSession:
    """An open interactive session and its AES key (needed for every invoice sent in it)."""
    reference_number: str
    valid_until: datetime | None
    key: bytes = field(repr=False)
    iv: bytes = field(repr=False)


@dataclass
class SentInvoice:
    """KSeF's receipt of one invoice: its reference and the hash KSeF will report back."""
    reference_number: str
    invoice_hash: str


@dataclass
class InvoiceStatus:
    """The processing status of one invoice in a session (codes in the OpenAPI)."""
    reference_number: str
    invoice_hash: str
    code: int
    description: str
    details: list[str]
    ksef_number: str | None
    acquired_at: datetime | None
    invoice_number: str | None = None
    file_name: str | None = None
    extensions: dict = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.code == 200

    @property
    def processing(self) -> bool:
        return self.code < 200

    @property
    def rejected(self) -> bool:
        return self.code >= 400


@dataclass
class SessionStatus:
    """A session's status: 100 open, 150 processing, 170 closed, 200 done, >= 400 failed."""
    code: int
    description: str
    invoice_count: int | None
    successful: int | None
    failed: int | None
    details: list[str] = field(default_factory=list)


def invoice_hash(xml: bytes) -> str:
    """The base64 SHA-256 of the plain invoice XML: how KSeF identifies an invoice (and
    spots a duplicate), and what a correction's ``hash_of_corrected_invoice`` refers to."""
    return encryption.sha256_b64(xml)


def parse_datetime(value: str | None) -> datetime | None:
    """An API timestamp; KSeF sends up to 7 fractional digits, Python reads 6."""
    if not value:
        return None
    value = re.sub(r"(\.\d{6})\d+", r"\1", value.replace("Z", "+00:00"))
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _retry_after_seconds(value: str | None) -> float:
    """Retry-After is seconds or an HTTP date; a missing or odd header means one second."""
    if not value:
        return 1.0
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 1.0
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _error_from_body(body) -> tuple[int | None, str | None, list[str]]:
    """The code, description and details of any of the API's error shapes."""
    if not isinstance(body, dict):
        return None, None, []
    exception = body.get("exception")
    if isinstance(exception, dict):
        items = exception.get("exceptionDetailList") or [{}]
        first = items[0]
        details = [d for item in items for d in (item.get("details") or [])]
        return first.get("exceptionCode"), first.get("exceptionDescription"), details
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        details = [d for item in errors for d in (item.get("details") or [])]
        return errors[0].get("code"), errors[0].get("description"), details
    status = body.get("status")
    if isinstance(status, dict):
        return status.get("code"), status.get("description"), list(status.get("details") or [])
    if "detail" in body or "title" in body:
        description = body.get("detail") or body.get("title")
        reason = body.get("reasonCode")
        return None, description, [reason] if reason else []
    return None, None, []


def error_from_response(response: requests.Response) -> KsefError:
    """The exception for a non-2xx answer (5xx → unavailable, 429 → rate limited)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    code, description, details = _error_from_body(body)
    description = description or response.reason or f"HTTP {response.status_code}"
    kwargs = {"status": response.status_code, "code": code, "details": details}
    if response.status_code == 429:
        return KsefRateLimited(description, retry_after=_retry_after_seconds(
            response.headers.get("Retry-After")), **kwargs)
    if response.status_code >= 500:
        return KsefUnavailable(description, **kwargs)
    return KsefError(description, **kwargs)


def _invoice_status(data: dict) -> InvoiceStatus:
    status = data.get("status") or {}
    return InvoiceStatus(
        reference_number=data["referenceNumber"],
        invoice_hash=data.get("invoiceHash", ""),
        code=int(status.get("code", 0)),
        description=status.get("description", ""),
        details=list(status.get("details") or []),
        ksef_number=data.get("ksefNumber"),
        acquired_at=parse_datetime(data.get("acquisitionDate")),
        invoice_number=data.get("invoiceNumber"),
        file_name=data.get("invoiceFileName"),
        extensions=dict(status.get("extensions") or {}),
    )


def zip_invoices(invoices: list[tuple[str, bytes]]) -> bytes:
    """A zip of the invoices (file name → XML), the package of a batch session."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, xml in invoices:
            archive.writestr(name, xml)
    return buffer.getvalue()


def split_parts(data: bytes, part_max_bytes: int) -> list[bytes]:
    """The package cut into consecutive parts of at most ``part_max_bytes`` (before
    encryption, as the API limits them)."""
    if part_max_bytes < 1:
        raise ValueError("part_max_bytes must be positive")
    return [data[i:i + part_max_bytes] for i in range(0, len(data), part_max_bytes)] or [b""]


class KsefClient:
    """One KSeF context (a NIP) over one HTTP connection pool."""

    def __init__(self, base_url: str, *, timeout: float = 10.0, poll_interval: float = 0.2,
                 rate_limit_wait: float = 0.0):
        """``rate_limit_wait``: a 429 whose Retry-After is at most this many seconds is
        waited out and the call repeated once; a longer one is raised as KsefRateLimited
        (0, the default, always raises: a worker should not sleep, it should retry later)."""
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.rate_limit_wait = rate_limit_wait
        self.http = requests.Session()
        self.http.headers["Accept"] = "application/json"
        self._certificates: dict[str, object] = {}
        self._access_token: str | None = None
        self._access_valid_until: datetime | None = None
        self._refresh_token: str | None = None
        self._refresh_valid_until: datetime | None = None
        self._credentials: tuple[str, str] | None = None

    # --- transport -----------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        """One HTTP exchange; network failures become KsefUnavailable."""
        try:
            return self.http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            message = _("KSeF did not answer within %(seconds)s s") % {"seconds": self.timeout}
            raise KsefUnavailable(message) from exc
        except requests.ConnectionError as exc:
            raise KsefUnavailable(_("KSeF is unreachable: %(error)s") % {"error": exc}) from exc
        except requests.RequestException as exc:
            message = _("The request to KSeF failed: %(error)s") % {"error": exc}
            raise KsefUnavailable(message) from exc

    def _call(self, method: str, path: str, *, bearer: str | None = None, auth: bool = True,
              json: dict | None = None, headers: dict | None = None,
              params: dict | None = None) -> requests.Response:
        """A call to the API: adds the access token (refreshed when due), maps errors and
        waits out a short 429 once (see ``rate_limit_wait``)."""
        for attempt in range(2):
            request_headers = dict(headers or {})
            if bearer:
                request_headers["Authorization"] = f"Bearer {bearer}"
            elif auth:
                request_headers["Authorization"] = f"Bearer {self._access_token_current()}"
            response = self._send(method, self.base_url + path, json=json,
                                  headers=request_headers, params=params)
            if response.ok:
                return response
            error = error_from_response(response)
            if (attempt == 0 and isinstance(error, KsefRateLimited)
                    and error.retry_after <= self.rate_limit_wait):
                time.sleep(error.retry_after)
                continue
            raise error
        raise AssertionError("unreachable")

    # --- authentication ------------------------------------------------------------------

    def _certificate(self, usage: str):
        """The Ministry's public-key certificate for one usage (fetched once per client)."""
        if usage not in self._certificates:
            response = self._call("GET", "/security/public-key-certificates", auth=False)
            now = datetime.now(UTC)
            for item in response.json():
                valid_to = parse_datetime(item.get("validTo"))
                if valid_to and valid_to < now:
                    continue
                for item_usage in item.get("usage") or []:
                    self._certificates.setdefault(
                        item_usage, encryption.certificate_load(item["certificate"]))
            if usage not in self._certificates:
                raise KsefError(_("KSeF publishes no valid certificate for %(usage)s.")
                                % {"usage": usage})
        return self._certificates[usage]

    def authenticate(self, *, nip: str, ksef_token: str) -> None:
        """Sign in to the NIP's context with a KSeF token.

        challenge → ``token|timestampMs`` encrypted with RSA-OAEP under the
        KsefTokenEncryption certificate → /auth/ksef-token → poll /auth/{ref} until 200 →
        /auth/token/redeem for the access and refresh tokens. A refused token raises
        KsefError with the API's status code (e.g. 450)."""
        challenge = self._call("POST", "/auth/challenge", auth=False).json()
        plain = f"{ksef_token}|{challenge['timestampMs']}".encode()
        encrypted = encryption.rsa_encrypt(plain, self._certificate(USAGE_TOKEN))
        init = self._call("POST", "/auth/ksef-token", auth=False, json={
            "challenge": challenge["challenge"],
            "contextIdentifier": {"type": "Nip", "value": nip},
            "encryptedToken": base64.b64encode(encrypted).decode("ascii"),
        }).json()
        operation_token = init["authenticationToken"]["token"]
        self._auth_wait(init["referenceNumber"], operation_token)
        tokens = self._call("POST", "/auth/token/redeem", bearer=operation_token).json()
        self._tokens_keep(tokens)
        self._credentials = (nip, ksef_token)

    def _auth_wait(self, reference_number: str, operation_token: str) -> None:
        """Poll the authentication operation until KSeF accepts or refuses it."""
        for _ in range(AUTH_POLL_TRIES):
            status = self._call("GET", f"/auth/{reference_number}",
                                bearer=operation_token).json()["status"]
            if status["code"] == 200:
                return
            if status["code"] >= 400:
                raise KsefError(status.get("description") or _("Authentication with KSeF failed."),
                                code=status["code"], details=status.get("details"))
            time.sleep(self.poll_interval)
        raise KsefUnavailable(_("KSeF did not finish the authentication in time."))

    def _tokens_keep(self, tokens: dict) -> None:
        access = tokens["accessToken"]
        self._access_token = access["token"]
        self._access_valid_until = parse_datetime(access.get("validUntil"))
        if tokens.get("refreshToken"):
            self._refresh_token = tokens["refreshToken"]["token"]
            self._refresh_valid_until = parse_datetime(tokens["refreshToken"].get("validUntil"))

    def _access_token_current(self) -> str:
        """The access token, refreshed (or re-obtained with the KSeF token) when due."""
        if self._access_token is None:
            raise KsefError(_("Not authenticated with KSeF."))
        now = datetime.now(UTC)
        if self._access_valid_until and self._access_valid_until - REFRESH_MARGIN <= now:
            if self._refresh_valid_until and self._refresh_valid_until > now:
                self.token_refresh()
            elif self._credentials:
                nip, token = self._credentials
                self.authenticate(nip=nip, ksef_token=token)
        return self._access_token

    def token_refresh(self) -> None:
        """A new access token from the refresh token (/auth/token/refresh)."""
        if not self._refresh_token:
            raise KsefError(_("Not authenticated with KSeF."))
        response = self._call("POST", "/auth/token/refresh", bearer=self._refresh_token)
        self._tokens_keep(response.json())

    @property
    def access_valid_until(self) -> datetime | None:
        return self._access_valid_until

    def rate_limits(self) -> dict:
        """The context's effective API rate limits (per second / minute / hour)."""
        return self._call("GET", "/rate-limits").json()

    # --- online (interactive) sessions ---------------------------------------------------

    def _encryption_info(self, key: bytes, iv: bytes) -> dict:
        encrypted_key = encryption.rsa_encrypt(key, self._certificate(USAGE_SYMMETRIC_KEY))
        return {"encryptedSymmetricKey": base64.b64encode(encrypted_key).decode("ascii"),
                "initializationVector": base64.b64encode(iv).decode("ascii")}

    def online_session_open(self) -> OnlineSession:
        """Open an interactive session for FA (3) invoices under a fresh AES-256 key."""
        key, iv = encryption.aes_key_new()
        data = self._call("POST", "/sessions/online", json={
            "formCode": FORM_CODE_FA3, "encryption": self._encryption_info(key, iv),
        }).json()
        return OnlineSession(reference_number=data["referenceNumber"],
                             valid_until=parse_datetime(data.get("validUntil")), key=key, iv=iv)

    def invoice_send(self, session: OnlineSession, xml: bytes, *, offline_mode: bool = False,
                     hash_of_corrected_invoice: str | None = None) -> SentInvoice:
        """Send one invoice in an open session. KSeF only takes it for processing (202):
        its number or rejection comes with ``invoice_status``."""
        encrypted = encryption.aes_encrypt(xml, session.key, session.iv)
        body = {
            "invoiceHash": invoice_hash(xml),
            "invoiceSize": len(xml),
            "encryptedInvoiceHash": encryption.sha256_b64(encrypted),
            "encryptedInvoiceSize": len(encrypted),
            "encryptedInvoiceContent": base64.b64encode(encrypted).decode("ascii"),
            "offlineMode": offline_mode,
        }
        if hash_of_corrected_invoice:
            body["hashOfCorrectedInvoice"] = hash_of_corrected_invoice
        data = self._call("POST", f"/sessions/online/{session.reference_number}/invoices",
                          json=body).json()
        return SentInvoice(reference_number=data["referenceNumber"],
                           invoice_hash=body["invoiceHash"])

    def session_close(self, session: OnlineSession | str) -> None:
        """Close an interactive session (KSeF then prepares the session's UPO)."""
        reference = session if isinstance(session, str) else session.reference_number
        self._call("POST", f"/sessions/online/{reference}/close")

    # --- statuses ------------------------------------------------------------------------

    def session_status(self, reference_number: str) -> SessionStatus:
        data = self._call("GET", f"/sessions/{reference_number}").json()
        status = data["status"]
        return SessionStatus(code=status["code"], description=status.get("description", ""),
                             invoice_count=data.get("invoiceCount"),
                             successful=data.get("successfulInvoiceCount"),
                             failed=data.get("failedInvoiceCount"),
                             details=list(status.get("details") or []))

    def session_invoices(self, reference_number: str) -> list[InvoiceStatus]:
        """Every invoice of a session, following the continuation token over all pages."""
        result: list[InvoiceStatus] = []
        continuation: str | None = None
        while True:
            headers = {"x-continuation-token": continuation} if continuation else None
            data = self._call("GET", f"/sessions/{reference_number}/invoices",
                              headers=headers,
                              params={"pageSize": SESSION_INVOICES_PAGE}).json()
            result.extend(_invoice_status(item) for item in data.get("invoices") or [])
            continuation = data.get("continuationToken")
            if not continuation:
                return result

    def invoice_status(self, session_reference: str, invoice_reference: str) -> InvoiceStatus:
        data = self._call(
            "GET", f"/sessions/{session_reference}/invoices/{invoice_reference}").json()
        return _invoice_status(data)

    def invoice_upo(self, session_reference: str, invoice_reference: str) -> bytes:
        """The invoice's UPO (Urzędowe Poświadczenie Odbioru) XML, as KSeF signed it."""
        response = self._call(
            "GET", f"/sessions/{session_reference}/invoices/{invoice_reference}/upo",
            headers={"Accept": "application/xml"})
        return response.content

    # --- batch sessions ------------------------------------------------------------------

    def batch_send(self, invoices: list[tuple[str, bytes]], *, part_max_bytes: int = 100_000_000,
                   offline_mode: bool = False) -> str:
        """Send many invoices in one batch session and return its reference number.

        The invoices are zipped (file name → XML), the zip is cut into parts of at most
        ``part_max_bytes``, each part is encrypted with the session's AES key, the session
        is opened with the hashes and sizes, every part is uploaded to the URL KSeF gives
        (without the access token) and the session is closed. Statuses then come from
        ``session_status`` / ``session_invoices``."""
        if not invoices:
            raise ValueError("a batch needs at least one invoice")
        package = zip_invoices(invoices)
        key, iv = encryption.aes_key_new()
        parts = [encryption.aes_encrypt(part, key, iv)
                 for part in split_parts(package, part_max_bytes)]
        data = self._call("POST", "/sessions/batch", json={
            "formCode": FORM_CODE_FA3,
            "batchFile": {
                "fileSize": len(package),
                "fileHash": encryption.sha256_b64(package),
                "fileParts": [{"ordinalNumber": number, "fileSize": len(part),
                               "fileHash": encryption.sha256_b64(part)}
                              for number, part in enumerate(parts, start=1)],
            },
            "encryption": self._encryption_info(key, iv),
            "offlineMode": offline_mode,
        }).json()
        for upload in data["partUploadRequests"]:
            self._part_upload(upload, parts[upload["ordinalNumber"] - 1])
        reference = data["referenceNumber"]
        self._call("POST", f"/sessions/batch/{reference}/close")
        return reference

    def _part_upload(self, upload: dict, part: bytes) -> None:
        headers = {name: value for name, value in (upload.get("headers") or {}).items()
                   if value is not None}
        response = self._send(upload.get("method") or "PUT", upload["url"], data=part,
                              headers=headers)
        if not response.ok:
            raise error_from_response(response)

    def close(self) -> None:
        self.http.close()


# --- KSeF numbers --------------------------------------------------------------------------

KSEF_NUMBER_RE = re.compile(r"^([0-9]{10})-([0-9]{8})-([0-9A-F]{12})-([0-9A-F]{2})$")
NIP_RE = re.compile(r"^[0-9]{10}$")
TECHNICAL_RE = re.compile(r"^[0-9A-F]{12}$")


def _crc8(data: bytes) -> int:
    """CRC-8 with polynomial 0x07, initial value 0, no reflection (the KSeF number's)."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def ksef_number_build(nip: str, day, technical: str) -> str:
    """``NIP-YYYYMMDD-TTTTTTTTTTTT-CC``: the seller's NIP, the day KSeF took the invoice,
    12 upper-case hex digits and the CRC-8 of the first 32 characters as two hex digits."""
    if not NIP_RE.match(nip) or not TECHNICAL_RE.match(technical.upper()):
        raise ValueError("a KSeF number needs a 10-digit NIP and 12 hex digits")
    data = f"{nip}-{day:%Y%m%d}-{technical.upper()}"
    return f"{data}-{_crc8(data.encode('ascii')):02X}"


def ksef_number_valid(value: str) -> bool:
    """Whether a 35-character KSeF number is well formed and its checksum matches."""
    if not KSEF_NUMBER_RE.match(value or ""):
        return False
    return f"{_crc8(value[:32].encode('ascii')):02X}" == value[33:]
