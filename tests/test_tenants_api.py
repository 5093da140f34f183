"""/api/v1/tenants/: super admins create and change tenants (through services.create_tenant)."""

import pytest

from tenants.models import Tenant
from tests.factories import api_client

pytestmark = pytest.mark.django_db


def test_super_admin_creates_a_tenant(world):
    response = api_client(world.users.root).post("/api/v1/tenants/", {"name": "Initech", "slug": "initech"})
    assert response.status_code == 201, response.content
    assert Tenant.objects.filter(slug="initech").exists()


@pytest.mark.parametrize("name", ["alice", "bob", "carol", "dave", "erin"])
def test_nobody_else_creates_or_changes_tenants(world, name):
    client = api_client(getattr(world.users, name))
    assert client.post("/api/v1/tenants/", {"name": "X", "slug": "x"}).status_code == 403
    assert client.patch("/api/v1/tenants/acme/", {"require_2fa": True}, format="json").status_code in (403, 404)
    world.acme.refresh_from_db()
    assert world.acme.require_2fa is False


def test_super_admin_requires_2fa_for_a_tenant(world):
    response = api_client(world.users.root).patch("/api/v1/tenants/acme/", {"require_2fa": True}, format="json")
    assert response.status_code == 200
    world.acme.refresh_from_db()
    assert world.acme.require_2fa is True


def test_members_see_only_their_tenants(world):
    slugs = [t["slug"] for t in api_client(world.users.alice).get("/api/v1/tenants/").json()["results"]]
    assert slugs == ["acme"]
    assert api_client(world.users.alice).get("/api/v1/tenants/globex/").status_code == 404


def test_bad_slug_is_400(world):
    response = api_client(world.users.root).post("/api/v1/tenants/", {"name": "Bad", "slug": "Bad Slug!"})
    assert response.status_code == 400
    assert "slug" in response.json()["error"]["fields"]
