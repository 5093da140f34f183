"""encrypt_secret / decrypt_secret round trip on both backends, through the database too."""

import pytest

from devices.keyring import EncryptedSecret, Secret, decrypt_secret, encrypt_secret

pytestmark = pytest.mark.django_db


def test_round_trip(tenants, backend, known_password):
    stored = encrypt_secret(tenants.acme.id, "device-password", "rec-1", known_password)
    assert stored.backend == backend
    assert stored.key_version >= 1
    secret = decrypt_secret(tenants.acme.id, "device-password", "rec-1", stored)
    assert isinstance(secret, Secret)
    assert secret.reveal() == known_password


def test_round_trip_of_unicode_and_empty_values(tenants, backend):
    for value in ("pässwörd-🔑", ""):
        stored = encrypt_secret(tenants.acme.id, "radius-secret", "nas-1", value)
        assert decrypt_secret(tenants.acme.id, "radius-secret", "nas-1", stored).reveal() == value


def test_stored_form_is_json_and_decrypts_from_a_dict(tenants, backend, known_password):
    stored = encrypt_secret(tenants.acme.id, "device-password", "rec-1", known_password)
    as_json = stored.as_dict()
    assert set(as_json) == {"format", "backend", "key_version", "wrapped_key", "nonce", "ciphertext"}
    assert EncryptedSecret.from_dict(as_json) == stored
    assert decrypt_secret(tenants.acme.id, "device-password", "rec-1", as_json).reveal() == known_password


def test_every_secret_gets_its_own_data_key(tenants, backend, known_password):
    first = encrypt_secret(tenants.acme.id, "device-password", "rec-1", known_password)
    second = encrypt_secret(tenants.acme.id, "device-password", "rec-1", known_password)
    assert first.wrapped_key != second.wrapped_key
    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext


def test_round_trip_through_an_encrypted_secret_field(tenants, backend, credentials, known_password):
    row = credentials.store(tenants.acme)
    again = credentials.reload(row)
    assert isinstance(again.password, EncryptedSecret)
    assert decrypt_secret(tenants.acme.id, "device-password", again.pk, again.password).reveal() == known_password


def test_a_secret_wrapper_can_be_encrypted(tenants, backend):
    stored = encrypt_secret(tenants.acme.id, "alert-token", "chan-1", Secret("xoxb-123"))
    assert decrypt_secret(tenants.acme.id, "alert-token", "chan-1", stored).reveal() == "xoxb-123"


def test_purpose_and_record_are_required(tenants, backend):
    with pytest.raises(ValueError, match="purpose"):
        encrypt_secret(tenants.acme.id, "", "rec-1", "x")
    with pytest.raises(ValueError, match="record"):
        encrypt_secret(tenants.acme.id, "device-password", None, "x")
