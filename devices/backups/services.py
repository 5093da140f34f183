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
"""

from __future__ import annotations

import base64
import concurrent.futures
import difflib
import hashlib
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from devices.alerts import services as alerts
from devices.keyring import KeyringError, decrypt_secret, encrypt_secret
from devices.models import (
    BackupPolicy,
    BackupStatus,
    BackupTrigger,
    BinaryBackup,
    ConfigBackup,
    ConfigBlob,
    Device,
)
from devices.models.backups import BINARY_PASSWORD_PURPOSE, BINARY_PURPOSE, BLOB_PURPOSE
from devices.protocols.ssh import SSHTarget
from tenants.context import current_tenant_id, tenant_context

from .fetch import (
    DEFAULT_BINARY_MAX_BYTES,
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_EXPORT_TIMEOUT_S,
    BinaryRequest,
    ExportRequest,
    ExportResult,
    fetch_export,
)
from .normalise import BadExport, normalise

log = logging.getLogger(__name__)

STORE_CHUNK = 50  # results stored per transaction in the bulk path


def concurrency_default() -> int:
    return int(getattr(settings, "BACKUP_CONCURRENCY", 8))


# --- policy --------------------------------------------------------------------------------------
def policy_for(tenant_id) -> BackupPolicy:
    """The tenant's policy, or an unsaved one with the defaults (call in the tenant's context)."""
    policy = BackupPolicy.objects.filter(tenant_id=tenant_id).first()
    return policy if policy is not None else BackupPolicy(tenant_id=tenant_id)


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
        binaries = [_binary_row(row, result.binary) for row, (_, result, _) in zip(rows, checked, strict=True)]
        BinaryBackup.objects.bulk_create([b for b in binaries if b is not None])
        alerts.backups_stored(tenant_id, [row.pk for row in rows])  # backup alert rules, once this commits
        for device, key in pins:  # trust on first use: pin the key the device presented
            Device.objects.filter(pk=device.pk, ssh_host_key="").update(ssh_host_key=key)
            device.ssh_host_key = key
    return rows


def _binary_row(row: ConfigBackup, binary) -> BinaryBackup | None:
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


# --- reading -------------------------------------------------------------------------------------
# attribute=value pairs that hold secrets in RouterOS exports (masked for non-admins)
SECRET_ATTR_RE = re.compile(
    r"(?P<name>\b[\w-]*(?:password|secret|passphrase|pre-shared-key|auth-key|priv-key|private-key|psk)"
    r"(?:-[\w-]+)?)=(?P<value>\"(?:[^\"\\]|\\.)*\"|\S+)"
)
MASK = "********"


def mask_secrets(text: str) -> str:
    return SECRET_ATTR_RE.sub(lambda m: f"{m.group('name')}={MASK}", text)


def backup_text(backup: ConfigBackup, *, reveal_secrets: bool = False) -> str:
    """The stored normalised export of an ok backup ("" for a failed one). Secrets of a sensitive
    version are masked unless `reveal_secrets` (admins downloading)."""
    if backup.blob_id is None:
        return ""
    blob = backup.blob
    if blob.sealed is not None:
        text = decrypt_secret(blob.tenant_id, BLOB_PURPOSE, blob.pk, blob.sealed).reveal()
    else:
        text = blob.text
    return text if reveal_secrets or not blob.sensitive else mask_secrets(text)


def download_text(backup: ConfigBackup) -> str:
    """The `.rsc` users download: a provenance comment, then the full stored export (secrets
    included — callers check who may download a sensitive version)."""
    head = f"# mikman config backup {backup.pk} of {backup.device.name}, taken {backup.taken_at.isoformat()}\n"
    return head + backup_text(backup, reveal_secrets=True)


def previous_version(backup: ConfigBackup) -> ConfigBackup | None:
    """The device's good version before this one (the default "from" of a diff)."""
    return (
        ConfigBackup.objects.filter(device_id=backup.device_id, status=BackupStatus.OK, taken_at__lt=backup.taken_at)
        .exclude(pk=backup.pk)
        .order_by("-taken_at")
        .first()
    )


