"""The embedded keyring: per-tenant key-encryption keys in the database, wrapped by the master key.

The default when no OpenBao/Vault is configured. A tenant's KEK is 32 random bytes, stored in a
`TenantKey` row sealed (AES-256-GCM) under a key derived from MIKMAN_MASTER_KEY and bound to
(tenant, version). Data keys are wrapped under the KEK with AES-256-GCM bound to (tenant,
version), so a wrapped key moved to another tenant does not open. Deleting the rows destroys the
key. Callers run these methods inside the tenant's context (TenantKey is under RLS).
"""

from __future__ import annotations

import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from tenants import crypto

from ..envelope import DATA_KEY_BYTES, NONCE_BYTES, b64, unb64
from ..errors import KeyBackendUnavailable, SecretDecryptionError, TenantKeyMissing
from .base import WrappedKey

NAME = "local"
KEK_PURPOSE = "devices-keyring-tenant-kek"  # HKDF purpose of the key that wraps KEKs


def _kek_aad(tenant_id: uuid.UUID, version: int) -> bytes:
    return f"mikman/tenant-kek|{tenant_id}|{version}".encode()


def _data_key_aad(tenant_id: uuid.UUID, version: int) -> bytes:
    return f"mikman/data-key|{tenant_id}|{version}".encode()


def _format(version: int, blob: bytes) -> str:
    return f"{NAME}:v{version}:{b64(blob)}"


def _parse(wrapped: str) -> tuple[int, bytes]:
    try:
        prefix, version, body = wrapped.split(":", 2)
        if prefix != NAME or not version.startswith("v"):
            raise ValueError
        return int(version[1:]), unb64(body)
    except ValueError:
        raise SecretDecryptionError("The wrapped data key is not one of the embedded keyring's.") from None


class LocalKeyring:
    """KeyBackend over `devices.models.TenantKey` rows."""

    name = NAME

    def describe(self) -> str:
        return "the embedded keyring (tenant keys in the database, wrapped by MIKMAN_MASTER_KEY)"

    # --- key lifecycle -------------------------------------------------------------------------
    def create_key(self, tenant_id: uuid.UUID) -> int:
        current = self._current_row(tenant_id)
        if current is not None:
            return current.version
        try:
            with transaction.atomic():  # a savepoint: a concurrent creator's row wins cleanly
                return self._add_version(tenant_id).version
        except IntegrityError:
            current = self._current_row(tenant_id)
            if current is None:
                raise
            return current.version

    def destroy_key(self, tenant_id: uuid.UUID) -> None:
        from devices.models import TenantKey

        TenantKey.objects.filter(tenant_id=tenant_id).delete()

    def rotate(self, tenant_id: uuid.UUID) -> int:
        from devices.models import TenantKey

        with transaction.atomic():
            rows = list(TenantKey.objects.select_for_update().filter(tenant_id=tenant_id))
            TenantKey.objects.filter(pk__in=[r.pk for r in rows], retired__isnull=True).update(retired=timezone.now())
            return self._add_version(tenant_id).version

    # --- data keys -----------------------------------------------------------------------------
    def generate_data_key(self, tenant_id: uuid.UUID) -> tuple[bytes, WrappedKey]:
        data_key = os.urandom(DATA_KEY_BYTES)
        return data_key, self.wrap(tenant_id, data_key)

    def wrap(self, tenant_id: uuid.UUID, data_key: bytes) -> WrappedKey:
        row = self._current_row(tenant_id)
        if row is None:
            raise TenantKeyMissing(f"Tenant {tenant_id} has no key in {self.describe()}.")
        nonce = os.urandom(NONCE_BYTES)
        blob = nonce + AESGCM(self._open_kek(row)).encrypt(nonce, data_key, _data_key_aad(tenant_id, row.version))
        return WrappedKey(_format(row.version, blob), row.version)

    def unwrap(self, tenant_id: uuid.UUID, wrapped: str) -> bytes:
        from devices.models import TenantKey

        version, blob = _parse(wrapped)
        row = TenantKey.objects.filter(tenant_id=tenant_id, version=version).first()
        if row is None:
            raise TenantKeyMissing(
                f"Tenant {tenant_id} has no key version {version} in {self.describe()}: the key was destroyed "
                "(tenant deleted) or the secret belongs to another tenant. It cannot be recovered."
            )
        try:
            return AESGCM(self._open_kek(row)).decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], _data_key_aad(tenant_id, version)
            )
        except (InvalidTag, ValueError):
            raise SecretDecryptionError(
                f"The data key does not open with tenant {tenant_id}'s key v{version}: the secret was copied "
                "from another tenant's row, or altered."
            ) from None

    def rewrap(self, tenant_id: uuid.UUID, wrapped: list[str]) -> list[WrappedKey]:
        return [self.wrap(tenant_id, self.unwrap(tenant_id, item)) for item in wrapped]

    # --- internals -----------------------------------------------------------------------------
    def _current_row(self, tenant_id: uuid.UUID):
        from devices.models import TenantKey

        return TenantKey.objects.filter(tenant_id=tenant_id, retired__isnull=True).order_by("-version").first()

    def _add_version(self, tenant_id: uuid.UUID):
        from devices.models import TenantKey

        latest = TenantKey.objects.filter(tenant_id=tenant_id).aggregate(v=Max("version"))["v"] or 0
        version = latest + 1
        kek = os.urandom(DATA_KEY_BYTES)
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + AESGCM(self._master_wrapping_key()).encrypt(nonce, kek, _kek_aad(tenant_id, version))
        return TenantKey.objects.create(tenant_id=tenant_id, version=version, wrapped_key=sealed)

    def _open_kek(self, row) -> bytes:
        blob = bytes(row.wrapped_key)
        try:
            return AESGCM(self._master_wrapping_key()).decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], _kek_aad(row.tenant_id, row.version)
            )
        except (InvalidTag, ValueError):
            raise KeyBackendUnavailable(
                f"The embedded keyring cannot open tenant {row.tenant_id}'s key v{row.version}: MIKMAN_MASTER_KEY "
                "is not the one that created it. Check the environment and data/secrets.json (restore the "
                "original master key); the secrets stay sealed until then."
            ) from None

    @staticmethod
    def _master_wrapping_key() -> bytes:
        return crypto.derived_key(KEK_PURPOSE)
