"""tenants.services enforce who may do what themselves (the UI and the API both rely on it)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tenants import services
from tenants.models import Membership, Tenant
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["alice", "bob", "carol", "dave", "erin"])
def test_only_super_admins_create_tenants_and_users(world, name):
    actor = getattr(world.users, name)
    with pytest.raises(PermissionDenied):
        services.create_tenant("Initech", "initech", by=actor)
    with pytest.raises(PermissionDenied):
        services.create_user("zed", by=actor)
    with pytest.raises(PermissionDenied):
        services.set_super_admin(actor, True, by=actor)
    assert not Tenant.objects.filter(slug="initech").exists()


@pytest.mark.parametrize("name", ["bob", "carol", "dave", "erin"])
def test_only_the_tenants_admins_and_super_admins_manage_its_members(world, name):
    actor = getattr(world.users, name)
    frank = make_user("frank")
    with pytest.raises(PermissionDenied):
        services.set_membership(world.acme, frank, "admin", by=actor)
    with pytest.raises(PermissionDenied):
        services.remove_membership(world.acme, world.users.carol, by=actor)
    with pytest.raises(PermissionDenied):
        services.invite_or_create_user(world.acme, "newbie", "viewer", by=actor)
    assert not Membership.objects.filter(user=frank).exists()


def test_admin_cannot_grant_a_role_in_another_tenant(world):
    with pytest.raises(PermissionDenied):
        services.set_membership(world.globex, world.users.bob, "admin", by=world.users.alice)


def test_admin_cannot_touch_a_super_admin(world):
    with pytest.raises(PermissionDenied):
        services.set_membership(world.acme, world.users.root, "viewer", by=world.users.alice)


def test_super_admin_can_do_both(world):
    membership = services.set_membership(world.acme, world.users.erin, "operator", by=world.users.root)
    assert membership.role == "operator"
    services.remove_membership(world.acme, world.users.erin, by=world.users.root)
    assert not Membership.objects.filter(user=world.users.erin, tenant=world.acme).exists()


@pytest.mark.parametrize("sites", [["not-a-uuid"], ["00000000-0000-0000-0000-000000000000"], "east"])
def test_sites_must_be_the_tenants(world, sites):
    sites = [world.east] if sites == "east" else sites
    with pytest.raises(ValidationError) as excinfo:
        services.set_membership(world.acme, world.users.bob, "viewer", sites, by=world.users.alice)
    assert "sites" in excinfo.value.message_dict
    assert Membership.objects.get(user=world.users.bob, tenant=world.acme).role == "operator", "unchanged"


def test_set_membership_replaces_the_site_scope(world):
    services.set_membership(world.acme, world.users.bob, "viewer", [world.north, world.south], by=world.users.alice)
    membership = Membership.objects.get(user=world.users.bob, tenant=world.acme)
    assert set(services.site_ids_of(membership)) == {world.north.id, world.south.id}
    services.set_membership(world.acme, world.users.bob, "viewer", [world.south.id], by=world.users.alice)
    assert services.site_ids_of(membership) == [world.south.id]


def test_invite_creates_the_account_once(world):
    membership, password = services.invite_or_create_user(world.acme, "grace", "viewer", by=world.users.alice)
    assert password and membership.user.check_password(password)
    again, none = services.invite_or_create_user(world.globex, "grace", "viewer", by=world.users.erin)
    assert none is None and again.user == membership.user


def test_update_refuses_unknown_fields(world):
    with pytest.raises(ValidationError):
        services.update_user(world.users.bob, by=world.users.root, is_super_admin=True)
    with pytest.raises(ValidationError):
        services.update_tenant(world.acme, by=world.users.root, id="x")
