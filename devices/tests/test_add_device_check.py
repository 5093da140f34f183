# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Adding a device through the API starts a connectivity check that a real Celery worker runs
against the simulator: the device comes online with its discovered facts."""

import pytest

from devices.tests.inventory_support import api_url, fleet, sim, wait_for_check, worker, world  # noqa: F401
from tests.factories import api_client, make_credential_profile, sim_device_fields


@pytest.mark.django_db(transaction=True)
def test_added_device_is_checked_and_comes_online_with_facts(world, worker, fleet):
    profile = make_credential_profile(world.acme, "Routers", username="admin", password="sim-admin")
    target = fleet["devices"][0]
    client = api_client(world.users.alice)
    body = {
        "name": "edge-1",
        "site": str(world.north.id),
        "credential_profile": str(profile.id),
        "tags": ["core", "north"],
        **sim_device_fields(target),
    }
    response = client.post(api_url("acme", "devices/"), body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "unknown"
    assert created["check"]["state"] == "queued"

    check = wait_for_check(client, created["check"]["url"])
    assert check["state"] == "succeeded", check
    assert check["outcome"] == "ok"
    assert check["protocol"] == "api-ssl"
    assert check["missing_policies"] == []

    device = client.get(api_url("acme", f"devices/{created['id']}/")).json()
    assert device["status"] == "online"
    assert device["identity"] == target["identity"]
    assert device["ros_version"] == target["version"]
    assert device["serial"] and device["model"] and device["architecture"]
    assert device["uptime_s"] > 0
    assert device["license_level"]
    assert len(device["tls_fingerprint"]) == 64  # pinned on first use
    assert device["last_seen"] is not None
    events = client.get(api_url("acme", f"device-events/?device={created['id']}")).json()["results"]
    assert {"status", "tls"} <= {e["kind"] for e in events}


@pytest.mark.django_db(transaction=True)
def test_check_falls_back_to_plain_api_when_api_ssl_is_closed(world, worker, fleet):
    profile = make_credential_profile(world.acme, "Routers", username="admin", password="sim-admin")
    target = fleet["devices"][1]
    client = api_client(world.users.alice)
    fields = sim_device_fields(target)
    closed_port = fields["api_port"] + 20000 if fields["api_port"] < 40000 else fields["api_port"] - 20000
    body = {"name": "edge-2", "credential_profile": str(profile.id), **fields, "api_ssl_port": closed_port}
    created = client.post(api_url("acme", "devices/"), body, format="json").json()
    check = wait_for_check(client, created["check"]["url"])
    assert check["state"] == "succeeded", check
    assert check["protocol"] == "api"
    assert [a["protocol"] for a in check["attempts"]] == ["api-ssl", "api"]
    assert check["attempts"][0]["outcome"] in ("refused", "reset")
    assert "fell back" in check["message"]


@pytest.mark.django_db(transaction=True)
def test_check_over_rest_pins_the_https_certificate(world, worker, fleet):
    profile = make_credential_profile(world.acme, "Routers", username="admin", password="sim-admin")
    target = next(d for d in fleet["devices"] if d["version"].startswith("7"))
    client = api_client(world.users.alice)
    body = {
        "name": "rest-1",
        "credential_profile": str(profile.id),
        "protocol": "rest",
        "fallback_protocols": [],
        **sim_device_fields(target),
    }
    created = client.post(api_url("acme", "devices/"), body, format="json").json()
    check = wait_for_check(client, created["check"]["url"])
    assert check["state"] == "succeeded", check
    assert check["protocol"] == "rest"
    device = client.get(api_url("acme", f"devices/{created['id']}/")).json()
    assert device["identity"] == target["identity"] and device["status"] == "online"
    assert len(device["tls_fingerprint"]) == 64


@pytest.mark.django_db(transaction=True)
def test_check_over_ssh_reads_facts_and_wrong_password_is_auth_failed(world, worker, fleet):
    target = fleet["devices"][2]
    client = api_client(world.users.alice)
    body = {"name": "ssh-1", "username": "admin", "password": "sim-admin", "protocol": "ssh", "fallback_protocols": []}
    created = client.post(api_url("acme", "devices/"), {**body, **sim_device_fields(target)}, format="json").json()
    check = wait_for_check(client, created["check"]["url"])
    assert check["state"] == "succeeded", check
    assert check["protocol"] == "ssh"
    device = client.get(api_url("acme", f"devices/{created['id']}/")).json()
    assert device["identity"] == target["identity"] and device["ros_version"] == target["version"]
    assert device["serial"] and device["uptime_s"] > 0

    wrong = {**body, "name": "ssh-2", "password": "not-the-password"}
    created = client.post(api_url("acme", "devices/"), {**wrong, **sim_device_fields(target)}, format="json").json()
    check = wait_for_check(client, created["check"]["url"])
    assert check["outcome"] == "auth_failed", check
    device = client.get(api_url("acme", f"devices/{created['id']}/")).json()
    assert device["status"] == "auth_failed" and device["auth_blocked"] is True
