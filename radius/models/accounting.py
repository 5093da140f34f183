"""What the RADIUS server records: accounting sessions and the auth log."""

from __future__ import annotations

from django.db import models

from radius.choices import AuthResult, SessionStatus
from tenants.models import TenantScopedModel

GIGAWORD = 1 << 32


def octets_with_gigawords(octets: int, gigawords: int) -> int:
    """Acct-*-Octets wrap at 4 GiB; Acct-*-Gigawords counts the wraps."""
    return gigawords * GIGAWORD + octets


class Session(TenantScopedModel):
    """One accounting session. Byte counters are totals with the gigawords already folded in."""

    user = models.ForeignKey(
        "radius.RadiusUser", null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    username = models.CharField(max_length=64)
    nas = models.ForeignKey("radius.Router", null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions")
    acct_session_id = models.CharField(max_length=64)
    calling_station_id = models.CharField(max_length=64, blank=True)
    nas_port_id = models.CharField(max_length=64, blank=True)
    framed_ip = models.GenericIPAddressField(null=True, blank=True)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    uptime_s = models.PositiveBigIntegerField(default=0)
    download_bytes = models.PositiveBigIntegerField(default=0, help_text="To the user (Acct-Output-*).")
    upload_bytes = models.PositiveBigIntegerField(default=0, help_text="From the user (Acct-Input-*).")
    status = models.CharField(max_length=8, choices=SessionStatus.choices, default=SessionStatus.ACTIVE)
    terminate_cause = models.CharField(max_length=64, blank=True)
    throttled_rate_limit = models.CharField(
        max_length=64, blank=True, help_text="Mikrotik-Rate-Limit sent by CoA when a limit was used up."
    )
    coa_result = models.CharField(
        max_length=8, blank=True, help_text="The NAS's answer to that CoA: ack, nak, timeout."
    )
    disconnect_result = models.CharField(  # db_default: the server's raw batched INSERT leaves it out
        max_length=8,
        blank=True,
        default="",
        db_default="",
        help_text="Answer to the last Disconnect-Request sent for it: ack, nak or timeout.",
    )

    class Meta(TenantScopedModel.Meta):
        ordering = ["-started_at"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "nas", "acct_session_id"], name="radius_session_unique_id"),
        ]
        indexes = [
            models.Index(fields=["tenant", "user", "updated_at"], name="radius_session_user"),
            models.Index(fields=["tenant", "status"], name="radius_session_status"),
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.acct_session_id}"


class AuthLog(TenantScopedModel):
    at = models.DateTimeField()
    username = models.CharField(max_length=64)
    nas = models.ForeignKey("radius.Router", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    calling_station_id = models.CharField(max_length=64, blank=True)
    auth_method = models.CharField(max_length=8, blank=True)
    result = models.CharField(max_length=6, choices=AuthResult.choices)
    reason = models.TextField(blank=True, help_text='e.g. "no valid profile found for user <x>". Never a password.')

    class Meta(TenantScopedModel.Meta):
        ordering = ["-at"]
        indexes = [models.Index(fields=["tenant", "at"], name="radius_authlog_at")]

    def __str__(self) -> str:
        return f"{self.username}: {self.result}"
