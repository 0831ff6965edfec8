"""Fixtures of the ksef client part: a real local KSeF peer (``python -m ksef.peer``).

- ``ksef_peer`` (session scope): starts the peer process once per test run on a free port
  and stops it at the end. Returns a ``KsefPeer`` with:

  - ``.url`` — the API base URL for ``KsefClient(ksef_peer.url)`` (``http://127.0.0.1:PORT/v2``);
  - ``.root`` — the server's root (``http://127.0.0.1:PORT``);
  - ``.reset()`` — forget tokens, sessions, scripts, records and config;
  - ``.token_add(nip, token)`` — a KSeF token the peer accepts for that NIP;
  - ``.script(*answers)`` — the next answers, e.g. ``.script({"answer": "reject", "code":
    450, "details": ["..."]})``, ``{"answer": "processing", "polls": 2}``, ``{"answer":
    "429", "retry_after": 2}``, ``{"answer": "500"}``, ``{"answer": "timeout", "seconds":
    3}``; transport faults take ``"on"``: send (default), open, close, status, upo, auth,
    any (see ksef/peer/__init__.py);
  - ``.received()`` — the invoices received: dicts with xml (decrypted), hash, nip,
    session, reference, code, details, ksef_number, file_name, offline_mode …;
  - ``.log()`` — the API requests seen (method, path, status);
  - ``.violations()`` — OpenAPI violations of requests and answers (should stay empty);
  - ``.config(access_ttl=…, refresh_ttl=…, auth_polls=…)``.

- ``ksef_peer_clean`` (function scope): the same peer, reset before the test; after the test
  it fails the test if any request or answer broke the published OpenAPI.

- ``ksef_nip``/``ksef_token`` and ``ksef_client``: a NIP with a registered token and a
  ``KsefClient`` already authenticated in its context (short timeout and polling).
"""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The sellers' NIP in finance's FA(3) test invoices; a valid NIP checksum.
KSEF_TEST_NIP = "5265877635"
KSEF_TEST_TOKEN = "20251010-EC-0123456789-ABCDEF0123-45|nip-5265877635|0123456789abcdef"


class KsefPeer:
    """A handle on the running peer process (its control API under /_peer/)."""

    def __init__(self, root: str, process: subprocess.Popen):
        self.root = root
        self.url = root + "/v2"
        self.process = process
        self.http = requests.Session()

    def _post(self, path: str, body: dict | None = None) -> None:
        response = self.http.post(self.root + path, json=body or {}, timeout=10)
        response.raise_for_status()

    def _get(self, path: str):
        response = self.http.get(self.root + path, timeout=10)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._post("/_peer/reset")

    def token_add(self, nip: str, token: str) -> None:
        self._post("/_peer/tokens", {"nip": nip, "token": token})

    def script(self, *answers: dict) -> None:
        self._post("/_peer/script", {"answers": list(answers)})

    def config(self, **values) -> None:
        self._post("/_peer/config", values)

    def received(self) -> list[dict]:
        return self._get("/_peer/received")

    def log(self) -> list[dict]:
        return self._get("/_peer/log")

    def violations(self) -> list[str]:
        return self._get("/_peer/violations")


def _peer_start(log_path: Path) -> KsefPeer:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ksef.peer", "--host", "127.0.0.1", "--port", "0"],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=log)
    line = process.stdout.readline().decode().strip()
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"the KSeF peer did not start: {line!r}; see {log_path}")
    peer = KsefPeer(line.removeprefix("listening on "), process)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            peer._get("/_peer/health")
            return peer
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the KSeF peer does not answer")


@pytest.fixture(scope="session")
def ksef_peer(tmp_path_factory):
    peer = _peer_start(tmp_path_factory.mktemp("ksef_peer") / "peer.log")
    yield peer
    peer.process.terminate()
    try:
        peer.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        peer.process.kill()
    peer.process.stdout.close()


@pytest.fixture
def ksef_peer_clean(ksef_peer):
    ksef_peer.reset()
    yield ksef_peer
    violations = ksef_peer.violations()
    assert violations == [], f"requests or answers broke the KSeF OpenAPI: {violations}"


@pytest.fixture
def ksef_nip():
    return KSEF_TEST_NIP


@pytest.fixture
def ksef_token(ksef_peer_clean, ksef_nip):
    ksef_peer_clean.token_add(ksef_nip, KSEF_TEST_TOKEN)
    return KSEF_TEST_TOKEN


@pytest.fixture
def ksef_client(ksef_peer_clean, ksef_nip, ksef_token):
    from ksef.client import KsefClient

    client = KsefClient(ksef_peer_clean.url, timeout=2.0, poll_interval=0.01)
    client.authenticate(nip=ksef_nip, ksef_token=ksef_token)
    yield client
    client.close()
