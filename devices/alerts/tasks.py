"""Celery tasks of alerting (queue `alerts`: every task name starts with `alerts.`).
Arguments are ids, epoch seconds and counts — never a secret."""

from __future__ import annotations

from celery import shared_task

from tenants.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, name="alerts.evaluate", ignore_result=True)
def evaluate(self, tenant_id: str, device_ids: list[str], since: float) -> dict:
    """Evaluate the tenant's enabled rules on this poll batch's newest data."""
    from .engine import evaluate_batch

    return evaluate_batch(tenant_id, device_ids, since).as_dict()


@shared_task(base=TenantTask, bind=True, name="alerts.evaluate_versions", ignore_result=True)
def evaluate_versions(self, tenant_id: str, device_ids: list[str] | None = None) -> dict:
    """CVE-exposure and firmware-update rules on these devices (None: all of the tenant's)."""
    from .events import evaluate_versions as run

    return run(tenant_id, device_ids)


@shared_task(name="alerts.feeds_changed", ignore_result=True)
def feeds_changed() -> int:
    """The feeds changed: one `alerts.evaluate_versions` per active tenant."""
    from tenants.tasks import fan_out

    return fan_out(evaluate_versions)


@shared_task(base=TenantTask, bind=True, name="alerts.evaluate_backups", ignore_result=True)
def evaluate_backups(self, tenant_id: str, backup_ids: list[str]) -> dict:
    """Backup-failed and config-changed rules on these backup runs."""
    from .events import evaluate_backups as run

    return run(tenant_id, backup_ids)


@shared_task(base=TenantTask, bind=True, name="alerts.deliver", ignore_result=True)
def deliver(self, tenant_id: str, delivery_id: str) -> float | None:
    """One attempt of a notification; a failure re-sends this task after the backoff."""
    from .notify import attempt, send_on_commit

    retry = attempt(delivery_id)
    if retry is not None:
        send_on_commit(tenant_id, [delivery_id], countdown=max(retry, 0.01))
    return retry
