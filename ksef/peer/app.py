"""The peer's HTTP side: a werkzeug WSGI app routing the KSeF API v2 paths to ``Peer``,
validating every API request and answer against open-api.json, plus the ``/_peer/``
control API and the batch part upload URLs (``/_upload/``)."""
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .state import Peer, PeerError

API_PREFIX = "/v2"
# A scripted "timeout" hangs this long unless told: longer than KsefClient's default 10 s.
DEFAULT_HANG_SECONDS = 11

# operation name (for scripted faults) and handler name per API path
API_RULES = [
    ("GET", "/security/public-key-certificates", "certificates", "auth"),
    ("POST", "/auth/challenge", "challenge", "auth"),
    ("POST", "/auth/ksef-token", "ksef_token", "auth"),
    ("POST", "/auth/token/redeem", "redeem", "auth"),
    ("POST", "/auth/token/refresh", "refresh", "auth"),
    ("GET", "/auth/<ref>", "auth_status", "auth"),
    ("GET", "/rate-limits", "rate_limits", "status"),
    ("POST", "/sessions/online", "online_open", "open"),
    ("POST", "/sessions/online/<ref>/invoices", "invoice_send", "send"),
    ("POST", "/sessions/online/<ref>/close", "online_close", "close"),
    ("POST", "/sessions/batch", "batch_open", "send"),
    ("POST", "/sessions/batch/<ref>/close", "batch_close", "close"),
    ("GET", "/sessions/<ref>", "session_status", "status"),
    ("GET", "/sessions/<ref>/invoices", "session_invoices", "status"),
    ("GET", "/sessions/<ref>/invoices/<inv>", "invoice_status", "status"),
    ("GET", "/sessions/<ref>/invoices/<inv>/upo", "invoice_upo", "upo"),
]
RATE_LIMIT_KEYS = ("onlineSession", "batchSession", "invoiceSend", "invoiceStatus",
                   "sessionList", "sessionInvoiceList", "sessionMisc", "invoiceMetadata",
                   "invoiceExport", "invoiceExportStatus", "invoiceDownload", "other")


def spec_path() -> Path:
    if env := os.environ.get("KSEF_OPENAPI"):
        return Path(env)
    shared = Path(__file__).resolve().parents[3] / "shared"
    return shared / "data" / "ksef" / "api" / "open-api.json"


def openapi_load() -> OpenAPI:
    """The Ministry's description with its server made relative, so any host matches."""
    spec = json.loads(spec_path().read_text(encoding="utf-8"))
    spec["servers"] = [{"url": API_PREFIX}]
    # The UPO is declared as an XML document of schema "string": read it as text, not as
    # a parsed element (which openapi-core would then fail to match with "string");
    # openapi-core does not know problem+json (RFC 9457) as JSON.
    config = Config(extra_media_type_deserializers={
        "application/xml": lambda data, **_: data.decode("utf-8") if isinstance(
            data, bytes) else data,
        "application/problem+json": lambda data, **_: json.loads(data)})
    return OpenAPI.from_dict(spec, config=config)


def _json(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    content_type="application/json", headers=headers)


def _timestamp() -> str:
    return datetime.now(UTC).isoformat()


def error_response(error: PeerError, path: str) -> Response:
    """An error in the shape the OpenAPI gives for its status."""
    if error.style == "problem":
        body = {"title": {401: "Unauthorized", 403: "Forbidden"}.get(error.status, "Error"),
                "status": error.status, "detail": error.description, "instance": path,
                "timestamp": _timestamp(), "traceId": os.urandom(16).hex()}
        if error.status == 403:
            body["reasonCode"] = "insufficient-resource-access"
        return Response(json.dumps(body, ensure_ascii=False), status=error.status,
                        content_type="application/problem+json")
    return _json({"exception": {"exceptionDetailList": [{
        "exceptionCode": error.code or 21000, "exceptionDescription": error.description,
        "details": error.details}], "serviceName": "KSeF peer", "timestamp": _timestamp()}},
        status=error.status)