def label(backup: ConfigBackup | None) -> str:
    if backup is None:
        return "(nothing)"
    return f"{backup.device.name} {backup.taken_at:%Y-%m-%d %H:%M:%S} {backup.sha256[:10]}"


def unified_diff(old: ConfigBackup | None, new: ConfigBackup, *, reveal_secrets: bool = False, context: int = 3) -> str:
    old_text = backup_text(old, reveal_secrets=reveal_secrets) if old is not None else ""
    new_text = backup_text(new, reveal_secrets=reveal_secrets)
    return "".join(
        difflib.unified_diff(
            old_text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=label(old),
            tofile=label(new),
            n=context,
        )
    )


@dataclass(frozen=True)
class SideBySideRow:
    kind: str  # equal, replace, delete, insert
    left_no: int | None
    left: str
    right_no: int | None
    right: str


def side_by_side(old_text: str, new_text: str, *, context: int = 3) -> list[SideBySideRow | None]:
    """Rows for a two-column diff; None marks skipped unchanged lines between hunks."""
    a, b = old_text.splitlines(), new_text.splitlines()
    rows: list[SideBySideRow | None] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if rows:
            rows.append(None)
        for tag, i1, i2, j1, j2 in group:
            for k in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + k, j1 + k
                left = a[i] if i < i2 else None
                right = b[j] if j < j2 else None
                rows.append(
                    SideBySideRow(
                        tag,
                        i + 1 if left is not None else None,
                        left or "",
                        j + 1 if right is not None else None,
                        right or "",
                    )
                )
    return rows


def diff_stats(diff: str) -> tuple[int, int]:
    added = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
    return added, removed


@dataclass
class FleetChange:
    device: Device
    before: ConfigBackup | None  # newest good version before `since`
    after: ConfigBackup  # newest good version now
    versions: int  # distinct new versions since `since`
    added: int
    removed: int


def fleet_changes(backups, since: datetime, *, reveal_secrets: bool = False, limit: int = 500) -> list[FleetChange]:
    """What changed across the fleet since `since`: per device whose config changed, the newest
    version before and after, and the diff's size. `backups` is the caller's scoped queryset."""
    changed = (
        backups.filter(status=BackupStatus.OK, changed=True, taken_at__gte=since)
        .order_by("device_id", "-taken_at")
        .select_related("device")
    )
    per_device: dict = {}
    for backup in changed:
        entry = per_device.setdefault(backup.device_id, [backup, 0])
        entry[1] += 1
    out = []
    for device_id, (_, count) in list(per_device.items())[:limit]:
        after = (
            backups.filter(device_id=device_id, status=BackupStatus.OK)
            .select_related("device", "blob")
            .order_by("-taken_at")
            .first()
        )
        before = (
            backups.filter(device_id=device_id, status=BackupStatus.OK, taken_at__lt=since)
            .select_related("device", "blob")
            .order_by("-taken_at")
            .first()
        )
        if after is None or (before is not None and before.sha256 == after.sha256):
            continue  # changed and changed back
        added, removed = diff_stats(unified_diff(before, after, reveal_secrets=reveal_secrets))
        out.append(FleetChange(after.device, before, after, count, added, removed))
    out.sort(key=lambda c: c.after.taken_at, reverse=True)
    return out


# --- retention -----------------------------------------------------------------------------------
def runs_to_keep(runs: list[dict], policy: BackupPolicy, now: datetime) -> set:
    """Ids to keep among one device's runs (dicts with id, taken_at, status, changed; any order):
    the newest N, the newest good run of each of the last D days, every run that brought a
    change (if kept), and always the newest good version."""
    ordered = sorted(runs, key=lambda r: r["taken_at"], reverse=True)
    keep = {r["id"] for r in ordered[: policy.keep_last]}
    good = [r for r in ordered if r["status"] == BackupStatus.OK]
    if good:
        keep.add(good[0]["id"])
    if policy.keep_all_changes:
        keep.update(r["id"] for r in good if r["changed"])
    if policy.keep_daily_days:
        cutoff = now - timedelta(days=policy.keep_daily_days)
        days_seen = set()
        for r in good:
            day = r["taken_at"].date()
            if r["taken_at"] >= cutoff and day not in days_seen:
                days_seen.add(day)
                keep.add(r["id"])
    return keep


