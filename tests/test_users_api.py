"""/api/v1/users/: super admins manage every account; nobody else sees it."""

import pytest

from tenants.models import User
from tests.factories import api_client, make_token, token_client

pytestmark = pytest.mark.django_db


def test_only_super_admins(world):
    for name in ("alice", "bob", "carol", "dave", "erin"):
        assert api_client(getattr(world.users, name)).get("/api/v1/users/").status_code == 403


def test_listing_never_exposes_password_hashes(world):
    response = api_client(world.users.root).get("/api/v1/users/?limit=100")
    assert response.status_code == 200
    text = response.content.decode()
    assert {u["username"] for u in response.json()["results"]} >= {"alice", "root"}
    assert "password" not in text and "md5$" not in text and "argon2" not in text


def test_create_returns_a_generated_password_once(world):
    client = api_client(world.users.root)
    response = client.post("/api/v1/users/", {"username": "frank", "email": "f@example.com"}, format="json")
    assert response.status_code == 201, response.content
    password = response.json()["password"]
    assert len(password) >= 16
    frank = User.objects.get(username="frank")
    assert frank.check_password(password)
    assert password not in client.get(f"/api/v1/users/{frank.id}/").content.decode()


def test_duplicate_username_is_400(world):
    response = api_client(world.users.root).post("/api/v1/users/", {"username": "ALICE"}, format="json")
    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]


def test_deactivate_and_set_super_admin(world):
    client = api_client(world.users.root)
    bob = world.users.bob
    raw = make_token(bob)
    assert client.patch(f"/api/v1/users/{bob.id}/", {"is_active": False}, format="json").status_code == 200
    assert token_client(raw).get("/api/v1/me/").status_code == 401
    assert client.patch(f"/api/v1/users/{bob.id}/", {"is_super_admin": True}, format="json").json()["is_super_admin"]
    bob.refresh_from_db()
    assert bob.is_super_admin and not bob.is_active


def test_super_admin_cannot_lock_themselves_out(world):
    root = world.users.root
    client = api_client(root)
    assert client.patch(f"/api/v1/users/{root.id}/", {"is_active": False}, format="json").status_code == 400
    assert client.patch(f"/api/v1/users/{root.id}/", {"is_super_admin": False}, format="json").status_code == 400


def test_username_cannot_be_changed(world):
    response = api_client(world.users.root).patch(
        f"/api/v1/users/{world.users.bob.id}/", {"username": "robert"}, format="json"
    )
    assert response.status_code == 400


def test_filters(world):
    client = api_client(world.users.root)
    names = {u["username"] for u in client.get("/api/v1/users/?is_super_admin=true").json()["results"]}
    assert names == {"root"}
    names = {u["username"] for u in client.get("/api/v1/users/?tenant=globex").json()["results"]}
    assert names == {"erin"}


def test_reset_2fa(world):
    from tenants import twofactor
    from tests.factories import enrol_2fa

    enrol_2fa(world.users.bob)
    response = api_client(world.users.root).post(f"/api/v1/users/{world.users.bob.id}/reset-2fa/")
    assert response.status_code == 204
    assert not twofactor.has_2fa(world.users.bob)
