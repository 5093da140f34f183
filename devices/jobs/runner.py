"""Jobs' verbs: start, cancel, retry failed — and the worker side: claim, run, record, finish.

What callers may rely on:
- `start_job`, `cancel_job`, `retry_failed` check the role (operator+; dangerous kinds need admin
  and `confirm`) and the site scope (a device outside the user's sites is "unknown"), write in the
  caller's transaction, audit (the devices and the command, never a credential) and enqueue work
  only when that transaction commits.
- `run_batch` is safe to call any number of times for the same rows (a redelivered Celery
  message, a duplicate, a recovery re-send): a row is worked on only by whoever moved it
  queued → running with the conditional UPDATE in `_claim`, and its result is written only
  while that claim (its `idempotency_key`) still holds it. A second run finds nothing to claim.
- At most JOBS_TENANT_CONCURRENCY rows of one tenant are `running` (with a live lease) at once:
  claims of one tenant are serialised by a transaction-level advisory lock; a batch that gets no
  slot is re-sent a little later (`Deferred`).
- Counters and the job's state are recomputed from the rows (under the job row's lock), so they
  are right whatever order batches finish in and however often they are retried.
"""

from __future__ import annotations

import logging
import queue
import time
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from audit.services import record
from devices.jobs.kinds import StepResult, get_kind, kind_names
from devices.models import Device, Job, JobDevice, JobDeviceState, JobState
from tenants.access import TenantAccess
from tenants.context import tenant_context
from tenants.models import Site
from tenants.roles import Action

log = logging.getLogger(__name__)

CLAIM_LOCK_CLASS = 0x4A4F4253  # "JOBS": pg_advisory_xact_lock(class, hashtext(tenant))
FLUSH_EVERY_S = 0.5  # results are written (and progress updated) at least this often
AUDIT_DEVICE_NAMES = 50  # device names listed in an audit entry (the count is always there)
Q, RUN = JobDeviceState.QUEUED.value, JobDeviceState.RUNNING.value


class Deferred(Exception):
    """The tenant's concurrency limit is reached: send the batch again later."""


# --- starting, cancelling, retrying ---------------------------------------------------------------


def start_job(
    access: TenantAccess,
    kind: str,
    *,
    devices: Iterable | None = None,
    site=None,
    all_devices: bool = False,
    params: dict | None = None,
    confirm: bool = False,
    concurrency: int | None = None,
) -> Job:
    """Create a job over the chosen devices (ids, one site, or all the user may act on)."""
    if not access.allows(Action.OPERATE):
        raise PermissionDenied(f"Your role ({access.role}) may not run jobs.")
    job_kind = get_kind(kind)
    if job_kind is None:
        raise ValidationError({"kind": f"Unknown kind {kind!r}; one of: {', '.join(kind_names())}."})
    chosen = choose_devices(access, devices, site, all_devices)
    prepared = job_kind.prepare(params or {}, access)
    if prepared.dangerous:
        if not access.allows(Action.DANGEROUS):
            raise PermissionDenied(
                f"This command {prepared.dangerous_reason}: only a tenant admin may run it (your role: {access.role})."
            )
        if not confirm:
            raise ValidationError(
                {"confirm": f"This command {prepared.dangerous_reason}. Send `confirm: true` to run it anyway."}
            )
    if concurrency is not None and not 1 <= int(concurrency) <= 1000:
        raise ValidationError({"concurrency": "Between 1 and 1000 devices at once."})
    site_ids = sorted({d.site_id for d in chosen if d.site_id}, key=str)
    job = Job.objects.create(
        tenant=access.tenant,
        kind=job_kind.name,
        params=prepared.params,
        summary=prepared.summary[:300],
        created_by=access.user,
        concurrency=concurrency or settings.JOBS_DEVICE_CONCURRENCY,
        site_ids=site_ids,
        unsited=any(d.site_id is None for d in chosen),
        total=len(chosen),
    )
    JobDevice.objects.bulk_create(
        [JobDevice(tenant=access.tenant, job=job, device=d, device_name=d.name) for d in chosen], batch_size=1000
    )
    _audit(
        "job.started",
        access,
        job,
        {
            "kind": job.kind,
            "summary": job.summary,
            "dangerous": prepared.dangerous,
            "confirmed": bool(confirm),
            "device_count": len(chosen),
            "devices": [d.name for d in chosen[:AUDIT_DEVICE_NAMES]],
        },
    )
    first = job_kind.first_devices(job, chosen) if job_kind.first_devices else [str(d.pk) for d in chosen]
    _enqueue_on_commit(job, first)
    return job


