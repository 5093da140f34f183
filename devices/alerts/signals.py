"""Tenant lifecycle → alerting (tenants/ stays unaware of us): a new tenant gets its default
rules; a tenant being deleted loses its alerting rows first. Those rows are under RLS, so the
deletion's own cascade (which may run outside any tenant context) would not see them and the
tenant's row could not go."""

from __future__ import annotations

from django.db.models.signals import post_save, pre_delete


def tenant_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        from .services import create_default_rules

        create_default_rules(instance)


def tenant_deleting(sender, instance, **kwargs) -> None:
    from .services import forget_tenant

    forget_tenant(instance)


def connect() -> None:
    from tenants.models import Tenant

    post_save.connect(tenant_created, sender=Tenant, dispatch_uid="devices.alerts.tenant_created")
    pre_delete.connect(tenant_deleting, sender=Tenant, dispatch_uid="devices.alerts.tenant_deleting")
