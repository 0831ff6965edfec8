"""KOD I and KOD II: the verification links (and their QR codes) printed on a KSeF invoice.

The Ministry's rules (CIRFMF ksef-docs, "Kody weryfikujące QR"):

- **KOD I** (every invoice put on paper or sent outside KSeF): ``{host}/invoice/{seller
  NIP}/{issue date P_1 as DD-MM-YYYY}/{SHA-256 of the invoice XML file, Base64URL}``.
  Under it the KSeF number when known, else the word "OFFLINE".
- **KOD II** (offline invoices only, when the issuer has a KSeF certificate of type
  "Offline"): ``{host}/certificate/{context type}/{context id}/{seller NIP}/{certificate
  serial}/{invoice hash}/{signature}``; the signature is over the link without
  ``https://`` and without a trailing ``/``, made with the certificate's private key:
  RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) for an RSA key, ECDSA P-256/SHA-256 in
  IEEE P1363 form (r || s, 32 bytes each) for an EC key; Base64URL. Under it the word
  "CERTYFIKAT".

Base64URL here is without "=" padding, as in the Ministry's examples (a SHA-256 is 43
characters). The QR code itself is ISO/IEC 18004 (segno).
"""

import base64
import hashlib
from datetime import date

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

# The QR hosts per KSeF environment ("Środowiska" of the rules). An environment that is
# none of these (a custom URL, the local peer of the tests) prints the test host: a code
# that points at production for an invoice production never saw would mislead the buyer.
QR_HOSTS = {
    "test": "https://qr-test.ksef.mf.gov.pl",
    "demo": "https://qr-demo.ksef.mf.gov.pl",
    "production": "https://qr.ksef.mf.gov.pl",
}
CONTEXT_TYPES = ("Nip", "InternalId", "NipVatUe", "PeppolId")
PSS_SALT_BYTES = 32
RSA_MIN_BITS = 2048


def qr_host(environment: str) -> str:
    return QR_HOSTS.get(environment, QR_HOSTS["test"])


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def invoice_hash(xml: bytes) -> str:
    """The "wyróżnik pliku faktury": SHA-256 of the XML file as sent, Base64URL."""
    return b64url(hashlib.sha256(xml).digest())


def hash_from_base64(value: str) -> str:
    """The API gives the invoice hash in standard Base64; the links want Base64URL."""
    return b64url(base64.b64decode(value))


def _digits(nip: str) -> str:
    clean = "".join(c for c in str(nip) if c.isdigit())
    if len(clean) != 10:
        raise ValueError(f"a NIP has 10 digits: {nip!r}")
    return clean


def kod_i_url(*, nip: str, issue_date: date, xml: bytes | None = None,
              environment: str = "test", hash_b64url: str | None = None) -> str:
    """KOD I of an invoice: from the XML file itself, or its hash when only that is kept."""
    digest = hash_b64url or invoice_hash(xml)
    return f"{qr_host(environment)}/invoice/{_digits(nip)}/{issue_date:%d-%m-%Y}/{digest}"


def certificate_serial(certificate) -> str:
    """The serial as KSeF writes it: the serial's bytes in upper-case hex
    (``01F20A5D352AE590``), leading zero byte kept."""
    number = certificate.serial_number
    return number.to_bytes((number.bit_length() + 7) // 8 or 1, "big").hex().upper()


def sign(private_key, data: bytes) -> bytes:
    """The KOD II signature of ``data`` with an RSA or P-256 key, as the rules name."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(
            data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_BYTES),
            hashes.SHA256())
    if isinstance(private_key, ec.EllipticCurvePrivateKey) \
            and isinstance(private_key.curve, ec.SECP256R1):
        r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    raise ValueError("a KSeF offline certificate's key is RSA or EC P-256")


def kod_ii_url(*, nip: str, xml: bytes | None = None, private_key, serial: str,
               environment: str = "test", context_type: str = "Nip",
               context_id: str | None = None, hash_b64url: str | None = None) -> str:
    """KOD II: the issuer's certificate link, signed. ``context_id`` is the login
    context (the seller's NIP when the tenant issues its own invoices)."""
    if context_type not in CONTEXT_TYPES:
        raise ValueError(f"unknown context type {context_type!r}")
    digest = hash_b64url or invoice_hash(xml)
    seller = _digits(nip)
    host = qr_host(environment)
    path = (f"{host.removeprefix('https://')}/certificate/{context_type}/"
            f"{context_id or seller}/{seller}/{serial}/{digest}")
    return f"https://{path}/{b64url(sign(private_key, path.encode()))}"


def kod_ii_verify(url: str, public_key) -> bool:
    """Whether ``url``'s signature was made by the key of ``public_key``: what KSeF
    checks when the code is scanned (used by the tests and the upload's self-check)."""
    from cryptography.exceptions import InvalidSignature

    body, _, signature = url.removeprefix("https://").rpartition("/")
    raw = b64url_decode(signature)
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(raw, body.encode(), padding.PSS(
                mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_BYTES),
                hashes.SHA256())
        else:
            from cryptography.hazmat.primitives.asymmetric.utils import (
                encode_dss_signature,
            )
            if len(raw) != 64:
                return False
            der = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                       int.from_bytes(raw[32:], "big"))
            public_key.verify(der, body.encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as SVG markup (error correction M, quiet zone of 4)."""
    import segno

    return segno.make_qr(url, error="m").svg_inline(scale=4, border=4)


def qr_data_uri(url: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url).encode()).decode()