def choose_devices(access: TenantAccess, devices, site, all_devices: bool) -> list[Device]:
    scope = Device.objects.restrict(access, Action.OPERATE).select_related(None).only("id", "name", "site_id")
    given = sum(bool(x) for x in (devices, site, all_devices))
    if given != 1:
        raise ValidationError({"devices": "Choose the devices: a list of `devices`, one `site`, or `all: true`."})
    if devices:
        ids = []
        for raw in devices:
            try:
                ids.append(uuid.UUID(str(raw)))
            except ValueError:
                raise ValidationError({"devices": f"{str(raw)[:40]!r} is not a device id."}) from None
        ids = list(dict.fromkeys(ids))
        found = list(scope.filter(pk__in=ids))
        missing = set(ids) - {d.pk for d in found}
        if missing:
            shown = ", ".join(sorted(str(m) for m in missing)[:10])
            raise ValidationError({"devices": f"Unknown devices (or not in your sites): {shown}."})
        chosen = found
    elif site:
        try:
            site_obj = Site.objects.restrict(access, Action.VIEW).filter(pk=uuid.UUID(str(site))).first()
        except ValueError:
            site_obj = None
        if site_obj is None or not access.covers_site(site_obj.pk):
            raise ValidationError({"site": "Unknown site (or not one of yours)."})
        chosen = list(scope.filter(site=site_obj))
    else:
        chosen = list(scope)
    if not chosen:
        raise ValidationError({"devices": "No devices to run on."})
    if len(chosen) > settings.JOBS_MAX_DEVICES:
        raise ValidationError({"devices": f"At most {settings.JOBS_MAX_DEVICES} devices per job."})
    chosen.sort(key=lambda d: d.name)
    return chosen


def cancel_job(access: TenantAccess, job: Job) -> Job:
    """Queued rows are cancelled now; running ones finish (a step is never cut off mid-change)."""
    if not access.allows(Action.OPERATE):
        raise PermissionDenied(f"Your role ({access.role}) may not cancel jobs.")
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.is_finished:
        raise ValidationError(f"The job already finished ({job.get_state_display().lower()}).")
    job.cancel_requested = True
    job.save(update_fields=["cancel_requested"])
    now = timezone.now()
    cancelled = JobDevice.objects.filter(job=job, state=Q).update(
        state=JobDeviceState.CANCELLED, reason="cancelled before it started", finished=now
    )
    _audit("job.cancelled", access, job, {"kind": job.kind, "summary": job.summary, "cancelled_devices": cancelled})
    return refresh(job.pk, locked=True)


