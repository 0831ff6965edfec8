"""Secrets that must be read back in clear: NAS shared secrets, login passwords, the
passwords and tokens of a tenant's SMTP server and SMS gateway.

They are encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256). The key comes from
``settings.RADIUS_ENCRYPTION_KEY`` (environment variable of the same name, kept for its
first use: a Fernet key, ``python -c "from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())"``). When it is not set the key is derived from
``SECRET_KEY`` (HKDF-SHA256), so changing ``SECRET_KEY`` then makes the stored secrets
unreadable: production should set its own key. Several keys may be given,
comma-separated, newest first: values are written with the first, read with any (key
rotation).
"""

import base64
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
