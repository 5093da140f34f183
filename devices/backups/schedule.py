"""When backups run and how long they stay: the tenant policy, claiming due devices, retention.
Split out of services.py, which re-exports these."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from devices.models import BackupPolicy, BackupStatus, ConfigBackup, ConfigBlob, Device


def policy_for(tenant_id) -> BackupPolicy:
    """The tenant's policy, or an unsaved one with the defaults (call in the tenant's context)."""
    policy = BackupPolicy.objects.filter(tenant_id=tenant_id).first()
    return policy if policy is not None else BackupPolicy(tenant_id=tenant_id)


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
