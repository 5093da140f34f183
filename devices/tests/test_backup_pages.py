# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Backup pages: timeline, version, diff (both modes), changes, policy; role rules on POST."""

from __future__ import annotations

import pytest
from django.test import Client

from devices.tests.backup_support import backup_now, fleet, sim, sim_device, world  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_render_for_a_viewer_and_show_the_change(world, fleet):
    device = sim_device(world.acme, fleet, 3, world.north)
    backup_now(device)
    fleet["fleet"].device(3).cli("/ip firewall address-list add address=192.0.2.200 list=page-test")
    fleet["fleet"].set_fault(3, "truncate")
    backup_now(device)  # a failed run: a red dot
    fleet["fleet"].set_fault(3, None)
    newest = backup_now(device)
    client = logged_in(world.users.dave)  # viewer, scoped to north
    base = "/t/acme"
    page = client.get(f"{base}/devices/{device.pk}/backups/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="dot dot-changed"') == 2 and html.count('class="dot dot-failed"') == 1
    assert "Back up now" not in html  # viewer: no button
    side = client.get(f"{base}/backups/{newest.pk}/diff/").content.decode()
    assert "page-test" in side and 'class="diff-insert"' in side
    unified = client.get(f"{base}/backups/{newest.pk}/diff/?mode=unified").content.decode()
    assert 'class="diff-add"' in unified and "list=page-test" in unified
    assert client.get(f"{base}/backups/{newest.pk}/").status_code == 200
    download = client.get(f"{base}/backups/{newest.pk}/download/")
    assert download.status_code == 200 and b"list=page-test" in download.content
    assert device.name in client.get(f"{base}/backups/changes/?since=2000-01-01").content.decode()
    assert client.get(f"{base}/backups/changes/?since=garbage").status_code == 200
    assert client.get(f"{base}/backups/policy/").status_code == 200
    assert client.post(f"{base}/devices/{device.pk}/backups/run/").status_code == 403
    assert client.post(f"{base}/backups/policy/", {"interval_hours": 1}).status_code == 403


def test_site_scoped_viewer_gets_404_for_other_sites(world, fleet):
    device = sim_device(world.acme, fleet, 0, world.south)
    backup = backup_now(device)
    client = logged_in(world.users.dave)
    assert client.get(f"/t/acme/devices/{device.pk}/backups/").status_code == 404
    assert client.get(f"/t/acme/backups/{backup.pk}/diff/").status_code == 404


def test_admin_saves_the_policy(world):
    client = logged_in(world.users.alice)
    response = client.post(
        "/t/acme/backups/policy/",
        {"interval_hours": 12, "keep_last": 10, "keep_daily_days": 7, "keep_all_changes": "on"},
    )
    assert response.status_code == 302
    from devices.models import BackupPolicy
    from tenants.context import tenant_context

    with tenant_context(world.acme.id):
        policy = BackupPolicy.objects.get()
    assert (policy.interval_hours, policy.keep_last, policy.git_mirror) == (12, 10, False)
