"""The audit log: one append-only, hash-chained table under row-level security.

What the database guarantees (migration 0002):
- RLS, enabled and forced: a tenant's entries are visible only inside that tenant's context
  (`app.tenant_id`); platform entries (tenant NULL) only inside the platform audit context
  (`app.platform_audit = 'on'`, see `audit.context`).
- The app role holds INSERT and SELECT only; a row trigger rejects UPDATE and DELETE and a statement
  trigger rejects TRUNCATE for every role, the owner included. The one exception is the maintenance
  switch `mikman.audit_maintenance = 'on'`, which the test suite's `flush` sets on an owner
  connection; nothing in the running platform sets it.
- Each chain (one per tenant, one for the platform) is numbered by `seq` without gaps and linked by
  `prev_hash` → `row_hash` (see `audit.chain`), so an edit made with the triggers switched off is
  found by `manage.py audit_verify`.

References (tenant, site, user) carry no database constraint: the log outlives what it describes, and
deleting a tenant, site or user must neither cascade into the log nor be blocked by it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from tenants.models import TenantQuerySet
from tenants.roles import Action


class AuditLogIsAppendOnly(Exception):
    """Raised before the database would refuse an update or delete of an audit entry."""


class AuditEntryQuerySet(TenantQuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("Audit entries cannot be updated.")

    def delete(self):
        raise AuditLogIsAppendOnly("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    """One thing that happened, who did it, where, and to what. Written only by `audit.services.record`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        "tenants.Tenant",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # (tenant_id, seq) leads the chain's unique index
        related_name="+",
    )
    seq = models.PositiveBigIntegerField(help_text="Position in the chain (per tenant; the platform has its own).")
    created = models.DateTimeField(help_text="Database clock when the entry joined its chain.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True, help_text="The actor's username at the time.")
    site = models.ForeignKey(
        "tenants.Site",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    action = models.CharField(max_length=64, help_text="A dotted verb, e.g. auth.login or device.added.")
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_name = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)

    objects = AuditEntryQuerySet.as_manager()

    # What TenantQuerySet.restrict() and TenantScopedViewSet read: tenant data, scoped by site.
    # A site-scoped member sees only entries of their sites, not tenant-wide ones (see audit.services).
    site_field = "site"
    site_optional = False
    view_action = Action.VIEW

    class Meta:
        verbose_name_plural = "audit entries"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "seq"], condition=models.Q(tenant__isnull=False), name="audit_entry_tenant_seq"
            ),
            models.UniqueConstraint(
                fields=["seq"], condition=models.Q(tenant__isnull=True), name="audit_entry_platform_seq"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "created"], name="audit_entry_tenant_created")]

    def __str__(self) -> str:
        return f"{self.action} by {self.username or 'system'} at {self.created:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("Audit entries cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit entries cannot be deleted.")
