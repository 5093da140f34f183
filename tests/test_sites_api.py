import pytest

from tests.factories import api_client


@pytest.mark.django_db
def test_admin_lists_own_sites_only(world):
    response = api_client(world.users.alice).get("/api/v1/tenants/acme/sites/")
    assert response.status_code == 200
    names = sorted(row["name"] for row in response.json()["results"])
    assert names == ["North", "South"]


@pytest.mark.django_db
def test_foreign_tenant_is_404(world):
    response = api_client(world.users.alice).get("/api/v1/tenants/globex/sites/")
    assert response.status_code == 404
    assert "East" not in response.content.decode()


@pytest.mark.django_db
def test_viewer_forged_post_is_403(world):
    response = api_client(world.users.carol).post("/api/v1/tenants/acme/sites/", {"name": "X", "slug": "x"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_scoped_viewer_sees_only_their_site(world):
    response = api_client(world.users.dave).get("/api/v1/tenants/acme/sites/")
    assert [row["name"] for row in response.json()["results"]] == ["North"]


@pytest.mark.django_db
def test_super_admin_without_membership_manages_sites(world):
    client = api_client(world.users.root)
    response = client.post("/api/v1/tenants/acme/sites/", {"name": "West", "slug": "west"})
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "West"


@pytest.mark.django_db
def test_duplicate_site_slug_is_a_clear_400(world):
    response = api_client(world.users.alice).post("/api/v1/tenants/acme/sites/", {"name": "N2", "slug": "north"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["slug"]
