# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""The backup API: back up now (operator+, viewer 403), history, diff, content, download (admin
only for sensitive versions), fleet changes, policy — over real SSH to the simulator."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from devices.models import BackupPolicy, ConfigBackup
from devices.tests.backup_support import backup_now, fleet, sim, sim_device, world  # noqa: F401
from devices.tests.inventory_support import worker  # noqa: F401
from tenants.context import tenant_context
from tests.factories import api_client

pytestmark = pytest.mark.django_db(transaction=True)


def url(path: str) -> str:
    return f"/api/v1/tenants/acme/{path}"


def runs_of(device) -> int:
    with tenant_context(device.tenant_id):
        return ConfigBackup.objects.filter(device=device).count()


def test_operator_backs_up_now_through_a_worker_and_viewer_may_not(world, fleet, worker):
    device = sim_device(world.acme, fleet, 0, world.north)
    viewer = api_client(world.users.carol).post(url("backups/"), {"device": str(device.pk)}, format="json")
    assert viewer.status_code == 403
    response = api_client(world.users.bob).post(url("backups/"), {"device": str(device.pk)}, format="json")
    assert response.status_code == 202, response.content
    deadline = time.monotonic() + 30
    while runs_of(device) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    listing = api_client(world.users.carol).get(url(f"backups/?device={device.pk}")).json()
    assert listing["count"] == 1
    run = listing["results"][0]
    assert run["status"] == "ok" and run["trigger"] == "manual" and run["triggered_by"] == "bob"
    with tenant_context(world.acme.id):
        assert AuditEntry.objects.filter(action="backup.requested", user=world.users.bob).count() == 1


def test_unknown_or_malformed_device_is_a_clean_4xx(world):
    client = api_client(world.users.bob)
    assert client.post(url("backups/"), {"device": "not-a-uuid"}, format="json").status_code == 400
    missing = client.post(url("backups/"), {"device": "00000000-0000-0000-0000-000000000000"}, format="json")
    assert missing.status_code == 404


def test_diff_api_returns_exactly_the_change_and_changes_lists_the_device(world, fleet):
    device = sim_device(world.acme, fleet, 1)
    since = timezone.now() - timedelta(seconds=1)
    first = backup_now(device)
    fleet["fleet"].device(1).cli("/system identity set name=renamed-by-h3")
    second = backup_now(device)
    client = api_client(world.users.carol)
    body = client.get(url(f"backups/{second.pk}/diff/")).json()
    assert body["old"] == str(first.pk) and body["added"] == 1 and body["removed"] == 1
    assert "+set name=renamed-by-h3" in body["diff"].splitlines()
    explicit = client.get(url(f"backups/{second.pk}/diff/?against={first.pk}&context=0")).json()
    assert explicit["old"] == str(first.pk) and (explicit["added"], explicit["removed"]) == (1, 1)
    assert not any(line.startswith(" ") for line in explicit["diff"].splitlines())  # context=0
    assert client.get(url(f"backups/{second.pk}/diff/?against=nope")).status_code == 404
    changes = client.get(url(f"backups/changes/?since={since.isoformat()}")).json()
    assert [c["device_name"] for c in changes] == [device.name]
    assert client.get(url("backups/changes/?since=yesterday")).status_code == 400
    assert [c["device_name"] for c in client.get(url("backups/changes/")).json()] == [device.name]  # 7 days


def test_sensitive_versions_are_masked_and_downloadable_by_admins_only(world, fleet):
    with tenant_context(world.acme.id):
        BackupPolicy.objects.create(tenant=world.acme, show_sensitive=True)
    device = sim_device(world.acme, fleet, 2)
    backup = backup_now(device)
    assert backup.ok and backup.sensitive
    with tenant_context(world.acme.id):
        assert ConfigBackup.objects.select_related("blob").get(pk=backup.pk).blob.text == ""  # sealed
    content = api_client(world.users.carol).get(url(f"backups/{backup.pk}/content/")).json()
    assert content["masked"] is True and "password=********" in content["text"]
    assert api_client(world.users.bob).get(url(f"backups/{backup.pk}/download/")).status_code == 403
    download = api_client(world.users.alice).get(url(f"backups/{backup.pk}/download/"))
    assert download.status_code == 200
    assert download["Content-Disposition"].endswith('.rsc"')
    text = download.content.decode()
    assert "secret=" in text and "********" not in text
    with tenant_context(world.acme.id):
        assert AuditEntry.objects.filter(action="backup.downloaded", user=world.users.alice).count() == 1


def test_policy_is_read_by_all_and_changed_by_admins(world):
    viewer = api_client(world.users.carol)
    listing = viewer.get(url("backup-policy/")).json()
    assert listing[0]["interval_hours"] == 6 and listing[0]["id"] is None
    assert viewer.post(url("backup-policy/"), {"interval_hours": 2}, format="json").status_code == 403
    assert (
        api_client(world.users.bob).post(url("backup-policy/"), {"interval_hours": 2}, format="json").status_code == 403
    )
    admin = api_client(world.users.alice)
    created = admin.post(url("backup-policy/"), {"interval_hours": 2, "keep_last": 5}, format="json")
    assert created.status_code == 201, created.content
    again = admin.post(url("backup-policy/"), {"interval_hours": 3}, format="json")
    assert again.status_code == 400
    patched = admin.patch(url(f"backup-policy/{created.json()['id']}/"), {"git_mirror": True}, format="json")
    assert patched.status_code == 200 and patched.json()["git_mirror"] is True
    assert (
        admin.patch(url(f"backup-policy/{created.json()['id']}/"), {"interval_hours": 0}, format="json").status_code
        == 400
    )
    with tenant_context(world.acme.id):
        assert AuditEntry.objects.filter(action="backup.policy_changed").count() == 2
