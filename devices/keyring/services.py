"""The keyring's verbs. Other apps import them from `devices.keyring`, never from here.

A secret is sealed for one (tenant, purpose, record): `purpose` names what it is
('device-password', 'radius-secret', 'alert-webhook-token'…) and `record_id` is the primary key
of the row that stores it, so give the row its (UUID) key before encrypting. Plaintext never
reaches a log line, an exception, a task argument or a result: decryption returns a `Secret`.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction

from .backends import KeyBackend, backend_named, current_backend
from .cache import secret_cache
from .envelope import (
    EncryptedSecret,
    associated_data,
    open_payload,
    seal_payload,
    tenant_uuid,
)
from .errors import KeyringError, SecretDecryptionError, TenantKeyMissing
from .fields import EncryptedSecretField
from .registry import SecretHolder, secret_holders
from .scope import refuse_other_tenant, tenant_scope
from .secret import Secret

log = logging.getLogger("devices.keyring")
REWRAP_BATCH = 200


@contextlib.contextmanager
def _key_scope(backend: KeyBackend, tenant_id: uuid.UUID) -> Iterator[None]:
    """The embedded keyring reads TenantKey rows (RLS: the tenant's context); Vault needs no
    database, only the guarantee that we are not working for another tenant."""
    if backend.name == "local":
        with tenant_scope(tenant_id):
            yield
        return
    refuse_other_tenant(tenant_id)
    yield


def _tenant_exists(tenant_id: uuid.UUID) -> bool:
    from tenants.models import Tenant

    return Tenant.objects.filter(pk=tenant_id).exists()


# --- sealing and opening --------------------------------------------------------------------------
def encrypt_secret(tenant_id, purpose: str, record_id, plaintext: str | Secret) -> EncryptedSecret:
    """Seal `plaintext` for (tenant, purpose, record) under a fresh data key wrapped by the
    tenant's current key. Store the result in an EncryptedSecretField (or a JSONField as
    `.as_dict()`). Raises KeyBackendUnavailable when the backend is down — nothing is stored
    unencrypted — and TenantKeyMissing for a tenant that no longer exists."""
    tenant = tenant_uuid(tenant_id)
    aad = associated_data(tenant, purpose, record_id)
    text = plaintext.reveal() if isinstance(plaintext, Secret) else plaintext
    if not isinstance(text, str):
        raise TypeError("encrypt_secret() takes the plaintext as str (or Secret)")
    backend = current_backend()
    with _key_scope(backend, tenant):
        try:
            data_key, wrapped = backend.generate_data_key(tenant)
        except TenantKeyMissing:
            # Tenants created before the keyring, or while Vault was down, get their key now.
            if not _tenant_exists(tenant):
                raise
            backend.create_key(tenant)
            data_key, wrapped = backend.generate_data_key(tenant)
    nonce, ciphertext = seal_payload(data_key, text, aad)
    del data_key
    log.debug("secret sealed for tenant %s, %s of record %s (key v%s)", tenant, purpose, record_id, wrapped.version)
    return EncryptedSecret(backend.name, wrapped.version, wrapped.wrapped, nonce, ciphertext)


def decrypt_secret(
    tenant_id, purpose: str, record_id, stored: EncryptedSecret | dict | str, *, cache: bool = True
) -> Secret:
    """The plaintext of `stored`, wrapped in a Secret (call `.reveal()` where it is used).

    Raises SecretDecryptionError when `stored` was sealed for another tenant, purpose or record
    (copied between rows) or altered; TenantKeyMissing when the tenant's key was destroyed;
    KeyBackendUnavailable when the backend is down. Recently opened values come from a short
    in-memory cache (devices.keyring.cache); `cache=False` for large, rarely reopened values
    (binary backups), which would crowd the credentials out of it."""
    tenant = refuse_other_tenant(tenant_id)  # before the cache: no cached shortcut around it
    aad = associated_data(tenant, purpose, record_id)
    envelope = EncryptedSecret.coerce(stored)
    cache_key = (str(tenant), purpose, str(record_id), envelope.payload_digest())
    cached = secret_cache.get(cache_key) if cache else None
    if cached is not None:
        return cached
    backend = backend_named(envelope.backend)
    with _key_scope(backend, tenant):
        data_key = backend.unwrap(tenant, envelope.wrapped_key)
    secret = Secret(
        open_payload(data_key, envelope, aad, where=f"tenant {tenant}, purpose {purpose!r}, record {record_id}")
    )
    del data_key
    if cache:
        secret_cache.put(cache_key, secret)
    return secret


# --- tenant key lifecycle -------------------------------------------------------------------------
def create_tenant_key(tenant_id) -> int:
    """Create the tenant's key in the configured backend if it has none; returns its version.
    Called when a tenant is created (devices.keyring.signals); safe to call again."""
    tenant = tenant_uuid(tenant_id)
    backend = current_backend()
    with _key_scope(backend, tenant):
        version = backend.create_key(tenant)
    log.info("tenant %s key ready: %s v%s", tenant, backend.name, version)
    return version


def destroy_tenant_key(tenant_id) -> None:
    """Destroy every key of the tenant: its secrets become unreadable for good (crypto-shredding).

    Embedded keyring: the TenantKey rows are deleted in the caller's transaction. Vault: the
    transit key is deleted once that transaction commits (a rolled-back tenant deletion keeps
    its key); if Vault is down then, a background job retries. Cached plaintexts of the tenant
    are dropped from this process at once; other workers' entries expire within the cache TTL.
    """
    from django.conf import settings

    tenant = tenant_uuid(tenant_id)
    secret_cache.forget_tenant(str(tenant))
    local = backend_named("local")
    with _key_scope(local, tenant):
        local.destroy_key(tenant)
    if getattr(settings, "VAULT_ADDR", ""):
        transaction.on_commit(lambda: destroy_vault_key_now(tenant))
    log.info("tenant %s key destroyed", tenant)


def destroy_vault_key_now(tenant_id) -> bool:
    """Delete the tenant's transit key; on failure log it and queue a retry. True when done."""
    tenant = tenant_uuid(tenant_id)
    try:
        backend_named("vault").destroy_key(tenant)
        return True
    except KeyringError as exc:
        log.error("tenant transit key not destroyed yet, retrying in the background: %s", exc)
    from devices.tasks import destroy_vault_tenant_key

    try:
        destroy_vault_tenant_key.apply_async(args=[str(tenant)], countdown=60)
    except Exception:  # noqa: BLE001 - the broker being down too must not break a committed deletion
        log.exception("could not queue the retry either: delete transit key mikman-tenant-%s by hand", tenant)
    return False


