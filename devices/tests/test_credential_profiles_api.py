# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""Credential profiles over the API: admins create and change them (secrets write-only), a new
password unblocks the devices using it, a profile in use cannot be deleted (409)."""

import pytest

from audit.models import AuditEntry
from devices.models import CredentialProfile, Device
from devices.tests.inventory_support import api_url, world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import api_client, make_device

pytestmark = pytest.mark.django_db


def test_profile_lifecycle(world):
    client = api_client(world.users.alice)
    response = client.post(
        api_url("acme", "credential-profiles/"), {"name": "Routers", "username": "mikman"}, format="json"
    )
    assert response.status_code == 400 and "password" in response.json()["error"]["fields"]
    response = client.post(
        api_url("acme", "credential-profiles/"),
        {"name": "Routers", "username": "mikman", "password": "pw-1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    profile_id = response.json()["id"]
    duplicate = client.post(
        api_url("acme", "credential-profiles/"), {"name": "Routers", "username": "x", "password": "y"}, format="json"
    )
    assert duplicate.status_code == 400 and "name" in duplicate.json()["error"]["fields"]

    with tenant_context(world.acme.id):
        profile = CredentialProfile.objects.get(pk=profile_id)
    device = make_device(world.acme, None, name="blocked", credential_profile=profile)
    with tenant_context(world.acme.id):
        Device.objects.filter(pk=device.pk).update(auth_blocked=True, status="auth_failed")

    changed = client.patch(api_url("acme", f"credential-profiles/{profile_id}/"), {"password": "pw-2"}, format="json")
    assert changed.status_code == 200 and changed.json()["changed_by"] == "alice"
    assert changed.json()["device_count"] == 1
    with tenant_context(world.acme.id):
        assert Device.objects.get(pk=device.pk).auth_blocked is False  # new credentials: poll again
        assert AuditEntry.objects.filter(action="credential_profile.changed", target_id=str(profile_id)).exists()

    in_use = client.delete(api_url("acme", f"credential-profiles/{profile_id}/"))
    assert in_use.status_code == 409 and "used by 1 device" in in_use.json()["error"]["message"]
    assert client.delete(api_url("acme", f"devices/{device.pk}/")).status_code == 204
    assert client.delete(api_url("acme", f"credential-profiles/{profile_id}/")).status_code == 204


def test_viewers_see_profiles_but_only_set_or_not(world):
    client = api_client(world.users.alice)
    client.post(
        api_url("acme", "credential-profiles/"),
        {"name": "Routers", "username": "mikman", "password": "pw-visible?"},
        format="json",
    )
    listing = api_client(world.users.carol).get(api_url("acme", "credential-profiles/"))
    assert listing.status_code == 200
    row = listing.json()["results"][0]
    assert row["password_set"] is True and "password" not in row
    assert "pw-visible?" not in listing.content.decode()
