"""MS-CHAP v1 (RFC 2433) and v2 (RFC 2759) as a PPP peer computes them, for radclient.

OpenSSL 3 has no MD4 (``hashlib.new("md4")`` fails), so MD4 (RFC 1320) is written out
here; DES comes from ``cryptography`` (three-key TripleDES with one key repeated is DES).
"""

import hashlib
import struct

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes


def md4(data: bytes) -> bytes:
    """RFC 1320."""
    def rotl(x, n):
        return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF

    message = data + b"\x80" + b"\0" * ((55 - len(data)) % 64) \
        + struct.pack("<Q", len(data) * 8)
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for offset in range(0, len(message), 64):
        x = struct.unpack("<16I", message[offset:offset + 64])
        aa, bb, cc, dd = a, b, c, d
        for i in (0, 4, 8, 12):
            a = rotl((a + ((b & c) | (~b & d)) + x[i]) & 0xFFFFFFFF, 3)
            d = rotl((d + ((a & b) | (~a & c)) + x[i + 1]) & 0xFFFFFFFF, 7)
            c = rotl((c + ((d & a) | (~d & b)) + x[i + 2]) & 0xFFFFFFFF, 11)
            b = rotl((b + ((c & d) | (~c & a)) + x[i + 3]) & 0xFFFFFFFF, 19)
        for i in (0, 1, 2, 3):
            a = rotl((a + ((b & c) | (b & d) | (c & d)) + x[i] + 0x5A827999) & 0xFFFFFFFF, 3)
            d = rotl((d + ((a & b) | (a & c) | (b & c)) + x[i + 4] + 0x5A827999)
                     & 0xFFFFFFFF, 5)
            c = rotl((c + ((d & a) | (d & b) | (a & b)) + x[i + 8] + 0x5A827999)
                     & 0xFFFFFFFF, 9)
            b = rotl((b + ((c & d) | (c & a) | (d & a)) + x[i + 12] + 0x5A827999)
                     & 0xFFFFFFFF, 13)
        for i in (0, 2, 1, 3):
            a = rotl((a + (b ^ c ^ d) + x[i] + 0x6ED9EBA1) & 0xFFFFFFFF, 3)
            d = rotl((d + (a ^ b ^ c) + x[i + 8] + 0x6ED9EBA1) & 0xFFFFFFFF, 9)
            c = rotl((c + (d ^ a ^ b) + x[i + 4] + 0x6ED9EBA1) & 0xFFFFFFFF, 11)
            b = rotl((b + (c ^ d ^ a) + x[i + 12] + 0x6ED9EBA1) & 0xFFFFFFFF, 15)
        a, b, c, d = ((a + aa) & 0xFFFFFFFF, (b + bb) & 0xFFFFFFFF,
                      (c + cc) & 0xFFFFFFFF, (d + dd) & 0xFFFFFFFF)
    return struct.pack("<4I", a, b, c, d)


def nt_password_hash(password: str) -> bytes:
    return md4(password.encode("utf-16-le"))


def _des(key7: bytes, block: bytes) -> bytes:
    bits = int.from_bytes(key7, "big")
    key = bytes(((bits >> (49 - 7 * i)) & 0x7F) << 1 for i in range(8))
    encryptor = Cipher(TripleDES(key * 3), modes.ECB()).encryptor()  # noqa: S305 - MS-CHAP
    return encryptor.update(block) + encryptor.finalize()


def challenge_response(challenge: bytes, password_hash: bytes) -> bytes:
    key = password_hash + b"\0" * 5
    return b"".join(_des(key[i:i + 7], challenge) for i in (0, 7, 14))


def mschap_v1(password: str, *, challenge: bytes, ident: int = 1) -> dict:
    """MS-CHAP-Challenge and MS-CHAP-Response (NT response only, flags 1)."""
    nt = challenge_response(challenge, nt_password_hash(password))
    return {"MS-CHAP-Challenge": "0x" + challenge.hex(),
            "MS-CHAP-Response": "0x" + (bytes([ident, 1]) + b"\0" * 24 + nt).hex()}


def _challenge_hash(peer: bytes, authenticator: bytes, username: str) -> bytes:
    return hashlib.sha1(peer + authenticator + username.encode()).digest()[:8]  # noqa: S324


def mschap_v2(username: str, password: str, *, authenticator: bytes, peer: bytes,
              ident: int = 1) -> tuple[dict, str]:
    """MS-CHAP-Challenge and MS-CHAP2-Response, and the MS-CHAP2-Success the server
    must answer with (it proves the server knew the password: RFC 2759 §8.7)."""
    password_hash = nt_password_hash(password)
    challenge = _challenge_hash(peer, authenticator, username)
    nt = challenge_response(challenge, password_hash)
    digest = hashlib.sha1(md4(password_hash) + nt  # noqa: S324
                          + b"Magic server to client signing constant").digest()
    proof = hashlib.sha1(digest + challenge  # noqa: S324
                         + b"Pad to make it do more than one iteration").hexdigest().upper()
    success = "0x" + (bytes([ident]) + f"S={proof}".encode()).hex()
    return ({"MS-CHAP-Challenge": "0x" + authenticator.hex(),
             "MS-CHAP2-Response": "0x" + (bytes([ident, 0]) + peer + b"\0" * 8 + nt).hex()},
            success)
