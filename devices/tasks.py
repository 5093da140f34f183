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
