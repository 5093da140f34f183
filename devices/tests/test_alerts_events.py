# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""The event-driven rule kinds against the real database and a real Celery worker: backup failed
and config changed outside the platform (from stored backup runs), CVE exposure and firmware update
(from a device's version change at a real poll and from feed imports). Each fires and resolves, and
a rule of tenant A never fires on tenant B's device."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from devices.alerts import services
from devices.alerts.events import evaluate_backups
from devices.backups.fetch import ExportResult
from devices.backups.services import policy_for, store_results
from devices.feeds.parse import CveRow, ReleaseRow
from devices.feeds.services import store_cves, store_releases
from devices.models import Alert, Device, Job, JobDevice
from tenants.context import tenant_context
from tests.factories import make_device

from .alerts_support import access_of, fleet, poll, sim, sim_device, wait_until, worker, world  # noqa: F401

EXPORT = "# 2026-11-23 10:00:00 by RouterOS 7.16\n# model = RB5009\n/system identity\nset name={name}\n"


def rule(world, **data):
    admin = access_of(world.users.alice, world.acme)
    with tenant_context(world.acme.id):
        return services.save_rule(admin, None, data)


def alerts_of(tenant, device, kind):
    with tenant_context(tenant.id):
        return list(
            Alert.objects.filter(device=device, kind=kind).order_by("started_at").values_list("state", "message")
        )


def backup(device, *, name=None, failed=False):
    """A backup run as the backup task stores it (the fetched export given, no network)."""
    result = (
        ExportResult(str(device.pk), outcome="refused", reason="connection refused")
        if failed
        else ExportResult(str(device.pk), raw=EXPORT.format(name=name), complete=True)
    )
    with tenant_context(device.tenant_id):
        return store_results([(device, result)], trigger="schedule", policy=policy_for(device.tenant_id))[0]


def states(tenant, device, kind, expected, what):
    return wait_until(lambda: [s for s, _ in alerts_of(tenant, device, kind)] == expected, 20, what)


def test_backup_failed_fires_and_the_next_good_run_resolves_only_in_its_tenant(world, worker):
    rule(world, name="Backups", kind="backup_failed", severity="critical")
    mine = make_device(world.acme, world.north, "edge-1")
    theirs = make_device(world.globex, world.east, "globex-1")
    backup(theirs, failed=True)
    backup(mine, failed=True)
    states(world.acme, mine, "backup_failed", ["firing"], "backup alert fired")
    assert "connection refused" in alerts_of(world.acme, mine, "backup_failed")[0][1]
    backup(mine, name="edge-1")
    states(world.acme, mine, "backup_failed", ["resolved"], "backup alert resolved")
    with tenant_context(world.globex.id):  # A's rule on B's failed run: nothing, in either tenant
        assert not Alert.objects.filter(device=theirs).exists()


def test_config_changed_outside_the_platform_fires_unless_a_push_explains_it(world, worker):
    rule(world, name="Drift", kind="config_changed")
    device = make_device(world.acme, world.north, "edge-2")
    backup(device, name="first")  # the first version: nothing to differ from
    backup(device, name="changed-by-hand")
    states(world.acme, device, "config_changed", ["firing"], "drift alert fired")
    backup(device, name="changed-by-hand")  # unchanged since: resolves
    states(world.acme, device, "config_changed", ["resolved"], "drift alert resolved")

    with tenant_context(world.acme.id):  # a push the platform ran explains the next change
        now = datetime.now(UTC)
        job = Job.objects.create(tenant=world.acme, kind="push", state="succeeded", started=now, finished=now)
        JobDevice.objects.create(
            tenant=world.acme,
            job=job,
            device=device,
            device_name=device.name,
            state="succeeded",
            started=now,
            finished=now,
        )
    pushed = backup(device, name="pushed")
    assert pushed.changed
    with tenant_context(world.acme.id):  # judged here too, to see the verdict (the worker's is the same)
        assert evaluate_backups(str(world.acme.pk), [str(pushed.pk)]) == {"fired": 0, "resolved": 0}
    assert [s for s, _ in alerts_of(world.acme, device, "config_changed")] == ["resolved"]


def test_cve_and_firmware_rules_follow_feed_imports_and_version_changes(world, worker, fleet):
    store_releases([ReleaseRow(7, "stable", "7.99.1", None), ReleaseRow(6, "stable", "6.49.99", None)], "test")
    store_cves([CveRow("CVE-2099-0001", None, "high", 8.1, "test", [{"end_excluding": "7.99"}])], "test")
    rule(world, name="Exposed", kind="cve", threshold=7)
    rule(world, name="Updates", kind="firmware_update", severity="info")
    device = sim_device(world.acme, fleet, 1, site=world.north)
    theirs = make_device(world.globex, world.east, "globex-2", ros_version="7.1")
    assert poll(device)["ok"] == 1  # the first poll learns the version: a version change
    with tenant_context(world.acme.id):
        version = Device.objects.get(pk=device.pk).ros_version
    assert version and version.startswith(("6.", "7.")), version
    if version.startswith("6."):
        store_cves([CveRow("CVE-2099-0001", None, "high", 8.1, "test", [{"end_excluding": "6.99"}])], "test")
    states(world.acme, device, "firmware_update", ["firing"], "firmware alert fired")
    states(world.acme, device, "cve", ["firing"], "CVE alert fired")
    assert "CVE-2099-0001" in alerts_of(world.acme, device, "cve")[0][1]

    # the feeds change: the CVE no longer applies, the device's version is the newest
    store_cves([CveRow("CVE-2099-0001", None, "high", 8.1, "test", [{"end_excluding": "1.0"}])], "test")
    store_releases([ReleaseRow(int(version[0]), "stable", version, None)], "test")
    states(world.acme, device, "cve", ["resolved"], "CVE alert resolved")
    states(world.acme, device, "firmware_update", ["resolved"], "firmware alert resolved")
    with tenant_context(world.globex.id):
        assert not Alert.objects.filter(device=theirs).exists()


def test_event_kinds_are_accepted_and_a_cve_score_is_checked(world):
    admin = access_of(world.users.alice, world.acme)
    with tenant_context(world.acme.id):
        for kind in ("backup_failed", "config_changed", "firmware_update", "cve"):
            assert services.save_rule(admin, None, {"name": kind, "kind": kind}).kind == kind
        with pytest.raises(ValidationError, match="CVSS"):
            services.save_rule(admin, None, {"name": "bad", "kind": "cve", "threshold": 11})
