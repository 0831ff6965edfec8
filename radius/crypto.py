"""Secrets that must be read back in clear (NAS shared secrets, login passwords).

FreeRADIUS needs a login's password in clear text (``control:Cleartext-Password``) to
check MS-CHAP and CHAP without its challenge (Abonent checks PAP itself), and CoA needs
the NAS's shared secret, so these cannot be hashed. They are encrypted at rest with
Fernet (AES-128-CBC + HMAC-SHA256).

The key comes from ``settings.RADIUS_ENCRYPTION_KEY`` (environment variable of the same
name: a Fernet key, ``python -c "from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())"``). When it is not set the key is derived from
``SECRET_KEY`` (HKDF-SHA256), so changing ``SECRET_KEY`` then makes the stored secrets
unreadable: production should set its own key. Several keys may be given,
comma-separated, newest first: values are written with the first, read with any (key
rotation).
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models


def _derived_key(secret: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"abonent.radius.secrets").derive(secret.encode())
    return base64.urlsafe_b64encode(raw)


@lru_cache(maxsize=4)
def _fernet(configured: str, secret_key: str) -> MultiFernet:
    keys = [k.strip() for k in configured.split(",") if k.strip()]
    return MultiFernet([Fernet(k) for k in keys] or [Fernet(_derived_key(secret_key))])


def fernet() -> MultiFernet:
    return _fernet(getattr(settings, "RADIUS_ENCRYPTION_KEY", ""), settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("stored secret cannot be decrypted: wrong RADIUS_ENCRYPTION_KEY") \
            from None


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python sees the clear text.

    Not searchable: equal values encrypt differently every time.
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else encrypt(value)


def password_proves(password: str, *, pap: str | None = None, chap: bytes | None = None,
                    chap_challenge: bytes | None = None) -> bool | None:
    """Whether a PAP password or a CHAP response (ident + MD5, RFC 1994) proves
    ``password`` — the check FreeRADIUS's pap and chap modules make; where it can be told,
    it is the verdict (authorize answers Accept or reject, byte for byte on the UTF-8).
    None when it cannot be told: no PAP password and no CHAP response with its challenge
    (MS-CHAP; CHAP whose challenge is the request authenticator): FreeRADIUS decides."""
    if pap is not None:
        return hmac.compare_digest(str(pap).encode(), password.encode())
    if chap is None or chap_challenge is None or len(chap) != 17:
        return None
    expected = hashlib.md5(chap[:1] + password.encode() + chap_challenge,
                           usedforsecurity=False).digest()
    return hmac.compare_digest(chap[1:], expected)