def apply_retention(tenant_id, *, now: datetime | None = None) -> dict:
    """Prune the tenant's runs by its policy, then the blobs no run uses (in the tenant context)."""
    now = now or timezone.now()
    policy = policy_for(tenant_id)
    runs_by_device: dict = {}
    for run in ConfigBackup.objects.filter(tenant_id=tenant_id).values(
        "id", "device_id", "taken_at", "status", "changed"
    ):
        runs_by_device.setdefault(run["device_id"], []).append(run)
    doomed = []
    for runs in runs_by_device.values():
        keep = runs_to_keep(runs, policy, now)
        doomed.extend(r["id"] for r in runs if r["id"] not in keep)
    deleted = 0
    for start in range(0, len(doomed), 1000):
        deleted += ConfigBackup.objects.filter(pk__in=doomed[start : start + 1000]).delete()[0]
    used = ConfigBackup.objects.filter(blob_id=OuterRef("pk"))
    blobs = ConfigBlob.objects.filter(tenant_id=tenant_id).filter(~Exists(used)).delete()[0]
    return {"runs_deleted": deleted, "blobs_deleted": blobs}


# --- scheduling ----------------------------------------------------------------------------------
# A device's own interval (backup_interval_hours) overrides the tenant's; 0 opts it out.
CLAIM_SQL = """
WITH due AS (
    SELECT id, coalesce(backup_interval_hours, %(interval_h)s) AS hours FROM devices_device
    WHERE tenant_id = %(tenant)s AND enabled
      AND coalesce(backup_interval_hours, %(interval_h)s) > 0
      AND coalesce(next_backup_at, '-infinity') <= now()
    ORDER BY next_backup_at NULLS FIRST
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE devices_device AS d
SET next_backup_at = now() + make_interval(secs => due.hours * 3600.0 * (1 + (random() - 0.5) * 0.1))
FROM due WHERE d.id = due.id
RETURNING d.id::text
"""


def claim_due(tenant_id, *, limit: int = 100000) -> list[str]:
    """Devices whose backup is due, moved one interval (theirs, else the tenant's; ±5 %) on in the
    same statement (two schedulers never claim one device); opted-out devices (0) never are.
    Call in the tenant's context."""
    from django.db import connection

    policy = policy_for(tenant_id)
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, {"tenant": str(tenant_id), "interval_h": policy.interval_hours, "limit": limit})
        return [row[0] for row in cursor.fetchall()]


def schedule_label(device: Device, policy: BackupPolicy | None = None) -> str:
    """How often `device` is backed up, for people ("every 6 h (tenant policy)", "never")."""
    if device.backup_interval_hours == 0:
        return "never (opted out)"
    if device.backup_interval_hours:
        return f"every {device.backup_interval_hours} h (this device)"
    policy = policy or policy_for(device.tenant_id)
    return f"every {policy.interval_hours} h (tenant policy)"


# --- management verbs (role checks + audit) ------------------------------------------------------
def clean_binary_password(value: str) -> str:
    """A `.backup` password RouterOS takes on its command line: printable, no line breaks."""
    from django.core.exceptions import ValidationError

    if value and (not value.isprintable() or len(value) > 64):
        raise ValidationError("Printable characters only (at most 64), no line breaks.")
    return value


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
    "FleetChange",
    "apply_retention",
    "backup_text",
    "binary_bytes",
    "binary_of",
    "claim_due",
    "fleet_changes",
    "policy_for",
    "request_backup",
    "side_by_side",
    "store_results",
    "take_backup",
    "take_backups",
    "unified_diff",
]
