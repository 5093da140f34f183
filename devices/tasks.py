"""Background jobs of the devices app.

Key jobs take only ids as arguments and return only counts and ids — never a secret.
"""

from __future__ import annotations

from celery import shared_task

from devices.keyring import KeyBackendUnavailable, rotate_tenant_key
from tenants.tasks import TenantTask


@shared_task(
    base=TenantTask,
    bind=True,
    name="devices.rotate_tenant_key",
    autoretry_for=(KeyBackendUnavailable,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=8,
)
def rotate_tenant_key_task(self, tenant_id: str) -> dict:
    """Rotate the tenant's key and rewrap its stored secrets (runs in the tenant's context).
    Rerunning it is harmless: values already under the newest version are left alone."""
    return rotate_tenant_key(tenant_id).as_dict()


@shared_task(
    bind=True,
    name="devices.destroy_vault_tenant_key",
    autoretry_for=(KeyBackendUnavailable,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=20,
)
def destroy_vault_tenant_key(self, tenant_id: str) -> bool:
    """Retry deleting a deleted tenant's transit key (not a TenantTask: the tenant is gone)."""
    from devices.keyring.backends import backend_named

    backend_named("vault").destroy_key(tenant_id)
    return True


# --- inventory (issue 4): the interactive connectivity check ---------------------------------------
@shared_task(bind=True, name="devices.run_connectivity_check", soft_time_limit=120, time_limit=150)
def run_connectivity_check(self, tenant_id: str, check_id: str) -> str:
    """Run a queued ConnectivityCheck; returns its final state (queued → running → succeeded/failed).

    Deliberately not a TenantTask: that base holds the whole body in one transaction, so the
    "running / connecting via …" progress would stay invisible until the end. The body commits in
    short phases, each inside `tenant_context(tenant_id)` (rls.md: one atomic block per batch),
    and resets the tenant afterwards. Arguments and result are ids and a state, never a secret."""
    if not tenant_id:
        raise ValueError(f"{self.name} needs a tenant_id as its first argument")
    from devices.connectivity import run_check

    return run_check(tenant_id, check_id)


# Tasks of the device sub-packages, imported here so Celery's autodiscovery (which imports
# <app>.tasks) registers them: alerts, backups, feeds, jobs, polling (+ rollup and partitions).
from devices.alerts.tasks import deliver, evaluate  # noqa: E402, F401
from devices.backups.tasks import (  # noqa: E402, F401
    backup_batch,
    backup_device,
    backup_retention,
    backup_retention_tenant,
    backup_schedule,
    backup_tenant,
)
from devices.feeds.tasks import refresh_feeds_task  # noqa: E402, F401
from devices.jobs.tasks import jobs_recover, jobs_recover_tenant, run_job_batch  # noqa: E402, F401
from devices.polling.tasks import (  # noqa: E402, F401
    poll_batch,
    poll_maintain_partitions,
    poll_rollup,
    poll_rollup_tenant,
    poll_schedule,
    poll_tenant,
)
