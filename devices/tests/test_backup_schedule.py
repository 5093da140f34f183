# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Scheduling: beat → per-tenant claim → batches on a real worker; git mirror of new versions."""

from __future__ import annotations

import subprocess
import time

import pytest
from django.test import override_settings

from devices.backups.services import claim_due
from devices.backups.tasks import backup_schedule
from devices.models import BackupPolicy, ConfigBackup, Device
from devices.tests.backup_support import backup_now, fleet, sim, sim_device, world  # noqa: F401
from devices.tests.inventory_support import worker  # noqa: F401
from tenants.context import tenant_context

pytestmark = pytest.mark.django_db(transaction=True)


def test_due_devices_are_claimed_once_per_interval(world, fleet):
    a, b = sim_device(world.acme, fleet, 0), sim_device(world.acme, fleet, 1)
    sim_device(world.globex, fleet, 2)
    with tenant_context(world.acme.id):
        first = claim_due(world.acme.id)
        second = claim_due(world.acme.id)
        after = Device.objects.get(pk=a.pk).next_backup_at
    assert sorted(first) == sorted([str(a.pk), str(b.pk)])  # not globex's device
    assert second == []
    assert after is not None


def test_beat_fans_out_and_a_worker_backs_up_every_due_device(world, fleet, worker):
    devices = [sim_device(world.acme, fleet, i) for i in range(3)]
    backup_schedule.delay()
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline:
        with tenant_context(world.acme.id):
            done = ConfigBackup.objects.filter(device__in=devices, status="ok", trigger="schedule").count()
        if done == 3:
            break
        time.sleep(0.3)
    assert done == 3


def test_new_versions_are_committed_to_the_tenant_git_mirror(world, fleet, tmp_path):
    with tenant_context(world.acme.id):
        BackupPolicy.objects.create(tenant=world.acme, git_mirror=True)
    device = sim_device(world.acme, fleet, 3, name="edge/router 1")
    with override_settings(BACKUP_GIT_DIR=str(tmp_path)):
        backup_now(device)
        backup_now(device)  # unchanged: no new commit
        fleet["fleet"].device(3).cli("/system identity set name=mirrored")
        backup_now(device)
    repo = tmp_path / "acme"
    log = subprocess.run(["git", "-C", str(repo), "log", "--format=%s"], capture_output=True, text=True, check=True)
    assert len(log.stdout.splitlines()) == 2
    content = (repo / "edge_router_1.rsc").read_text()
    assert "set name=mirrored" in content and " by RouterOS " not in content
