"""Config backups: one `ConfigBackup` row per backup run, pointing at a de-duplicated `ConfigBlob`.

Every run is a row (the timeline shows each one, failed ones included); identical normalised
exports of a tenant share one blob (unique per tenant and SHA-256), so a fleet backed up every
6 h stores only what changed. A blob taken with `show-sensitive` holds secrets: its text is then
sealed with the tenant's key (`sealed`, an EncryptedSecretField, so key rotation rewraps it) and
`text` stays empty. The verbs live in devices/backups/services.py.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from devices.keyring import EncryptedSecretField
from tenants.models import TenantScopedModel

BLOB_PURPOSE = "config-backup"  # keyring purpose of ConfigBlob.sealed
BINARY_PURPOSE = "binary-backup"  # keyring purpose of BinaryBackup.sealed (base64 of the file)
BINARY_PASSWORD_PURPOSE = "binary-backup-password"  # keyring purpose of BackupPolicy.binary_password


class BackupTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Scheduled"
    MANUAL = "manual", "Manual"
    JOB = "job", "Bulk job"
    PRE_PUSH = "pre-push", "Before a config push"
    PRE_UPGRADE = "pre-upgrade", "Before an upgrade"


class BackupStatus(models.TextChoices):
    OK = "ok", "OK"
    FAILED = "failed", "Failed"


class BackupPolicy(TenantScopedModel):
    """The tenant's backup settings (one row per tenant; defaults apply while there is none)."""

    interval_hours = models.PositiveIntegerField(
        default=6, validators=[MinValueValidator(1), MaxValueValidator(24 * 30)], help_text="Hours between backups."
    )
    show_sensitive = models.BooleanField(
        default=False,
        help_text="Keep secrets in exports (RouterOS 7 `show-sensitive`); such versions are encrypted with the "
        "tenant key and only admins may download them.",
    )
    keep_last = models.PositiveIntegerField(default=30, help_text="Always keep the newest N runs per device.")
    keep_daily_days = models.PositiveIntegerField(default=30, help_text="Also keep one run per day for this many days.")
    keep_all_changes = models.BooleanField(default=True, help_text="Never delete a run that brought a change.")
    binary_backup = models.BooleanField(
        default=False,
        help_text="Also save RouterOS's binary backup (/system backup save) on each run, fetch it over SFTP "
        "and delete it from the router; stored encrypted with the tenant key, downloadable by admins only.",
    )
    binary_password = EncryptedSecretField(null=True, blank=True)  # the .backup's own password, if any
    git_mirror = models.BooleanField(
        default=False, help_text="Also commit each new version to data/backups-git/<tenant>/ (a git repository)."
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        verbose_name_plural = "backup policies"
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant"], name="devices_backuppolicy_one_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"backup policy ({self.interval_hours} h)"


class ConfigBlob(TenantScopedModel):
    """One distinct normalised export of the tenant (shared by every run that produced it)."""

    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    text = models.TextField(blank=True)  # empty when sealed
    sealed = EncryptedSecretField(null=True, blank=True)
    sensitive = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "sha256"], name="devices_configblob_unique_hash"),
        ]

    def __str__(self) -> str:
        return f"config {self.sha256[:12]}"


class ConfigBackup(TenantScopedModel):
    """One backup run of one device: ok (with its version) or failed (with the reason)."""

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="backups")
    taken_at = models.DateTimeField()
    ros_version = models.CharField(max_length=50, blank=True)
    trigger = models.CharField(max_length=12, choices=BackupTrigger.choices, default=BackupTrigger.SCHEDULE)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=8, choices=BackupStatus.choices)
    outcome = models.CharField(max_length=32, blank=True, help_text="Why it failed, for machines.")
    reason = models.TextField(blank=True, help_text="Why it failed, for people.")
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    blob = models.ForeignKey(ConfigBlob, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    changed = models.BooleanField(default=False, help_text="Differs from the device's previous good version.")
    sensitive = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(default=0)

    site_field = "device__site"

    class Meta(TenantScopedModel.Meta):
        ordering = ["-taken_at"]
        indexes = [models.Index(fields=["tenant", "device", "taken_at"], name="devices_configbackup_device")]

    def __str__(self) -> str:
        return f"backup of {self.device_id} at {self.taken_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def ok(self) -> bool:
        return self.status == BackupStatus.OK


class BinaryBackup(TenantScopedModel):
    """The binary `/system backup save` file of one backup run (when the tenant's policy asks for
    it). It holds every secret of the router, so its bytes are always sealed with the tenant key
    (`sealed`: base64 of the file); only admins download it; it cannot be diffed. A failed fetch
    is a row too (the text backup of the run stands on its own)."""

    backup = models.OneToOneField(ConfigBackup, on_delete=models.CASCADE, related_name="binary")
    status = models.CharField(max_length=8, choices=BackupStatus.choices)
    outcome = models.CharField(max_length=32, blank=True, help_text="Why it failed, for machines.")
    reason = models.TextField(blank=True, help_text="Why it failed, for people.")
    name = models.CharField(max_length=100, blank=True, help_text="The file's name on the router.")
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    password_protected = models.BooleanField(default=False, help_text="Saved with the policy's password.")
    sealed = EncryptedSecretField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    site_field = "backup__device__site"

    class Meta(TenantScopedModel.Meta):
        pass

    def __str__(self) -> str:
        return f"binary backup {self.sha256[:12] or self.status}"

    @property
    def ok(self) -> bool:
        return self.status == BackupStatus.OK
