# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Taking config backups over real SSH from the simulator: stored, de-duplicated, diffed, failing
cleanly on device faults."""

from __future__ import annotations

import pytest

from devices.backups.services import backup_text, unified_diff
from devices.models import BackupStatus, ConfigBackup, ConfigBlob, Device
from devices.tests.backup_support import backup_now, fleet, reload, sim, sim_device, world  # noqa: F401
from tenants.context import tenant_context

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_is_stored_with_version_hash_and_pinned_host_key(world, fleet):
    device = sim_device(world.acme, fleet, 0, world.north)
    backup = backup_now(device)
    assert backup.status == BackupStatus.OK, backup.reason
    assert backup.changed is True
    assert backup.ros_version == fleet["devices"][0]["version"]
    assert len(backup.sha256) == 64 and backup.size > 1000
    with tenant_context(world.acme.id):
        text = backup_text(ConfigBackup.objects.get(pk=backup.pk))
    assert "/system identity" in text
    assert " by RouterOS " not in text  # the dated header is volatile: dropped
    assert reload(Device, device.pk, world.acme.id).ssh_host_key.startswith("ssh-ed25519 ")


def test_identical_second_run_shares_the_blob(world, fleet):
    device = sim_device(world.acme, fleet, 1)
    first, second = backup_now(device), backup_now(device)
    assert second.status == BackupStatus.OK
    assert second.changed is False
    assert second.blob_id == first.blob_id and second.sha256 == first.sha256
    with tenant_context(world.acme.id):
        assert ConfigBackup.objects.filter(device=device).count() == 2  # every run on the timeline
        assert ConfigBlob.objects.filter(pk=first.blob_id).count() == 1


def test_config_change_makes_a_new_version_whose_diff_is_exactly_the_change(world, fleet):
    device = sim_device(world.acme, fleet, 2)
    before = backup_now(device)
    fleet["fleet"].device(2).cli('/ip firewall address-list add address=198.51.100.7 list=h3-test comment="h3 diff"')
    after = backup_now(device)
    assert after.changed is True and after.blob_id != before.blob_id
    with tenant_context(world.acme.id):
        old, new = (ConfigBackup.objects.select_related("device", "blob").get(pk=b.pk) for b in (before, after))
        diff = unified_diff(old, new)
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ['+add address=198.51.100.7 comment="h3 diff" list=h3-test'], diff


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [("truncate", "truncated"), ("reset", "truncated"), ("garbage", "garbage"), ("wrong-credentials", "auth_failed")],
)
def test_device_faults_give_a_failed_run_with_a_reason(world, fleet, fault, outcome):
    device = sim_device(world.acme, fleet, 3)
    fleet["fleet"].set_fault(3, fault)
    backup = backup_now(device)
    assert backup.status == BackupStatus.FAILED
    # garbage: undecodable noise is reported as such; readable noise as the reset that follows it
    assert backup.outcome == outcome or (fault == "garbage" and backup.outcome == "refused")
    assert backup.reason and "sim-admin" not in backup.reason
    assert backup.blob_id is None and backup.sha256 == ""


def test_changed_host_key_fails_the_backup_and_keeps_the_pin(world, fleet):
    pinned = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOM2Fz0tYHqJq3oUj9XvJ8m1N1l3YpQ0f1eJm3b0q3cX"
    device = sim_device(world.acme, fleet, 0, ssh_host_key=pinned)
    backup = backup_now(device)
    assert backup.status == BackupStatus.FAILED and backup.outcome == "host_key_mismatch"
    assert "host key changed" in backup.reason
    assert reload(Device, device.pk, world.acme.id).ssh_host_key == pinned
