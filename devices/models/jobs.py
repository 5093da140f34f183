"""Jobs: one multi-device operation (a command, a backup, later a push or an upgrade) and its
per-device rows.

A `Job` is what a user started (kind, parameters, who, when) with counters the runner keeps up to
date; a `JobDevice` is one device's step of it. The runner (devices/jobs/runner.py) moves a row
queued → running with a conditional UPDATE (the claim) and running → succeeded/failed only while
it still holds the row's lease, so a redelivered Celery message never runs a device's step twice
and a worker that died leaves a `running` row whose lease expires (devices/jobs/recovery.py).

Never holds a secret: parameters are checked for `secret=value` pairs before a job is created.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from tenants.models import TenantScopedModel
from tenants.models.base import TenantQuerySet
from tenants.roles import Action, role_allows


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    PARTIALLY_FAILED = "partially_failed", "Partially failed"
    CANCELLED = "cancelled", "Cancelled"


JOB_FINAL_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.PARTIALLY_FAILED, JobState.CANCELLED)


class JobDeviceState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


class JobQuerySet(TenantQuerySet):
    def restrict(self, access, action: Action | str = Action.VIEW) -> JobQuerySet:
        """A site-scoped member sees a job only when every device of it is in one of their
        sites (`site_ids` ⊆ theirs, and no device without a site): a job spanning another site
        would show that site's devices and outputs."""
        needed = Action.VIEW if Action(action) == Action.VIEW_STRUCTURE else Action(action)
        if access is None or not role_allows(access.role, needed):
            return self.none()
        qs = self.filter(tenant_id=access.tenant.id)
        if access.site_ids is not None:
            qs = qs.filter(unsited=False, site_ids__contained_by=list(access.site_ids))
        return qs


class Job(TenantScopedModel):
    kind = models.CharField(max_length=32)
    params = models.JSONField(default=dict, blank=True, help_text="Kind-specific parameters; never a secret.")
    summary = models.CharField(max_length=300, blank=True, help_text="What it does, for lists (e.g. the command).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    cancel_requested = models.BooleanField(default=False)
    concurrency = models.PositiveIntegerField(default=50, help_text="Devices of this job worked on at once.")
    # the sites of the job's devices (site scoping, see JobQuerySet.restrict)
    site_ids = ArrayField(models.UUIDField(), default=list, blank=True)
    unsited = models.BooleanField(default=False, help_text="Some device has no site.")
    total = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)

    objects = JobQuerySet.as_manager()
    site_field = "site_ids"  # not a FK: JobQuerySet.restrict does the scoping

    class Meta(TenantScopedModel.Meta):
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["tenant", "created"], name="devices_job_created"),
            models.Index(fields=["tenant", "state"], name="devices_job_state"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.summary}"[:100]

    @property
    def done(self) -> int:
        return self.succeeded + self.failed + self.skipped + self.cancelled

    @property
    def progress_percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)

    @property
    def is_finished(self) -> bool:
        return self.state in JOB_FINAL_STATES


class JobDevice(TenantScopedModel):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="rows")
    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="+")
    device_name = models.CharField(max_length=100, help_text="The device's name when the job started.")
    state = models.CharField(max_length=10, choices=JobDeviceState.choices, default=JobDeviceState.QUEUED)
    reason = models.TextField(blank=True, help_text="Why it failed or was skipped (no secret).")
    output = models.TextField(blank=True, help_text="Bounded (JOBS_OUTPUT_MAX_CHARS).")
    output_truncated = models.BooleanField(default=False)
    attempt = models.PositiveIntegerField(default=1)
    idempotency_key = models.CharField(
        max_length=120, blank=True, help_text="<job>:<device>:<attempt>:<claim> of the execution that holds or held it."
    )
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A running row's claim expires then.")
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    site_field = "device__site"

    class Meta(TenantScopedModel.Meta):
        ordering = ["device_name"]
        constraints = [
            *TenantScopedModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "job", "device"], name="devices_jobdevice_unique_device"),
        ]
        indexes = [
            models.Index(fields=["tenant", "job", "state"], name="devices_jobdevice_state"),
            models.Index(fields=["tenant", "state", "lease_until"], name="devices_jobdevice_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.device_name}: {self.state}"
