"""Config backups' verbs: take, store, read, compare, prune. The only way other code touches
backups (views, tasks, helper h4's Job runner for the "backup" job kind).

What callers may rely on:
- `take_backup(device, trigger=…, user=None)` is synchronous and runs in the caller's tenant
  context (a request, a TenantTask, a job step); it always returns a saved ConfigBackup — a
  device fault is a `failed` row with `outcome`/`reason`, never an exception.
- `take_backups(tenant_id, device_ids, …)` is the bulk path (schedule, benchmarks): exports are
  fetched by a bounded thread pool outside any transaction; results are stored in small
  transactions of their own in the calling thread.
- Identical normalised exports of a tenant share one ConfigBlob; every run is a row.
- Text of a sensitive version is sealed with the tenant key; `backup_text(…, reveal_secrets=False)`
  masks secret attributes (what non-admins see in views and diffs).

Taking and storing runs are here; the binary artefact (`binary.py`), reading and diffs
(`reading.py`) and the schedule, policy and retention (`schedule.py`) are modules of their own
whose names this module re-exports: import them from `devices.backups.services`.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from devices.alerts import services as alerts
from devices.keyring import KeyringError, encrypt_secret
from devices.models import BackupPolicy, BackupStatus, BackupTrigger, BinaryBackup, ConfigBackup, ConfigBlob, Device
from devices.models.backups import BINARY_PASSWORD_PURPOSE, BLOB_PURPOSE
from devices.protocols.ssh import SSHTarget
from tenants.context import current_tenant_id, tenant_context

# The binary, reading and schedule/retention verbs live in modules of their own; this module
# stays the one entry point other code imports them from.
from .binary import binary_bytes, binary_name, binary_of, binary_request, binary_row, clean_binary_password
from .fetch import DEFAULT_CONNECT_TIMEOUT_S, DEFAULT_EXPORT_TIMEOUT_S, ExportRequest, ExportResult, fetch_export
from .normalise import BadExport, normalise
from .reading import (
    MASK,
    SECRET_ATTR_RE,
    FleetChange,
    SideBySideRow,
    backup_text,
    diff_stats,
    download_text,
    fleet_changes,
    label,
    mask_secrets,
    previous_version,
    side_by_side,
    unified_diff,
)
from .schedule import CLAIM_SQL, apply_retention, claim_due, policy_for, runs_to_keep, schedule_label

log = logging.getLogger(__name__)

STORE_CHUNK = 50  # results stored per transaction in the bulk path


def concurrency_default() -> int:
    return int(getattr(settings, "BACKUP_CONCURRENCY", 8))


# --- taking backups ------------------------------------------------------------------------------
def export_request(device: Device, policy: BackupPolicy) -> ExportRequest:
    """What the fetcher needs for `device` (opens its credentials: call in the tenant context).
    Raises NoCredentials / KeyringError."""
    from devices.services import device_credentials

    username, password = device_credentials(device)
    target = SSHTarget(
        host=device.host,
        port=device.ssh_port,
        username=username,
        password=password,
        host_key=device.ssh_host_key,
        connect_timeout=float(getattr(settings, "BACKUP_CONNECT_TIMEOUT_S", DEFAULT_CONNECT_TIMEOUT_S)),
        command_timeout=float(getattr(settings, "BACKUP_EXPORT_TIMEOUT_S", DEFAULT_EXPORT_TIMEOUT_S)),
    )
    return ExportRequest(str(device.pk), target, device.ros_version, policy.show_sensitive, binary_request(policy))


def _credential_failure(device: Device, exc: Exception) -> ExportResult:
    from devices.services import NoCredentials

    if isinstance(exc, NoCredentials):
        return ExportResult(str(device.pk), outcome="no_credentials", reason=str(exc))
    return ExportResult(
        str(device.pk), outcome="key_unavailable", reason="The stored credentials cannot be opened right now."
    )


def take_backup(device: Device, *, trigger: str = BackupTrigger.MANUAL, user=None) -> ConfigBackup:
    """Back up one device now (network + store) in the caller's tenant context."""
    from devices.services import NoCredentials

    policy = policy_for(device.tenant_id)
    try:
        result = fetch_export(export_request(device, policy))
    except (NoCredentials, KeyringError) as exc:
        result = _credential_failure(device, exc)
    backups = store_results([(device, result)], trigger=trigger, user=user, policy=policy)
    mirror_new_versions(device.tenant_id, backups)
    return backups[0]


