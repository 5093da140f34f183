"""Each tenant has its own key, created with the tenant; the key rows are under RLS."""

import pytest

from devices.keyring import KeyBackendUnavailable, SecretDecryptionError, create_tenant_key, encrypt_secret
from devices.keyring.backends import backend_named
from devices.keyring.backends.local import LocalKeyring
from devices.keyring.backends.vault import key_name
from devices.models import TenantKey
from tenants.context import tenant_context

pytestmark = pytest.mark.django_db


def test_creating_a_tenant_creates_its_local_key(local_keyring, tenants):
    with tenant_context(tenants.acme.id):
        assert list(TenantKey.objects.values_list("tenant_id", "version")) == [(tenants.acme.id, 1)]


def test_local_key_rows_of_another_tenant_are_invisible(local_keyring, tenants):
    with tenant_context(tenants.acme.id):
        assert not TenantKey.objects.filter(tenant_id=tenants.globex.id).exists()
    assert TenantKey.objects.count() == 0  # no tenant context: RLS shows nothing


def test_local_keys_differ_between_tenants(local_keyring, tenants):
    keyring = LocalKeyring()
    keys = []
    for tenant in (tenants.acme, tenants.globex):
        with tenant_context(tenant.id):
            keys.append(keyring._open_kek(TenantKey.objects.get()))
    assert len(keys[0]) == 32
    assert keys[0] != keys[1]


def test_local_key_row_does_not_open_for_another_tenant(local_keyring, tenants):
    keyring = LocalKeyring()
    with tenant_context(tenants.acme.id):
        row = TenantKey.objects.get()
    row.tenant_id = tenants.globex.id  # the wrapped KEK is bound to its tenant
    with pytest.raises(KeyBackendUnavailable, match="MIKMAN_MASTER_KEY"):
        keyring._open_kek(row)


def test_creating_a_tenant_creates_its_transit_key(vault_keyring, openbao, tenants):
    for tenant in (tenants.acme, tenants.globex):
        key = openbao.root.secrets.transit.read_key(key_name(tenant.id))["data"]
        assert key["type"] == "aes256-gcm96"
        assert key["exportable"] is False
    assert key_name(tenants.acme.id) == f"mikman-tenant-{tenants.acme.id}"


def test_a_data_key_of_one_tenant_does_not_unwrap_with_another(tenants, backend):
    stored = encrypt_secret(tenants.acme.id, "device-password", "rec-1", "x")
    keyring = backend_named(backend)
    with tenant_context(tenants.globex.id), pytest.raises(SecretDecryptionError):
        keyring.unwrap(tenants.globex.id, stored.wrapped_key)


def test_create_tenant_key_is_idempotent(tenants, backend):
    first = create_tenant_key(tenants.acme.id)
    assert create_tenant_key(tenants.acme.id) == first


def test_another_tenants_context_is_refused(tenants, backend):
    from devices.keyring import TenantContextMismatch, decrypt_secret

    stored = encrypt_secret(tenants.acme.id, "device-password", "rec-1", "pw")
    decrypt_secret(tenants.acme.id, "device-password", "rec-1", stored)  # cached now
    with tenant_context(tenants.globex.id):
        with pytest.raises(TenantContextMismatch):
            decrypt_secret(tenants.acme.id, "device-password", "rec-1", stored)
        with pytest.raises(TenantContextMismatch):
            encrypt_secret(tenants.acme.id, "device-password", "rec-2", "pw")


def test_works_inside_the_tenants_own_context(tenants, backend):
    from devices.keyring import decrypt_secret

    with tenant_context(tenants.acme.id):
        stored = encrypt_secret(tenants.acme.id, "device-password", "rec-1", "pw")
        assert decrypt_secret(tenants.acme.id, "device-password", "rec-1", stored).reveal() == "pw"
