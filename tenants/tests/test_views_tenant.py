# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""Tenant pages (/t/<tenant>/…): dashboard, sites, the switcher. Every role, foreign tenants,
forged POSTs. Hidden buttons are cosmetic; the 403s are the rule."""

import pytest
from django.test import Client

from tenants.context import tenant_context
from tenants.models import Site
from tests.conftest import world  # noqa: F401  (the shared cast lives in tests/conftest.py)
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "dave", "root"])
def test_dashboard_renders_for_every_role(world, who):
    response = client_for(getattr(world.users, who)).get("/t/acme/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Acme" in body and "Dashboard" in body
    assert "Globex" not in body or who == "root"  # the switcher lists only reachable tenants


def test_dashboard_shows_sites_and_empty_device_state(world):
    body = client_for(world.users.alice).get("/t/acme/").content.decode()
    assert "North" in body and "South" in body
    assert "No devices yet" in body


def test_platform_role_sees_structure_but_no_tenant_data(world):
    body = client_for(world.users.root).get("/t/acme/").content.decode()
    assert "North" in body
    assert "No devices yet" not in body
    assert "members only" in body
    assert "/t/acme/audit/" not in body  # tenant audit is tenant data


@pytest.mark.parametrize("path", ["/t/globex/", "/t/globex/sites/", "/t/globex/members/", "/t/globex/sites/new/"])
def test_foreign_tenant_is_404(world, path):
    response = client_for(world.users.alice).get(path)
    assert response.status_code == 404
    assert "East" not in response.content.decode()


def test_unknown_and_inactive_tenants_are_404(world):
    make_tenant("Dormant", slug="dormant", active=False)
    assert client_for(world.users.alice).get("/t/nope/").status_code == 404
    assert client_for(world.users.alice).get("/t/dormant/").status_code == 404
    assert client_for(world.users.root).get("/t/dormant/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_lazy_template_querysets_are_read_inside_the_tenant_context(world):
    """Without ATOMIC test wrapping, the tenant setting dies with the view's transaction: the page
    must have read its RLS rows before that (regression: an empty site list)."""
    body = client_for(world.users.alice).get("/t/acme/sites/").content.decode()
    assert "North" in body and "South" in body


def test_sites_list_is_scoped_to_the_members_sites(world):
    body = client_for(world.users.dave).get("/t/acme/sites/").content.decode()
    assert "North" in body and "South" not in body


def test_admin_sees_edit_controls(world):
    body = client_for(world.users.alice).get("/t/acme/sites/").content.decode()
    assert "Add site" in body and f"/t/acme/sites/{world.north.pk}/edit/" in body


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_non_admins_see_no_edit_controls(world, who):
    for path in ("/t/acme/", "/t/acme/sites/"):
        body = client_for(getattr(world.users, who)).get(path).content.decode()
        assert "Add site" not in body
        assert "/edit/" not in body


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_forged_site_posts_are_403(world, who):
    client = client_for(getattr(world.users, who))
    assert client.get("/t/acme/sites/new/").status_code == 403
    assert client.post("/t/acme/sites/new/", {"name": "Forged", "slug": "forged"}).status_code == 403
    edit = client.post(f"/t/acme/sites/{world.north.pk}/edit/", {"name": "Renamed", "slug": "north"})
    assert edit.status_code == 403
    with tenant_context(world.acme.id):
        assert not Site.objects.filter(slug="forged").exists()
        assert Site.objects.get(pk=world.north.pk).name == "North"


def test_admin_creates_and_edits_a_site(world):
    client = client_for(world.users.alice)
    assert client.get("/t/acme/sites/new/").status_code == 200
    response = client.post("/t/acme/sites/new/", {"name": "West", "slug": "west", "description": "Depot"})
    assert response.status_code == 302 and response["Location"] == "/t/acme/sites/"
    with tenant_context(world.acme.id):
        west = Site.objects.get(slug="west")
    assert west.tenant_id == world.acme.id
    response = client.post(f"/t/acme/sites/{west.pk}/edit/", {"name": "West Depot", "slug": "west"})
    assert response.status_code == 302
    with tenant_context(world.acme.id):
        assert Site.objects.get(pk=west.pk).name == "West Depot"


def test_duplicate_or_bad_site_input_is_a_form_error(world):
    client = client_for(world.users.alice)
    duplicate = client.post("/t/acme/sites/new/", {"name": "North", "slug": "north"})
    assert duplicate.status_code == 400
    assert "already has this name" in duplicate.content.decode()
    bad = client.post("/t/acme/sites/new/", {"name": "", "slug": "Not A Slug!"})
    assert bad.status_code == 400
    assert "This field is required" in bad.content.decode()


def test_same_slug_in_another_tenant_is_fine(world):
    response = client_for(world.users.erin).post("/t/globex/sites/new/", {"name": "North", "slug": "north"})
    assert response.status_code == 302


def test_foreign_site_cannot_be_edited_through_own_tenant(world):
    response = client_for(world.users.alice).get(f"/t/acme/sites/{world.east.pk}/edit/")
    assert response.status_code == 404


def test_platform_role_manages_sites(world):
    client = client_for(world.users.root)
    assert "Add site" in client.get("/t/acme/sites/").content.decode()
    assert client.post("/t/acme/sites/new/", {"name": "Lab", "slug": "lab"}).status_code == 302


def test_switcher_moves_to_the_same_page_in_another_tenant(world):
    from tests.factories import add_member

    add_member(world.users.alice, world.globex, "viewer")
    client = client_for(world.users.alice)
    page = client.get("/t/acme/sites/").content.decode()
    assert 'action="/switch/"' in page and 'value="globex"' in page
    response = client.get("/switch/", {"tenant": "globex", "section": "sites"})
    assert response.status_code == 302 and response["Location"] == "/t/globex/sites/"
    body = client.get("/t/globex/sites/").content.decode()
    assert "East" in body and "Add site" not in body  # a viewer there


def test_switcher_refuses_a_foreign_tenant(world):
    response = client_for(world.users.alice).get("/switch/", {"tenant": "globex"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_home_lists_own_tenants_and_super_admin_sees_all(world):
    from tests.factories import add_member

    add_member(world.users.alice, world.globex, "viewer")
    body = client_for(world.users.alice).get("/").content.decode()
    assert "/t/acme/" in body and "/t/globex/" in body and "Create tenant" not in body
    single = client_for(world.users.carol).get("/")
    assert single.status_code == 302 and single["Location"] == "/t/acme/"
    root = client_for(world.users.root).get("/").content.decode()
    assert "/t/acme/" in root and "/t/globex/" in root and "Create tenant" in root


def test_user_without_tenants_gets_a_friendly_empty_state(world):
    from tests.factories import make_user

    body = client_for(make_user("newbie")).get("/").content.decode()
    assert "You are not in any tenant yet" in body
