"""/api/v1/tenants/{tenant}/members/: tenant admins and super admins manage memberships."""

import pytest

from tenants.models import Membership, User
from tenants.services import site_ids_of
from tests.factories import api_client, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/tenants/acme/members/"


def member(world, name):
    return Membership.objects.get(user__username=name, tenant=world.acme)


def test_admin_lists_members_with_roles_and_sites(world):
    body = api_client(world.users.alice).get(URL + "?limit=50").json()
    rows = {r["user"]["username"]: r for r in body["results"]}
    assert set(rows) == {"alice", "bob", "carol", "dave"}
    assert rows["dave"]["sites"] == [str(world.north.id)] and rows["bob"]["sites"] == []
    assert "password" not in str(body)


def test_admin_adds_an_existing_user(world):
    frank = make_user("frank")
    response = api_client(world.users.alice).post(URL, {"username": "frank", "role": "operator"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["password"] is None
    assert Membership.objects.get(user=frank, tenant=world.acme).role == "operator"


def test_admin_creates_a_user_with_a_generated_password(world):
    response = api_client(world.users.alice).post(
        URL, {"username": "grace", "role": "viewer", "sites": [str(world.south.id)]}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert User.objects.get(username="grace").check_password(body["password"])
    assert body["sites"] == [str(world.south.id)]


def test_sites_of_another_tenant_are_a_clear_400(world):
    response = api_client(world.users.alice).post(
        URL, {"username": "grace", "role": "viewer", "sites": [str(world.east.id)]}, format="json"
    )
    assert response.status_code == 400
    assert "sites" in response.json()["error"]["fields"]
    assert "East" not in response.content.decode()
    assert not User.objects.filter(username="grace").exists(), "nothing half-created"


def test_admin_changes_role_and_sites(world):
    dave = member(world, "dave")
    client = api_client(world.users.alice)
    response = client.patch(f"{URL}{dave.id}/", {"role": "operator", "sites": []}, format="json")
    assert response.status_code == 200, response.content
    dave.refresh_from_db()
    assert dave.role == "operator" and site_ids_of(dave) == []


def test_bad_role_is_400(world):
    response = api_client(world.users.alice).patch(f"{URL}{member(world, 'bob').id}/", {"role": "god"}, format="json")
    assert response.status_code == 400


def test_admin_removes_a_member(world):
    response = api_client(world.users.alice).delete(f"{URL}{member(world, 'carol').id}/")
    assert response.status_code == 204
    assert not Membership.objects.filter(user=world.users.carol, tenant=world.acme).exists()


@pytest.mark.parametrize("name", ["bob", "carol", "dave"])
def test_non_admins_cannot_manage_members(world, name):
    client = api_client(getattr(world.users, name))
    assert client.get(URL).status_code == 200
    assert client.post(URL, {"username": "zed", "role": "admin"}, format="json").status_code == 403
    assert client.delete(f"{URL}{member(world, 'carol').id}/").status_code == 403


def test_admin_cannot_touch_super_admins(world):
    root = world.users.root
    response = api_client(world.users.alice).post(URL, {"username": "root", "role": "viewer"}, format="json")
    assert response.status_code == 403
    Membership.objects.create(user=root, tenant=world.acme, role="viewer")
    membership = Membership.objects.get(user=root, tenant=world.acme)
    client = api_client(world.users.alice)
    assert client.patch(f"{URL}{membership.id}/", {"role": "admin"}, format="json").status_code == 403
    assert client.delete(f"{URL}{membership.id}/").status_code == 403


def test_admin_cannot_change_their_own_membership(world):
    response = api_client(world.users.alice).patch(
        f"{URL}{member(world, 'alice').id}/", {"role": "viewer"}, format="json"
    )
    assert response.status_code == 403


def test_admin_cannot_grant_roles_in_another_tenant(world):
    client = api_client(world.users.alice)
    assert client.post("/api/v1/tenants/globex/members/", {"username": "bob", "role": "admin"}).status_code == 404
    assert not Membership.objects.filter(user=world.users.bob, tenant=world.globex).exists()


def test_super_admin_without_membership_manages_members(world):
    response = api_client(world.users.root).post(URL, {"username": "erin", "role": "viewer"}, format="json")
    assert response.status_code == 201
    assert Membership.objects.filter(user=world.users.erin, tenant=world.acme).exists()


def test_duplicate_member_is_400(world):
    response = api_client(world.users.alice).post(URL, {"username": "bob", "role": "viewer"}, format="json")
    assert response.status_code == 400


def test_filter_by_role(world):
    rows = api_client(world.users.alice).get(URL + "?role=viewer").json()["results"]
    assert sorted(r["user"]["username"] for r in rows) == ["carol", "dave"]
