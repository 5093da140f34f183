# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""The Members page: tenant admins and super admins add, change and remove members; an admin
cannot touch a super admin; viewers see the list without controls and their POSTs are 403."""

import pytest
from django.test import Client

from tenants.context import tenant_context
from tenants.models import Membership, MembershipSite, User
from tests.conftest import world  # noqa: F401
from tests.factories import add_member, make_user

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def membership(world, username):
    return Membership.objects.get(tenant=world.acme, user__username=username)


def test_admin_sees_members_with_controls(world):
    body = client_for(world.users.alice).get("/t/acme/members/").content.decode()
    for name in ("alice", "bob", "carol", "dave"):
        assert name in body
    assert "erin" not in body  # another tenant's admin
    assert "Add member" in body
    assert f"/t/acme/members/{membership(world, 'bob').pk}/edit/" in body
    assert "North" in body  # dave's site scope


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_non_admins_see_members_without_controls(world, who):
    response = client_for(getattr(world.users, who)).get("/t/acme/members/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "alice" in body
    assert "Add member" not in body and "/edit/" not in body and "/remove/" not in body


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_non_admin_forged_member_posts_are_403(world, who):
    client = client_for(getattr(world.users, who))
    target = membership(world, "carol" if who != "carol" else "bob")
    assert client.get("/t/acme/members/add/").status_code == 403
    assert (
        client.post(
            "/t/acme/members/add/", {"username": "mallory", "email": "m@example.com", "role": "admin"}
        ).status_code
        == 403
    )
    assert client.post(f"/t/acme/members/{target.pk}/edit/", {"role": "admin"}).status_code == 403
    assert client.post(f"/t/acme/members/{target.pk}/remove/").status_code == 403
    assert not User.objects.filter(username="mallory").exists()
    assert Membership.objects.get(pk=target.pk).role == target.role


def test_foreign_admin_gets_404(world):
    client = client_for(world.users.erin)
    bob = membership(world, "bob")
    assert client.get("/t/acme/members/").status_code == 404
    assert client.post(f"/t/acme/members/{bob.pk}/remove/").status_code == 404
    # and a membership id of acme used under globex's URL is not found either
    assert client.post(f"/t/globex/members/{bob.pk}/remove/").status_code == 404
    assert Membership.objects.filter(pk=bob.pk).exists()


def test_admin_adds_an_existing_user_with_sites(world):
    make_user("frank")
    response = client_for(world.users.alice).post(
        "/t/acme/members/add/", {"username": "frank", "role": "operator", "sites": [str(world.south.pk)]}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    frank = membership(world, "frank")
    assert frank.role == "operator"
    with tenant_context(world.acme.id):
        assert list(MembershipSite.objects.filter(membership=frank).values_list("site_id", flat=True)) == [
            world.south.pk
        ]


def test_admin_creates_a_new_user_and_sees_the_password_once(world):
    client = client_for(world.users.alice)
    response = client.post(
        "/t/acme/members/add/", {"username": "grace", "email": "grace@example.com", "role": "viewer"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "shown only once" in body
    grace = User.objects.get(username="grace")
    assert membership(world, "grace").role == "viewer"
    # the password on the page is the account's real one, and it is not shown again
    import re

    password = re.search(r'id="new-password">([^<]+)<', body).group(1)
    assert grace.check_password(password)
    assert password not in client.get("/t/acme/members/").content.decode()


def test_bad_member_input_is_a_form_error(world):
    client = client_for(world.users.alice)
    no_email = client.post("/t/acme/members/add/", {"username": "nobody", "role": "viewer"})
    assert no_email.status_code == 400 and "give an email address" in no_email.content.decode()
    bad_role = client.post("/t/acme/members/add/", {"username": "bob", "role": "god"})
    assert bad_role.status_code == 400 and "Select a valid choice" in bad_role.content.decode()
    already = client.post("/t/acme/members/add/", {"username": "bob", "role": "viewer"})
    assert already.status_code == 400 and "already a member" in already.content.decode()
    foreign_site = client.post(
        "/t/acme/members/add/", {"username": "erin", "role": "viewer", "sites": [str(world.east.pk)]}
    )
    assert foreign_site.status_code == 400
    assert not Membership.objects.filter(tenant=world.acme, user=world.users.erin).exists()


def test_admin_changes_a_role_and_removes_a_member(world):
    client = client_for(world.users.alice)
    bob = membership(world, "bob")
    page = client.get(f"/t/acme/members/{bob.pk}/edit/")
    assert page.status_code == 200 and "Edit bob" in page.content.decode()
    assert client.post(f"/t/acme/members/{bob.pk}/edit/", {"role": "viewer"}).status_code == 302
    assert Membership.objects.get(pk=bob.pk).role == "viewer"
    assert client.post(f"/t/acme/members/{bob.pk}/remove/").status_code == 302
    assert not Membership.objects.filter(pk=bob.pk).exists()


def test_admin_cannot_manage_a_super_admin_member(world):
    add_member(world.users.root, world.acme, "admin")
    root_membership = membership(world, "root")
    client = client_for(world.users.alice)
    body = client.get("/t/acme/members/").content.decode()
    assert f"/t/acme/members/{root_membership.pk}/edit/" not in body
    assert "platform-managed" in body
    assert client.post(f"/t/acme/members/{root_membership.pk}/edit/", {"role": "viewer"}).status_code == 403
    assert client.post(f"/t/acme/members/{root_membership.pk}/remove/").status_code == 403
    assert client.post("/t/acme/members/add/", {"username": "root", "role": "viewer"}).status_code == 400
    assert Membership.objects.get(pk=root_membership.pk).role == "admin"


def test_super_admin_manages_members_without_membership(world):
    client = client_for(world.users.root)
    carol = membership(world, "carol")
    assert "Add member" in client.get("/t/acme/members/").content.decode()
    assert client.post(f"/t/acme/members/{carol.pk}/edit/", {"role": "operator"}).status_code == 302
    assert Membership.objects.get(pk=carol.pk).role == "operator"
