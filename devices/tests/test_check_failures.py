# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""A connectivity check that cannot log in says exactly why, as a recorded state, never a crash:
wrong credentials (and the device is blocked from polling), offline, the read-only user's
missing policies, a changed TLS certificate."""

import pytest

from devices.models import Device
from devices.tests.inventory_support import api_url, fleet, sim, wait_for_check, worker, world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import api_client, make_credential_profile, make_device, sim_device_fields

pytestmark = pytest.mark.django_db(transaction=True)


def run_check(world, device) -> dict:
    client = api_client(world.users.alice)
    response = client.post(api_url("acme", f"devices/{device.pk}/check/"))
    assert response.status_code == 202, response.content
    return wait_for_check(client, response.json()["url"])


def reload(world, device) -> Device:
    with tenant_context(world.acme.id):
        return Device.objects.get(pk=device.pk)


def test_wrong_credentials_mean_auth_failed_and_blocked(world, worker, fleet):
    fleet["fleet"].set_fault(0, "wrong-credentials")
    device = make_device(
        world.acme, world.north, username="admin", password="sim-admin", **sim_device_fields(fleet["devices"][0])
    )
    check = run_check(world, device)
    assert check["state"] == "failed"
    assert check["outcome"] == "auth_failed"
    assert "invalid user name or password" in check["message"]
    assert [a["protocol"] for a in check["attempts"]] == ["api-ssl"]  # no second login with bad credentials
    device = reload(world, device)
    assert device.status == "auth_failed" and device.auth_blocked
    assert "refused the login" in device.status_reason

    # Retry clears the block (operators may); the poller would then try again.
    response = api_client(world.users.bob).post(api_url("acme", f"devices/{device.pk}/retry/"))
    assert response.status_code == 200 and response.json()["auth_blocked"] is False


def test_offline_device_is_offline_with_the_reason(world, worker, fleet):
    fleet["fleet"].set_fault(1, "offline")
    device = make_device(
        world.acme, None, username="admin", password="sim-admin", **sim_device_fields(fleet["devices"][1])
    )
    check = run_check(world, device)
    assert check["state"] == "failed"
    assert check["outcome"] in ("reset", "refused")
    assert [a["protocol"] for a in check["attempts"]] == ["api-ssl", "api"]  # the fallback was tried too
    device = reload(world, device)
    assert device.status == "offline"
    assert device.status_reason and not device.auth_blocked


def test_closed_port_is_refused(world, worker, fleet):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    device = make_device(
        world.acme, None, username="admin", password="x", host="127.0.0.1", api_ssl_port=port, api_port=port
    )
    check = run_check(world, device)
    assert check["outcome"] == "refused"
    assert f"port {port}" in check["message"]
    assert reload(world, device).status == "offline"


def test_read_only_user_lacks_policies_and_they_are_listed(world, worker, fleet):
    profile = make_credential_profile(world.acme, "Monitoring", username="monitor", password="sim-monitor")
    target = fleet["devices"][2]
    device = make_device(world.acme, None, credential_profile=profile, **sim_device_fields(target))
    check = run_check(world, device)
    assert check["state"] == "failed"
    assert check["outcome"] == "insufficient_policy"
    assert {"write", "policy", "reboot"} <= set(check["missing_policies"])
    assert "read" not in check["missing_policies"]
    for policy in ("write", "policy", "reboot"):
        assert policy in check["message"]
    device = reload(world, device)
    assert device.status == "degraded"
    assert device.identity == target["identity"]  # facts are still read with a read-only user


def test_pinned_fingerprint_mismatch_is_reported_and_no_login_happens(world, worker, fleet):
    target = fleet["devices"][3]
    device = make_device(world.acme, None, username="admin", password="sim-admin", **sim_device_fields(target))
    first = run_check(world, device)
    assert first["state"] == "succeeded", first
    pinned = reload(world, device).tls_fingerprint
    assert len(pinned) == 64

    # Another certificate on the device = a fingerprint that no longer matches the pin.
    with tenant_context(world.acme.id):
        Device.objects.filter(pk=device.pk).update(tls_fingerprint="ab" * 32)
    check = run_check(world, device)
    assert check["state"] == "failed"
    assert check["outcome"] == "tls_mismatch"
    assert "TLS certificate changed" in check["message"]
    assert [a["protocol"] for a in check["attempts"]] == ["api-ssl"]  # no fallback to plain text
    device = reload(world, device)
    assert device.status == "unreachable" and "TLS certificate changed" in device.status_reason
    assert device.tls_fingerprint == "ab" * 32  # the pin is not silently replaced


def test_device_without_credentials_fails_clearly(world, worker, fleet):
    device = make_device(world.acme, None, **sim_device_fields(fleet["devices"][0]))
    check = run_check(world, device)
    assert check["state"] == "failed"
    assert check["outcome"] == "no_credentials"
    assert "credential profile" in check["message"]
