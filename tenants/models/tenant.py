"""Tenants (the MSP's clients) and their sites."""

from __future__ import annotations

import uuid

from django.core.validators import RegexValidator
from django.db import models

from tenants.roles import Action

from .base import TenantScopedModel

slug_validator = RegexValidator(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$", "Use lowercase letters, digits and dashes.")


class Tenant(models.Model):
    """A platform table (no RLS): read before any tenant context exists."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=50, unique=True, validators=[slug_validator])
    active = models.BooleanField(default=True)
    require_2fa = models.BooleanField(default=False, help_text="Members must use two-factor authentication.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Site(TenantScopedModel):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=50, validators=[slug_validator])
    description = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    site_field = "id"
    view_action = Action.VIEW_STRUCTURE

    class Meta(TenantScopedModel.Meta):
        ordering = ["name"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "slug"], name="tenants_site_unique_slug"),
            models.UniqueConstraint(fields=["tenant", "name"], name="tenants_site_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class PlatformSetting(models.Model):
    """Platform-wide key/value state (e.g. that the first super admin was already created)."""

    key = models.CharField(max_length=100, primary_key=True)
    value = models.JSONField(default=dict)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key

    @classmethod
    def get(cls, key: str, default=None):
        row = cls.objects.filter(key=key).first()
        return row.value if row else default

    @classmethod
    def put(cls, key: str, value) -> None:
        cls.objects.update_or_create(key=key, defaults={"value": value})
