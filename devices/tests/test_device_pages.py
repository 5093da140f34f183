# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""The inventory pages: list (filter, sort, select), detail with the check status fragment,
add/edit/import/credential forms; roles enforced on the server; secrets never rendered."""

import pytest
from django.test import Client

from devices.models import ConnectivityCheck, CredentialProfile, Device
from devices.tests.inventory_support import world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import make_credential_profile, make_device

pytestmark = pytest.mark.django_db

SECRET = "Ui-Kn0wn-secret-pw"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "dave"])
def test_list_and_detail_render_for_every_member(world, who):
    north = make_device(world.acme, world.north, name="north-gw", status="online", ros_version="7.16.2")
    south = make_device(world.acme, world.south, name="south-gw")
    client = client_for(getattr(world.users, who))
    body = client.get("/t/acme/devices/").content.decode()
    assert "north-gw" in body
    assert ("south-gw" in body) == (who != "dave")  # dave sees only North
    assert ('href="/t/acme/devices/add/"' in body) == (who == "alice")
    assert client.get(f"/t/acme/devices/{north.pk}/").status_code == 200
    assert client.get(f"/t/acme/devices/{south.pk}/").status_code == (404 if who == "dave" else 200)


def test_list_filters_and_sorts(world):
    make_device(world.acme, world.north, name="alpha", status="online", tags=["core"])
    make_device(world.acme, world.south, name="bravo", status="offline")
    client = client_for(world.users.carol)
    body = client.get("/t/acme/devices/?status=offline").content.decode()
    assert "bravo" in body and "alpha" not in body
    body = client.get("/t/acme/devices/?tag=core").content.decode()
    assert "alpha" in body and "bravo" not in body
    body = client.get("/t/acme/devices/?sort=-name").content.decode()
    assert body.index("bravo") < body.index("alpha")
    assert 'data-select-all="device"' in body
    response = client.get("/t/acme/devices/?status=nonsense")
    assert response.status_code == 200 and "Check the filters" in response.content.decode()


def test_non_admins_get_403_on_every_change(world):
    device = make_device(world.acme, world.north, name="edge")
    profile = make_credential_profile(world.acme, "Routers")
    for who in ("bob", "carol", "dave"):
        client = client_for(getattr(world.users, who))
        assert client.get("/t/acme/devices/add/").status_code == 403
        assert client.post("/t/acme/devices/add/", {"name": "x", "host": "192.0.2.1"}).status_code == 403
        assert client.post(f"/t/acme/devices/{device.pk}/remove/").status_code == 403
        assert client.get(f"/t/acme/devices/{device.pk}/edit/").status_code == 403
        assert client.post("/t/acme/devices/import/", {"text": "name,host\na,192.0.2.1\n"}).status_code == 403
        assert client.post(f"/t/acme/credentials/{profile.pk}/delete/").status_code == 403
    assert client_for(world.users.carol).post(f"/t/acme/devices/{device.pk}/check/").status_code == 403
    assert client_for(world.users.erin).get(f"/t/acme/devices/{device.pk}/").status_code == 404
    assert client_for(world.users.erin).get("/t/globex/devices/").status_code == 200
    with tenant_context(world.acme.id):
        assert Device.objects.filter(pk=device.pk).exists()


def test_admin_adds_a_device_which_queues_a_check(world):
    profile = make_credential_profile(world.acme, "Routers")
    client = client_for(world.users.alice)
    response = client.post(
        "/t/acme/devices/add/",
        {
            "name": "new-gw",
            "host": "192.0.2.44",
            "site": str(world.north.pk),
            "protocol": "api-ssl",
            "fallback_protocols": "api",
            "api_port": 8728,
            "api_ssl_port": 8729,
            "ssh_port": 22,
            "rest_port": 443,
            "snmp_port": 161,
            "tls_mode": "fingerprint",
            "credential_profile": str(profile.pk),
            "password": SECRET,
            "tags": "core, bgp",
            "poll_interval_s": 60,
            "enabled": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(world.acme.id):
        device = Device.objects.get(name="new-gw")
        check = ConnectivityCheck.objects.get(device=device)
    assert device.tags == ["core", "bgp"] and device.password is not None
    detail = client.get(response["Location"]).content.decode()
    assert "Queued" in detail and f"/t/acme/devices/checks/{check.pk}/" in detail  # the polling fragment
    assert SECRET not in detail
    edit = client.get(f"/t/acme/devices/{device.pk}/edit/").content.decode()
    assert SECRET not in edit and "new-gw" in edit
    fragment = client.get(f"/t/acme/devices/checks/{check.pk}/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "hx-get" in fragment.content.decode()


def test_add_form_errors_are_400_not_500(world):
    client = client_for(world.users.alice)
    response = client.post("/t/acme/devices/add/", {"name": "", "host": "bad host!", "api_port": 0})
    assert response.status_code == 400
    assert "Enter an IP address or a DNS name." in response.content.decode()


def test_check_fragment_shows_a_finished_failure(world):
    device = make_device(world.acme, world.north, name="edge")
    with tenant_context(world.acme.id):
        check = ConnectivityCheck.objects.create(
            tenant=world.acme,
            device=device,
            state="failed",
            outcome="insufficient_policy",
            message="Logged in, but the group lacks the policies: write, policy.",
            missing_policies=["write", "policy"],
        )
    body = client_for(world.users.carol).get(f"/t/acme/devices/checks/{check.pk}/").content.decode()
    assert "Check failed" in body and "<code>write</code>" in body and "hx-get" not in body
    # dave (North only) sees it; a South device's check is 404 for him
    south = make_device(world.acme, world.south, name="south")
    with tenant_context(world.acme.id):
        other = ConnectivityCheck.objects.create(tenant=world.acme, device=south)
    assert client_for(world.users.dave).get(f"/t/acme/devices/checks/{other.pk}/").status_code == 404


def test_import_page_lists_row_errors_and_imports_nothing(world):
    client = client_for(world.users.alice)
    text = f"name,host,username,password\nok,192.0.2.1,admin,{SECRET}\nbad,not a host!,admin,pw\n"
    response = client.post("/t/acme/devices/import/", {"text": text})
    assert response.status_code == 400
    body = response.content.decode()
    assert "nothing was imported" in body and "Enter an IP address" in body and SECRET not in body
    with tenant_context(world.acme.id):
        assert not Device.objects.exists()
    ok = client.post("/t/acme/devices/import/", {"text": "name,host,username,password\nok,192.0.2.1,admin,pw\n"})
    assert ok.status_code == 302
    with tenant_context(world.acme.id):
        assert Device.objects.filter(name="ok").exists()


def test_credential_pages_show_the_recommended_group_and_never_the_secret(world):
    client = client_for(world.users.alice)
    page = client.get("/t/acme/credentials/").content.decode()
    assert "/user group add name=mikman" in page
    assert "read,write,api,ssh,rest-api,reboot,policy,sensitive,!ftp" in page
    response = client.post("/t/acme/credentials/add/", {"name": "Routers", "username": "mikman", "password": SECRET})
    assert response.status_code == 302
    with tenant_context(world.acme.id):
        profile = CredentialProfile.objects.get(name="Routers")
    assert profile.changed_by == world.users.alice
    page = client.get("/t/acme/credentials/").content.decode()
    assert "Routers" in page and SECRET not in page and "set" in page
    edit = client.get(f"/t/acme/credentials/{profile.pk}/edit/").content.decode()
    assert SECRET not in edit
    # Editing without a new password keeps it; a profile in use cannot be deleted.
    assert (
        client.post(f"/t/acme/credentials/{profile.pk}/edit/", {"name": "Routers", "username": "mk"}).status_code == 302
    )
    with tenant_context(world.acme.id):
        assert CredentialProfile.objects.get(pk=profile.pk).password is not None
    make_device(world.acme, None, name="uses-it", credential_profile=profile)
    client.post(f"/t/acme/credentials/{profile.pk}/delete/")
    with tenant_context(world.acme.id):
        assert CredentialProfile.objects.filter(pk=profile.pk).exists()


def test_dashboard_counts_devices_by_status(world):
    make_device(world.acme, world.north, name="a", status="online")
    make_device(world.acme, world.north, name="b", status="online")
    make_device(world.acme, world.south, name="c", status="offline")
    body = client_for(world.users.carol).get("/t/acme/").content.decode()
    assert "?status=online" in body and "?status=offline" in body
    scoped = client_for(world.users.dave).get("/t/acme/").content.decode()
    assert "?status=online" in scoped and "?status=offline" not in scoped


def test_admin_edits_a_device_and_a_blank_password_keeps_the_stored_one(world):
    device = make_device(world.acme, world.north, name="edge", username="admin", password=SECRET)
    client = client_for(world.users.alice)
    form = client.get(f"/t/acme/devices/{device.pk}/edit/")
    assert form.status_code == 200 and SECRET not in form.content.decode()
    data = {
        "name": "edge-renamed",
        "host": "192.0.2.99",
        "site": str(world.south.pk),
        "protocol": "api",
        "fallback_protocols": "",
        "api_port": 8728,
        "api_ssl_port": 8729,
        "ssh_port": 22,
        "rest_port": 443,
        "snmp_port": 161,
        "tls_mode": "insecure",
        "username": "admin",
        "password": "",
        "tags": "",
        "poll_interval_s": 120,
    }
    response = client.post(f"/t/acme/devices/{device.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:1500]
    with tenant_context(world.acme.id):
        device.refresh_from_db()
    assert (device.name, device.host, device.site_id, device.protocol) == (
        "edge-renamed",
        "192.0.2.99",
        world.south.id,
        "api",
    )
    assert device.fallback_protocols == [] and device.enabled is False and device.password is not None
    # dave (North viewer) no longer sees it; alice removes it
    assert client_for(world.users.dave).get(f"/t/acme/devices/{device.pk}/").status_code == 404
    assert client.post(f"/t/acme/devices/{device.pk}/remove/").status_code == 302
    with tenant_context(world.acme.id):
        assert not Device.objects.filter(pk=device.pk).exists()


def test_a_check_no_worker_took_stops_polling_and_says_so(world):
    from datetime import timedelta

    from django.utils import timezone

    device = make_device(world.acme, world.north, name="edge")
    with tenant_context(world.acme.id):
        check = ConnectivityCheck.objects.create(tenant=world.acme, device=device)
        ConnectivityCheck.objects.filter(pk=check.pk).update(created=timezone.now() - timedelta(minutes=5))
    body = client_for(world.users.carol).get(f"/t/acme/devices/checks/{check.pk}/").content.decode()
    assert "Still queued" in body and "hx-get" not in body
