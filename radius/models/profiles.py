"""Profiles (what a user buys), limitations (what it allows) and how they are tied together.

A user holds a queue of profiles (UserProfile, by `position`); only one is in force at a time and
the next takes over when it ends (radius.decisions computes which). A profile's limitations apply
in the time windows of its ProfileLimitation rows; all that apply at a moment must hold.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from radius.choices import (
    OnLimitReached,
    ResetInterval,
    SharedUsersOverflow,
    StartsWhen,
    UserProfileState,
    Weekday,
    all_weekdays,
)
from tenants.models import TenantScopedModel

# Mikrotik-Rate-Limit: `rx[/tx]` with k/M/G, then up to five more space-separated parts
RATE_LIMIT_RE = re.compile(r"^\d+[kKmMgG]?(/\d+[kKmMgG]?)?( +[0-9kKmMgG/]+){0,5}$")


def validate_rate_limit(value: str) -> None:
    if value and not RATE_LIMIT_RE.match(value.strip()):
        raise ValidationError(f"Not a Mikrotik-Rate-Limit value: {value!r} (e.g. 256k/1M).")


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"Unknown time zone {value!r} (use an IANA name such as Europe/Vienna).") from None


class Profile(TenantScopedModel):
    name = models.CharField(max_length=64)
    name_for_users = models.CharField(max_length=128, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    starts_when = models.CharField(max_length=12, choices=StartsWhen.choices, default=StartsWhen.ASSIGNED)
    validity = models.DurationField(null=True, blank=True, help_text="None: unlimited.")
    override_shared_users = models.PositiveIntegerField(
        null=True, blank=True, help_text="Replaces the user's shared-users while in force (0 = unlimited)."
    )
    shared_users_overflow = models.CharField(
        max_length=20,
        choices=SharedUsersOverflow.choices,
        default=SharedUsersOverflow.REJECT_NEW,
        help_text="When a user already has shared-users sessions open: reject the new login, or accept it and "
        "disconnect the oldest session.",
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="The zone the limitations' time windows are read in.",
    )
    customer = models.ForeignKey(
        "radius.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="profiles"
    )
    comment = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["name"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="radius_profile_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Limitation(TenantScopedModel):
    """Byte values are octets, rates bits per second; 0 means "no limit" throughout."""

    name = models.CharField(max_length=64)
    download_limit = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    upload_limit = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    transfer_limit = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    uptime_limit = models.DurationField(null=True, blank=True, help_text="None: unlimited.")
    rate_limit_rx = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    rate_limit_tx = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    rate_limit_min_rx = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    rate_limit_min_tx = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    rate_limit_burst_rx = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    rate_limit_burst_tx = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    rate_limit_burst_threshold_rx = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    rate_limit_burst_threshold_tx = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    rate_limit_burst_time_rx = models.PositiveIntegerField(default=0, help_text="Seconds.")
    rate_limit_burst_time_tx = models.PositiveIntegerField(default=0, help_text="Seconds.")
    rate_limit_priority = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(8)]
    )
    group_name = models.CharField(max_length=64, blank=True, help_text="Mikrotik-Group.")
    address_list = models.CharField(max_length=64, blank=True, help_text="Mikrotik-Address-List.")
    ip_pool = models.CharField(max_length=64, blank=True, help_text="Framed-Pool.")
    reset_counters_interval = models.CharField(
        max_length=10, choices=ResetInterval.choices, default=ResetInterval.DISABLED
    )
    reset_counters_start = models.DateTimeField(
        default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), help_text="The anchor of the reset periods."
    )
    on_limit_reached = models.CharField(
        max_length=10,
        choices=OnLimitReached.choices,
        default=OnLimitReached.DISCONNECT,
        help_text="When the download/upload/transfer limit is used up (uptime and validity always disconnect).",
    )
    throttle_rate_limit = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_rate_limit],
        help_text="Mikrotik-Rate-Limit while throttled, e.g. 256k/1M (rx/tx: the user's upload/download).",
    )
    customer = models.ForeignKey(
        "radius.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="limitations"
    )
    comment = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["name"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="radius_limitation_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.on_limit_reached == OnLimitReached.THROTTLE and not self.throttle_rate_limit.strip():
            raise ValidationError({"throttle_rate_limit": "Throttling needs the rate to throttle to."})


class ProfileLimitation(TenantScopedModel):
    """When a limitation applies for a profile: from_time–till_time (till < from spans midnight;
    the hours after midnight belong to the weekday the window started on) on `weekdays`."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="profile_limitations")
    limitation = models.ForeignKey(Limitation, on_delete=models.PROTECT, related_name="profile_limitations")
    from_time = models.TimeField(default=dt.time(0, 0))
    till_time = models.TimeField(default=dt.time(23, 59, 59))
    weekdays = ArrayField(models.CharField(max_length=9, choices=Weekday.choices), default=all_weekdays)

    class Meta(TenantScopedModel.Meta):
        ordering = ["profile__name", "limitation__name"]

    def __str__(self) -> str:
        return f"{self.profile} / {self.limitation}"


class UserProfile(TenantScopedModel):
    """One profile in a user's queue. `started_at`/`ends_at` are set when its validity starts."""

    user = models.ForeignKey("radius.RadiusUser", on_delete=models.CASCADE, related_name="user_profiles")
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="user_profiles")
    position = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=16, choices=UserProfileState.choices, default=UserProfileState.WAITING)
    assigned_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["user__name", "position", "assigned_at"]
        indexes = [models.Index(fields=["tenant", "user", "position"], name="radius_userprofile_queue")]

    def __str__(self) -> str:
        return f"{self.user} / {self.profile}"