class PeerApp:
    def __init__(self, peer: Peer | None = None):
        self.peer = peer or Peer()
        self.openapi = openapi_load()
        self.api_map = Map([Rule(API_PREFIX + path, methods=[method], endpoint=(name, op))
                            for method, path, name, op in API_RULES])
        self.control_map = Map([
            Rule("/_peer/health", methods=["GET"], endpoint="health"),
            Rule("/_peer/tokens", methods=["POST"], endpoint="tokens"),
            Rule("/_peer/script", methods=["POST"], endpoint="script"),
            Rule("/_peer/received", methods=["GET"], endpoint="received"),
            Rule("/_peer/log", methods=["GET"], endpoint="log"),
            Rule("/_peer/violations", methods=["GET"], endpoint="violations"),
            Rule("/_peer/config", methods=["POST"], endpoint="config"),
            Rule("/_peer/reset", methods=["POST"], endpoint="reset"),
            Rule("/_upload/<ref>/<int:number>", methods=["PUT"], endpoint="upload"),
        ])

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith(API_PREFIX + "/"):
            response = self.api(request)
        else:
            response = self.control(request)
        return response(environ, start_response)

    # --- the KSeF API ----------------------------------------------------------------------

    def api(self, request: Request) -> Response:
        self._request_check(request)
        try:
            (name, operation), args = self.api_map.bind_to_environ(request.environ).match()
        except HTTPException as exc:
            self._violation(request, f"no such API path: {exc.code}")
            return exc.get_response()
        fault = self.peer.transport_answer(operation)
        if fault and fault["answer"] != "timeout":
            return self._fault(request, fault)
        if fault:
            time.sleep(float(fault.get("seconds", DEFAULT_HANG_SECONDS)))
        try:
            response = getattr(self, f"op_{name}")(request, **args)
        except PeerError as error:
            response = error_response(error, request.path)
        self._response_check(request, response)
        with self.peer.lock:
            self.peer.log.append({"method": request.method, "path": request.path,
                                  "status": response.status_code})
        return response

    def _fault(self, request: Request, fault: dict) -> Response:
        """A scripted 429 (validated like any answer) or 500 (not in the OpenAPI: a broken
        KSeF, so not checked)."""
        with self.peer.lock:
            self.peer.log.append({"method": request.method, "path": request.path,
                                  "status": int(fault["answer"])})
        if fault["answer"] == "500":
            return _json({"title": "Internal Server Error", "status": 500}, status=500)
        retry_after = int(fault.get("retry_after", 1))
        response = _json({"status": {"code": 429, "description": "Too Many Requests",
                                     "details": [f"Przekroczono limit żądań. Spróbuj ponownie "
                                                 f"po {retry_after} sekundach."]}},
                         status=429, headers={"Retry-After": str(retry_after)})
        self._response_check(request, response)
        return response

    def _violation(self, request: Request, message: str) -> None:
        with self.peer.lock:
            self.peer.violations.append(f"{request.method} {request.path}: {message}")

    @staticmethod
    def _describe(exc: Exception) -> str:
        cause = exc.__cause__
        errors = [error.message for error in getattr(cause, "schema_errors", ()) or ()]
        return f"{exc}" + (f" ({'; '.join(errors)})" if errors else "")

    def _request_check(self, request: Request) -> None:
        try:
            self.openapi.validate_request(WerkzeugOpenAPIRequest(request))
        except Exception as exc:  # every kind of violation is recorded, none is fatal
            self._violation(request, "request: " + self._describe(exc))

    def _response_check(self, request: Request, response: Response) -> None:
        try:
            self.openapi.validate_response(WerkzeugOpenAPIRequest(request),
                                           WerkzeugOpenAPIResponse(response))
        except Exception as exc:  # every kind of violation is recorded, none is fatal
            self._violation(request, "response: " + self._describe(exc))

    @staticmethod
    def _bearer(request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        return header[7:] if header.startswith("Bearer ") else None

    def _context(self, request: Request) -> dict:
        return self.peer.context(self._bearer(request))

    @staticmethod
    def _body(request: Request) -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise PeerError(400, "Błąd walidacji danych wejściowych.", code=21405,
                            details=["The body is not a JSON object."])
        return data

    def op_certificates(self, request):
        return _json(self.peer.certificates())

    def op_challenge(self, request):
        return _json(self.peer.challenge_new(request.remote_addr))

    def op_ksef_token(self, request):
        return _json(self.peer.ksef_token_init(self._body(request)), status=202)

    def op_auth_status(self, request, ref):
        return _json(self.peer.auth_status(ref, self._bearer(request)))

    def op_redeem(self, request):
        return _json(self.peer.token_redeem(self._bearer(request)))

    def op_refresh(self, request):
        return _json(self.peer.token_refresh(self._bearer(request)))

    def op_rate_limits(self, request):
        self._context(request)
        values = {"perSecond": 10, "perMinute": 30, "perHour": 1200}
        return _json({key: values for key in RATE_LIMIT_KEYS})

    def op_online_open(self, request):
        return _json(self.peer.online_open(self._context(request), self._body(request)),
                     status=201)

    def op_invoice_send(self, request, ref):
        return _json(self.peer.invoice_send(self._context(request), ref, self._body(request)),
                     status=202)

    def op_online_close(self, request, ref):
        self.peer.session_close(self._context(request), ref, "online")
        return Response(status=204)

    def op_batch_open(self, request):
        base = request.host_url.rstrip("/")
        return _json(self.peer.batch_open(self._context(request), self._body(request), base),
                     status=201)

    def op_batch_close(self, request, ref):
        self.peer.session_close(self._context(request), ref, "batch")
        return Response(status=204)

    def op_session_status(self, request, ref):
        return _json(self.peer.session_status(self._context(request), ref))

    def op_session_invoices(self, request, ref):
        page_size = request.args.get("pageSize", "10")
        page_size = int(page_size) if page_size.isdigit() else 10
        return _json(self.peer.session_invoices(
            self._context(request), ref, page_size=max(10, min(page_size, 1000)),
            continuation=request.headers.get("x-continuation-token")))

    def op_invoice_status(self, request, ref, inv):
        return _json(self.peer.invoice_status(self._context(request), ref, inv))

    def op_invoice_upo(self, request, ref, inv):
        from ksef.encryption import sha256_b64

        upo = self.peer.invoice_upo(self._context(request), ref, inv)
        return Response(upo, status=200, content_type="application/xml",
                        headers={"x-ms-meta-hash": sha256_b64(upo)})

    # --- control ---------------------------------------------------------------------------

    def control(self, request: Request) -> Response:
        try:
            endpoint, args = self.control_map.bind_to_environ(request.environ).match()
        except NotFound:
            return _json({"error": "not found"}, status=404)
        except HTTPException as exc:
            return exc.get_response()
        try:
            return getattr(self, f"control_{endpoint}")(request, **args)
        except PeerError as error:
            return error_response(error, request.path)
        except (ValueError, KeyError, TypeError) as exc:
            return _json({"error": str(exc)}, status=400)

    def control_health(self, request):
        return _json({"ok": True})

    def control_tokens(self, request):
        data = request.get_json()
        self.peer.token_add(str(data["nip"]), str(data["token"]))
        return Response(status=204)

    def control_script(self, request):
        self.peer.script_add(list(request.get_json()["answers"]))
        return Response(status=204)

    def control_received(self, request):
        return _json(self.peer.received_list())

    def control_log(self, request):
        with self.peer.lock:
            return _json(list(self.peer.log))

    def control_violations(self, request):
        with self.peer.lock:
            return _json(list(self.peer.violations))

    def control_config(self, request):
        data = request.get_json()
        with self.peer.lock:
            for key in ("access_ttl", "refresh_ttl", "auth_polls"):
                if key in data:
                    self.peer.config[key] = int(data[key])
        return Response(status=204)

    def control_reset(self, request):
        self.peer.reset()
        return Response(status=204)

    def control_upload(self, request, ref, number):
        self.peer.part_upload(ref, number, request.get_data())
        return Response(status=201)
