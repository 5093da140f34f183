"""tenants.crypto: AES-256-GCM under HKDF-derived per-purpose keys."""

import pytest

from tenants import crypto


def test_round_trip_and_fresh_nonce():
    a = crypto.seal(b"secret", purpose="p", associated=b"owner:1")
    b = crypto.seal(b"secret", purpose="p", associated=b"owner:1")
    assert a != b, "a fresh nonce per seal"
    assert crypto.unseal(a, purpose="p", associated=b"owner:1") == b"secret"
    assert "secret" not in a


@pytest.mark.parametrize(
    "purpose,associated", [("other", b"owner:1"), ("p", b"owner:2"), ("p", b"")], ids=["purpose", "owner", "no-aad"]
)
def test_wrong_purpose_or_owner_does_not_open(purpose, associated):
    sealed = crypto.seal(b"secret", purpose="p", associated=b"owner:1")
    with pytest.raises(crypto.SealError):
        crypto.unseal(sealed, purpose=purpose, associated=associated)


@pytest.mark.parametrize("sealed", ["v1:AAAA", "v2:abc", "garbage", "v1:!!!"])
def test_tampered_or_malformed_values_raise_seal_error(sealed):
    with pytest.raises(crypto.SealError):
        crypto.unseal(sealed, purpose="p")


def test_flipped_bit_is_detected():
    import base64

    sealed = crypto.seal(b"secret", purpose="p")
    blob = bytearray(base64.b64decode(sealed[3:]))
    blob[-1] ^= 1
    with pytest.raises(crypto.SealError):
        crypto.unseal("v1:" + base64.b64encode(bytes(blob)).decode(), purpose="p")


def test_keys_depend_on_the_master_key(settings):
    key = crypto.derived_key("p")
    assert len(key) == 32
    settings.MIKMAN_MASTER_KEY = "YW5vdGhlciBtYXN0ZXIga2V5IG9mIDMyIGJ5dGVzIQ=="
    assert crypto.derived_key("p") != key
