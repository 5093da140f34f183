from .base import TenantQuerySet, TenantScopedModel
from .tenant import PlatformSetting, Site, Tenant
from .user import APIToken, Membership, MembershipSite, User

__all__ = [
    "APIToken",
    "Membership",
    "MembershipSite",
    "PlatformSetting",
    "Site",
    "Tenant",
    "TenantQuerySet",
    "TenantScopedModel",
    "User",
]
