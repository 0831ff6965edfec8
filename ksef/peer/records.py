"""The peer's records and error answers: an invoice and a session as the peer keeps them,
and the API error it raises (rendered by app.py in the OpenAPI's shapes)."""
import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime


class PeerError(Exception):
    """An API error answer: ``style`` "exception" (ExceptionResponse, 400) or "problem"
    (problem+json, 401/403)."""

    def __init__(self, status: int, description: str, *, code: int | None = None,
                 details: list[str] | None = None, style: str = "exception"):
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.details = details or []
        self.style = style


def bad_request(code: int, description: str, *details: str) -> PeerError:
    return PeerError(400, description, code=code, details=list(details))


def unauthorized(detail: str = "Wymagane jest uwierzytelnienie.") -> PeerError:
    return PeerError(401, detail, style="problem")


def now() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def b64decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise bad_request(21405, "Błąd walidacji danych wejściowych.",
                          f"{what} is not valid base64") from exc


@dataclass
class Invoice:
    reference: str
    ordinal: int
    session: "Session"
    invoice_hash: str
    received_at: datetime
    xml: bytes | None
    offline: bool = False
    file_name: str | None = None
    hash_of_corrected: str | None = None
    code: int = 100
    description: str = "Faktura przyjęta do dalszego przetwarzania"
    details: list[str] = field(default_factory=list)
    extensions: dict = field(default_factory=dict)
    ksef_number: str | None = None
    acquired_at: datetime | None = None
    number: str | None = None
    issue_date: str | None = None
    seller_nip: str | None = None
    processing_polls: int = 0
    upo: bytes | None = None

    def status_body(self) -> dict:
        body = {
            "ordinalNumber": self.ordinal,
            "referenceNumber": self.reference,
            "invoiceHash": self.invoice_hash,
            "invoicingDate": iso(self.received_at),
            "invoicingMode": "Offline" if self.offline else "Online",
        }
        if self.processing_polls > 0:
            body["status"] = {"code": 150, "description": "Trwa przetwarzanie"}
            return body
        status = {"code": self.code, "description": self.description}
        if self.details:
            status["details"] = self.details
        if self.extensions:
            status["extensions"] = self.extensions
        body["status"] = status
        if self.number:
            body["invoiceNumber"] = self.number[:256]
        if self.file_name:
            body["invoiceFileName"] = self.file_name[:128]
        if self.ksef_number:
            body["ksefNumber"] = self.ksef_number
            body["acquisitionDate"] = iso(self.acquired_at)
        return body


@dataclass
class Session:
    reference: str
    kind: str  # "online" | "batch"
    nip: str
    auth_reference: str
    key: bytes
    iv: bytes
    created_at: datetime
    valid_until: datetime
    offline: bool = False
    closed: bool = False
    updated_at: datetime | None = None
    invoices: list[Invoice] = field(default_factory=list)
    batch_file: dict | None = None
    parts: dict[int, bytes] = field(default_factory=dict)
