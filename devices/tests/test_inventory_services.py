# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""The services the poller relies on: credentials (override first, then profile), status events
only on change, unblocking on new credentials, TLS contexts per mode, uptime and policy parsing."""

import ssl

import pytest

from devices import services
from devices.connectivity import missing_policies, parse_uptime
from devices.models import DeviceEvent
from devices.tests.inventory_support import world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import make_credential_profile, make_device


@pytest.mark.parametrize(
    "text, seconds",
    [("1w2d3h4m5s", 788645), ("5m", 300), ("2d03:04:05", 183845), ("03:04:05", 11045), ("", None), ("soon", None)],
)
def test_parse_uptime(text, seconds):
    assert parse_uptime(text) == seconds


def test_missing_policies_know_routeros_6_has_no_rest_api():
    group = "read,write,api,ssh,reboot,policy,sensitive,!ftp"
    assert missing_policies(group, "7.16.2") == ["rest-api"]
    assert missing_policies(group, "6.49.10") == []
    assert missing_policies("read,api,!write", "7.1") == ["write", "ssh", "rest-api", "reboot", "policy", "sensitive"]


@pytest.mark.django_db
def test_credentials_override_first_then_profile_then_a_clear_error(world):
    profile = make_credential_profile(world.acme, "Routers", username="prof-user", password="prof-pw")
    with_override = make_device(world.acme, None, credential_profile=profile, username="own-user", password="own-pw")
    profile_only = make_device(world.acme, None, credential_profile=profile)
    nothing = make_device(world.acme, None)
    with tenant_context(world.acme.id):
        user, secret = services.device_credentials(with_override)
        assert (user, secret.reveal()) == ("own-user", "own-pw")
        user, secret = services.device_credentials(profile_only)
        assert (user, secret.reveal()) == ("prof-user", "prof-pw")
        assert "prof-pw" not in repr(secret)
        with pytest.raises(services.NoCredentials, match="user name and password"):
            services.device_credentials(nothing)


@pytest.mark.django_db
def test_record_status_writes_an_event_only_on_change_and_new_credentials_unblock(world):
    device = make_device(world.acme, None)
    with tenant_context(world.acme.id):
        assert services.record_status(device, "offline", "Connection refused.") is True
        assert services.record_status(device, "offline", "Connection refused again.") is False
        assert services.record_status(device, "online") is True
        events = list(DeviceEvent.objects.filter(device=device).order_by("at").values_list("old", "new"))
        assert events == [("unknown", "offline"), ("offline", "online")]
        device.refresh_from_db()
        assert device.status == "online" and device.last_seen is not None

        type(device).objects.filter(pk=device.pk).update(auth_blocked=True, consecutive_failures=4)
        services.mark_credentials_changed(device, by=world.users.alice)
        device.refresh_from_db()
        assert not device.auth_blocked and device.consecutive_failures == 0 and device.credentials_changed


@pytest.mark.django_db
def test_tls_context_per_mode(world):
    fingerprint = make_device(world.acme, None, tls_mode="fingerprint", tls_fingerprint="AB" * 32)
    insecure = make_device(world.acme, None, tls_mode="insecure")
    bad_ca = make_device(world.acme, None, tls_mode="ca", tls_ca_pem="not a certificate")
    pinned = services.tls_context_for(fingerprint)
    assert isinstance(pinned, services.PinnedSSLContext) and pinned.expected_fingerprint == "ab" * 32
    loose = services.tls_context_for(insecure)
    assert loose.verify_mode == ssl.CERT_NONE and loose.expected_fingerprint == ""
    with pytest.raises(services.DeviceError, match="CA certificate"):
        services.tls_context_for(bad_ca)
