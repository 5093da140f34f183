from .base import TenantQuerySet, TenantScopedModel
from .tenant import PlatformSetting, Site, Tenant
from .twofactor import BackupCode, EncryptedTOTPDevice
from .user import APIToken, Membership, MembershipSite, User

__all__ = [
    "APIToken",
    "BackupCode",
    "EncryptedTOTPDevice",
    "Membership",
    "MembershipSite",
    "PlatformSetting",
    "Site",
    "Tenant",
    "TenantQuerySet",
    "TenantScopedModel",
    "User",
]
