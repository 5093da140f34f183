"""/api/v1/me/: who am I, my tenants with my role in each, my 2FA status."""

import pytest

from tests.factories import api_client, enrol_2fa

pytestmark = pytest.mark.django_db


def test_me_lists_my_tenants_and_roles(world):
    body = api_client(world.users.dave).get("/api/v1/me/").json()
    assert body["username"] == "dave"
    assert body["tenants"] == [{"slug": "acme", "name": "Acme", "role": "viewer"}]
    assert body["two_factor"] == {"enabled": False, "required": False, "backup_codes_remaining": 0}
    assert "password" not in body


def test_super_admin_sees_every_tenant_with_platform_role(world):
    body = api_client(world.users.root).get("/api/v1/me/").json()
    assert body["is_super_admin"] is True
    assert {(t["slug"], t["role"]) for t in body["tenants"]} == {("acme", "platform"), ("globex", "platform")}


def test_me_reports_2fa(world):
    enrol_2fa(world.users.alice)
    assert api_client(world.users.alice).get("/api/v1/me/").json()["two_factor"]["enabled"] is True


def test_anonymous_is_401_or_403():
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert "error" in response.json()
