"""Users, their memberships in tenants (role + optional sites) and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from tenants.roles import TENANT_ROLES, Action

from .base import TenantQuerySet, TenantScopedModel


class User(AbstractUser):
    """`is_super_admin` is the platform role; tenant roles live in Membership."""

    is_super_admin = models.BooleanField(default=False)
    require_2fa = models.BooleanField(default=False)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Membership(models.Model):
    """A platform table: consulted before the tenant context is set, to decide whether to set it."""

    ROLE_CHOICES = [(r.value, r.value.title()) for r in TENANT_ROLES]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=ROLE_CHOICES)
    created = models.DateTimeField(auto_now_add=True)

    # The tenant API's base viewset scopes by tenant like a TenantScopedModel (but no RLS here).
    objects = TenantQuerySet.as_manager()
    site_field: str | None = None
    site_optional = False
    view_action = Action.VIEW_STRUCTURE

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="tenants_membership_unique"),
            # Target of MembershipSite's composite (tenant_id, membership_id) foreign key.
            models.UniqueConstraint(fields=["tenant", "id"], name="tenants_membership_tenant_id_key"),
        ]
        ordering = ["tenant__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} as {self.role}"


class MembershipSite(TenantScopedModel):
    """Which sites a scoped membership covers (none: the whole tenant).

    Under RLS, so it is read after the tenant context is set; composite FKs keep both ends in
    the membership's tenant."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="site_links")
    site = models.ForeignKey("tenants.Site", on_delete=models.CASCADE, related_name="membership_links")

    site_field = "site"
    view_action = Action.VIEW_STRUCTURE

    class Meta(TenantScopedModel.Meta):
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["membership", "site"], name="tenants_membershipsite_unique"),
        ]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class APIToken(models.Model):
    """A revocable per-user API token with an expiry; only its SHA-256 is stored."""

    PREFIX = "mkm_"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(max_length=12, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def issue(cls, user: User, name: str, expires) -> tuple[APIToken, str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=hash_token(raw), key_prefix=raw[:10], expires=expires)
        return token, raw

    @property
    def is_active(self) -> bool:
        return self.revoked is None and self.expires > timezone.now()
