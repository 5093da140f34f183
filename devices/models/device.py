"""The device inventory: RouterOS devices, the credential profiles they log in with, what happened
to them (DeviceEvent) and the interactive connectivity checks users start (ConnectivityCheck).

Shared contract with the polling engine (devices/polling/): field names here are what the poller
reads and writes; the verbs it uses live in devices/services.py. Secrets are EncryptedSecretField
values sealed with `devices.keyring.encrypt_secret` (purposes in `SECRET_PURPOSES`), never plaintext.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from devices.keyring import EncryptedSecretField
from tenants.models import TenantScopedModel


class Protocol(models.TextChoices):
    API_SSL = "api-ssl", "API-SSL (8729, TLS)"
    API = "api", "API (8728, plain)"
    SSH = "ssh", "SSH"
    REST = "rest", "REST (HTTPS, RouterOS 7.1+)"
    SNMP = "snmp", "SNMP (monitoring only)"


class TLSMode(models.TextChoices):
    CA = "ca", "Verify against a CA certificate"
    FINGERPRINT = "fingerprint", "Pin the certificate seen first (trust on first use)"
    INSECURE = "insecure", "No verification (insecure)"


class DeviceStatus(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    ONLINE = "online", "Online"
    OFFLINE = "offline", "Offline"
    AUTH_FAILED = "auth_failed", "Authentication failed"
    UNREACHABLE = "unreachable", "Unreachable"
    DEGRADED = "degraded", "Degraded"


class SNMPVersion(models.TextChoices):
    NONE = "", "Not used"
    V2C = "v2c", "v2c"
    V3 = "v3", "v3"


# keyring purposes: (model field) -> purpose; a value sealed for one field never opens in another.
SECRET_PURPOSES = {
    "password": "device-password",
    "ssh_private_key": "device-ssh-key",
    "snmp_community": "device-snmp-community",
    "snmp_v3_auth_key": "device-snmp-auth-key",
    "snmp_v3_priv_key": "device-snmp-priv-key",
}

PORT_VALIDATORS = [MinValueValidator(1), MaxValueValidator(65535)]
MIN_POLL_INTERVAL_S = 10


def default_fallback_protocols() -> list[str]:
    return [Protocol.API.value]


class CredentialProfile(TenantScopedModel):
    """A RouterOS login reused by many devices of the tenant (a device may override it)."""

    name = models.CharField(max_length=100)
    username = models.CharField(max_length=100)
    password = EncryptedSecretField()
    ssh_private_key = EncryptedSecretField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(null=True, blank=True, help_text="When the secrets last changed.")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantScopedModel.Meta):
        ordering = ["name"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="devices_credentialprofile_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Device(TenantScopedModel):
    site = models.ForeignKey("tenants.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=100)
    host = models.CharField(max_length=255, help_text="IP address or DNS name.")
    api_port = models.PositiveIntegerField(default=8728, validators=PORT_VALIDATORS)
    api_ssl_port = models.PositiveIntegerField(default=8729, validators=PORT_VALIDATORS)
    ssh_port = models.PositiveIntegerField(default=22, validators=PORT_VALIDATORS)
    rest_port = models.PositiveIntegerField(default=443, validators=PORT_VALIDATORS)
    snmp_port = models.PositiveIntegerField(default=161, validators=PORT_VALIDATORS)
    protocol = models.CharField(max_length=10, choices=Protocol.choices, default=Protocol.API_SSL)
    fallback_protocols = ArrayField(
        models.CharField(max_length=10, choices=Protocol.choices), default=default_fallback_protocols, blank=True
    )
    tls_mode = models.CharField(max_length=12, choices=TLSMode.choices, default=TLSMode.FINGERPRINT)
    tls_ca_pem = models.TextField(blank=True)
    tls_fingerprint = models.CharField(max_length=64, blank=True, help_text="sha256 (hex) of the peer certificate.")
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    notes = models.TextField(blank=True)

    credential_profile = models.ForeignKey(
        CredentialProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="devices"
    )
    username = models.CharField(max_length=100, blank=True, help_text="Overrides the profile's username.")
    password = EncryptedSecretField(null=True, blank=True)
    snmp_version = models.CharField(max_length=3, choices=SNMPVersion.choices, default="", blank=True)
    snmp_community = EncryptedSecretField(null=True, blank=True)
    snmp_v3_user = models.CharField(max_length=100, blank=True)
    snmp_v3_auth_key = EncryptedSecretField(null=True, blank=True)
    snmp_v3_priv_key = EncryptedSecretField(null=True, blank=True)
    poll_interval_s = models.PositiveIntegerField(default=60, validators=[MinValueValidator(MIN_POLL_INTERVAL_S)])
    enabled = models.BooleanField(default=True)

    # discovered facts
    identity = models.CharField(max_length=255, blank=True)
    model = models.CharField(max_length=100, blank=True)
    serial = models.CharField(max_length=100, blank=True)
    architecture = models.CharField(max_length=50, blank=True)
    ros_version = models.CharField(max_length=50, blank=True)
    firmware = models.CharField(max_length=50, blank=True)
    # what the device itself said when last asked to check for updates (an upgrade job does):
    # its update channel and the newest version it saw there (devices.firmware.services)
    update_channel = models.CharField(max_length=12, blank=True)
    update_latest = models.CharField(max_length=50, blank=True)
    update_checked = models.DateTimeField(null=True, blank=True)
    license_level = models.CharField(max_length=20, blank=True)
    uptime_s = models.BigIntegerField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)

    status = models.CharField(max_length=12, choices=DeviceStatus.choices, default=DeviceStatus.UNKNOWN)
    status_reason = models.TextField(blank=True)
    status_changed = models.DateTimeField(null=True, blank=True)

    # poll control
    next_poll_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    backoff_until = models.DateTimeField(null=True, blank=True)
    auth_blocked = models.BooleanField(
        default=False, help_text="Not polled again until its credentials change or a user retries."
    )
    credentials_changed = models.DateTimeField(null=True, blank=True)
    # config backups (devices/backups): SSH host key pinned on first use, next scheduled backup
    ssh_host_key = models.CharField(max_length=1000, blank=True, help_text='Pinned "type base64" SSH host key.')
    next_backup_at = models.DateTimeField(null=True, blank=True)
    backup_interval_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(24 * 30)],
        help_text="Hours between scheduled backups of this device; empty: the tenant's policy; 0: never "
        "(e.g. backed up elsewhere).",
    )
    credentials_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    site_field = "site"

    class Meta(TenantScopedModel.Meta):
        ordering = ["name"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "name"], name="devices_device_unique_name"),
        ]
        indexes = [
            models.Index(fields=["tenant", "next_poll_at"], name="devices_device_next_poll"),
            models.Index(fields=["tenant", "status"], name="devices_device_status"),
        ]

    def __str__(self) -> str:
        return self.name

    def port_for(self, protocol: str) -> int:
        return {
            Protocol.API_SSL: self.api_ssl_port,
            Protocol.API: self.api_port,
            Protocol.SSH: self.ssh_port,
            Protocol.REST: self.rest_port,
            Protocol.SNMP: self.snmp_port,
        }[Protocol(protocol)]

    def protocols_to_try(self) -> list[str]:
        """The preferred protocol, then the allowed fallbacks (each once, in order)."""
        seen: list[str] = []
        for proto in [self.protocol, *(self.fallback_protocols or [])]:
            if proto and proto not in seen:
                seen.append(proto)
        return seen


class DeviceEvent(TenantScopedModel):
    """Something that happened to a device: a status change, new facts, a reboot…"""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=False)
    kind = models.CharField(max_length=32)  # "status", "facts", "reboot", "credentials", …
    old = models.TextField(blank=True)
    new = models.TextField(blank=True)
    reason = models.TextField(blank=True)

    site_field = "device__site"

    class Meta(TenantScopedModel.Meta):
        ordering = ["-at"]
        indexes = [models.Index(fields=["tenant", "at"], name="devices_deviceevent_at")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.old} → {self.new}"


class CheckState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ConnectivityCheck(TenantScopedModel):
    """One interactive "can we log in to this device?" check, run by a Celery task.

    `outcome` names the result for machines (ok, refused, timeout, tls_mismatch, auth_failed,
    insufficient_policy, …); `message` says it for people. Never holds a secret."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="checks")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=CheckState.choices, default=CheckState.QUEUED)
    progress = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=32, blank=True)
    message = models.TextField(blank=True)
    protocol = models.CharField(max_length=10, blank=True, help_text="The protocol that worked.")
    missing_policies = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    attempts = models.JSONField(default=list, blank=True)  # [{protocol, port, outcome, message}]

    site_field = "device__site"

    class Meta(TenantScopedModel.Meta):
        ordering = ["-created"]
        indexes = [models.Index(fields=["tenant", "device", "created"], name="devices_check_device")]

    def __str__(self) -> str:
        return f"check of {self.device_id}: {self.state}"

    @property
    def done(self) -> bool:
        return self.state in (CheckState.SUCCEEDED, CheckState.FAILED)

    @property
    def stalled(self) -> bool:
        """Still queued after STALL_AFTER: no worker took it (the UI stops polling and says so)."""
        from django.utils import timezone

        return (
            self.state == CheckState.QUEUED
            and self.created is not None
            and (timezone.now() - self.created).total_seconds() > STALL_AFTER_S
        )


STALL_AFTER_S = 120
