"""The stored form of a secret and the AES-256-GCM layer that seals the payload.

Envelope scheme: every secret gets a fresh random 256-bit data key; the payload is sealed with
AES-256-GCM under it, and only the data key is wrapped by the tenant's key (a transit key in
OpenBao/Vault, or a key-encryption key of the embedded keyring). Why one data key per secret
rather than one per tenant with unique nonces:
- each data key encrypts exactly one message, so GCM's random-nonce limit (about 2^32 messages
  per key) and nonce-reuse bookkeeping across workers simply do not apply;
- rotating the tenant's key rewraps the small wrapped data keys (Vault's `rewrap` never shows them
  to us) without touching or re-encrypting a single payload;
- a leaked data key exposes one credential, not a tenant's whole set;
- deleting the tenant's key shreds every data key, hence every credential, at once.
The price is one backend call per encryption and per (uncached) decryption, which credentials
(read when a connection opens, then kept in a short TTL cache) can afford.

The payload's associated data is `["mikman/secret/v1", tenant_id, purpose, record_id]` as JSON
(length-safe: no separator can be smuggled through a purpose or id). So a value copied into
another tenant's row fails at the unwrap (the other tenant's key) and one copied into another
record or field of the same tenant fails at the payload: either way `SecretDecryptionError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, replace

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import SecretDecryptionError

FORMAT = 1
DATA_KEY_BYTES = 32
NONCE_BYTES = 12


def tenant_uuid(tenant_id) -> uuid.UUID:
    return tenant_id if isinstance(tenant_id, uuid.UUID) else uuid.UUID(str(tenant_id))


def associated_data(tenant_id, purpose: str, record_id) -> bytes:
    """What a payload is bound to: the tenant, what the secret is for, and the record holding it."""
    if not purpose:
        raise ValueError("a secret needs a purpose (e.g. 'device-password')")
    if record_id is None or str(record_id) == "":
        raise ValueError("a secret needs the id of the record that holds it")
    return json.dumps(["mikman/secret/v1", str(tenant_uuid(tenant_id)), purpose, str(record_id)]).encode()


@dataclass(frozen=True, repr=False)
class EncryptedSecret:
    """What a model stores (JSON): backend, key version, wrapped data key, nonce, ciphertext.

    Nothing in it is secret without the tenant's key; still, its repr shows only the backend and
    key version so that logging one stays short.
    """

    backend: str
    key_version: int
    wrapped_key: str
    nonce: str
    ciphertext: str
    format: int = FORMAT

    def __repr__(self) -> str:
        return f"EncryptedSecret(backend={self.backend!r}, key_version={self.key_version})"

    def as_dict(self) -> dict:
        return {
            "format": self.format,
            "backend": self.backend,
            "key_version": self.key_version,
            "wrapped_key": self.wrapped_key,
            "nonce": self.nonce,
            "ciphertext": self.ciphertext,
        }

    @classmethod
    def from_dict(cls, value: dict) -> EncryptedSecret:
        try:
            secret = cls(
                backend=str(value["backend"]),
                key_version=int(value["key_version"]),
                wrapped_key=str(value["wrapped_key"]),
                nonce=str(value["nonce"]),
                ciphertext=str(value["ciphertext"]),
                format=int(value.get("format", FORMAT)),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise SecretDecryptionError("The stored value is not an encrypted secret (malformed envelope).") from None
        if secret.format != FORMAT:
            raise SecretDecryptionError(f"Unknown encrypted-secret format {secret.format}.")
        return secret

    @classmethod
    def coerce(cls, value) -> EncryptedSecret:
        """Accept what a JSONField or EncryptedSecretField hands back."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise SecretDecryptionError("The stored value is not an encrypted secret (not JSON).") from None
        if not isinstance(value, dict):
            raise SecretDecryptionError("The stored value is not an encrypted secret.")
        return cls.from_dict(value)

    def rewrapped(self, backend: str, key_version: int, wrapped_key: str) -> EncryptedSecret:
        """The same payload with its data key wrapped anew (key rotation)."""
        return replace(self, backend=backend, key_version=key_version, wrapped_key=wrapped_key)

    def payload_digest(self) -> str:
        """Identifies this exact ciphertext (the cache key part); changes whenever it is re-encrypted."""
        return hashlib.sha256(f"{self.nonce}:{self.ciphertext}".encode()).hexdigest()


def new_data_key() -> bytes:
    return os.urandom(DATA_KEY_BYTES)


def seal_payload(data_key: bytes, plaintext: str, aad: bytes) -> tuple[str, str]:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext.encode(), aad)
    return b64(nonce), b64(ciphertext)


def open_payload(data_key: bytes, stored: EncryptedSecret, aad: bytes, where: str) -> str:
    try:
        nonce, ciphertext = unb64(stored.nonce), unb64(stored.ciphertext)
        return AESGCM(data_key).decrypt(nonce, ciphertext, aad).decode()
    except (InvalidTag, ValueError, binascii.Error):
        raise SecretDecryptionError(
            f"The stored secret does not open for {where}: it was encrypted for another tenant, purpose "
            "or record (copied between rows), or it was altered."
        ) from None


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)
