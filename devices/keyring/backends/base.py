"""The one small interface every key backend implements."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class WrappedKey:
    """A data key wrapped by a tenant key: opaque text plus the tenant-key version that wrapped it."""

    wrapped: str
    version: int


class KeyBackend(Protocol):
    """Holds one key per tenant and wraps/unwraps data keys with it; never sees a payload.

    Every method raises KeyBackendUnavailable when the backend cannot be reached or refuses us,
    TenantKeyMissing when the tenant's key does not exist, SecretDecryptionError when a wrapped
    key does not open. Local-backend methods need the tenant's row-level-security context
    (devices.keyring.scope.tenant_scope); the services open it.
    """

    name: str

    def create_key(self, tenant_id: uuid.UUID) -> int:
        """Create the tenant's key if it has none (idempotent); returns the current version."""

    def destroy_key(self, tenant_id: uuid.UUID) -> None:
        """Delete every version of the tenant's key (idempotent). Irreversible by design."""

    def generate_data_key(self, tenant_id: uuid.UUID) -> tuple[bytes, WrappedKey]:
        """A fresh random 256-bit data key and its wrapping under the tenant's current key."""

    def unwrap(self, tenant_id: uuid.UUID, wrapped: str) -> bytes:
        """The data key inside `wrapped`."""

    def wrap(self, tenant_id: uuid.UUID, data_key: bytes) -> WrappedKey:
        """Wrap an existing data key under the tenant's current key (moving between backends)."""

    def rotate(self, tenant_id: uuid.UUID) -> int:
        """Start a new version of the tenant's key; returns it. Old versions still unwrap."""

    def rewrap(self, tenant_id: uuid.UUID, wrapped: list[str]) -> list[WrappedKey]:
        """The same data keys wrapped under the tenant's current key version (order kept)."""

    def describe(self) -> str:
        """Where the keys are, for messages (never credentials)."""