def take_backups(
    tenant_id,
    device_ids: Iterable[str],
    *,
    trigger: str = BackupTrigger.SCHEDULE,
    user=None,
    concurrency: int | None = None,
) -> dict:
    """Back up many devices of one tenant: fetch in a bounded pool, store in small transactions.
    Call OUTSIDE a transaction (each store opens its own tenant context). Returns counts."""
    from devices.services import NoCredentials

    with tenant_context(tenant_id):
        policy = policy_for(tenant_id)
        devices = {
            str(d.pk): d for d in Device.objects.filter(pk__in=list(device_ids)).select_related("credential_profile")
        }
        requests, ready = [], []
        for device in devices.values():
            try:
                requests.append(export_request(device, policy))
            except (NoCredentials, KeyringError) as exc:
                ready.append((device, _credential_failure(device, exc)))
    counts = {"ok": 0, "failed": 0, "changed": 0, "devices": len(devices)}

    def flush(pending: list) -> None:
        with tenant_context(tenant_id):
            stored = store_results(pending, trigger=trigger, user=user, policy=policy)
        mirror_new_versions(tenant_id, stored)
        for backup in stored:
            counts["ok" if backup.ok else "failed"] += 1
            counts["changed"] += int(backup.changed)

    if ready:
        flush(ready)
    pending: list = []
    workers = max(1, min(concurrency or concurrency_default(), len(requests) or 1))
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="backup-fetch") as pool:
        for future in concurrent.futures.as_completed([pool.submit(fetch_export, r) for r in requests]):
            result = future.result()
            pending.append((devices[result.device_id], result))
            if len(pending) >= STORE_CHUNK:
                flush(pending)
                pending = []
    if pending:
        flush(pending)
    return counts


def store_results(
    results: list[tuple[Device, ExportResult]], *, trigger: str, user=None, policy: BackupPolicy
) -> list[ConfigBackup]:
    """Turn fetched exports into ConfigBackup rows (and blobs), in the current tenant context."""
    now = timezone.now()
    tenant_id = current_tenant_id() or results[0][0].tenant_id
    checked: list[tuple[Device, ExportResult, object]] = []
    for device, result in results:
        if result.outcome:
            checked.append((device, result, BadExport(result.outcome, result.reason)))
            continue
        try:
            checked.append((device, result, normalise(result.raw, complete=result.complete)))
        except BadExport as bad:
            checked.append((device, result, bad))
    with transaction.atomic():
        good = {n.sha256: (n, r.sensitive) for _, r, n in checked if not isinstance(n, BadExport)}
        blobs = _blobs_for(tenant_id, good)
        latest = _latest_hashes([d.pk for d, _, n in checked if not isinstance(n, BadExport)])
        rows, pins = [], []
        for device, result, outcome in checked:
            row = ConfigBackup(
                tenant_id=tenant_id,
                device=device,
                taken_at=now,
                trigger=trigger,
                triggered_by=user,
                duration_ms=result.duration_ms,
                ros_version=device.ros_version,
            )
            if isinstance(outcome, BadExport):
                row.status, row.outcome, row.reason = BackupStatus.FAILED, outcome.outcome, outcome.reason
            else:
                row.status = BackupStatus.OK
                row.sha256, row.size, row.blob = outcome.sha256, outcome.size, blobs[outcome.sha256]
                row.ros_version = outcome.ros_version or device.ros_version
                row.changed = latest.get(device.pk) != outcome.sha256
                row.sensitive = result.sensitive
                latest[device.pk] = outcome.sha256
            if result.host_key and not device.ssh_host_key:
                pins.append((device, result.host_key))
            rows.append(row)
        ConfigBackup.objects.bulk_create(rows)
        binaries = [binary_row(row, result.binary) for row, (_, result, _) in zip(rows, checked, strict=True)]
        BinaryBackup.objects.bulk_create([b for b in binaries if b is not None])
        alerts.backups_stored(tenant_id, [row.pk for row in rows])  # backup alert rules, once this commits
        for device, key in pins:  # trust on first use: pin the key the device presented
            Device.objects.filter(pk=device.pk, ssh_host_key="").update(ssh_host_key=key)
            device.ssh_host_key = key
    return rows


