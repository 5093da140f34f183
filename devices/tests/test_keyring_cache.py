"""Decrypted secrets are cached in memory briefly: bounded, expiring, dropped with the tenant key."""

import pytest

from devices.keyring import KeyBackendUnavailable, Secret, decrypt_secret, encrypt_secret
from devices.keyring.cache import SecretCache, secret_cache

pytestmark = pytest.mark.django_db


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_entries_expire_after_the_ttl(settings):
    settings.MIKMAN_SECRET_CACHE_TTL = 300
    clock = FakeClock()
    cache = SecretCache(clock)
    cache.put(("t", "p", "r", "d"), Secret("x"))
    clock.now += 299
    assert cache.get(("t", "p", "r", "d")) == Secret("x")
    clock.now += 1
    assert cache.get(("t", "p", "r", "d")) is None
    assert len(cache) == 0


def test_least_recently_used_entries_go_first(settings):
    settings.MIKMAN_SECRET_CACHE_SIZE = 2
    cache = SecretCache()
    cache.put(("t", "p", "r", "1"), Secret("1"))
    cache.put(("t", "p", "r", "2"), Secret("2"))
    cache.get(("t", "p", "r", "1"))
    cache.put(("t", "p", "r", "3"), Secret("3"))
    assert cache.get(("t", "p", "r", "2")) is None
    assert cache.get(("t", "p", "r", "1")) == Secret("1")


def test_a_ttl_of_zero_disables_caching(settings):
    settings.MIKMAN_SECRET_CACHE_TTL = 0
    cache = SecretCache()
    cache.put(("t", "p", "r", "1"), Secret("1"))
    assert cache.get(("t", "p", "r", "1")) is None


def test_cached_value_is_served_while_fresh_then_the_backend_is_asked_again(
    vault_keyring, tenants, settings, monkeypatch, nowhere
):
    clock = FakeClock()
    monkeypatch.setattr(secret_cache, "clock", clock)
    stored = encrypt_secret(tenants.acme.id, "device-password", "rec-1", "pw")
    assert decrypt_secret(tenants.acme.id, "device-password", "rec-1", stored).reveal() == "pw"
    settings.VAULT_ADDR = nowhere  # Vault goes down
    assert decrypt_secret(tenants.acme.id, "device-password", "rec-1", stored).reveal() == "pw"  # from cache
    clock.now += settings.MIKMAN_SECRET_CACHE_TTL
    with pytest.raises(KeyBackendUnavailable):
        decrypt_secret(tenants.acme.id, "device-password", "rec-1", stored)


def test_uncached_decryption_neither_reads_nor_fills_the_cache(tenants, backend):
    stored = encrypt_secret(tenants.acme.id, "backup-binary", "rec-9", "large")
    before = len(secret_cache._entries)
    assert decrypt_secret(tenants.acme.id, "backup-binary", "rec-9", stored, cache=False).reveal() == "large"
    assert len(secret_cache._entries) == before


def test_cache_is_keyed_by_record_and_ciphertext(tenants, backend):
    first = encrypt_secret(tenants.acme.id, "device-password", "rec-1", "old")
    decrypt_secret(tenants.acme.id, "device-password", "rec-1", first)
    second = encrypt_secret(tenants.acme.id, "device-password", "rec-1", "new")  # password changed
    assert decrypt_secret(tenants.acme.id, "device-password", "rec-1", second).reveal() == "new"


def test_destroying_a_tenant_key_drops_its_cached_secrets(tenants, backend, django_capture_on_commit_callbacks):
    a = encrypt_secret(tenants.acme.id, "device-password", "rec-1", "a")
    b = encrypt_secret(tenants.globex.id, "device-password", "rec-1", "b")
    decrypt_secret(tenants.acme.id, "device-password", "rec-1", a)
    decrypt_secret(tenants.globex.id, "device-password", "rec-1", b)
    assert len(secret_cache) == 2
    with django_capture_on_commit_callbacks(execute=True):
        tenants.acme.delete()
    assert len(secret_cache) == 1
