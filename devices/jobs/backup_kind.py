"""The "backup" job kind: a config backup of every device of the job ("back up now" for a
selection, a site or the whole tenant), through the backups app's own verb
`devices.backups.services.take_backup` (helper h3's app: its versions, de-duplication and
completeness checks apply unchanged).

SSH key exchange is CPU-bound pure Python, so a few threads do the work (BACKUP_THREADS, never
more than the job's concurrency); each thread opens its own tenant context per device and closes
its database connection when done. Registered only when the backups app is installed.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util

from django.core.exceptions import ValidationError

from devices.jobs.kinds import Emit, JobKind, Prepared, StepResult, register

BACKUP_THREADS = 4


def prepare(params: dict, access) -> Prepared:
    if params:
        raise ValidationError({"params": "A backup job takes no parameters."})
    return Prepared(params={}, summary="config backup")


def start(job, rows: list, emit: Emit) -> concurrent.futures.Future:
    user = job.created_by  # read here, in the task's tenant context
    tenant_id = str(job.tenant_id)
    work = []
    for row in rows:
        if not row.device.enabled:
            emit(StepResult.skipped(row.pk, "The device is disabled."))
        else:
            work.append(row)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(BACKUP_THREADS, job.concurrency or 1)))
    futures = [pool.submit(_one, tenant_id, row, user, emit) for row in work]
    pool.shutdown(wait=False)
    done: concurrent.futures.Future = concurrent.futures.Future()

    def finish(_=None) -> None:
        if all(f.done() for f in futures) and not done.done():
            try:
                done.set_result(None)
            except concurrent.futures.InvalidStateError:
                pass

    for f in futures:
        f.add_done_callback(finish)
    finish()
    return done


def _one(tenant_id: str, row, user, emit: Emit) -> None:
    from django.db import connection

    from devices.backups.services import take_backup
    from devices.models.backups import BackupTrigger
    from tenants.context import tenant_context

    try:
        with tenant_context(tenant_id):
            backup = take_backup(row.device, trigger=BackupTrigger.JOB, user=user)
        if backup.ok:
            change = "changed" if backup.changed else "unchanged"
            emit(StepResult.ok(row.pk, f"{change} · {backup.size} bytes · sha256 {backup.sha256[:12]}"))
        else:
            emit(StepResult.failed(row.pk, backup.reason or backup.outcome or "backup failed"))
    except Exception as exc:  # noqa: BLE001 - one device's surprise never breaks the batch
        emit(StepResult.failed(row.pk, f"internal error: {type(exc).__name__}"))
    finally:
        connection.close()


def idempotent(params: dict) -> bool:
    return True  # another backup of the same device is harmless (de-duplicated by content)


def _backups_installed() -> bool:
    try:
        return importlib.util.find_spec("devices.backups.services") is not None
    except ModuleNotFoundError:
        return False


if _backups_installed():
    BACKUP = register(
        JobKind(name="backup", label="Config backup", prepare=prepare, start=start, idempotent=idempotent)
    )
