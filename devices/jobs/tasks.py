"""Celery tasks of jobs (queue `jobs`, the default queue). Arguments are ids only, never a secret.

    start_job ──on commit──▶ devices.jobs_run_batch(tenant_id, job_id, device_ids)   per JOBS_BATCH_SIZE
    upgrade holding devices ──eta──▶ devices.upgrade_recheck(tenant_id, job_id) ─▶ run_batch again
    beat ──JOBS_RECOVER_EVERY_S──▶ devices.jobs_recover ─▶ devices.jobs_recover_tenant(tenant_id)

`jobs_run_batch` is not a TenantTask on purpose: TenantTask runs the whole body in one
transaction, and a batch must commit its claim, then each group of results, as it goes (so
progress shows and a claim is visible to other workers at once); it opens one tenant context per
step instead (../shared/design/rls.md: one atomic block per batch step).
"""

from __future__ import annotations

from celery import shared_task

from tenants.tasks import TenantTask, fan_out

DEFER_S = 1.0


@shared_task(
    bind=True,
    name="devices.jobs_run_batch",
    acks_late=True,  # a worker killed mid-batch: the message is delivered again …
    reject_on_worker_lost=True,
    ignore_result=True,
)
def run_job_batch(self, tenant_id: str, job_id: str, device_ids: list[str]) -> dict:
    """… and the claim in runner.run_batch makes that second delivery a no-op for rows already
    claimed or done."""
    from devices.jobs.runner import Deferred, run_batch

    try:
        return run_batch(tenant_id, job_id, device_ids)
    except Deferred as exc:
        raise self.retry(exc=exc, countdown=DEFER_S, max_retries=None) from None


@shared_task(name="devices.jobs_recover", ignore_result=True)
def jobs_recover() -> int:
    """One recovery per active tenant (the platform-level tenant list; no tenant rows read here)."""
    return fan_out(jobs_recover_tenant)


@shared_task(base=TenantTask, bind=True, name="devices.jobs_recover_tenant", ignore_result=True)
def jobs_recover_tenant(self, tenant_id: str) -> dict:
    from devices.jobs.recovery import recover_tenant

    return recover_tenant(tenant_id)


@shared_task(base=TenantTask, bind=True, name="devices.upgrade_recheck", ignore_result=True)
def upgrade_recheck(self, tenant_id: str, job_id: str) -> int:
    """Sent with an eta by an upgrade holding devices (start_at, maintenance windows): re-send the
    current wave's queued rows when one of them may start (upgrade_kind.recheck)."""
    from devices.jobs.upgrade_kind import recheck

    return recheck(tenant_id, job_id)
