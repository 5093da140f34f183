"""Sealing small secrets at rest: AES-256-GCM under keys derived (HKDF-SHA256) from the master key.

Each use gets its own key (`purpose`), so a ciphertext or a derived key of one feature is useless
to another, and callers bind a ciphertext to its row with `associated` data (e.g. the owner's id):
a sealed value copied onto another user's row does not open. The master key never leaves
settings; nothing here logs or returns key material.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = "v1"
NONCE_BYTES = 12
SALT = b"mikman/crypto/v1"


class SealError(ValueError):
    """A sealed value did not open: wrong key, wrong purpose or owner, or tampered with."""


def _master_key() -> bytes:
    raw = settings.MIKMAN_MASTER_KEY
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    # A generated key is 32 random bytes in base64; an operator-supplied passphrase is used as is
    # (HKDF spreads it, and HKDF is not a password hash, so operators should supply 32 random bytes).
    return decoded if len(decoded) >= 32 else raw.encode()


@lru_cache(maxsize=32)
def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=f"mikman:{purpose}".encode()).derive(master)


def derived_key(purpose: str) -> bytes:
    """The 256-bit key for one purpose (changes when the master key changes)."""
    return _derive(_master_key(), purpose)


def seal(plaintext: bytes, *, purpose: str, associated: bytes = b"") -> str:
    """Encrypt and authenticate `plaintext`; returns ASCII text safe for a TextField."""
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(derived_key(purpose)).encrypt(nonce, plaintext, associated)
    return f"{VERSION}:{base64.b64encode(nonce + ciphertext).decode()}"


def unseal(sealed: str, *, purpose: str, associated: bytes = b"") -> bytes:
    """The plaintext of `seal()`'s output; raises SealError (never leaking why) otherwise."""
    version, _, body = sealed.partition(":")
    if version != VERSION:
        raise SealError("Unknown sealed-value format.")
    try:
        blob = base64.b64decode(body, validate=True)
        return AESGCM(derived_key(purpose)).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated)
    except (binascii.Error, ValueError, InvalidTag):
        raise SealError("Sealed value cannot be opened.") from None


def keyed_digest(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 hex digest: a lookup hash that a database dump alone cannot brute-force."""
    return hmac.new(derived_key(purpose), value.encode(), hashlib.sha256).hexdigest()
