"""The contract between our KSeF client, the local peer and the Ministry's OpenAPI.

``CLIENT_OPERATIONS`` lists every API operation ``ksef.client.KsefClient`` calls (method and
path template as the OpenAPI writes them). Tests check that each exists in open-api.json and
that the peer implements each, so a new client call cannot silently miss the published API
or the peer. The exchanges themselves are validated by the peer (``/_peer/violations``).
"""
import json
from pathlib import Path

SPEC = Path(__file__).resolve().parents[3] / "shared" / "data" / "ksef" / "api" / "open-api.json"

CLIENT_OPERATIONS = {
    ("GET", "/security/public-key-certificates"),
    ("POST", "/auth/challenge"),
    ("POST", "/auth/ksef-token"),
    ("GET", "/auth/{referenceNumber}"),
    ("POST", "/auth/token/redeem"),
    ("POST", "/auth/token/refresh"),
    ("GET", "/rate-limits"),
    ("POST", "/sessions/online"),
    ("POST", "/sessions/online/{referenceNumber}/invoices"),
    ("POST", "/sessions/online/{referenceNumber}/close"),
    ("POST", "/sessions/batch"),
    ("POST", "/sessions/batch/{referenceNumber}/close"),
    ("GET", "/sessions/{referenceNumber}"),
    ("GET", "/sessions/{referenceNumber}/invoices"),
    ("GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}"),
    ("GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo"),
}


def spec_operations() -> set[tuple[str, str]]:
    """Every (METHOD, path) the OpenAPI declares."""
    paths = json.loads(SPEC.read_text(encoding="utf-8"))["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item
            if method in ("get", "post", "put", "delete", "patch")}


def peer_operations() -> set[tuple[str, str]]:
    """The operations the peer routes, in the OpenAPI's spelling of path parameters."""
    from ksef.peer.app import API_RULES

    names = {"<ref>": "{referenceNumber}", "<inv>": "{invoiceReferenceNumber}"}
    result = set()
    for method, path, _name, _op in API_RULES:
        for ours, theirs in names.items():
            path = path.replace(ours, theirs)
        result.add((method, path))
    return result
