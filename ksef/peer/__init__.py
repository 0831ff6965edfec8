"""A local KSeF peer: a small server that behaves like the KSeF API v2 for the paths our
client uses, so the client, the send pipeline and the bench run against something real.

Run it in its own process (a killed Celery worker must not take it down)::

    python -m ksef.peer --host 127.0.0.1 --port 8765     # --port 0 picks a free port
    python -m ksef.peer --port 8765 --token 5265877635:secret   # a token ready for the bench

It prints ``listening on http://HOST:PORT`` and serves the API under ``/v2`` (so the
client's base URL is ``http://HOST:PORT/v2``). It really does the KSeF work: its own RSA
key pairs and self-signed certificates at /security/public-key-certificates, the KSeF token
and every invoice decrypted, the FA(3) schema checked (an error → invoice status 450 with
details), the seller's NIP compared with the session's context (else 410), duplicates
refused (440, as KSeF does), KSeF numbers in the official format with their CRC-8, a UPO per
invoice valid against upo-v4-3.xsd. Every API request and every answer of the peer are
validated against the Ministry's open-api.json; violations are recorded, and tests assert
there are none — so the client follows the published API, not the peer's guess.

The control API (not part of KSeF) lives under ``/_peer/``:

- ``POST /_peer/tokens`` ``{"nip": ..., "token": ...}`` — a KSeF token valid for that NIP;
- ``POST /_peer/script`` ``{"answers": [...]}`` — the next answers, in order. Invoice
  outcomes, taken by the next invoices processed: ``{"answer": "accept"}`` (default),
  ``{"answer": "reject", "code": 450, "details": [...]}``, ``{"answer": "processing",
  "polls": N}`` (status 150 for N status requests, then the real outcome). Transport
  faults, taken by the next request of operation ``on`` (``send`` by default; also
  ``open``, ``close``, ``status``, ``upo``, ``auth``, ``any``): ``{"answer": "429",
  "retry_after": 2}``, ``{"answer": "500"}``, ``{"answer": "timeout", "seconds": 3}`` (hangs
  — 11 s, past the client's default timeout, unless told — then handles the request anyway,
  as a slow KSeF would: a retry then meets a duplicate);
- ``GET /_peer/received`` — invoices received (decrypted XML, hash, NIP, session, status);
- ``GET /_peer/log`` — the API requests seen (method, path, status);
- ``GET /_peer/violations`` — OpenAPI violations of requests and answers;
- ``POST /_peer/config`` ``{"access_ttl": s, "refresh_ttl": s, "auth_polls": n}``;
- ``POST /_peer/reset`` — forget tokens, sessions, scripts, records and config;
- ``GET /_peer/health``.
"""