def _blobs_for(tenant_id, good: dict[str, tuple]) -> dict[str, ConfigBlob]:
    """The tenant's blob for each hash, created (sealed when sensitive) where missing. Two workers
    storing the same new content at once: ON CONFLICT DO NOTHING, then both read the winner."""
    if not good:
        return {}
    found = {
        b.sha256: b for b in ConfigBlob.objects.filter(tenant_id=tenant_id, sha256__in=list(good)).only("id", "sha256")
    }
    missing = []
    for sha, (normalised, sensitive) in good.items():
        if sha in found:
            continue
        blob = ConfigBlob(tenant_id=tenant_id, sha256=sha, size=normalised.size, sensitive=sensitive)
        if sensitive:
            blob.sealed = encrypt_secret(tenant_id, BLOB_PURPOSE, blob.pk, normalised.text)
        else:
            blob.text = normalised.text
        missing.append(blob)
    if missing:
        ConfigBlob.objects.bulk_create(missing, ignore_conflicts=True)
        found.update(
            {
                b.sha256: b
                for b in ConfigBlob.objects.filter(tenant_id=tenant_id, sha256__in=[b.sha256 for b in missing]).only(
                    "id", "sha256"
                )
            }
        )
    return found


def _latest_hashes(device_ids: list) -> dict:
    """device id -> hash of its newest good version (one query)."""
    if not device_ids:
        return {}
    rows = (
        ConfigBackup.objects.filter(device_id__in=device_ids, status=BackupStatus.OK)
        .order_by("device_id", "-taken_at")
        .distinct("device_id")
        .values_list("device_id", "sha256")
    )
    return dict(rows)


# --- management verbs (role checks + audit) ------------------------------------------------------


def save_policy(access, policy: BackupPolicy, changes: dict) -> BackupPolicy:
    """Apply `changes` (model values; `binary_password`: plaintext to seal, "" removes it).
    Audited; the password only as "set"/"removed"."""
    from audit.services import record

    changes = dict(changes)
    password = changes.pop("binary_password", None)
    details = dict(changes)
    for field, value in changes.items():
        setattr(policy, field, value)
    policy.tenant = access.tenant
    if password is not None:
        clean_binary_password(password)
        policy.binary_password = (
            encrypt_secret(access.tenant.id, BINARY_PASSWORD_PURPOSE, policy.pk, password) if password else None
        )
        details["binary_password"] = "set" if password else "removed"
    policy.save()
    record("backup.policy_changed", tenant=access.tenant, target=policy, details=details)
    return policy


def request_backup(access, device: Device) -> None:
    """ "Back up now" for one device: audited, sent to a worker (the run appears on the timeline)."""
    from audit.services import record

    from .tasks import backup_device

    record("backup.requested", tenant=access.tenant, target=device, details={"trigger": BackupTrigger.MANUAL})
    user_id = access.user.pk
    tenant_id = str(access.tenant.id)
    transaction.on_commit(lambda: backup_device.delay(tenant_id, str(device.pk), user_id))


def mirror_new_versions(tenant_id, backups: list[ConfigBackup]) -> None:
    """Commit new distinct versions to the tenant's git mirror when its policy asks for it."""
    changed = [b for b in backups if b.ok and b.changed and not b.sensitive]
    if not changed:
        return
    from . import gitmirror

    with tenant_context(tenant_id):
        if not policy_for(tenant_id).git_mirror:
            return
        items = [(b, backup_text(b)) for b in changed]
        slug = _tenant_slug(tenant_id)
    try:
        gitmirror.commit_versions(slug, items)
    except gitmirror.MirrorError:
        log.warning("git mirror of tenant %s failed", slug, exc_info=True)


def _tenant_slug(tenant_id) -> str:
    from tenants.models import Tenant

    return Tenant.objects.filter(pk=tenant_id).values_list("slug", flat=True).first() or str(tenant_id)


__all__ = [
    "BadExport",
    "CLAIM_SQL",
    "FleetChange",
    "MASK",
    "SECRET_ATTR_RE",
    "STORE_CHUNK",
    "SideBySideRow",
    "apply_retention",
    "backup_text",
    "binary_bytes",
    "binary_name",
    "binary_of",
    "binary_request",
    "binary_row",
    "claim_due",
    "clean_binary_password",
    "concurrency_default",
    "diff_stats",
    "download_text",
    "export_request",
    "fleet_changes",
    "label",
    "mask_secrets",
    "mirror_new_versions",
    "policy_for",
    "previous_version",
    "request_backup",
    "runs_to_keep",
    "save_policy",
    "schedule_label",
    "side_by_side",
    "store_results",
    "take_backup",
    "take_backups",
    "unified_diff",
]
