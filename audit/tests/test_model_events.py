"""Changes of tenants, users, memberships and sites are recorded, with the actor of the request."""

import pytest
from django.db import transaction
from django.test import RequestFactory

from audit.context import activate_platform_audit
from audit.middleware import AuditRequestMiddleware, current_request
from audit.models import AuditEntry
from tenants.context import tenant_context
from tenants.models import Membership, MembershipSite
from tests.factories import add_member, api_client, make_tenant, make_user

pytestmark = pytest.mark.django_db


def _platform(action):
    with transaction.atomic():
        activate_platform_audit()
        return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def _tenant(tenant, action):
    with tenant_context(tenant.id):
        return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def _as(user, work):
    """Run `work` while `user`'s request is being served (what the middleware provides)."""
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.33")
    request.user = user
    return AuditRequestMiddleware(lambda req: work())(request)


def test_middleware_exposes_the_request_only_while_serving_it():
    seen = []
    request = RequestFactory().get("/")
    AuditRequestMiddleware(lambda req: seen.append(current_request()))(request)
    assert seen == [request]
    assert current_request() is None


def test_tenant_created_through_the_api_names_the_super_admin(world):
    response = api_client(world.users.root).post("/api/v1/tenants/", {"name": "Initech", "slug": "initech"})
    assert response.status_code == 201, response.content
    [entry] = _platform("tenant.created")[-1:]
    assert (entry.username, entry.target_type, entry.target_name) == ("root", "tenants.tenant", "Initech")
    assert entry.tenant_id is None and entry.details["slug"] == "initech"
    assert entry.ip == "127.0.0.1"


def test_tenant_change_lists_old_and_new_values(world):
    world.acme.active = False
    _as(world.users.root, world.acme.save)
    [entry] = _platform("tenant.changed")
    assert entry.details == {"changes": {"active": [True, False]}}
    assert entry.username == "root"


def test_save_without_changes_records_nothing(world):
    world.acme.save()
    assert _platform("tenant.changed") == []


def test_tenant_deletion_is_recorded(world):
    doomed = make_tenant("Doomed", slug="doomed")
    doomed_id = doomed.id
    doomed.delete()
    [entry] = _platform("tenant.deleted")
    assert (entry.target_id, entry.target_name) == (str(doomed_id), "Doomed")


def test_user_events_are_platform_events(world):
    user = make_user("frank")
    user.email = "frank@example.com"
    user.set_password("another-long-password")
    user.save()
    [created] = _platform("user.created")[-1:]
    [changed] = _platform("user.changed")
    [password] = _platform("user.password_changed")
    assert created.target_name == "frank"
    assert changed.details == {"changes": {"email": ["", "frank@example.com"]}}
    assert password.details == {}
    user_id = user.id
    user.delete()
    [deleted] = _platform("user.deleted")
    assert deleted.target_id == str(user_id)


def test_membership_events_go_to_the_tenants_chain(world):
    frank = make_user("frank")
    membership = _as(world.users.alice, lambda: add_member(frank, world.acme, "viewer"))
    [created] = _tenant(world.acme, "membership.created")[-1:]
    assert (created.username, created.details) == ("alice", {"role": "viewer", "user": "frank"})
    assert created.ip == "192.0.2.33"

    membership.role = "operator"
    membership.save()
    [changed] = _tenant(world.acme, "membership.changed")
    assert changed.details == {"changes": {"role": ["viewer", "operator"]}}

    membership.delete()
    [deleted] = _tenant(world.acme, "membership.deleted")
    assert deleted.target_name.startswith("frank in Acme")
    assert _tenant(world.globex, "membership.deleted") == []


def test_site_scope_changes_carry_the_site(world):
    frank = make_user("frank")
    membership = add_member(frank, world.acme, "viewer", sites=[world.south])
    [added] = _tenant(world.acme, "membership.site_added")[-1:]
    assert (added.site_id, added.details) == (world.south.id, {"user": "frank"})
    with tenant_context(world.acme.id):
        MembershipSite.objects.get(membership=membership).delete()
    [removed] = _tenant(world.acme, "membership.site_removed")
    assert removed.site_id == world.south.id


def test_deleting_a_membership_does_not_also_record_its_site_scopes(world):
    dave = Membership.objects.get(user=world.users.dave)
    with tenant_context(world.acme.id):
        dave.delete()
    assert len(_tenant(world.acme, "membership.deleted")) == 1
    assert _tenant(world.acme, "membership.site_removed") == []


def test_sites_created_through_the_api(world):
    response = api_client(world.users.alice).post("/api/v1/tenants/acme/sites/", {"name": "West", "slug": "west"})
    assert response.status_code == 201, response.content
    [entry] = _tenant(world.acme, "site.created")[-1:]
    assert (entry.username, str(entry.site_id), entry.target_name) == ("alice", response.json()["id"], "West")
