"""Rotating tenant A's key rewraps A's secrets only; old and new values keep decrypting."""

import io

import pytest
from django.core.management import call_command

from devices.keyring import decrypt_secret, encrypt_secret, rotate_tenant_key
from devices.keyring.backends.vault import key_name
from devices.models import TenantKey
from devices.tasks import rotate_tenant_key_task
from tenants.context import tenant_context

pytestmark = pytest.mark.django_db


def test_rotation_rewraps_a_and_leaves_b_alone(tenants, backend, credentials, known_password):
    a_rows = [credentials.store(tenants.acme, f"{known_password}-{i}") for i in range(3)]
    b_row = credentials.store(tenants.globex)
    b_before = credentials.reload(b_row).password

    report = rotate_tenant_key(tenants.acme.id)

    assert report.key_version == 2
    assert report.rewrapped == 3
    assert report.failed == []
    for i, row in enumerate(a_rows):
        stored = credentials.reload(row).password
        assert stored.key_version == 2
        assert stored.wrapped_key != row.password.wrapped_key
        assert stored.ciphertext == row.password.ciphertext  # payload untouched: only the data key moved
        assert decrypt_secret(tenants.acme.id, "device-password", row.pk, stored).reveal() == f"{known_password}-{i}"
    b_after = credentials.reload(b_row).password
    assert b_after == b_before
    assert b_after.key_version == 1
    assert decrypt_secret(tenants.globex.id, "device-password", b_row.pk, b_after).reveal() == known_password


def test_values_read_before_the_rewrap_still_decrypt(tenants, backend, known_password):
    old = encrypt_secret(tenants.acme.id, "device-password", "rec-1", known_password)
    rotate_tenant_key(tenants.acme.id)
    assert decrypt_secret(tenants.acme.id, "device-password", "rec-1", old).reveal() == known_password
    new = encrypt_secret(tenants.acme.id, "device-password", "rec-2", known_password)
    assert new.key_version == 2


def test_rotating_again_only_rewraps_what_is_behind(tenants, backend, credentials):
    credentials.store(tenants.acme)
    rotate_tenant_key(tenants.acme.id)
    credentials.store(tenants.acme)  # already under v2
    report = rotate_tenant_key(tenants.acme.id)
    assert (report.key_version, report.rewrapped, report.already_current) == (3, 2, 0)


def test_local_rotation_retires_the_old_version(local_keyring, tenants, credentials):
    rotate_tenant_key(tenants.acme.id)
    with tenant_context(tenants.acme.id):
        versions = {k.version: k.retired is not None for k in TenantKey.objects.all()}
    assert versions == {1: True, 2: False}
    with tenant_context(tenants.globex.id):
        assert [(k.version, k.retired) for k in TenantKey.objects.all()] == [(1, None)]


def test_vault_rotation_touches_only_the_tenants_transit_key(vault_keyring, openbao, tenants, credentials):
    rotate_tenant_key(tenants.acme.id)
    transit = openbao.root.secrets.transit
    assert transit.read_key(key_name(tenants.acme.id))["data"]["latest_version"] == 2
    assert transit.read_key(key_name(tenants.globex.id))["data"]["latest_version"] == 1


def test_management_command(tenants, backend, credentials, known_password):
    row = credentials.store(tenants.acme)
    out = io.StringIO()
    call_command("rotate_tenant_key", "--tenant", "acme", stdout=out)
    assert "rewrapped 1" in out.getvalue()
    assert known_password not in out.getvalue()
    stored = credentials.reload(row).password
    assert stored.key_version == 2
    assert decrypt_secret(tenants.acme.id, "device-password", row.pk, stored).reveal() == known_password


def test_management_command_unknown_tenant(tenants, backend, credentials):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No tenant"):
        call_command("rotate_tenant_key", "--tenant", "nope")


def test_celery_task_runs_in_the_tenant_context(tenants, backend, credentials, known_password):
    row = credentials.store(tenants.acme)
    result = rotate_tenant_key_task.apply(args=[str(tenants.acme.id)]).get()
    assert result["rewrapped"] == 1
    assert result["tenant_id"] == str(tenants.acme.id)
    assert known_password not in str(result)
    assert credentials.reload(row).password.key_version == 2


def test_rotation_is_audited_with_counts_only(tenants, backend, credentials, known_password):
    import json

    from audit.models import AuditEntry

    credentials.store(tenants.acme)
    rotate_tenant_key(tenants.acme.id)
    with tenant_context(tenants.acme.id):
        entry = AuditEntry.objects.get(action="keyring.key_rotated")
    assert entry.details["rewrapped"] == 1
    assert entry.details["version"] == 2
    assert known_password not in json.dumps(entry.details)
    with tenant_context(tenants.globex.id):
        assert not AuditEntry.objects.filter(action="keyring.key_rotated").exists()
