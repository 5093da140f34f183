"""Tenant lifecycle → tenant key lifecycle, through signals (tenants/ stays unaware of us).

Creating a tenant creates its key; a backend that is down then only delays it (logged), since
the first encryption creates a missing key. Deleting a tenant destroys its key — and a failure
to do so aborts the deletion rather than leave the credentials readable.
"""

from __future__ import annotations

import logging

from django.db.models.signals import post_delete, post_save

from .errors import KeyringError
from .services import create_tenant_key, destroy_tenant_key

log = logging.getLogger("devices.keyring")


def tenant_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    try:
        create_tenant_key(instance.pk)
    except KeyringError as exc:
        log.warning("tenant %s created without its key (created on first use): %s", instance.pk, exc)


def tenant_deleted(sender, instance, **kwargs) -> None:
    destroy_tenant_key(instance.pk)


def connect() -> None:
    from tenants.models import Tenant

    post_save.connect(tenant_created, sender=Tenant, dispatch_uid="devices.keyring.tenant_created")
    post_delete.connect(tenant_deleted, sender=Tenant, dispatch_uid="devices.keyring.tenant_deleted")
