"""What can go wrong when sealing or opening a tenant's secret.

Every message names the tenant, purpose or backend and says what to check; none ever carries a
plaintext, a data key or a backend token. Callers catch `KeyringError` for "no credential now"
and `KeyBackendUnavailable` for "try again later" (the Celery jobs retry on it).
"""

from __future__ import annotations


class KeyringError(Exception):
    """Base of every keyring failure. There is never a plaintext fallback behind it."""


class KeyBackendUnavailable(KeyringError):
    """The key backend (OpenBao/Vault, or the embedded keyring) cannot serve keys right now.

    Unreachable, sealed, TLS mismatch, refused credentials or missing configuration: a transient
    or operator-fixable state, never a reason to store or use a secret unencrypted.
    """


class TenantKeyMissing(KeyringError):
    """The tenant has no key (or not the version a secret needs): it was destroyed with the
    tenant — the secret is crypto-shredded and cannot be recovered."""


class SecretDecryptionError(KeyringError):
    """A stored secret does not open for this tenant, purpose and record: it was copied from
    another tenant's or record's row, or altered."""


class TenantContextMismatch(KeyringError):
    """A tenant's key was asked for while another tenant's context is active (a bug)."""
