"""Vault authentication by AppRole, and TLS verified against VAULT_CACERT."""

import pytest

from devices.keyring import KeyBackendUnavailable, decrypt_secret, encrypt_secret
from devices.keyring.backends import backend_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def approle_keyring(settings, vault_keyring, openbao):
    settings.VAULT_TOKEN = ""
    settings.VAULT_ROLE_ID = openbao.role_id
    settings.VAULT_SECRET_ID = openbao.secret_id
    return "vault"


def test_round_trip_with_approle(approle_keyring, tenants, known_password):
    stored = encrypt_secret(tenants.acme.id, "device-password", "rec-1", known_password)
    assert decrypt_secret(tenants.acme.id, "device-password", "rec-1", stored).reveal() == known_password


def test_expired_approle_token_is_renewed(approle_keyring, tenants, openbao):
    backend = backend_named("vault")
    encrypt_secret(tenants.acme.id, "device-password", "rec-1", "pw")
    openbao.root.auth.token.revoke(backend._authenticated().token)  # as if its TTL ran out
    stored = encrypt_secret(tenants.acme.id, "device-password", "rec-2", "pw")
    assert decrypt_secret(tenants.acme.id, "device-password", "rec-2", stored).reveal() == "pw"


def test_bad_secret_id_is_a_clear_error(approle_keyring, settings, tenants):
    settings.VAULT_SECRET_ID = "not-the-secret-id"
    with pytest.raises(KeyBackendUnavailable, match="AppRole login") as caught:
        encrypt_secret(tenants.acme.id, "device-password", "rec-1", "pw")
    assert "not-the-secret-id" not in str(caught.value)


def test_tls_with_the_servers_ca(settings, openbao_tls, db):
    from tests.factories import make_tenant

    settings.MIKMAN_KEY_BACKEND = "vault"
    settings.VAULT_ADDR = openbao_tls.addr
    settings.VAULT_TOKEN = openbao_tls.token
    settings.VAULT_CACERT = openbao_tls.cacert
    tenant = make_tenant("Tls Co")
    stored = encrypt_secret(tenant.id, "device-password", "rec-1", "pw")
    assert decrypt_secret(tenant.id, "device-password", "rec-1", stored).reveal() == "pw"


def test_tls_without_the_ca_is_refused(settings, openbao_tls, db):
    settings.MIKMAN_KEY_BACKEND = "vault"
    settings.VAULT_ADDR = openbao_tls.addr
    settings.VAULT_TOKEN = openbao_tls.token
    settings.VAULT_CACERT = ""  # system store: does not know the dev CA
    with pytest.raises(KeyBackendUnavailable, match="VAULT_CACERT"):
        encrypt_secret("00000000-0000-0000-0000-000000000001", "device-password", "rec-1", "pw")