# --- rotation -------------------------------------------------------------------------------------
@dataclass
class RotationReport:
    """What a rotation did. Counts and record ids only: safe to log, return from a task or audit."""

    tenant_id: uuid.UUID
    backend: str
    key_version: int
    rewrapped: int = 0
    already_current: int = 0
    failed: list[str] = field(default_factory=list)
    holders: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict:
        return {
            "tenant_id": str(self.tenant_id),
            "backend": self.backend,
            "key_version": self.key_version,
            "rewrapped": self.rewrapped,
            "already_current": self.already_current,
            "failed": list(self.failed),
            "holders": list(self.holders),
        }

    def __str__(self) -> str:
        return (
            f"tenant {self.tenant_id}: key v{self.key_version} ({self.backend}); rewrapped {self.rewrapped}, "
            f"already current {self.already_current}, failed {len(self.failed)}"
        )


def rotate_tenant_key(tenant_id) -> RotationReport:
    """Start a new version of the tenant's key, then rewrap every stored data key of the tenant
    under it (every registered holder, see devices.keyring.registry), batch by batch.

    Payloads are not re-encrypted and plaintexts are not needed: Vault's `rewrap` never even
    shows us the data keys. Old key versions are kept, so a value read before the rewrap still
    opens; another tenant's keys and rows are never touched. Secrets still wrapped by another
    backend (after a switch of MIKMAN_KEY_BACKEND) are moved to the current one. Rows that fail
    are listed in the report and left as they were; KeyBackendUnavailable aborts (retry later).
    """
    tenant = tenant_uuid(tenant_id)
    backend = current_backend()
    with _key_scope(backend, tenant):
        try:
            version = backend.rotate(tenant)
        except TenantKeyMissing:
            if not _tenant_exists(tenant):
                raise
            version = backend.create_key(tenant)
    report = RotationReport(tenant_id=tenant, backend=backend.name, key_version=version)
    for holder in secret_holders():
        report.holders.append(holder.label)
        _rewrap_holder(holder, tenant, backend, report)
    _audit_rotation(report)
    log.info("tenant key rotated: %s", report)
    return report


