"""Rows whose worker died mid-step: found by their expired lease, re-queued or failed.

A claimed row is `running` with `lease_until` = claim time + JOBS_LEASE_S (longer than any step:
JOBS_STEP_TIMEOUT_S per device, at most the job's concurrency at once). A worker that is killed
mid-batch leaves its rows `running`; Celery redelivers the batch's message (`acks_late`), but the
redelivered run finds those rows claimed and leaves them alone — so nothing runs twice while the
first run might still be alive. Once the lease has expired, `devices.jobs_recover` (beat, every
JOBS_RECOVER_EVERY_S) decides per row:

- the kind says the step is idempotent for this job (a read, a `set`, a backup): the row goes
  back to `queued` (same attempt) and is sent again — the device ends up changed exactly once in
  effect;
- otherwise (an `add`, a reboot, …): the row is failed with a reason saying the change may or
  may not have happened — it is never repeated behind the user's back, and never lost either:
  "Retry failed" runs it again when the user has checked.

A late result of the dead claim can no longer be written: results are written only while the
row's `idempotency_key` is still the claim's own.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from devices.jobs.kinds import get_kind
from devices.jobs.runner import enqueue, refresh
from devices.models import JobDevice, JobDeviceState
from tenants.context import tenant_context

INTERRUPTED = (
    "interrupted: the worker stopped during this device's step, so the change may or may not have "
    "been applied. Check the device, then use “Retry failed”."
)


def recover_tenant(tenant_id: str) -> dict:
    """Handle this tenant's expired leases; returns {"requeued": n, "failed": m}."""
    requeued, failed = 0, 0
    to_send: list[tuple[str, list[str]]] = []
    with tenant_context(tenant_id):
        now = timezone.now()
        stale = (
            JobDevice.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=JobDeviceState.RUNNING, lease_until__lt=now)
            .select_related("job")
        )
        by_job = defaultdict(list)
        for row in stale:
            by_job[row.job].append(row)
        for job, rows in by_job.items():
            ids = [r.pk for r in rows]
            kind = get_kind(job.kind)
            if kind is not None and kind.idempotent(job.params) and not job.cancel_requested:
                n = JobDevice.objects.filter(pk__in=ids, state=JobDeviceState.RUNNING).update(
                    state=JobDeviceState.QUEUED, lease_until=None, started=None, idempotency_key=""
                )
                requeued += n
                to_send.append((str(job.pk), [str(r.device_id) for r in rows]))
            else:
                failed += JobDevice.objects.filter(pk__in=ids, state=JobDeviceState.RUNNING).update(
                    state=JobDeviceState.FAILED, reason=INTERRUPTED, lease_until=None, finished=now
                )
            refresh(job.pk)
        for job_id, device_ids in to_send:
            transaction.on_commit(lambda job_id=job_id, device_ids=device_ids: enqueue(tenant_id, job_id, device_ids))
    return {"requeued": requeued, "failed": failed}
