"""The base of every Celery task that touches tenant data.

A task takes `tenant_id` explicitly as its first argument; the body runs inside `atomic()` with
the tenant set transaction-locally, exactly as a web request does, so a worker's pooled
connection never carries one tenant into the next task. Cross-tenant schedulers read the
platform-level tenant list and enqueue one task per tenant (`fan_out`).
"""

from __future__ import annotations

from celery import Task, shared_task

from tenants.context import deactivate_tenant, tenant_context
from tenants.models import Tenant


class TenantTask(Task):
    abstract = True

    def __call__(self, tenant_id, *args, **kwargs):
        if not tenant_id:
            raise ValueError(f"{self.name} needs a tenant_id as its first argument")
        try:
            with tenant_context(tenant_id):
                return super().__call__(tenant_id, *args, **kwargs)
        finally:
            deactivate_tenant()


def fan_out(task, *args, active_only: bool = True, **kwargs) -> int:
    """Enqueue `task(tenant_id, *args)` once per tenant; returns how many were sent."""
    tenants = Tenant.objects.filter(active=True) if active_only else Tenant.objects.all()
    count = 0
    for tenant_id in tenants.values_list("id", flat=True):
        task.delay(str(tenant_id), *args, **kwargs)
        count += 1
    return count


@shared_task(base=TenantTask, bind=True, name="tenants.tenant_probe")
def tenant_probe(self, tenant_id):
    """Reports what the database sees inside a tenant task (used by tests and `readyz`-style checks)."""
    from tenants.context import database_tenant_setting
    from tenants.models import Site

    return {"setting": database_tenant_setting(), "sites": sorted(Site.objects.values_list("name", flat=True))}


@shared_task(name="tenants.untenanted_probe")
def untenanted_probe():
    """What a task WITHOUT a tenant sees: no setting, no tenant rows."""
    from django.db import transaction

    from tenants.context import database_tenant_setting
    from tenants.models import Site

    with transaction.atomic():
        return {"setting": database_tenant_setting(), "sites": Site.objects.count()}
