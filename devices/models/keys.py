"""Key rows of the embedded keyring: each tenant's key-encryption keys, by version.

Used only when MIKMAN_KEY_BACKEND=local (with OpenBao/Vault the tenant's key lives in the
transit engine and never in this database). Only devices.keyring reads or writes these rows.
"""

from __future__ import annotations

from django.db import models

from tenants.models import TenantScopedModel


class TenantKey(TenantScopedModel):
    """One version of a tenant's key-encryption key (KEK), stored wrapped.

    The KEK is 32 random bytes sealed with AES-256-GCM under a key derived from
    MIKMAN_MASTER_KEY, bound to (tenant, version): a row copied to another tenant or version does
    not open. Random-and-wrapped rather than derived from the master key so that deleting the
    rows really destroys the key (crypto-shredding) and a master-key change can rewrap them.
    The newest unretired version wraps new data keys; retired versions still unwrap the data
    keys of secrets that have not been rewrapped yet. Under row-level security like every tenant
    table: create and read them inside the tenant's context.
    """

    version = models.PositiveIntegerField()
    wrapped_key = models.BinaryField(editable=False)
    created = models.DateTimeField(auto_now_add=True)
    retired = models.DateTimeField(null=True, blank=True, help_text="No longer wraps new data keys.")

    class Meta(TenantScopedModel.Meta):
        ordering = ["-version"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "version"], name="devices_tenantkey_unique_version"),
        ]

    def __str__(self) -> str:
        return f"key v{self.version} of tenant {self.tenant_id}"
