# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""Credentials go in and never come out: no API response body and no audit detail holds a known
password; responses say only "set / not set" and when and by whom credentials changed; every
credential change is audited."""

import json

import pytest
from django.db import connection

from audit.models import AuditEntry
from devices.models import CredentialProfile, Device
from devices.tests.inventory_support import api_url, world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import api_client

pytestmark = pytest.mark.django_db

PROFILE_PW = "Pr0file-S3cret-known-xyz"
DEVICE_PW = "D3vice-S3cret-known-abc"
NEW_PW = "N3w-S3cret-known-def"
COMMUNITY = "c0mmunity-known-ghi"
KNOWN = (PROFILE_PW, DEVICE_PW, NEW_PW, COMMUNITY)


def assert_clean(response):
    body = response.content.decode()
    for secret in KNOWN:
        assert secret not in body, f"a known secret is in {response.request['PATH_INFO']}"


def test_secrets_never_in_api_bodies_nor_audit_nor_table(world):
    client = api_client(world.users.alice)
    responses = []
    profile = client.post(
        api_url("acme", "credential-profiles/"),
        {"name": "Routers", "username": "mikman", "password": PROFILE_PW},
        format="json",
    )
    assert profile.status_code == 201, profile.content
    assert profile.json()["password_set"] is True and profile.json()["changed_by"] == "alice"
    assert "password" not in profile.json()
    responses.append(profile)
    profile_id = profile.json()["id"]

    device = client.post(
        api_url("acme", "devices/"),
        {
            "name": "edge",
            "host": "192.0.2.5",
            "credential_profile": profile_id,
            "password": DEVICE_PW,
            "snmp_version": "v2c",
            "snmp_community": COMMUNITY,
        },
        format="json",
    )
    assert device.status_code == 201, device.content
    body = device.json()
    assert body["password_set"] is True and body["snmp_community_set"] is True
    assert body["credentials_changed_by"] == "alice" and body["credentials_changed"]
    assert "password" not in body and "snmp_community" not in body
    responses.append(device)
    device_id = body["id"]

    responses.append(client.patch(api_url("acme", f"devices/{device_id}/"), {"password": NEW_PW}, format="json"))
    responses.append(
        client.patch(api_url("acme", f"credential-profiles/{profile_id}/"), {"password": NEW_PW}, format="json")
    )
    responses.append(client.post(api_url("acme", f"devices/{device_id}/check/")))
    for path in (
        "devices/",
        f"devices/{device_id}/",
        "credential-profiles/",
        f"credential-profiles/{profile_id}/",
        "device-events/",
        "device-checks/",
        "audit/",
    ):
        responses.append(client.get(api_url("acme", path)))
    for response in responses:
        assert response.status_code < 400, (response.status_code, response.content[:300])
        assert_clean(response)

    # A blank password on PATCH removes the per-device override (falls back to the profile).
    cleared = client.patch(api_url("acme", f"devices/{device_id}/"), {"password": ""}, format="json")
    assert cleared.status_code == 200 and cleared.json()["password_set"] is False

    with tenant_context(world.acme.id):
        entries = list(AuditEntry.objects.filter(tenant=world.acme).values_list("action", "details"))
        actions = [a for a, _ in entries]
        dumped = json.dumps([d for _, d in entries])
        raw = json.dumps(
            [
                list(CredentialProfile.objects.values("password")),
                list(Device.objects.values("password", "snmp_community")),
            ],
            default=str,
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT password::text, snmp_community::text FROM devices_device")
            stored = json.dumps(cursor.fetchall())
    assert {
        "credential_profile.created",
        "credential_profile.changed",
        "device.added",
        "device.changed",
        "device.check_requested",
    } <= set(actions)
    for secret in KNOWN:
        assert secret not in dumped  # audit details
        assert secret not in raw and secret not in stored  # sealed at rest
    assert '"sealed_fields": ["password"]' in dumped  # which secret changed is recorded, not its value
