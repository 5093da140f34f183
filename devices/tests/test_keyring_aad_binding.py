"""A ciphertext copied into another tenant's, record's or purpose's place does not decrypt."""

import dataclasses

import pytest

from devices.keyring import SecretDecryptionError, decrypt_secret, encrypt_secret
from devices.keyring.envelope import b64, unb64

pytestmark = pytest.mark.django_db


def test_swapped_between_tenants_fails(tenants, backend, known_password):
    of_acme = encrypt_secret(tenants.acme.id, "device-password", "rec-1", known_password)
    with pytest.raises(SecretDecryptionError, match="another tenant"):
        decrypt_secret(tenants.globex.id, "device-password", "rec-1", of_acme)


def test_swapped_between_tenant_rows_in_the_database_fails(tenants, backend, credentials, known_password):
    acme_row = credentials.store(tenants.acme)
    globex_row = credentials.store(tenants.globex, "globex-own-password")
    globex_row.password = acme_row.password  # an attacker with write access copies the value
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(tenants.globex.id, "device-password", globex_row.pk, globex_row.password)


def test_swapped_between_records_of_one_tenant_fails(tenants, backend, credentials):
    first = credentials.store(tenants.acme, "first-password")
    second = credentials.store(tenants.acme, "second-password")
    with pytest.raises(SecretDecryptionError, match="record"):
        decrypt_secret(tenants.acme.id, "device-password", second.pk, first.password)


def test_used_for_another_purpose_fails(tenants, backend, known_password):
    stored = encrypt_secret(tenants.acme.id, "device-password", "rec-1", known_password)
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(tenants.acme.id, "radius-secret", "rec-1", stored)


def test_altered_ciphertext_fails(tenants, backend, known_password):
    stored = encrypt_secret(tenants.acme.id, "device-password", "rec-1", known_password)
    raw = bytearray(unb64(stored.ciphertext))
    raw[0] ^= 1
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(tenants.acme.id, "device-password", "rec-1", dataclasses.replace(stored, ciphertext=b64(raw)))


def test_malformed_envelope_fails_clearly(tenants, backend):
    with pytest.raises(SecretDecryptionError, match="not an encrypted secret"):
        decrypt_secret(tenants.acme.id, "device-password", "rec-1", {"backend": "local"})
