"""Super admins' platform pages: tenants (list, create, edit incl. require_2fa), users, settings.
Everyone else gets a 404 — the pages do not exist for them."""

import pytest
from django.test import Client

from tenants import twofactor
from tenants.models import Tenant, User
from tests.factories import make_tenant, make_user

pytestmark = pytest.mark.django_db

PLATFORM_PAGES = ["/platform/tenants/", "/platform/tenants/new/", "/platform/users/", "/platform/settings/"]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def root():
    return make_user("root", super_admin=True)


@pytest.mark.parametrize("path", PLATFORM_PAGES)
def test_platform_pages_render_for_super_admins(root, path):
    assert client_for(root).get(path).status_code == 200


@pytest.mark.parametrize("path", PLATFORM_PAGES)
def test_platform_pages_are_404_for_tenant_admins(path):
    from tests.factories import add_member

    alice = make_user("alice")
    add_member(alice, make_tenant("Acme", slug="acme"), "admin")
    client = client_for(alice)
    assert client.get(path).status_code == 404
    assert client.post(path, {"name": "Evil", "slug": "evil"}).status_code == 404
    assert not Tenant.objects.filter(slug="evil").exists()


def test_platform_links_only_in_super_admin_navigation(root):
    assert "/platform/tenants/" in client_for(root).get("/account/").content.decode()
    assert "/platform/tenants/" not in client_for(make_user("alice")).get("/account/").content.decode()


def test_create_and_edit_a_tenant(root):
    client = client_for(root)
    response = client.post("/platform/tenants/new/", {"name": "Initech", "slug": "initech", "active": "on"})
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="initech")
    assert tenant.active and not tenant.require_2fa
    assert "Initech" in client.get("/platform/tenants/").content.decode()
    response = client.post(
        "/platform/tenants/initech/edit/",
        {"name": "Initech Ltd", "slug": "initech", "active": "on", "require_2fa": "on"},
    )
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.name == "Initech Ltd" and tenant.require_2fa


def test_bad_tenant_input_is_a_form_error(root):
    make_tenant("Acme", slug="acme")
    client = client_for(root)
    duplicate = client.post("/platform/tenants/new/", {"name": "Acme", "slug": "acme"})
    assert duplicate.status_code == 400 and "already exists" in duplicate.content.decode()
    bad_slug = client.post("/platform/tenants/new/", {"name": "Bad", "slug": "-Bad Slug-"})
    assert bad_slug.status_code == 400
    assert not Tenant.objects.filter(name="Bad").exists()
    assert client.get("/platform/tenants/nope/edit/").status_code == 404


def test_users_page_creates_and_deactivates(root):
    client = client_for(root)
    response = client.post("/platform/users/", {"username": "heidi", "email": "heidi@example.com"})
    assert response.status_code == 200 and "shown only once" in response.content.decode()
    heidi = User.objects.get(username="heidi")
    assert not heidi.is_super_admin
    duplicate = client.post("/platform/users/", {"username": "HEIDI", "email": "x@example.com"})
    assert duplicate.status_code == 400 and "already exists" in duplicate.content.decode()
    assert client.post(f"/platform/users/{heidi.pk}/active/", {"active": "0"}).status_code == 302
    heidi.refresh_from_db()
    assert not heidi.is_active
    assert "heidi" in client.get("/platform/users/?q=hei").content.decode()
    assert "heidi" not in client.get("/platform/users/?q=zzz").content.decode()


def test_super_admin_cannot_deactivate_themselves(root):
    client = client_for(root)
    response = client.post(f"/platform/users/{root.pk}/active/", {"active": "0"}, follow=True)
    assert "cannot deactivate your own account" in response.content.decode()
    root.refresh_from_db()
    assert root.is_active


def test_settings_toggle_platform_wide_2fa(root):
    client = client_for(root)
    assert client.post("/platform/settings/", {"require_2fa": "1"}).status_code == 302
    assert twofactor.platform_requires_2fa()


def test_edit_a_user_grants_super_admin_and_requires_2fa(root):
    heidi = make_user("heidi", email="old@example.com")
    client = client_for(root)
    page = client.get(f"/platform/users/{heidi.pk}/edit/")
    assert page.status_code == 200 and "old@example.com" in page.content.decode()
    response = client.post(
        f"/platform/users/{heidi.pk}/edit/",
        {"email": "heidi@example.com", "first_name": "Heidi", "require_2fa": "on", "is_super_admin": "on"},
    )
    assert response.status_code == 302
    heidi.refresh_from_db()
    assert heidi.email == "heidi@example.com" and heidi.require_2fa and heidi.is_super_admin
    bad = client.post(f"/platform/users/{heidi.pk}/edit/", {"email": "not-an-email"})
    assert bad.status_code == 400 and "Enter a valid email address" in bad.content.decode()


def test_super_admin_cannot_drop_their_own_role(root):
    response = client_for(root).post(f"/platform/users/{root.pk}/edit/", {"email": "r@example.com"})
    assert response.status_code == 400
    assert "cannot remove your own super admin role" in response.content.decode()
    root.refresh_from_db()
    assert root.is_super_admin and root.email == ""  # nothing of the refused form was saved


def test_user_edit_is_404_for_others_and_unknown_ids(root):
    alice = make_user("alice")
    assert client_for(alice).get(f"/platform/users/{root.pk}/edit/").status_code == 404
    assert client_for(alice).post(f"/platform/users/{alice.pk}/edit/", {"is_super_admin": "on"}).status_code == 404
    alice.refresh_from_db()
    assert not alice.is_super_admin
    assert client_for(root).get("/platform/users/999999/edit/").status_code == 404


def test_error_pages_render_in_the_shell():
    anonymous = Client().get("/no-such-page/")
    assert anonymous.status_code == 404 and "Page not found" in anonymous.content.decode()
    signed_in = client_for(make_user("alice")).get("/no-such-page/")
    assert signed_in.status_code == 404 and "My account" in signed_in.content.decode()