def retry_failed(access: TenantAccess, job: Job) -> Job:
    """A new attempt of the failed rows only (the others keep their results)."""
    if not access.allows(Action.OPERATE):
        raise PermissionDenied(f"Your role ({access.role}) may not retry jobs.")
    if job.params.get("dangerous") and not access.allows(Action.DANGEROUS):
        raise PermissionDenied("This job runs a dangerous command: only a tenant admin may retry it.")
    job = Job.objects.select_for_update().get(pk=job.pk)
    if not job.is_finished:
        raise ValidationError("The job is still running; retry its failed devices when it has finished.")
    failed = list(JobDevice.objects.filter(job=job, state=JobDeviceState.FAILED).values_list("pk", "device_id"))
    if not failed:
        raise ValidationError("No device of this job failed: nothing to retry.")
    from django.db.models import F

    JobDevice.objects.filter(pk__in=[pk for pk, _ in failed], state=JobDeviceState.FAILED).update(
        state=Q,
        attempt=F("attempt") + 1,
        reason="",
        output="",
        output_truncated=False,
        started=None,
        finished=None,
        lease_until=None,
    )
    job.state, job.finished, job.cancel_requested = JobState.QUEUED, None, False
    job.save(update_fields=["state", "finished", "cancel_requested"])
    device_names = list(
        JobDevice.objects.filter(pk__in=[pk for pk, _ in failed]).values_list("device_name", flat=True)[
            :AUDIT_DEVICE_NAMES
        ]
    )
    _audit(
        "job.retried",
        access,
        job,
        {"kind": job.kind, "summary": job.summary, "device_count": len(failed), "devices": device_names},
    )
    _enqueue_on_commit(job, [str(device_id) for _, device_id in failed])
    return refresh(job.pk, locked=True)


def _audit(action: str, access: TenantAccess, job: Job, details: dict) -> None:
    """One entry per start/cancel/retry, by the member who did it."""
    _record_job(action, job, details, user=access.user, tenant=access.tenant)


def _audit_system(action: str, job: Job, details: dict) -> None:
    """An entry for what the platform itself decided about a job (e.g. an upgrade paused),
    in the name of the job's creator."""
    _record_job(action, job, details, user=job.created_by, tenant=job.tenant_id)


def _record_job(action: str, job: Job, details: dict, *, user, tenant) -> None:
    """Its site: the job's only site (so site-scoped members see it), none when the job spans
    several sites or unsited devices."""
    one_site = job.site_ids[0] if len(job.site_ids) == 1 and not job.unsited else None
    record(
        action,
        user=user,
        tenant=tenant,
        site=one_site,
        target_type="devices.job",
        target_id=str(job.pk),
        target_name=f"{job.kind}: {job.summary}"[:200],
        details=details,
    )


def _enqueue_on_commit(job: Job, device_ids: list[str]) -> None:
    tenant_id, job_id = str(job.tenant_id), str(job.pk)
    transaction.on_commit(lambda: enqueue(tenant_id, job_id, device_ids))


def enqueue(tenant_id: str, job_id: str, device_ids: list[str]) -> int:
    """Send the devices to the `jobs` queue in batches; returns how many messages."""
    from devices.jobs.tasks import run_job_batch

    size = settings.JOBS_BATCH_SIZE
    sent = 0
    for start in range(0, len(device_ids), size):
        run_job_batch.delay(tenant_id, job_id, device_ids[start : start + size])
        sent += 1
    return sent


# --- the worker side ------------------------------------------------------------------------------


def run_batch(tenant_id: str, job_id: str, device_ids: list[str]) -> dict:
    """Work on these devices of the job: claim what is still queued, run the kind's step, record
    every result. Raises Deferred when the tenant's concurrency limit left no slot at all."""
    ran = 0
    while True:
        ids = device_ids
        with tenant_context(tenant_id):  # the kind's hold (its own transaction, before the claim)
            job = Job.objects.filter(pk=job_id).first()
            if job is None:
                return {"ran": ran, "gone": True}
            kind = get_kind(job.kind)
            if kind is not None and kind.ready is not None and not job.cancel_requested:
                ids = kind.ready(job, device_ids)
        with tenant_context(tenant_id):
            job = Job.objects.filter(pk=job_id).first()
            if job is None:
                return {"ran": ran, "gone": True}
            rows = _claim(job, ids) if kind is not None and not job.cancel_requested and ids else []
            pending = JobDevice.objects.filter(job_id=job_id, device_id__in=ids, state=Q).exists()
            if kind is None and pending:
                _fail_unknown_kind(job, device_ids)
                pending = False
            if rows and job.state == JobState.QUEUED:
                Job.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
                    state=JobState.RUNNING, started=job.started or timezone.now()
                )
        if not rows:
            with tenant_context(tenant_id):
                refresh(job_id)
                if kind is not None and kind.after_batch is not None and not pending:
                    kind.after_batch(tenant_id, job_id)
            if pending and not job.cancel_requested:
                raise Deferred(f"job {job_id}: the tenant's concurrency limit is reached")
            return {"ran": ran}
        ran += _execute(tenant_id, job, kind, rows)
        with tenant_context(tenant_id):
            refresh(job_id)


