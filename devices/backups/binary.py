"""Binary (`.backup`) artefacts of backup runs: what to ask the device for, sealing the file a run
brought back, and opening it for admins. Split out of services.py, which re-exports these."""

from __future__ import annotations

import base64
import hashlib
import secrets

from django.conf import settings
from django.utils import timezone

from devices.keyring import decrypt_secret, encrypt_secret
from devices.models import BackupPolicy, BackupStatus, BinaryBackup, ConfigBackup
from devices.models.backups import BINARY_PASSWORD_PURPOSE, BINARY_PURPOSE

from .fetch import DEFAULT_BINARY_MAX_BYTES, BinaryRequest


def binary_request(policy: BackupPolicy) -> BinaryRequest | None:
    """What to ask for the binary backup under `policy` (None: off). Opens the policy's password:
    call in the tenant context."""
    if not policy.binary_backup:
        return None
    password = None
    if policy.binary_password is not None:
        password = decrypt_secret(policy.tenant_id, BINARY_PASSWORD_PURPOSE, policy.pk, policy.binary_password)
    name = f"mikman-{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    max_bytes = int(getattr(settings, "BACKUP_BINARY_MAX_BYTES", DEFAULT_BINARY_MAX_BYTES))
    return BinaryRequest(name, password, max_bytes)


def binary_row(row: ConfigBackup, binary) -> BinaryBackup | None:
    """The run's binary artefact (sealed), or None when none was asked for or the text backup
    failed (a run without a usable export keeps no binary)."""
    if binary is None or not row.ok:
        return None
    out = BinaryBackup(
        tenant_id=row.tenant_id, backup=row, name=binary.name, password_protected=binary.password_protected
    )
    if binary.outcome:
        out.status, out.outcome, out.reason = BackupStatus.FAILED, binary.outcome, binary.reason
        return out
    out.status, out.size, out.sha256 = BackupStatus.OK, len(binary.data), hashlib.sha256(binary.data).hexdigest()
    out.sealed = encrypt_secret(row.tenant_id, BINARY_PURPOSE, out.pk, base64.b64encode(binary.data).decode())
    return out


def binary_of(backup: ConfigBackup) -> BinaryBackup | None:
    """The run's binary artefact, or None (no exception for runs without one)."""
    try:
        return backup.binary
    except BinaryBackup.DoesNotExist:
        return None


def binary_name(backup: ConfigBackup) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in backup.device.name)
    return f"{safe}-{backup.taken_at:%Y%m%d-%H%M%S}.backup"


def binary_bytes(binary: BinaryBackup) -> bytes:
    """The stored `.backup` file (callers check that the user may have it: admins only)."""
    if binary.sealed is None:
        return b""
    return base64.b64decode(
        decrypt_secret(binary.tenant_id, BINARY_PURPOSE, binary.pk, binary.sealed, cache=False).reveal()
    )


def clean_binary_password(value: str) -> str:
    """A `.backup` password RouterOS takes on its command line: printable, no line breaks."""
    from django.core.exceptions import ValidationError

    if value and (not value.isprintable() or len(value) > 64):
        raise ValidationError("Printable characters only (at most 64), no line breaks.")
    return value
