"""The peer's own key pairs and self-signed certificates, one per usage, as KSeF publishes
them at /security/public-key-certificates (DER, base64)."""
import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

USAGES = ("KsefTokenEncryption", "SymmetricKeyEncryption")


@dataclass
class KeyPair:
    usage: str
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    def entry(self) -> dict:
        """The PublicKeyCertificate item of the API."""
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        spki = self.certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return {
            "certificate": base64.b64encode(der).decode("ascii"),
            "certificateId": base64.b64encode(hashlib.sha256(der).digest()).decode("ascii"),
            "publicKeyId": base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii"),
            "validFrom": self.certificate.not_valid_before_utc.isoformat(),
            "validTo": self.certificate.not_valid_after_utc.isoformat(),
            "usage": [self.usage],
        }


def key_pair_new(usage: str) -> KeyPair:
    """A 2048-bit RSA key and a self-signed certificate valid for a year."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Local KSeF peer"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"KSeF peer {usage}"),
    ])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder()
                   .subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=365))
                   .sign(key, hashes.SHA256()))
    return KeyPair(usage=usage, private_key=key, certificate=certificate)
