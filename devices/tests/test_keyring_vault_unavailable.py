"""Vault down, refusing us or misconfigured → KeyBackendUnavailable, never plaintext, never a token."""

import pytest

from devices.keyring import (
    KeyBackendUnavailable,
    create_tenant_key,
    decrypt_secret,
    encrypt_secret,
    rotate_tenant_key,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def vault_down(settings, vault_keyring, nowhere):
    """Vault settings pointing at a loopback port where nothing listens."""
    settings.VAULT_ADDR = nowhere
    settings.VAULT_TIMEOUT = 2
    return settings.VAULT_ADDR


def test_encrypt_raises_and_names_the_backend(vault_keyring, tenants, vault_down, openbao, known_password):
    with pytest.raises(KeyBackendUnavailable) as caught:
        encrypt_secret(tenants.acme.id, "device-password", "rec-1", known_password)
    message = str(caught.value)
    assert "OpenBao/Vault" in message and vault_down in message
    assert "VAULT_ADDR" in message and "unsealed" in message
    assert openbao.token not in message
    assert known_password not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # hvac's request not chained


def test_decrypt_raises_and_returns_nothing(vault_keyring, tenants, settings, openbao, known_password, nowhere):
    stored = encrypt_secret(tenants.acme.id, "device-password", "rec-1", known_password)
    settings.VAULT_ADDR = nowhere
    with pytest.raises(KeyBackendUnavailable) as caught:
        decrypt_secret(tenants.acme.id, "device-password", "rec-1", stored)
    assert known_password not in str(caught.value)
    assert openbao.token not in repr(caught.value)


def test_rotation_raises(vault_keyring, tenants, vault_down, credentials):
    with pytest.raises(KeyBackendUnavailable):
        rotate_tenant_key(tenants.acme.id)


def test_tenant_creation_survives_and_the_key_comes_on_first_use(vault_keyring, settings, openbao, caplog, nowhere):
    from devices.keyring.backends.vault import key_name
    from tests.factories import make_tenant

    real_addr = settings.VAULT_ADDR
    settings.VAULT_ADDR = nowhere
    tenant = make_tenant("Late Key")
    assert "created without its key" in caplog.text
    settings.VAULT_ADDR = real_addr
    stored = encrypt_secret(tenant.id, "device-password", "rec-1", "pw")
    assert openbao.root.secrets.transit.read_key(key_name(tenant.id))["data"]["latest_version"] == 1
    assert decrypt_secret(tenant.id, "device-password", "rec-1", stored).reveal() == "pw"


def test_wrong_token_is_a_clear_credentials_error(vault_keyring, tenants, settings, openbao):
    settings.VAULT_TOKEN = "s.definitely-not-the-token"
    with pytest.raises(KeyBackendUnavailable, match="refused our credentials") as caught:
        encrypt_secret(tenants.acme.id, "device-password", "rec-1", "pw")
    assert "definitely-not-the-token" not in str(caught.value)
    assert "VAULT_TOKEN" in str(caught.value)


def test_missing_configuration(settings, vault_keyring):
    settings.VAULT_TOKEN = ""
    with pytest.raises(KeyBackendUnavailable, match="VAULT_TOKEN, or VAULT_ROLE_ID"):
        create_tenant_key("00000000-0000-0000-0000-000000000001")
    settings.VAULT_ADDR = ""
    with pytest.raises(KeyBackendUnavailable, match="VAULT_ADDR is not set"):
        create_tenant_key("00000000-0000-0000-0000-000000000001")


def test_wrong_transit_mount(vault_keyring, tenants, settings):
    settings.VAULT_TRANSIT_MOUNT = "no-such-mount"
    with pytest.raises(KeyBackendUnavailable, match="VAULT_TRANSIT_MOUNT"):
        encrypt_secret(tenants.acme.id, "device-password", "rec-1", "pw")


def test_settings_check_reports_missing_vault_configuration(settings):
    from devices.keyring.checks import key_backend_settings

    settings.MIKMAN_KEY_BACKEND = "vault"
    settings.VAULT_ADDR = ""
    settings.VAULT_TOKEN = ""
    settings.VAULT_ROLE_ID = ""
    settings.VAULT_CACERT = "/nonexistent/ca.pem"
    assert {e.id for e in key_backend_settings(None)} == {"devices.E001", "devices.E002", "devices.E003"}
    settings.MIKMAN_KEY_BACKEND = "local"
    assert key_backend_settings(None) == []


def test_sealed_vault(vault_keyring, settings, sealed_openbao, known_password):
    settings.VAULT_ADDR = sealed_openbao.addr
    settings.VAULT_TOKEN = sealed_openbao.token
    with pytest.raises(KeyBackendUnavailable, match="unsealed") as caught:
        encrypt_secret("00000000-0000-0000-0000-000000000001", "device-password", "rec-1", known_password)
    assert sealed_openbao.token not in str(caught.value)
