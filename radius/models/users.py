"""RADIUS users, their groups and the custom attribute dictionary.

Passwords and OTP secrets are sealed with the tenant's own key (devices.keyring): the server needs
the plaintext for CHAP and MS-CHAPv2, so a hash would not do. The API and the UI only ever say
"set" / "not set".
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from devices.keyring import EncryptedSecretField
from radius.choices import AttributeType, AuthMethod, all_auth_methods
from tenants.models import TenantScopedModel

# keyring purposes: a value sealed for one field never opens in another.
SECRET_PURPOSES = {
    "password": "radius-user-password",
    "otp_secret": "radius-user-otp",
    "shared_secret": "radius-nas-secret",
    "snapshot": "radius-history-secrets",
}


class Group(TenantScopedModel):
    """What a user may authenticate with (v7 `/user-manager user group`)."""

    name = models.CharField(max_length=64)
    outer_auths = ArrayField(
        models.CharField(max_length=8, choices=AuthMethod.choices),
        default=all_auth_methods,
        blank=True,
        help_text="Allowed authentication methods.",
    )
    attributes = models.JSONField(default=dict, blank=True, help_text="Extra reply attributes {name: value}.")
    comment = models.TextField(blank=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["name"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="radius_group_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomAttribute(TenantScopedModel):
    """A dictionary entry: lets users, groups and limitations carry reply attributes that are not
    built in (`/user-manager attribute`). `value_type` says how the server encodes values."""

    name = models.CharField(max_length=64)
    vendor_id = models.PositiveIntegerField(default=0, help_text="0: a standard attribute; 14988: MikroTik.")
    type_id = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(255)])
    value_type = models.CharField(max_length=8, choices=AttributeType.choices, default=AttributeType.STRING)
    comment = models.TextField(blank=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["name"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="radius_customattribute_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class RadiusUser(TenantScopedModel):
    name = models.CharField(max_length=64, help_text="User-Name (unique in the tenant).")
    password = EncryptedSecretField(null=True, blank=True)
    otp_secret = EncryptedSecretField(null=True, blank=True, help_text="TOTP secret: the code follows the password.")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    customer = models.ForeignKey(
        "radius.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    batch = models.ForeignKey(
        "radius.VoucherBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )
    shared_users = models.PositiveIntegerField(default=1, help_text="Concurrent sessions; 0 = unlimited.")
    caller_id = models.CharField(max_length=64, blank=True, help_text="Calling-Station-Id the user is bound to.")
    bind_on_first_use = models.BooleanField(default=False, help_text="Bind to the first Calling-Station-Id seen.")
    ip_address = models.GenericIPAddressField(null=True, blank=True, protocol="IPv4", help_text="Framed-IP-Address.")
    attributes = models.JSONField(default=dict, blank=True, help_text="Extra reply attributes {name: value}.")
    disabled = models.BooleanField(default=False)
    comment = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["name"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="radius_user_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