def _claim(job: Job, device_ids: list[str]) -> list[JobDevice]:
    """queued → running for as many of these rows as the tenant's limit allows (one statement;
    SKIP LOCKED: a concurrent claimer of the same rows takes none of them twice)."""
    tenant_id = str(job.tenant_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [CLAIM_LOCK_CLASS, tenant_id])
        cursor.execute(
            "SELECT count(*) FROM devices_jobdevice WHERE tenant_id = %s AND state = %s AND lease_until > now()",
            [tenant_id, RUN],
        )
        running = cursor.fetchone()[0]
        # never more than the job's own concurrency: a claimed row is one really in flight, so
        # a cancel stops everything not yet started
        slots = min(settings.JOBS_TENANT_CONCURRENCY - running, job.concurrency or settings.JOBS_DEVICE_CONCURRENCY)
        if slots <= 0:
            return []
        cursor.execute(
            """
            WITH picked AS MATERIALIZED (
                 SELECT id FROM devices_jobdevice
                  WHERE tenant_id = %s AND job_id = %s AND device_id = ANY(%s::uuid[]) AND state = %s
                  ORDER BY device_name LIMIT %s
                    FOR UPDATE SKIP LOCKED)
            UPDATE devices_jobdevice AS r
               SET state = %s, started = now(), finished = NULL, lease_until = now() + make_interval(secs => %s),
                   idempotency_key = r.job_id::text || ':' || r.device_id::text || ':' || r.attempt::text
                                     || ':' || substr(md5(random()::text), 1, 8)
              FROM picked
             WHERE r.id = picked.id AND r.state = %s
            RETURNING r.id
            """,
            [tenant_id, str(job.pk), device_ids, Q, slots, RUN, settings.JOBS_LEASE_S, Q],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return list(
        JobDevice.objects.filter(pk__in=ids)
        .select_related("device", "device__credential_profile")
        .order_by("device_name")
    )


def _execute(tenant_id: str, job: Job, kind, rows: list[JobDevice]) -> int:
    """Run the kind's step on the claimed rows; write results as they arrive (every
    FLUSH_EVERY_S), so progress moves per device, not per batch."""
    keys = {str(r.pk): r.idempotency_key for r in rows}
    results: queue.SimpleQueue[StepResult] = queue.SimpleQueue()
    with tenant_context(tenant_id):
        try:
            future = kind.start(job, rows, results.put)
        except Exception as exc:  # noqa: BLE001 - a kind that cannot start fails its rows, not the worker
            log.exception("job %s: kind %s failed to start", job.pk, job.kind)
            for r in rows:
                results.put(StepResult.failed(r.pk, f"internal error: {type(exc).__name__}"))
            from devices.jobs.kinds import done_future

            future = done_future()
    written = 0
    pending: list[StepResult] = []
    last_flush = time.monotonic()
    while True:
        finished = future.done()
        try:
            pending.append(results.get(timeout=0.05 if not finished else 0))
            while True:
                pending.append(results.get_nowait())
        except queue.Empty:
            pass
        if pending and (finished or time.monotonic() - last_flush >= FLUSH_EVERY_S):
            written += _write_results(tenant_id, job.pk, pending, keys)
            pending, last_flush = [], time.monotonic()
        if finished and results.empty():
            break
    try:
        future.result()
    except Exception:  # noqa: BLE001 - rows it did not report are failed below
        log.exception("job %s: kind %s raised", job.pk, job.kind)
    reported = written
    if reported < len(rows):  # a kind that lost rows: never leave them running forever
        with tenant_context(tenant_id):
            JobDevice.objects.filter(pk__in=[r.pk for r in rows], state=RUN).update(
                state=JobDeviceState.FAILED,
                reason="internal error: no result was reported",
                finished=timezone.now(),
                lease_until=None,
            )
    return len(rows)


def _write_results(tenant_id: str, job_id, results: list[StepResult], keys: dict[str, str]) -> int:
    """One UPDATE for many rows; only rows still held by our claim are written."""
    limit = settings.JOBS_OUTPUT_MAX_CHARS
    ids, states, reasons, outputs, truncs, claim_keys = [], [], [], [], [], []
    for r in results:
        output = r.output or ""
        truncated = r.truncated or len(output) > limit
        ids.append(r.row_id)
        states.append(str(r.state))
        reasons.append((r.reason or "")[:2000])
        outputs.append(output[:limit])
        truncs.append(truncated)
        claim_keys.append(keys.get(r.row_id, ""))
    with tenant_context(tenant_id), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE devices_jobdevice AS r
               SET state = v.state, reason = v.reason, output = v.output, output_truncated = v.trunc,
                   finished = now(), lease_until = NULL
              FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], %s::bool[], %s::text[])
                   AS v(id, state, reason, output, trunc, claim)
             WHERE r.id = v.id AND r.tenant_id = %s AND r.state = %s AND r.idempotency_key = v.claim
            """,
            [ids, states, reasons, outputs, truncs, claim_keys, tenant_id, RUN],
        )
        written = cursor.rowcount
        refresh(job_id)
    return written


def _fail_unknown_kind(job: Job, device_ids: list[str]) -> None:
    JobDevice.objects.filter(job=job, device_id__in=device_ids, state=Q).update(
        state=JobDeviceState.FAILED,
        reason=f"This platform cannot run {job.kind!r} jobs (the kind is not installed).",
        finished=timezone.now(),
    )


def refresh(job_id, *, locked: bool = False) -> Job:
    """Recompute the job's counters and state from its rows (inside the tenant's context)."""
    job = Job.objects.select_for_update().get(pk=job_id) if not locked else Job.objects.get(pk=job_id)
    counts = dict(JobDevice.objects.filter(job_id=job_id).values_list("state").annotate(n=Count("id")))
    counts = {str(k): v for k, v in counts.items()}
    job.succeeded = counts.get(JobDeviceState.SUCCEEDED, 0)
    job.failed = counts.get(JobDeviceState.FAILED, 0)
    job.skipped = counts.get(JobDeviceState.SKIPPED, 0)
    job.cancelled = counts.get(JobDeviceState.CANCELLED, 0)
    job.total = sum(counts.values())
    active = counts.get(Q, 0) + counts.get(RUN, 0)
    fields = ["succeeded", "failed", "skipped", "cancelled", "total"]
    if active:
        if counts.get(RUN, 0) and job.state == JobState.QUEUED:
            job.state = JobState.RUNNING
            job.started = job.started or timezone.now()
            fields += ["state", "started"]
    elif not job.is_finished:
        job.state = final_state(job)
        job.finished = timezone.now()
        job.started = job.started or job.finished
        fields += ["state", "finished", "started"]
    job.save(update_fields=fields)
    return job


def final_state(job: Job) -> str:
    if job.cancel_requested and job.cancelled:
        return JobState.CANCELLED
    if not job.failed:
        return JobState.SUCCEEDED
    if not job.succeeded and not job.skipped:
        return JobState.FAILED
    return JobState.PARTIALLY_FAILED
