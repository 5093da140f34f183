"""The base of every tenant-scoped model: tenant column, UUID key, scoped queryset.

RLS (tenants/rls.py) is the database's guarantee; `restrict()` is the application's scoping on
top of it — role and site rules, clean 404s and index-friendly plans.
"""

from __future__ import annotations

import uuid

from django.db import models

from tenants.roles import Action, role_allows


class TenantQuerySet(models.QuerySet):
    def restrict(self, access, action: Action | str = Action.VIEW) -> TenantQuerySet:
        """Rows of `access.tenant` the holder may act on with `action`; none otherwise.

        `access` is a tenants.access.TenantAccess. The model's `view_action` names what reading
        it needs (tenant data by default; structure for sites), so a super admin holding only the
        platform role reads no tenant data.
        """
        if access is None:
            return self.none()
        needed = Action(action)
        if needed in (Action.VIEW, Action.VIEW_STRUCTURE):
            needed = self.model.view_action
        if not role_allows(access.role, needed):
            return self.none()
        qs = self.filter(tenant_id=access.tenant.id)
        site_field = self.model.site_field
        if access.site_ids is not None and site_field:
            if self.model.site_optional:
                return qs.filter(**{f"{site_field}__in": access.site_ids})
            qs = qs.filter(**{f"{site_field}__in": access.site_ids})
        return qs


class TenantScopedModel(models.Model):
    """Inherit this and add `EnableTenantRLS("<model>")` to the model's migration."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    # Which field holds the row's site ("id" for Site itself); None: the row is tenant-wide.
    site_field: str | None = None
    site_optional = False
    view_action: Action = Action.VIEW

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["tenant", "id"], name="%(app_label)s_%(class)s_tenant_id_key"),
        ]
