"""Celery tasks of config backups (queue `jobs`, the default).

    beat ──every BACKUP_SCHEDULE_EVERY_S──▶ devices.backup_schedule        (platform tenant list)
        └─ per active tenant ─────────────▶ devices.backup_tenant(tenant_id)   (claims due devices)
            └─ per BACKUP_BATCH_SIZE ─────▶ devices.backup_batch(tenant_id, device_ids)
                                             (BACKUP_CONCURRENCY SSH sessions at once per task)
    beat ──daily──▶ devices.backup_retention ─▶ devices.backup_retention_tenant(tenant_id)
    UI/API "back up now" ─▶ devices.backup_device(tenant_id, device_id, user_id)

`backup_batch` is not a TenantTask on purpose: a TenantTask holds one transaction for its whole
body, and a batch spends seconds on the network; `take_backups` opens the tenant context for
each small store instead (as the poller does). Arguments are ids only, never a secret.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import transaction

from tenants.tasks import TenantTask, fan_out


@shared_task(name="devices.backup_schedule", ignore_result=True)
def backup_schedule() -> int:
    return fan_out(backup_tenant)


@shared_task(base=TenantTask, bind=True, name="devices.backup_tenant", ignore_result=True)
def backup_tenant(self, tenant_id: str) -> dict:
    """Claim this tenant's devices whose backup is due and send them out in batches."""
    from .services import claim_due

    claimed = claim_due(tenant_id)
    size = int(getattr(settings, "BACKUP_BATCH_SIZE", 100))
    chunks = [claimed[i : i + size] for i in range(0, len(claimed), size)]
    for chunk in chunks:  # sent when the claim commits: a rolled-back claim sends nothing
        transaction.on_commit(lambda chunk=chunk: backup_batch.delay(tenant_id, chunk))
    return {"devices": len(claimed), "batches": len(chunks)}


@shared_task(name="devices.backup_batch")
def backup_batch(tenant_id: str, device_ids: list[str], trigger: str = "schedule") -> dict:
    from .services import take_backups

    if not tenant_id:
        raise ValueError("devices.backup_batch needs a tenant_id")
    return take_backups(tenant_id, device_ids, trigger=trigger)


@shared_task(base=TenantTask, bind=True, name="devices.backup_device")
def backup_device(self, tenant_id: str, device_id: str, user_id: int | None = None, trigger: str = "manual") -> dict:
    """One device now (the "back up now" button); returns the run's id and status."""
    from devices.models import Device
    from tenants.models import User

    from .services import take_backup

    device = Device.objects.filter(pk=device_id).first()
    if device is None:
        return {"status": "missing"}
    user = User.objects.filter(pk=user_id).first() if user_id else None
    backup = take_backup(device, trigger=trigger, user=user)
    return {"backup": str(backup.pk), "status": backup.status, "changed": backup.changed}


@shared_task(name="devices.backup_retention", ignore_result=True)
def backup_retention() -> int:
    return fan_out(backup_retention_tenant)


@shared_task(base=TenantTask, bind=True, name="devices.backup_retention_tenant", ignore_result=True)
def backup_retention_tenant(self, tenant_id: str) -> dict:
    from .services import apply_retention

    return apply_retention(tenant_id)