def _audit_rotation(report: RotationReport) -> None:
    """A rotation is a security event of the tenant: its admins see it in their audit log."""
    from audit.services import record

    details = report.as_dict()
    details.pop("tenant_id")
    details["version"] = details.pop("key_version")  # the audit log masks anything named *key*
    record("keyring.key_rotated", tenant=report.tenant_id, target_type="keyring.tenantkey", details=details)


def _rewrap_holder(holder: SecretHolder, tenant: uuid.UUID, backend: KeyBackend, report: RotationReport) -> None:
    manager = holder.model._default_manager
    with tenant_scope(tenant):
        pks = list(
            manager.filter(**{holder.tenant_field: tenant})
            .exclude(**{f"{holder.field}__isnull": True})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    for start in range(0, len(pks), REWRAP_BATCH):
        with tenant_scope(tenant):  # one transaction (or savepoint) and row locks per batch
            rows = list(manager.select_for_update().filter(pk__in=pks[start : start + REWRAP_BATCH]))
            _rewrap_rows(holder, rows, tenant, backend, report)


def _rewrap_rows(holder: SecretHolder, rows: list, tenant: uuid.UUID, backend: KeyBackend, report) -> None:
    pending: list[tuple[object, EncryptedSecret]] = []
    for row in rows:
        try:
            envelope = EncryptedSecret.coerce(getattr(row, holder.field))
        except SecretDecryptionError as exc:
            report.failed.append(f"{holder.label} pk={row.pk}: {type(exc).__name__}")
            continue
        if envelope.backend == backend.name and envelope.key_version >= report.key_version:
            report.already_current += 1
        else:
            pending.append((row, envelope))
    if not pending:
        return
    same = [(row, env) for row, env in pending if env.backend == backend.name]
    try:
        rewrapped = backend.rewrap(tenant, [env.wrapped_key for _, env in same]) if same else []
        results = list(zip(same, rewrapped, strict=True))
    except (SecretDecryptionError, TenantKeyMissing):
        results = []  # one bad value spoils a batch: redo them one by one to name it
        for item in same:
            try:
                results.append((item, backend.rewrap(tenant, [item[1].wrapped_key])[0]))
            except (SecretDecryptionError, TenantKeyMissing) as exc:
                report.failed.append(f"{holder.label} pk={item[0].pk}: {type(exc).__name__}")
    for row, env in pending:
        if env.backend == backend.name:
            continue
        try:  # moving between backends: the data key passes through memory once
            source = backend_named(env.backend)
            with _key_scope(source, tenant):
                results.append(((row, env), backend.wrap(tenant, source.unwrap(tenant, env.wrapped_key))))
        except (SecretDecryptionError, TenantKeyMissing) as exc:
            report.failed.append(f"{holder.label} pk={row.pk}: {type(exc).__name__}")
    is_secret_field = isinstance(holder.model._meta.get_field(holder.field), EncryptedSecretField)
    for (row, env), wrapped in results:
        new = env.rewrapped(backend.name, wrapped.version, wrapped.wrapped)
        holder.model._default_manager.filter(pk=row.pk).update(
            **{holder.field: new if is_secret_field else new.as_dict()}
        )
        report.rewrapped += 1
