"""Celery tasks of the polling engine (queue `poll`: every task name starts with `devices.poll`).

    beat ──every POLL_SCHEDULE_EVERY_S──▶ devices.poll_schedule            (platform tenant list)
        └─ per active tenant ──────────▶ devices.poll_tenant(tenant_id)    (claims due devices)
            └─ per POLL_BATCH_SIZE ────▶ devices.poll_batch(tenant_id, device_ids, due)
                                          (ETA = first due − POLL_LEAD_S; the engine starts each device
                                           at its own due time, stores, updates, releases)
    beat ──5 min──▶ devices.poll_rollup ─▶ devices.poll_rollup_tenant(tenant_id)
    beat ──1 h────▶ devices.poll_maintain_partitions

Arguments and results are ids, epoch seconds and counts — never a secret. Run the poll worker
with `--pool threads` (e.g. `-Q poll --pool threads -c 4`): all its task threads share the
process's one event loop (devices.polling.engine), which does the network I/O.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from datetime import UTC, datetime

from celery import shared_task
from django.conf import settings

from tenants.context import tenant_context
from tenants.tasks import TenantTask, fan_out

from . import stats
from .engine import PollResult, engine
from .lock import DeviceLocks

log = logging.getLogger(__name__)

LOCK_RETRIES = 5  # a device found locked is tried again this many times (wait=False batches) …
LOCK_RETRY_DELAY_S = 1.0  # … this long apart, before its poll counts as skipped


@shared_task(name="devices.poll_schedule", ignore_result=True)
def poll_schedule() -> int:
    """One `poll_tenant` per active tenant (the app role reads no tenant's rows here)."""
    return fan_out(poll_tenant)


@shared_task(base=TenantTask, bind=True, name="devices.poll_tenant", ignore_result=True)
def poll_tenant(self, tenant_id: str) -> dict:
    """Claim this tenant's devices due before the next tick and send them out in batches."""
    from .schedule import batches, claim_due

    claimed = claim_due(tenant_id)
    sent = 0
    for chunk in batches(claimed, settings.POLL_BATCH_SIZE):
        ids = [device_id for device_id, _ in chunk]
        due = [round(at, 3) for _, at in chunk]
        # Sent at once with wait=False: the worker hands the batch to its engine, which starts
        # each device at its due time; `expires` drops batches a dead worker left behind.
        options = {"expires": datetime.fromtimestamp(due[-1] + 300, UTC)}
        # Sent when the claim commits: a rolled-back claim sends nothing.
        from django.db import transaction

        transaction.on_commit(
            lambda ids=ids, due=due, options=options: poll_batch.apply_async((tenant_id, ids, due, False), **options)
        )
        sent += 1
    return {"devices": len(claimed), "batches": sent}


@shared_task(bind=True, name="devices.poll_batch")
def poll_batch(
    self,
    tenant_id: str,
    device_ids: list[str],
    due: list[float] | None = None,
    wait: bool = True,
    lock_retries: int = 0,
) -> dict:
    """Poll these devices of this tenant (each from its due time), store the samples, update
    their state. Devices another worker is polling right now (Redis lock) are skipped (with
    wait=False: re-sent LOCK_RETRIES times, LOCK_RETRY_DELAY_S apart, before they count as
    skipped); devices of another tenant are invisible (RLS) and so never polled.

    `wait=False` (what `poll_tenant` sends): the task thread only locks, loads and hands the
    targets to the process's engine, then returns; the engine waits for each due time and the
    process's storing thread writes the results (in the tenant's context) and releases the
    locks. A Celery thread is then busy for milliseconds per batch instead of the whole batch,
    so batches never queue behind each other (measured: blocking threads, and Celery ETAs, made
    polls start up to 14-20 s late at 500 polls/s). `wait=True`: returns the outcome counts."""
    from devices.models import Device

    from .targets import Unpollable, build_target

    if not tenant_id:
        raise ValueError("devices.poll_batch needs a tenant_id")
    now = time.time()
    due_by_id = dict(zip((str(i) for i in device_ids), due or [now] * len(device_ids), strict=True))
    horizon = max([0.0, *(at - now for at in due_by_id.values())])
    locks = DeviceLocks()
    ttl = horizon + settings.POLL_CONNECT_TIMEOUT_S * 2 + settings.POLL_COMMAND_TIMEOUT_S + 30
    got = locks.acquire(list(due_by_id), ttl)
    skipped = len(due_by_id) - len(got)
    if skipped and not wait and lock_retries < LOCK_RETRIES:
        # A device still locked is most often this worker's own previous poll of it, not yet
        # stored (first polls, a storing backlog). Skipping it lost the poll (its next_poll_at
        # had already moved on: measured 1,392 skipped polls a minute at 500/s). Try those
        # devices again shortly instead (still never two polls of one device at once); only
        # after LOCK_RETRIES attempts is the poll counted as skipped.
        held = set(got)
        retry = [i for i in due_by_id if i not in held]
        poll_batch.apply_async(
            (tenant_id, retry, [due_by_id[i] for i in retry], False),
            {"lock_retries": lock_retries + 1},
            countdown=LOCK_RETRY_DELAY_S,
            expires=datetime.fromtimestamp(now + 300, UTC),
        )
        skipped = 0
    if not got:
        _record_stats([], skipped, now, due_by_id)
        return {"polled": 0, "skipped_locked": skipped}
    try:
        targets, early = [], []
        with tenant_context(tenant_id):
            devices = {
                str(d.pk): d
                for d in Device.objects.select_related("credential_profile").filter(
                    pk__in=got, enabled=True, auth_blocked=False
                )
            }
            for device_id, device in list(devices.items()):
                at = due_by_id[device_id]
                if device.backoff_until is not None and device.backoff_until.timestamp() > at + 1:
                    del devices[device_id]  # backing off: not this time
                    continue
                try:
                    targets.append(build_target(device, at))
                except Unpollable as exc:
                    early.append(PollResult(device_id, tenant_id, at, now, time.time(), exc.status, str(exc)))
        if not wait:
            groups = due_groups(targets, settings.POLL_STORE_WINDOW_S)
            futures = [engine().submit(engine().poll_many(group)) for group in groups]
        else:
            future = engine().submit(engine().poll_many(targets))
    except BaseException:
        locks.release()
        raise
    if not wait:
        # Each group of due times is stored (and its alerts evaluated) as soon as ITS devices
        # have answered — not when the batch's last device has, up to a whole tick later.
        later = {target.device_id for group in groups[1:] for target in group}
        for n, (group, future) in enumerate(zip(groups, futures, strict=True)):
            ids = {target.device_id for target in group}
            job = _StoreJob(
                tenant_id,
                {i: d for i, d in devices.items() if (i not in later if n == 0 else i in ids)},
                early if n == 0 else [],
                locks,
                skipped if n == 0 else 0,
                now,
                due_by_id if n == 0 else {},  # the batch's start delay is recorded once
                # the first job also frees the devices not polled (backing off, unpollable, gone)
                release=[i for i in got if i not in later] if n == 0 else list(ids),
            )
            future.add_done_callback(lambda f, job=job: _storer().submit(job.run, f))
        return {"accepted": len(targets) + len(early), "skipped_locked": skipped}
    job = _StoreJob(tenant_id, devices, early, locks, skipped, now, due_by_id)
    deadline = horizon + (settings.POLL_CONNECT_TIMEOUT_S * 2 + settings.POLL_COMMAND_TIMEOUT_S) * 2 + 60
    concurrent.futures.wait([future], timeout=deadline)
    return job.run(future)


class _StoreJob:
    """Stores one batch's results and releases its locks (in the task thread or the storer)."""

    def __init__(self, tenant_id, devices, early, locks, skipped, now, due_by_id, release=None):
        self.tenant_id, self.devices, self.early, self.locks = tenant_id, devices, early, locks
        self.skipped, self.now, self.due_by_id = skipped, now, due_by_id
        self.release = release  # the device locks this job frees (None: all the batch holds)

    def run(self, future) -> dict:
        from django.db import close_old_connections

        from .writer import store_results

        results: list[PollResult] = []
        try:
            results = future.result(timeout=0) + self.early
            with tenant_context(self.tenant_id):
                report = store_results(self.tenant_id, results, self.devices)
        except Exception:
            log.exception("storing a poll batch of tenant %s failed", self.tenant_id)
            raise
        finally:
            self.locks.release(self.release)
            if threading.current_thread().name.startswith("poll-store"):
                close_old_connections()
        _record_stats(results, self.skipped, self.now, self.due_by_id)
        return {
            "polled": len(results),
            "ok": sum(1 for r in results if r.ok),
            "failed": sum(1 for r in results if not r.ok),
            "skipped_locked": self.skipped,
            "status_changes": report.status_changes,
            "rows": report.device_rows + report.interface_rows + report.wireless_rows,
        }


def due_groups(targets: list, window_s: float) -> list[list]:
    """The batch's targets cut into runs of due times at most `window_s` long (always ≥ 1 group):
    each run is stored on its own as soon as its devices have answered."""
    groups: list[list] = [[]]
    start = None
    for target in sorted(targets, key=lambda t: t.due):
        if start is not None and target.due - start > window_s:
            groups.append([])
            start = None
        if start is None:
            start = target.due
        groups[-1].append(target)
    return groups


_STORER: concurrent.futures.ThreadPoolExecutor | None = None
_STORER_LOCK = threading.Lock()


def _storer() -> concurrent.futures.ThreadPoolExecutor:
    """The process's storing threads (each with its own database connection)."""
    global _STORER
    with _STORER_LOCK:
        if _STORER is None:
            _STORER = concurrent.futures.ThreadPoolExecutor(
                max_workers=settings.POLL_STORE_THREADS, thread_name_prefix="poll-store"
            )
        return _STORER


def _record_stats(results, skipped: int, now: float, due_by_id: dict) -> None:
    try:
        delay = now - min(due_by_id.values()) if due_by_id else None
        stats.record(results, skipped_locked=skipped, batch_delay=delay)
    except Exception:  # noqa: BLE001 - statistics never fail a poll
        log.debug("poll statistics not recorded", exc_info=True)


@shared_task(name="devices.poll_rollup", ignore_result=True)
def poll_rollup() -> int:
    return fan_out(poll_rollup_tenant)


@shared_task(base=TenantTask, bind=True, name="devices.poll_rollup_tenant")
def poll_rollup_tenant(self, tenant_id: str) -> dict:
    from .rollup import rollup

    return rollup(tenant_id)


@shared_task(name="devices.poll_maintain_partitions")
def poll_maintain_partitions() -> dict:
    """Create metric partitions ahead, drop those past retention (no tenant data is read)."""
    from django.db import transaction

    from .partitions import maintain

    with transaction.atomic():
        return maintain()
