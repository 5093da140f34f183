"""Row-level security proven against the database itself, as the app role (rls.md, tests 2–5).

Transaction semantics matter here: the tenant setting is transaction-local and the same-tenant
foreign keys are checked at COMMIT (deferred), so the tests that depend on either use
`transaction=True` (real commits, no wrapping test transaction to hide a leak).
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from tenants.context import database_tenant_setting, tenant_context
from tenants.models import Membership, MembershipSite, Site
from tenants.roles import role_allows
from tests.factories import api_client, make_token, token_client
from tests.test_isolation_matrix import ROUTES

RLS_VIOLATION = "new row violates row-level security policy"


def _raw_site_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM tenants_site ORDER BY name")
        return [row[0] for row in cursor.fetchall()]


# --- (b) reads ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_under_tenant_a_orm_and_raw_sql_see_no_row_of_b(world):
    with tenant_context(world.acme.id):
        assert sorted(Site.objects.values_list("name", flat=True)) == ["North", "South"]
        assert Site.objects.filter(tenant=world.globex).count() == 0
        assert Site.objects.filter(pk=world.east.pk).first() is None
        assert _raw_site_names() == ["North", "South"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tenants_site WHERE tenant_id = %s", [world.globex.id])
            assert cursor.fetchone()[0] == 0
            cursor.execute("SELECT count(*) FROM tenants_membershipsite")
            assert cursor.fetchone()[0] == 1  # dave's link to North, nothing of globex
    with tenant_context(world.globex.id):
        assert _raw_site_names() == ["East"]


@pytest.mark.django_db
def test_with_no_tenant_set_every_tenant_table_is_empty(world):
    with transaction.atomic():
        assert database_tenant_setting() == ""
        assert Site.objects.count() == 0
        assert MembershipSite.objects.count() == 0
        assert _raw_site_names() == []
    assert Site.objects.count() == 0, "autocommit (no transaction at all) sees nothing either"


@pytest.mark.django_db
def test_a_malicious_filter_cannot_escape_the_policy(world):
    with tenant_context(world.acme.id), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tenants_site WHERE true OR tenant_id IS NOT NULL")
        assert cursor.fetchone()[0] == 2


# --- (c) writes --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_inserting_a_row_of_b_while_acting_as_a_fails(world):
    with pytest.raises(DatabaseError, match=RLS_VIOLATION):
        with tenant_context(world.acme.id):
            Site.objects.create(tenant=world.globex, name="Smuggled", slug="smuggled")
    with pytest.raises(DatabaseError, match=RLS_VIOLATION):
        with tenant_context(world.acme.id), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tenants_site (id, tenant_id, name, slug, description, created) "
                "VALUES (gen_random_uuid(), %s, 'Raw', 'raw', '', now())",
                [world.globex.id],
            )
    with tenant_context(world.globex.id):
        assert sorted(Site.objects.values_list("name", flat=True)) == ["East"]


@pytest.mark.django_db(transaction=True)
def test_moving_a_row_of_a_to_b_fails(world):
    with pytest.raises(DatabaseError, match=RLS_VIOLATION):
        with tenant_context(world.acme.id):
            Site.objects.filter(pk=world.north.pk).update(tenant_id=world.globex.id)
    with tenant_context(world.acme.id):
        assert Site.objects.get(pk=world.north.pk).tenant_id == world.acme.id


@pytest.mark.django_db(transaction=True)
def test_updating_or_deleting_a_row_of_b_while_acting_as_a_touches_nothing(world):
    with tenant_context(world.acme.id):
        assert Site.objects.filter(pk=world.east.pk).update(name="Hijacked") == 0
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM tenants_site WHERE id = %s", [world.east.pk])
            assert cursor.rowcount == 0
    with tenant_context(world.globex.id):
        assert Site.objects.get(pk=world.east.pk).name == "East"


@pytest.mark.django_db(transaction=True)
def test_writing_with_no_tenant_set_fails(world):
    with pytest.raises(DatabaseError, match=RLS_VIOLATION):
        with transaction.atomic():
            Site.objects.create(tenant=world.acme, name="Orphan", slug="orphan")


# --- (d) cross-tenant foreign keys -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_membership_site_of_a_cannot_point_at_a_site_of_b(world):
    alice = Membership.objects.get(user=world.users.alice, tenant=world.acme)
    # Acting as A: B's site is invisible, but a FK check ignores RLS — the composite
    # (tenant_id, site_id) key is what refuses it (at COMMIT: the constraint is deferred).
    with pytest.raises(IntegrityError):
        with tenant_context(world.acme.id):
            MembershipSite.objects.create(tenant=world.acme, membership=alice, site=world.east)
    # Acting as B (so the site is visible) and labelling the row as A's: RLS refuses it.
    with pytest.raises(DatabaseError, match=RLS_VIOLATION):
        with tenant_context(world.globex.id):
            MembershipSite.objects.create(tenant=world.acme, membership=alice, site=world.east)
    # Acting as B and labelling the row as B's, attached to A's membership: the composite
    # (tenant_id, membership_id) key refuses it.
    with pytest.raises(IntegrityError):
        with tenant_context(world.globex.id):
            MembershipSite.objects.create(tenant=world.globex, membership=alice, site=world.east)
    for tenant in (world.acme, world.globex):
        with tenant_context(tenant.id):
            assert not MembershipSite.objects.filter(membership=alice).exists()


@pytest.mark.django_db(transaction=True)
def test_same_tenant_membership_site_is_accepted(world):
    """The control for the test above: the same write within one tenant commits."""
    alice = Membership.objects.get(user=world.users.alice, tenant=world.acme)
    with tenant_context(world.acme.id):
        MembershipSite.objects.create(tenant=world.acme, membership=alice, site=world.south)
    with tenant_context(world.acme.id):
        assert MembershipSite.objects.filter(membership=alice).count() == 1


# --- (e) the super admin without a membership --------------------------------------------------


@pytest.mark.django_db
def test_super_admin_without_membership_gets_no_tenant_data_through_the_api(world):
    client = api_client(world.users.root)
    data_routes = [r for r in ROUTES if r.model is not None and not role_allows("platform", r.model.view_action)]
    structure_routes = [r for r in ROUTES if r.model is not None and role_allows("platform", r.model.view_action)]
    assert structure_routes, "sites and members are structure"
    assert data_routes, "tenant data routes (the audit log at least) must exist for this test to mean anything"
    for route in data_routes:
        if route.is_detail:
            continue
        for slug in ("acme", "globex"):
            url = route.url({"tenant": slug})
            response = client.get(url)
            assert response.status_code == 404, f"super admin read tenant data at {url}"
    # Structure (sites) is theirs to manage.
    names = [s["name"] for s in client.get("/api/v1/tenants/acme/sites/").json()["results"]]
    assert names == ["North", "South"]


@pytest.mark.django_db
def test_super_admin_without_membership_outside_any_tenant_sees_no_rows(world):
    with transaction.atomic():
        assert Site.objects.count() == 0 and MembershipSite.objects.count() == 0


# --- connection reuse --------------------------------------------------------------------------


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_reused_connection_carries_no_tenant_after_a_request(world, settings):
    assert settings.DATABASES["default"]["ATOMIC_REQUESTS"] is True
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0, "persistent connections are what is at stake"
    client = token_client(make_token(world.users.alice))  # a real authenticated request, no force
    pid = _backend_pid()
    response = client.get("/api/v1/tenants/acme/sites/")
    assert response.status_code == 200 and len(response.json()["results"]) == 2
    assert _backend_pid() == pid, "the request ran on the same (persistent) connection"
    with transaction.atomic():
        assert database_tenant_setting() == ""
        assert Site.objects.count() == 0
        assert _raw_site_names() == []
    assert database_tenant_setting() == ""
    from tenants.context import current_tenant_id

    assert current_tenant_id() is None, "the ContextVar was reset too"


@pytest.mark.django_db(transaction=True)
def test_a_failed_request_leaves_no_tenant_either(world):
    client = token_client(make_token(world.users.carol))  # viewer: the write is refused mid-request
    pid = _backend_pid()
    assert client.post("/api/v1/tenants/acme/sites/", {"name": "X", "slug": "x"}).status_code == 403
    assert _backend_pid() == pid
    with transaction.atomic():
        assert database_tenant_setting() == "" and Site.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_session_level_set_is_not_what_the_app_uses(world):
    """A guard for the guard: if someone switched to a session-level SET, this would see it."""
    client = token_client(make_token(world.users.alice))
    client.get("/api/v1/tenants/acme/sites/")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true)")
        assert (cursor.fetchone()[0] or "") == ""
