"""Production hashes passwords with argon2 (the test settings use MD5 only for speed)."""

import importlib

from django.contrib.auth.hashers import Argon2PasswordHasher


def test_base_settings_hash_with_argon2_first():
    base = importlib.import_module("mikman.settings.base")
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_prod_settings_keep_argon2():
    prod = importlib.import_module("mikman.settings.prod")
    assert prod.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_is_installed_and_works():
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("correct-horse-battery-staple", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert hasher.verify("correct-horse-battery-staple", encoded)
    assert not hasher.verify("wrong", encoded)
