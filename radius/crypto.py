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

import hashlib
import hmac

from core.crypto import (  # noqa: F401  the RADIUS secrets' home before core had one
    EncryptedTextField,
    decrypt,
    encrypt,
    fernet,
)


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
