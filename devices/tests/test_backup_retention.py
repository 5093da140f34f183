# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Retention: keep N, one per day for D days, every change, and never the newest version."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.backups.services import apply_retention
from devices.models import BackupPolicy, ConfigBackup, ConfigBlob
from devices.tests.backup_support import world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import make_device

pytestmark = pytest.mark.django_db(transaction=True)


def make_runs(tenant, device, spec):
    """spec: (hours ago, content or None for a failed run); `changed` follows the contents."""
    runs, previous = {}, None
    for hours, content in spec:
        at = timezone.now() - timedelta(hours=hours)
        if content is None:
            row = ConfigBackup.objects.create(
                tenant=tenant, device=device, taken_at=at, status="failed", outcome="timeout", reason="No answer."
            )
        else:
            blob, _ = ConfigBlob.objects.get_or_create(
                tenant=tenant, sha256=f"{content:0<64}", defaults={"size": len(content), "text": content}
            )
            row = ConfigBackup.objects.create(
                tenant=tenant,
                device=device,
                taken_at=at,
                status="ok",
                blob=blob,
                sha256=blob.sha256,
                size=blob.size,
                changed=content != previous,
            )
            previous = content
        runs[(hours, content)] = row.pk
    return runs


def test_keeps_last_n_daily_and_changes_and_deletes_the_rest(world):
    device = make_device(world.acme)
    with tenant_context(world.acme.id):
        BackupPolicy.objects.create(tenant=world.acme, keep_last=2, keep_daily_days=3, keep_all_changes=True)
        # oldest first: A (10 d ago), A, B (change, 5 d), B, B (2 d, 3 runs that day), B, failed, B (newest)
        spec = [(240, "a"), (230, "a"), (120, "b"), (110, "b"), (50, "b"), (49, "b"), (48, "b"), (2, None), (1, "b")]
        runs = make_runs(world.acme, device, spec)
        result = apply_retention(world.acme.id)
        kept = set(ConfigBackup.objects.filter(device=device).values_list("pk", flat=True))
    expected = {
        runs[(1, "b")],  # newest (and within keep_last)
        runs[(2, None)],  # keep_last=2 counts every run, failed ones too
        runs[(240, "a")],  # the run that brought A
        runs[(120, "b")],  # the run that brought B
        runs[(48, "b")],  # newest of its day (2 days ago, inside D=3)
    }
    assert kept == expected
    assert result["runs_deleted"] == len(spec) - len(expected)


def test_newest_version_survives_even_a_keep_nothing_policy_and_orphan_blobs_go(world):
    device = make_device(world.acme)
    with tenant_context(world.acme.id):
        BackupPolicy.objects.create(tenant=world.acme, keep_last=0, keep_daily_days=0, keep_all_changes=False)
        runs = make_runs(world.acme, device, [(30, "old"), (20, "new"), (1, None)])
        result = apply_retention(world.acme.id)
        kept = set(ConfigBackup.objects.filter(device=device).values_list("pk", flat=True))
        blobs = set(ConfigBlob.objects.filter(tenant=world.acme).values_list("sha256", flat=True))
    assert kept == {runs[(20, "new")]}
    assert blobs == {f"{'new':0<64}"}
    assert result == {"runs_deleted": 2, "blobs_deleted": 1}
