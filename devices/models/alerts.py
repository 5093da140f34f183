"""Alerting: rules a tenant defines, the alerts they raise, where notifications go, and when to
stay quiet. Evaluated by devices/alerts/ (see its README-style docstring in engine.py).

- `AlertRule`: one condition (kind + threshold + consecutive samples) over the tenant's devices,
  optionally narrowed to sites, tags or devices.
- `Alert`: one occurrence for rule × device × subject (subject: an interface name, or "" for
  device-wide kinds). At most one is open (firing or acknowledged) per key — a partial unique
  constraint, so two evaluations racing cannot open two. Resolved alerts are the history.
- `NotificationChannel`: e-mail, Slack, generic webhook or ntfy. URLs and signing secrets are
  EncryptedSecretField values (the tenant's key), never returned by the API.
- `Delivery`: one notification to one channel, with every attempt's status code.
- `MaintenanceWindow`: alerts that start inside one are recorded but not notified.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from devices.keyring import EncryptedSecretField
from tenants.models import TenantScopedModel


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class RuleKind(models.TextChoices):
    OFFLINE = "offline", "Device offline"
    CPU = "cpu", "CPU load above (%)"
    MEMORY = "memory", "Memory use above (%)"
    DISK = "disk", "Disk use above (%)"
    TEMPERATURE = "temperature", "Temperature above (°C)"
    INTERFACE_DOWN = "interface_down", "Interface down"
    INTERFACE_TRAFFIC = "interface_traffic", "Interface traffic above (Mbit/s)"
    WIRELESS_SIGNAL = "wireless_signal", "Weakest wireless client below (dBm)"
    WIRELESS_CLIENTS = "wireless_clients", "Wireless clients above"
    # Evaluated on events (devices/alerts/events.py), not on poll samples.
    FIRMWARE_UPDATE = "firmware_update", "Firmware update available"
    CVE = "cve", "RouterOS version exposed to a CVE"
    BACKUP_FAILED = "backup_failed", "Backup failed"
    CONFIG_CHANGED = "config_changed", "Config changed outside the platform"


# kind -> why it cannot be evaluated yet (rules of these kinds are refused with this message); every
# kind is evaluated now, the map stays for a kind whose data is still to come
KIND_NEEDS: dict = {}
# kinds without a threshold
THRESHOLDLESS_KINDS = {
    RuleKind.OFFLINE,
    RuleKind.INTERFACE_DOWN,
    RuleKind.FIRMWARE_UPDATE,
    RuleKind.BACKUP_FAILED,
    RuleKind.CONFIG_CHANGED,
}
# kinds whose threshold may be empty: CVE (minimum CVSS score; empty = any CVE)
OPTIONAL_THRESHOLD_KINDS = {RuleKind.CVE}


class AlertRule(TenantScopedModel):
    """A condition over the tenant's devices. Scope lists are AND-ed; an empty list = all."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=24, choices=RuleKind.choices)
    threshold = models.FloatField(null=True, blank=True)
    duration = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Consecutive breaching samples (polls) before the alert fires.",
    )
    clear_after = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Consecutive good samples before a firing alert resolves (damps flapping).",
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    enabled = models.BooleanField(default=True)
    interface = models.CharField(max_length=64, blank=True, help_text="Interface kinds: only this interface.")
    sites = ArrayField(models.UUIDField(), default=list, blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    devices = ArrayField(models.UUIDField(), default=list, blank=True)
    is_default = models.BooleanField(default=False, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["name"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="devices_alertrule_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def applies_to(self, device_id: str, site_id: str | None, tags) -> bool:
        if self.devices and device_id not in {str(d) for d in self.devices}:
            return False
        if self.sites and (site_id is None or site_id not in {str(s) for s in self.sites}):
            return False
        return not (self.tags and not set(self.tags) & set(tags or ()))


class AlertState(models.TextChoices):
    FIRING = "firing", "Firing"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


OPEN_STATES = (AlertState.FIRING, AlertState.ACKNOWLEDGED)


class Alert(TenantScopedModel):
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="alerts")
    subject = models.CharField(max_length=64, blank=True, help_text='Interface name, or "" for the device.')
    kind = models.CharField(max_length=24, choices=RuleKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    state = models.CharField(max_length=12, choices=AlertState.choices, default=AlertState.FIRING)
    message = models.TextField(blank=True)
    value = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField()
    last_breach_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    suppressed = models.BooleanField(default=False, help_text="Started in a maintenance window: not notified.")
    flaps = models.PositiveIntegerField(default=0, help_text="Times it came back soon after resolving.")

    site_field = "device__site"

    class Meta(TenantScopedModel.Meta):
        ordering = ["-started_at"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "rule", "device", "subject"],
                condition=~Q(state="resolved"),
                name="devices_alert_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "device"], condition=~Q(state="resolved"), name="devices_alert_open"),
            models.Index(fields=["tenant", "started_at"], name="devices_alert_started"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.name} on {self.device.name}{' ' + self.subject if self.subject else ''}"

    @property
    def is_open(self) -> bool:
        return self.state != AlertState.RESOLVED


class ChannelKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    SLACK = "slack", "Slack incoming webhook"
    WEBHOOK = "webhook", "Webhook (JSON, HMAC-SHA256 signed)"
    NTFY = "ntfy", "ntfy"


# keyring purposes of the channel secrets (a value sealed for one never opens as the other)
CHANNEL_SECRET_PURPOSES = {"url": "alert-channel-url", "secret": "alert-channel-secret"}


class NotificationChannel(TenantScopedModel):
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    enabled = models.BooleanField(default=True)
    min_severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    notify_resolved = models.BooleanField(default=True)
    recipients = ArrayField(models.EmailField(), default=list, blank=True, help_text="E-mail channels.")
    url = EncryptedSecretField(null=True, blank=True)  # webhook / Slack / ntfy URL: a secret itself
    secret = EncryptedSecretField(null=True, blank=True)  # webhook signing secret / ntfy token
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["name"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="devices_notificationchannel_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class DeliveryEvent(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"
    TEST = "test", "Test"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Delivery(TenantScopedModel):
    """One notification to one channel. `codes` holds each attempt's HTTP/SMTP status (0: no
    answer — connection refused, timeout)."""

    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE, related_name="deliveries")
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=10, choices=DeliveryEvent.choices)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    codes = ArrayField(models.IntegerField(), default=list, blank=True)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["-created"]
        indexes = [models.Index(fields=["tenant", "channel", "created"], name="devices_delivery_channel")]

    def __str__(self) -> str:
        return f"{self.event} to {self.channel_id}: {self.state}"


class WindowKind(models.TextChoices):
    ONCE = "once", "One-off"
    WEEKLY = "weekly", "Weekly"


class MaintenanceWindow(TenantScopedModel):
    """Whole tenant (no site, no device), a site, or a device. Times are UTC."""

    name = models.CharField(max_length=100)
    site = models.ForeignKey("tenants.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey("devices.Device", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=WindowKind.choices, default=WindowKind.ONCE)
    starts_at = models.DateTimeField(null=True, blank=True, help_text="One-off windows.")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="One-off windows.")
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)]),
        default=list,
        blank=True,
        help_text="Weekly windows: 0 = Monday … 6 = Sunday.",
    )
    start_time = models.TimeField(null=True, blank=True, help_text="Weekly windows (UTC).")
    duration_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)]
    )
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantScopedModel.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def covers(self, device_id: str, site_id: str | None) -> bool:
        if self.device_id and str(self.device_id) != device_id:
            return False
        return not (self.site_id and str(self.site_id) != (site_id or ""))

    def active_at(self, at: datetime) -> bool:
        if self.kind == WindowKind.ONCE:
            return bool(self.starts_at and self.ends_at and self.starts_at <= at < self.ends_at)
        if self.start_time is None or not self.duration_minutes or not self.weekdays:
            return False
        length = timedelta(minutes=self.duration_minutes)
        # a window that began on one of the last 7 days (it may run past midnight)
        for back in range(8):
            day = (at - timedelta(days=back)).date()
            if day.weekday() not in self.weekdays:
                continue
            begin = datetime.combine(day, self.start_time, tzinfo=at.tzinfo)
            if begin <= at < begin + length:
                return True
        return False
