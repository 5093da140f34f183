"""After MIKMAN_KEY_BACKEND changes, old secrets stay readable and rotation moves them over."""

import pytest

from devices.keyring import decrypt_secret, encrypt_secret, rotate_tenant_key

pytestmark = pytest.mark.django_db


def test_local_secrets_move_to_vault_on_rotation(local_keyring, tenants, credentials, request, known_password):
    row = credentials.store(tenants.acme)
    loose = encrypt_secret(tenants.acme.id, "device-password", "rec-1", known_password)
    request.getfixturevalue("vault_keyring")  # the operator configures Vault

    assert decrypt_secret(tenants.acme.id, "device-password", "rec-1", loose).reveal() == known_password
    report = rotate_tenant_key(tenants.acme.id)

    assert (report.backend, report.rewrapped, report.failed) == ("vault", 1, [])
    moved = credentials.reload(row).password
    assert moved.backend == "vault"
    assert moved.wrapped_key.startswith("vault:v")
    assert decrypt_secret(tenants.acme.id, "device-password", row.pk, moved).reveal() == known_password
    assert encrypt_secret(tenants.acme.id, "device-password", "rec-2", "x").backend == "vault"
