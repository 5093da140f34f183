"""Deleting a tenant destroys its key: its credentials become unreadable (crypto-shredding)."""

import hvac.exceptions
import pytest

from devices.keyring import TenantKeyMissing, decrypt_secret, encrypt_secret
from devices.keyring.backends.vault import key_name
from devices.models import TenantKey
from tenants.context import tenant_context

pytestmark = pytest.mark.django_db


def test_local_key_rows_are_deleted_and_secrets_unreadable(local_keyring, tenants, known_password):
    acme_id = tenants.acme.id
    stored = encrypt_secret(acme_id, "device-password", "rec-1", known_password)
    assert decrypt_secret(acme_id, "device-password", "rec-1", stored).reveal() == known_password  # now cached

    tenants.acme.delete()

    with tenant_context(acme_id):
        assert not TenantKey.objects.exists()
    with pytest.raises(TenantKeyMissing, match="destroyed"):
        decrypt_secret(acme_id, "device-password", "rec-1", stored)


def test_vault_transit_key_is_deleted_on_commit(
    vault_keyring, openbao, tenants, known_password, django_capture_on_commit_callbacks
):
    acme_id = tenants.acme.id
    stored = encrypt_secret(acme_id, "device-password", "rec-1", known_password)
    with django_capture_on_commit_callbacks(execute=True):
        tenants.acme.delete()

    with pytest.raises(hvac.exceptions.InvalidPath):
        openbao.root.secrets.transit.read_key(key_name(acme_id))
    with pytest.raises(TenantKeyMissing, match="destroyed"):
        decrypt_secret(acme_id, "device-password", "rec-1", stored)


def test_vault_key_survives_a_rolled_back_deletion(vault_keyring, openbao, tenants, django_capture_on_commit_callbacks):
    from django.db import transaction

    acme_id = tenants.acme.id
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            tenants.acme.delete()
            transaction.set_rollback(True)
    assert callbacks == []
    assert openbao.root.secrets.transit.read_key(key_name(acme_id))["data"]["latest_version"] == 1


def test_other_tenants_keep_their_keys(tenants, backend, known_password, django_capture_on_commit_callbacks):
    stored = encrypt_secret(tenants.globex.id, "device-password", "rec-1", known_password)
    with django_capture_on_commit_callbacks(execute=True):
        tenants.acme.delete()
    assert decrypt_secret(tenants.globex.id, "device-password", "rec-1", stored).reveal() == known_password


def test_no_new_secret_for_a_deleted_tenant(tenants, backend, django_capture_on_commit_callbacks):
    acme_id = tenants.acme.id
    with django_capture_on_commit_callbacks(execute=True):
        tenants.acme.delete()
    with pytest.raises(TenantKeyMissing):
        encrypt_secret(acme_id, "device-password", "rec-1", "x")


@pytest.mark.django_db(transaction=True)
def test_committed_deletion_outside_any_tenant_context(tenants, backend, openbao, known_password):
    """The real commit: key rows the caller cannot even see (RLS) go with the tenant, and the
    deferred foreign key from them to the tenant is satisfied; Vault's key goes after commit."""
    acme_id = tenants.acme.id
    stored = encrypt_secret(acme_id, "device-password", "rec-1", known_password)
    tenants.acme.delete()  # autocommit, no tenant context
    with tenant_context(acme_id):
        assert not TenantKey.objects.exists()
    if backend == "vault":
        with pytest.raises(hvac.exceptions.InvalidPath):
            openbao.root.secrets.transit.read_key(key_name(acme_id))
    with pytest.raises(TenantKeyMissing):
        decrypt_secret(acme_id, "device-password", "rec-1", stored)


def test_destroying_twice_is_harmless(tenants, backend, django_capture_on_commit_callbacks):
    from devices.keyring import destroy_tenant_key

    with django_capture_on_commit_callbacks(execute=True):
        destroy_tenant_key(tenants.acme.id)
        destroy_tenant_key(tenants.acme.id)
