"""The cryptography KSeF API v2 asks for.

- the KSeF token (``token|timestampMs``) and the session's AES key are encrypted with the
  Ministry's public key (from a DER certificate served at /security/public-key-certificates)
  with RSA-OAEP, MGF1 and SHA-256;
- each invoice (online session) and each part of a zipped package (batch session) is
  encrypted with AES-256-CBC and PKCS#7 padding under the session's key and IV;
- the API identifies files by their SHA-256 hash in base64 and their size in bytes, both of
  the plain and of the encrypted content.
The peer (ksef/peer) uses the same functions in the other direction, so the pair is tested
end to end.
"""
import base64
import hashlib
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

AES_KEY_BYTES = 32
AES_IV_BYTES = 16


class DecryptionError(ValueError):
    """Ciphertext that does not decrypt: a wrong key, a changed byte or bad padding."""


def sha256_b64(data: bytes) -> str:
    """The base64 SHA-256 digest, the API's form of every file hash."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def aes_key_new() -> tuple[bytes, bytes]:
    """A fresh random AES-256 key and CBC initialisation vector for one session."""
    return os.urandom(AES_KEY_BYTES), os.urandom(AES_IV_BYTES)


def aes_encrypt(data: bytes, key: bytes, iv: bytes) -> bytes:
    """AES-256-CBC with PKCS#7 padding (a whole block of padding when already aligned)."""
    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def aes_decrypt(data: bytes, key: bytes, iv: bytes) -> bytes:
    """The inverse of ``aes_encrypt``; a bad length or padding raises DecryptionError."""
    if not data or len(data) % AES_IV_BYTES:
        raise DecryptionError("ciphertext length is not a multiple of the AES block")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(algorithms.AES.block_size).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:
        raise DecryptionError("invalid PKCS#7 padding") from exc


def _oaep() -> asym_padding.OAEP:
    return asym_padding.OAEP(mgf=asym_padding.MGF1(algorithm=hashes.SHA256()),
                             algorithm=hashes.SHA256(), label=None)


def certificate_load(certificate_der_b64: str) -> x509.Certificate:
    """A certificate as the API serves it: DER, base64-encoded."""
    return x509.load_der_x509_certificate(base64.b64decode(certificate_der_b64))


def rsa_encrypt(data: bytes, certificate: x509.Certificate) -> bytes:
    """RSA-OAEP (MGF1 SHA-256, SHA-256) with the certificate's public key."""
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValueError("the KSeF certificate does not hold an RSA key")
    return public_key.encrypt(data, _oaep())


def rsa_decrypt(data: bytes, private_key: rsa.RSAPrivateKey) -> bytes:
    """The peer's side of ``rsa_encrypt``; anything undecryptable is DecryptionError."""
    try:
        return private_key.decrypt(data, _oaep())
    except ValueError as exc:
        raise DecryptionError("RSA-OAEP decryption failed") from exc
