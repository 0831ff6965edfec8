"""Fixtures of the offline part's tests (loaded by ksef/tests/conftest.py).

* ``offline_certificate_files(key_kind, ...)``: a self-signed "KSeF Offline" certificate
  and its key as PEM bytes (RSA 2048 or EC P-256), valid from yesterday for a year unless
  told otherwise — the Ministry's are real X.509 certificates of the same shape;
* ``offline_certificate``: one uploaded for the active tenant through the service.
"""

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def key_new(kind: str = "rsa", *, bits: int = 2048):
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def offline_certificate_files(kind: str = "rsa", *, key=None, valid_from=None, valid_to=None,
                              serial: int = 0x01F20A5D352AE590, password: bytes | None = None,
                              bits: int = 2048) -> tuple[bytes, bytes, object]:
    """``(certificate PEM, private key PEM, key)``."""
    key = key or key_new(kind, bits=bits)
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "KSeF Offline 5260001246"),
                      x509.NameAttribute(NameOID.SERIAL_NUMBER, "VATPL-5260001246")])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(serial)
                   .not_valid_before(valid_from or now - dt.timedelta(days=1))
                   .not_valid_after(valid_to or now + dt.timedelta(days=365))
                   .sign(key, hashes.SHA256()))
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                encryption)
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem, key


@pytest.fixture
def offline_certificate(in_tenant, staff):
    from ksef import offline

    cert, key_pem, _key = offline_certificate_files("rsa")
    return offline.offline_certificate_upload(actor=staff, certificate=cert,
                                              private_key=key_pem)
