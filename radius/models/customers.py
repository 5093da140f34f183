"""Customers: User Manager v6's hierarchy inside one tenant.

The tenant itself is the v6 "subscriber" (the top customer that owns everything). A customer is
an organisational owner of users, profiles, limitations and routers, with a parent (None: directly
under the tenant), a permission level and access flags saying what it may use of its own and of
its parent's. Customers are not logins: people log in as mikman members with a role.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from radius.choices import CustomerAccess, Permission
from tenants.models import TenantScopedModel


def default_access() -> list[str]:
    return [CustomerAccess.OWN_USERS.value, CustomerAccess.OWN_PROFILES.value, CustomerAccess.OWN_LIMITS.value]


class Customer(TenantScopedModel):
    login = models.CharField(max_length=64, help_text="The customer's name (unique in the tenant).")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="None: directly under the tenant (the subscriber).",
    )
    permissions = models.CharField(max_length=12, choices=Permission.choices, default=Permission.READ_WRITE)
    access = ArrayField(
        models.CharField(max_length=20, choices=CustomerAccess.choices), default=default_access, blank=True
    )
    user_prefix = models.CharField(max_length=32, blank=True, help_text="Separates this customer's users by name.")
    disabled = models.BooleanField(default=False)
    comment = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["login"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "login"], name="radius_customer_unique_login"),
        ]

    def __str__(self) -> str:
        return self.login

    def ancestors(self) -> list[Customer]:
        """Parent, grandparent, … (cycle-safe)."""
        seen, chain, node = {self.pk}, [], self.parent
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain
