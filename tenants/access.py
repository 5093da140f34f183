"""Who may do what in which tenant: membership → TenantAccess, checked before tenant context is set."""

from __future__ import annotations

from dataclasses import dataclass

from tenants.models import Membership, MembershipSite, Tenant, User
from tenants.roles import Action, Role, role_allows


@dataclass(frozen=True)
class TenantAccess:
    user: User
    tenant: Tenant
    role: Role
    site_ids: frozenset | None  # None: the whole tenant

    def allows(self, action: Action | str) -> bool:
        return role_allows(self.role, action)

    def covers_site(self, site_id) -> bool:
        return self.site_ids is None or site_id in self.site_ids


def membership_for(user: User, tenant: Tenant) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, tenant=tenant).first()


def resolve_access(user: User, tenant: Tenant) -> TenantAccess | None:
    """The user's access to an active tenant, or None (the caller answers 404).

    Call before activating the tenant; `load_site_scope` completes it once the context is set.
    """
    if not user.is_authenticated or not tenant.active and not user.is_super_admin:
        return None
    membership = membership_for(user, tenant)
    if membership is not None:
        return TenantAccess(user, tenant, Role(membership.role), None)
    if user.is_super_admin:
        return TenantAccess(user, tenant, Role.PLATFORM, None)
    return None


def load_site_scope(access: TenantAccess) -> TenantAccess:
    """Read the membership's sites (RLS-protected, so only after the tenant is active)."""
    if access.role == Role.PLATFORM:
        return access
    site_ids = frozenset(
        MembershipSite.objects.filter(membership__user=access.user, membership__tenant=access.tenant).values_list(
            "site_id", flat=True
        )
    )
    return TenantAccess(access.user, access.tenant, access.role, site_ids or None)


def tenants_for(user: User):
    """Tenants the user can enter (super admins: all)."""
    if user.is_super_admin:
        return Tenant.objects.all()
    return Tenant.objects.filter(memberships__user=user, active=True)
