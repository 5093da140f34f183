# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Binary backups (policy `binary_backup`): each run also saves `/system backup save` on the
simulated router, fetches the `.backup` over SFTP, deletes it there and stores it sealed with the
tenant key; only admins download it; a device without SFTP or disk space fails the binary part
alone, the text backup of the run stands."""

from __future__ import annotations

import base64
import hashlib

import pytest
from django.db import connection
from django.test import Client

from audit.models import AuditEntry
from devices.backups.services import binary_bytes
from devices.models import BackupPolicy, BackupStatus, BinaryBackup
from devices.simulator.backup_file import MAGIC_ENCRYPTED, MAGIC_PLAIN
from devices.tests.backup_support import backup_now, fleet, sim, sim_device, world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import api_client, make_device, sim_device_fields

pytestmark = pytest.mark.django_db(transaction=True)

BACKUPS = "/api/v1/tenants/acme/backups/"


def binary_policy(tenant, **extra):
    with tenant_context(tenant.id):
        return BackupPolicy.objects.create(tenant=tenant, binary_backup=True, **extra)


def router_files(fleet, index) -> list[str]:
    return fleet["fleet"].device(index).file_names()


def test_a_run_stores_text_and_sealed_binary_and_leaves_nothing_on_the_router(world, fleet):
    binary_policy(world.acme)
    device = sim_device(world.acme, fleet, 0)
    backup = backup_now(device)
    assert backup.status == BackupStatus.OK, backup.reason
    with tenant_context(world.acme.id):
        binary = BinaryBackup.objects.get(backup=backup)
        data = binary_bytes(binary)
        with connection.cursor() as cursor:  # what is at rest, as the database holds it
            cursor.execute("SELECT sealed::text FROM devices_binarybackup WHERE id = %s", [binary.pk])
            (raw,) = cursor.fetchone()
    assert binary.ok and not binary.password_protected, binary.reason
    assert data.startswith(MAGIC_PLAIN) and len(data) == binary.size
    assert binary.sha256 == hashlib.sha256(data).hexdigest()
    assert not [name for name in router_files(fleet, 0) if name.endswith(".backup")]  # deleted there
    assert base64.b64encode(data).decode()[:40] not in raw
    assert "ciphertext" in raw or "nonce" in raw  # an envelope, not the file


def test_only_admins_download_it_audited_and_the_timeline_lists_it(world, fleet):
    binary_policy(world.acme)
    device = sim_device(world.acme, fleet, 1)
    backup = backup_now(device)
    listed = api_client(world.users.carol).get(BACKUPS, {"device": str(device.pk)}).json()["results"][0]
    assert listed["binary"]["status"] == "ok" and len(listed["binary"]["sha256"]) == 64
    url = f"{BACKUPS}{backup.pk}/binary/"
    for who in ("carol", "bob"):  # viewer, operator
        assert api_client(getattr(world.users, who)).get(url).status_code == 403
        page = Client()
        page.force_login(getattr(world.users, who))
        assert page.get(f"/t/acme/backups/{backup.pk}/binary/").status_code == 403
        assert (
            f"/t/acme/backups/{backup.pk}/binary/"
            not in page.get(f"/t/acme/devices/{device.pk}/backups/").content.decode()
        )
    response = api_client(world.users.alice).get(url)
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == listed["binary"]["sha256"]
    assert response["Content-Disposition"].endswith('.backup"')
    admin = Client()
    admin.force_login(world.users.alice)
    timeline = admin.get(f"/t/acme/devices/{device.pk}/backups/").content.decode()
    assert listed["binary"]["sha256"][:10] in timeline and f"/t/acme/backups/{backup.pk}/binary/" in timeline
    assert admin.get(f"/t/acme/backups/{backup.pk}/binary/").content == response.content
    with tenant_context(world.acme.id):
        assert AuditEntry.objects.filter(action="backup.binary_downloaded", user=world.users.alice).count() == 2
        assert not AuditEntry.objects.filter(action="backup.binary_downloaded").exclude(user=world.users.alice)


def test_device_without_sftp_fails_the_binary_part_only(world, fleet):
    """RouterOS serves SFTP only to users with the `ftp` policy; the "write" group has none."""
    binary_policy(world.acme)
    fleet["fleet"].device(2).cli("/user add name=backupbot group=write password=bot-pass-1")
    fields = sim_device_fields(fleet["devices"][2], protocol="api", fallback_protocols=[], username="backupbot")
    device = make_device(world.acme, None, password="bot-pass-1", **fields)
    backup = backup_now(device)
    assert backup.status == BackupStatus.OK and backup.size > 1000, backup.reason  # the text backup stands
    with tenant_context(world.acme.id):
        binary = BinaryBackup.objects.get(backup=backup)
    assert binary.status == BackupStatus.FAILED and binary.outcome == "sftp_unavailable", binary.reason
    assert binary.sealed is None and binary.size == 0
    assert binary.name not in router_files(fleet, 2)  # removed with /file remove instead
    assert api_client(world.users.alice).get(f"{BACKUPS}{backup.pk}/binary/").status_code == 404


def test_disk_full_router_fails_the_save_and_keeps_the_text(world, fleet):
    binary_policy(world.acme)
    device = sim_device(world.acme, fleet, 3)
    fleet["fleet"].set_fault([3], "disk-full")
    backup = backup_now(device)
    assert backup.status == BackupStatus.OK, backup.reason
    with tenant_context(world.acme.id):
        binary = BinaryBackup.objects.get(backup=backup)
    assert binary.outcome == "save_failed" and "not enough disk space" in binary.reason


def test_policy_password_encrypts_the_file_and_never_shows(world, fleet):
    client = api_client(world.users.alice)
    created = client.post(
        "/api/v1/tenants/acme/backup-policy/", {"binary_backup": True, "binary_password": 'Bk$up"pw1'}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["binary_password_set"] is True and "Bk$up" not in created.content.decode()
    assert "binary_password" not in created.json()
    device = sim_device(world.acme, fleet, 0)
    backup = backup_now(device)
    with tenant_context(world.acme.id):
        binary = BinaryBackup.objects.get(backup=backup)
        entry = AuditEntry.objects.get(action="backup.policy_changed")
        data = binary_bytes(binary)
    assert binary.ok and binary.password_protected, binary.reason
    assert data.startswith(MAGIC_ENCRYPTED)
    assert "Bk$up" not in str(entry.details) and "binary_password" in entry.details  # masked by the audit
    bad = client.patch(
        f"/api/v1/tenants/acme/backup-policy/{created.json()['id']}/", {"binary_password": "a\nb"}, format="json"
    )
    assert bad.status_code == 400


def test_binary_off_by_default(world, fleet):
    backup = backup_now(sim_device(world.acme, fleet, 1))
    with tenant_context(world.acme.id):
        assert not BinaryBackup.objects.filter(backup=backup).exists()
    assert not [name for name in router_files(fleet, 1) if name.startswith("mikman-")]


def test_policy_page_sets_and_removes_the_password_admins_only(world):
    form = {"interval_hours": 6, "keep_last": 30, "keep_daily_days": 30, "keep_all_changes": "on"}
    viewer = Client()
    viewer.force_login(world.users.bob)  # operator: reads the policy, may not change it
    assert viewer.post("/t/acme/backups/policy/", {**form, "binary_backup": "on"}).status_code == 403
    assert 'name="binary_password"' not in viewer.get("/t/acme/backups/policy/").content.decode()
    admin = Client()
    admin.force_login(world.users.alice)
    saved = admin.post("/t/acme/backups/policy/", {**form, "binary_backup": "on", "binary_password": "pw-one 1"})
    assert saved.status_code == 302
    with tenant_context(world.acme.id):
        policy = BackupPolicy.objects.get()
    assert policy.binary_backup and policy.binary_password is not None
    assert "pw-one" not in admin.get("/t/acme/backups/policy/").content.decode()
    bad = admin.post("/t/acme/backups/policy/", {**form, "binary_password": "a\tb"})
    assert bad.status_code == 400 or "Printable characters only" in bad.content.decode()
    admin.post("/t/acme/backups/policy/", {**form, "binary_backup": "on", "clear_binary_password": "on"})
    with tenant_context(world.acme.id):
        policy = BackupPolicy.objects.get()
    assert policy.binary_backup and policy.binary_password is None
