"""RADIUS' own attribute hiding schemes and the packet integrity checks.

- User-Password hiding, RFC 2865 section 5.2 (also used for MS-CHAP-MPPE-Keys, RFC 2548 2.4.1).
- Salt encryption, RFC 2868 section 3.5 (Tunnel-Password) = RFC 2548 2.4.2 (MS-MPPE-Send/Recv-Key).
- Message-Authenticator, RFC 3579 section 3.2 (HMAC-MD5 over the packet).

MD5 here is what the protocol prescribes, not a design choice.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from radius.protocol.errors import PacketError

_BLOCK = 16


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def _md5(*parts: bytes) -> bytes:
    return hashlib.md5(b"".join(parts), usedforsecurity=False).digest()


def hide_user_password(password: bytes, secret: bytes, authenticator: bytes) -> bytes:
    """RFC 2865 5.2: pad to a multiple of 16 with NULs, then chain MD5(secret + previous block)."""
    if len(password) > 128:
        raise ValueError("User-Password longer than 128 bytes")
    pad = -len(password) % _BLOCK if password else _BLOCK  # an empty password is one block of NULs
    padded = password + b"\x00" * pad
    out = bytearray()
    prev = authenticator
    for i in range(0, len(padded), _BLOCK):
        block = _xor(padded[i : i + _BLOCK], _md5(secret, prev))
        out += block
        prev = block
    return bytes(out)


def unhide_user_password(hidden: bytes, secret: bytes, authenticator: bytes) -> bytes:
    """Inverse of `hide_user_password`; trailing NUL padding removed."""
    if not hidden or len(hidden) % _BLOCK or len(hidden) > 128:
        raise PacketError("User-Password length is not a multiple of 16 up to 128")
    out = bytearray()
    prev = authenticator
    for i in range(0, len(hidden), _BLOCK):
        block = hidden[i : i + _BLOCK]
        out += _xor(block, _md5(secret, prev))
        prev = block
    return bytes(out).rstrip(b"\x00")


def new_salt(counter: int | None = None) -> bytes:
    """Two salt bytes with the high bit set (RFC 2868): random, or from a counter for uniqueness."""
    value = int.from_bytes(os.urandom(2), "big") if counter is None else counter & 0xFFFF
    return (value | 0x8000).to_bytes(2, "big")


def salt_encrypt(value: bytes, secret: bytes, request_authenticator: bytes, salt: bytes | None = None) -> bytes:
    """RFC 2868 3.5 / RFC 2548 2.4.2: salt + encrypt(length byte + value + padding)."""
    if len(value) > 240:
        raise ValueError("value too long to salt-encrypt")
    salt = salt or new_salt()
    if len(salt) != 2 or not salt[0] & 0x80:
        raise ValueError("salt must be two bytes with the high bit set")
    plain = bytes([len(value)]) + value
    plain += b"\x00" * (-len(plain) % _BLOCK)
    out = bytearray(salt)
    prev = request_authenticator + salt
    for i in range(0, len(plain), _BLOCK):
        block = _xor(plain[i : i + _BLOCK], _md5(secret, prev))
        out += block
        prev = block
    return bytes(out)


def salt_decrypt(data: bytes, secret: bytes, request_authenticator: bytes) -> bytes:
    """Inverse of `salt_encrypt` (input starts at the salt)."""
    if len(data) < 2 + _BLOCK or (len(data) - 2) % _BLOCK:
        raise PacketError("salt-encrypted value has a bad length")
    salt, cipher = data[:2], data[2:]
    if not salt[0] & 0x80:
        raise PacketError("salt-encrypted value without the salt's high bit")
    plain = bytearray()
    prev = request_authenticator + salt
    for i in range(0, len(cipher), _BLOCK):
        block = cipher[i : i + _BLOCK]
        plain += _xor(block, _md5(secret, prev))
        prev = block
    length = plain[0]
    if length > len(plain) - 1:
        raise PacketError("salt-encrypted value: length byte exceeds the data (wrong secret?)")
    return bytes(plain[1 : 1 + length])


def message_authenticator(data: bytes, secret: bytes) -> bytes:
    """HMAC-MD5 of a whole packet whose Message-Authenticator value (and, where the rules say so,
    authenticator field) the caller has already replaced."""
    return hmac.digest(secret, data, "md5")


def response_authenticator(header: bytes, request_authenticator: bytes, attributes: bytes, secret: bytes) -> bytes:
    """MD5(Code + Identifier + Length + RequestAuth + Attributes + Secret), RFC 2865 section 3.

    The same formula gives the Accounting-Request and CoA/Disconnect-Request authenticators with a
    request authenticator of 16 zero bytes (RFC 2866 section 3, RFC 5176 section 3.5)."""
    return _md5(header, request_authenticator, attributes, secret)
