"""Platform-wide feed data: RouterOS releases per channel and RouterOS CVEs.

Not tenant data (they say nothing about any fleet), so these tables carry no tenant_id and no
row-level security; every tenant's exposure is computed by matching its own devices (under RLS)
against them. Written only by devices.feeds (fetch task or `manage.py import_feed`).
"""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    STABLE = "stable", "stable"
    LONG_TERM = "long-term", "long-term"
    TESTING = "testing", "testing"
    DEVELOPMENT = "development", "development"


class Severity(models.TextChoices):
    NONE = "none", "none"
    LOW = "low", "low"
    MEDIUM = "medium", "medium"
    HIGH = "high", "high"
    CRITICAL = "critical", "critical"


SEVERITY_RANK = {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class FeedState(models.Model):
    """What happened at a feed's last fetch or import: shown on the CVE page and in /metrics."""

    name = models.CharField(max_length=20, primary_key=True)  # "versions" | "cve"
    source = models.CharField(max_length=300, blank=True)  # URL or "import: <file name>"
    last_attempt = models.DateTimeField(null=True, blank=True)
    last_success = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    items = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"feed {self.name}"


class RouterOSRelease(models.Model):
    """The newest RouterOS version of a channel for a major version line (6 or 7)."""

    major = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=12, choices=Channel.choices)
    version = models.CharField(max_length=30)
    released = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-major", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["major", "channel"], name="devices_routerosrelease_unique_channel"),
        ]

    def __str__(self) -> str:
        return f"RouterOS {self.version} ({self.channel})"


class Vulnerability(models.Model):
    """A RouterOS CVE with the affected version ranges as NVD states them
    (`[{"start_including": "6.0", "end_excluding": "6.49.8"}, {"exact": "7.1"}]`)."""

    cve_id = models.CharField(max_length=30, unique=True)
    published = models.DateTimeField(null=True, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.NONE)
    score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    summary = models.TextField(blank=True)
    ranges = models.JSONField(default=list)
    fixed_in = models.CharField(max_length=30, blank=True, help_text="Lowest version outside every range.")

    class Meta:
        ordering = ["-published", "cve_id"]
        verbose_name_plural = "vulnerabilities"

    def __str__(self) -> str:
        return self.cve_id

    @property
    def url(self) -> str:
        return f"https://nvd.nist.gov/vuln/detail/{self.cve_id}"
