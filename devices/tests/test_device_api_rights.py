# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""Who may do what with devices through the API: admins add/change/remove; operators and viewers
read (403 on writes); site-scoped members see and add only in their sites; other tenants 404."""

import pytest

from devices.models import Device
from devices.tests.inventory_support import api_url, world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import add_member, api_client, make_device, make_user

pytestmark = pytest.mark.django_db

NEW = {"name": "new-router", "host": "192.0.2.10", "username": "admin", "password": "pw-123456"}


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_operator_and_viewer_cannot_add_change_or_remove(world, who):
    device = make_device(world.acme, world.north, name="edge")
    client = api_client(getattr(world.users, who))
    assert client.post(api_url("acme", "devices/"), NEW, format="json").status_code == 403
    detail = api_url("acme", f"devices/{device.pk}/")
    assert client.patch(detail, {"name": "renamed"}, format="json").status_code == 403
    assert client.delete(detail).status_code == 403
    assert (
        client.post(
            api_url("acme", "credential-profiles/"), {"name": "x", "username": "u", "password": "p"}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(api_url("acme", "devices/import/"), {"csv": "name,host\na,192.0.2.1\n"}, format="json").status_code
        == 403
    )
    assert client.get(detail).status_code == 200  # they do see it
    with tenant_context(world.acme.id):
        assert Device.objects.get(pk=device.pk).name == "edge"


def test_viewer_cannot_run_a_check_but_operator_can(world):
    device = make_device(world.acme, world.north, name="edge")
    url = api_url("acme", f"devices/{device.pk}/check/")
    assert api_client(world.users.carol).post(url).status_code == 403
    response = api_client(world.users.bob).post(url)
    assert response.status_code == 202
    assert response.json()["state"] == "queued"


def test_admin_adds_changes_and_removes(world):
    client = api_client(world.users.alice)
    response = client.post(
        api_url("acme", "devices/"), {**NEW, "site": str(world.south.id), "tags": ["a", "b"]}, format="json"
    )
    assert response.status_code == 201, response.content
    device_id = response.json()["id"]
    assert response.json()["password_set"] is True
    detail = api_url("acme", f"devices/{device_id}/")
    response = client.patch(detail, {"host": "edge.example.net", "poll_interval_s": 30}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["host"] == "edge.example.net"
    assert client.delete(detail).status_code == 204
    assert client.get(detail).status_code == 404


def test_bad_input_is_a_clear_400(world):
    client = api_client(world.users.alice)
    make_device(world.acme, None, name="taken")
    cases = [
        ({**NEW, "name": "taken"}, "name"),
        ({**NEW, "host": "not a host!"}, "host"),
        ({**NEW, "api_port": 70000}, "api_port"),
        ({**NEW, "protocol": "telnet"}, "protocol"),
        ({**NEW, "poll_interval_s": 5}, "poll_interval_s"),
        ({**NEW, "tls_mode": "ca"}, "tls_ca_pem"),
        (
            {**NEW, "tls_mode": "ca", "tls_ca_pem": "-----BEGIN CERTIFICATE-----\nü\n-----END CERTIFICATE-----"},
            "tls_ca_pem",
        ),
        ({**NEW, "site": str(world.east.id)}, "site"),  # another tenant's site
        ({**NEW, "tls_fingerprint": "zz"}, "tls_fingerprint"),
        ({**NEW, "tags": ["bad tag!"]}, "tags"),
    ]
    for body, field in cases:
        response = client.post(api_url("acme", "devices/"), body, format="json")
        assert response.status_code == 400, (field, response.content)
        assert field in response.json()["error"]["fields"], (field, response.json())


def test_site_scoped_members_see_and_add_only_in_their_sites(world):
    north = make_device(world.acme, world.north, name="n1")
    south = make_device(world.acme, world.south, name="s1")
    unassigned = make_device(world.acme, None, name="u1")
    listing = api_client(world.users.dave).get(api_url("acme", "devices/")).json()
    assert [d["id"] for d in listing["results"]] == [str(north.pk)]
    assert api_client(world.users.dave).get(api_url("acme", f"devices/{south.pk}/")).status_code == 404
    assert api_client(world.users.dave).get(api_url("acme", f"devices/{unassigned.pk}/")).status_code == 404

    # An admin limited to North cannot put a device into South (nor leave it without a site).
    scoped_admin = make_user("sam")
    add_member(scoped_admin, world.acme, "admin", sites=[world.north])
    client = api_client(scoped_admin)
    response = client.post(api_url("acme", "devices/"), {**NEW, "site": str(world.south.id)}, format="json")
    assert response.status_code == 400 and "site" in response.json()["error"]["fields"]
    assert client.post(api_url("acme", "devices/"), NEW, format="json").status_code == 400
    ok = client.post(api_url("acme", "devices/"), {**NEW, "site": str(world.north.id)}, format="json")
    assert ok.status_code == 201, ok.content


def test_foreign_tenant_is_404(world):
    device = make_device(world.acme, world.north, name="edge")
    erin = api_client(world.users.erin)
    assert erin.get(api_url("acme", "devices/")).status_code == 404
    assert erin.get(api_url("acme", f"devices/{device.pk}/")).status_code == 404
    assert erin.get(api_url("globex", f"devices/{device.pk}/")).status_code == 404
    assert erin.post(api_url("globex", f"devices/{device.pk}/check/")).status_code == 404
    assert api_client(world.users.root).get(api_url("acme", "devices/")).status_code == 404  # no tenant data


def test_list_filters_search_and_ordering(world):
    make_device(world.acme, world.north, name="alpha", tags=["core"], status="online", ros_version="7.16.2")
    make_device(world.acme, world.south, name="bravo", tags=["edge"], status="offline", ros_version="6.49.10")
    make_device(world.acme, None, name="charlie", host="charlie.example.net", identity="CoreSwitch")
    client = api_client(world.users.carol)

    def names(query):
        response = client.get(api_url("acme", f"devices/?{query}"))
        assert response.status_code == 200, response.content
        return [d["name"] for d in response.json()["results"]]

    assert names("status=online") == ["alpha"]
    assert names("site=south") == ["bravo"]
    assert names("site=none") == ["charlie"]
    assert names("tag=core") == ["alpha"]
    assert names("version=6.") == ["bravo"]
    assert names("q=coreswitch") == ["charlie"]
    assert names("q=example.net") == ["charlie"]
    assert names("ordering=-name") == ["charlie", "bravo", "alpha"]
    assert names("limit=1&offset=1") == ["bravo"]
    assert client.get(api_url("acme", "devices/?status=bogus")).status_code == 400
