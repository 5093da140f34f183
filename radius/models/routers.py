"""Routers (NAS): the RADIUS clients allowed to ask this tenant's User Manager.

`address` is unique across the whole platform, not per tenant: the RADIUS server learns which
tenant a packet belongs to from its source address alone (before any tenant is known), so two
tenants' routers can never share one. PostgreSQL checks unique indexes without row security,
so the constraint holds across tenants even though each tenant sees only its own rows.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from devices.keyring import EncryptedSecretField
from tenants.models import TenantScopedModel


class Router(TenantScopedModel):
    name = models.CharField(max_length=64)
    address = models.GenericIPAddressField(help_text="Source address of its RADIUS packets.")
    shared_secret = EncryptedSecretField(null=True, blank=True)
    coa_port = models.PositiveIntegerField(default=3799, validators=[MinValueValidator(1), MaxValueValidator(65535)])
    require_message_authenticator = models.BooleanField(
        default=True, help_text="Drop Access-Requests without Message-Authenticator (BlastRADIUS)."
    )
    radsec_only = models.BooleanField(
        "RadSec only",
        default=False,
        help_text="Accept this router's requests only over RadSec (RADIUS over TLS); its UDP packets are dropped.",
    )
    disabled = models.BooleanField(default=False)
    device = models.ForeignKey(
        "devices.Device",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The managed device this router is (for provisioning).",
    )
    customer = models.ForeignKey(
        "radius.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="routers"
    )
    comment = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["name"]
        verbose_name = "router (NAS)"
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="radius_router_unique_name"),
            models.UniqueConstraint(fields=["address"], name="radius_router_unique_address"),
        ]

    def __str__(self) -> str:
        return self.name
