"""The change history with undo/redo, and voucher batches.

`before`/`after` are JSON snapshots of the object WITHOUT secrets (radius.snapshots). The secrets
a snapshot needs to be restored (a removed user's password) are sealed in `sealed_secrets` with
the tenant's key, so undo can bring a user back as it was and nothing readable leaks.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from devices.keyring import EncryptedSecretField
from radius.choices import HistoryAction
from tenants.models import TenantScopedModel


class History(TenantScopedModel):
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=6, choices=HistoryAction.choices)
    model = models.CharField(max_length=16, help_text="user, profile or limitation.")
    object_id = models.UUIDField()
    object_name = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    sealed_secrets = EncryptedSecretField(null=True, blank=True)
    undone = models.BooleanField(default=False)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["-at"]
        verbose_name_plural = "history"
        indexes = [models.Index(fields=["tenant", "at"], name="radius_history_at")]

    def __str__(self) -> str:
        return f"{self.model} {self.object_name} {self.get_action_display().lower()}"


class VoucherBatch(TenantScopedModel):
    """N users created at once with random passwords and one profile. The passwords are shown
    once, in the response that creates the batch (CSV or printable sheet), and never again."""

    name = models.CharField(max_length=64)
    profile = models.ForeignKey("radius.Profile", on_delete=models.PROTECT, related_name="voucher_batches")
    count = models.PositiveIntegerField()
    prefix = models.CharField(max_length=16, blank=True)
    password_length = models.PositiveSmallIntegerField(default=8)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["-created"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="radius_voucherbatch_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
