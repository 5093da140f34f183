"""Config pushes: the persisted state of one device's safe apply (commit-confirm).

A push (or restore) job's device goes through steps — pre-push backup, rollback timer armed on
the device, script applied, access verified, timer removed — and each step is written here
*before* the next one touches the device, so a worker that dies mid-push leaves a record of how
far it got. The next attempt (devices/push/safe_apply.py) reads it and reconciles: it never
leaves an orphan rollback timer and never reports a success it did not see.

Never holds a secret: scripts carrying `password=`-style values are refused before a job exists,
and only the script's hash is kept here (the job's params keep the script itself).
"""

from __future__ import annotations

from django.db import models

from tenants.models import TenantScopedModel


class PushStep(models.TextChoices):
    STARTED = "started", "Started"
    BACKED_UP = "backed_up", "Pre-push backup taken"
    ARMING = "arming", "Installing the rollback timer"
    ARMED = "armed", "Rollback timer installed"
    APPLYING = "applying", "Applying the script"
    VERIFIED = "verified", "Access verified"
    SUCCEEDED = "succeeded", "Succeeded (timer removed)"
    ROLLED_BACK = "rolled_back", "Rolled back"
    FAILED = "failed", "Failed"


PUSH_OPEN_STEPS = (PushStep.ARMING, PushStep.ARMED, PushStep.APPLYING, PushStep.VERIFIED)


class ConfigPush(TenantScopedModel):
    """One device's push of one job attempt (unique per job row: a retry reuses and resets it)."""

    job_device = models.OneToOneField("devices.JobDevice", on_delete=models.CASCADE, related_name="push")
    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="+")
    step = models.CharField(max_length=12, choices=PushStep.choices, default=PushStep.STARTED)
    attempt = models.PositiveIntegerField(default=1)
    script_sha256 = models.CharField(max_length=64, blank=True)
    rollback_name = models.CharField(max_length=64, blank=True, help_text="Scheduler entry / backup file name.")
    rollback_due = models.DateTimeField(null=True, blank=True, help_text="When the device restores on its own.")
    pre_backup = models.ForeignKey(
        "devices.ConfigBackup", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pre_sha256 = models.CharField(max_length=64, blank=True, help_text="Hash of the pre-push export.")
    log = models.TextField(blank=True, help_text="One line per step, for people.")
    updated = models.DateTimeField(auto_now=True)

    site_field = "device__site"

    class Meta(TenantScopedModel.Meta):
        indexes = [models.Index(fields=["tenant", "step"], name="devices_configpush_step")]

    def __str__(self) -> str:
        return f"push {self.rollback_name or self.pk}: {self.step}"
