# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Router provisioning: a NAS linked to a simulated router is pushed its RADIUS client settings
through the devices layer's push (real Celery worker, SSH, rollback timer); read back over the
RouterOS API, a second run updates instead of duplicating, and the secret is stored nowhere."""

from __future__ import annotations

import json

import librouteros
import pytest
from django.db import connection

from devices.models import ConfigBackup
from devices.simulator.testing import running_fleet
from devices.tests.inventory_support import worker, world  # noqa: F401
from devices.tests.jobs_support import sim_devices, wait_for_job
from radius import services
from radius.models import Router
from radius.tests.support import stored_text, url
from tenants.context import tenant_context
from tests.factories import api_client

SECRET = "Nas-Secret-Never-Shown-42"


@pytest.fixture(scope="module")
def sim():
    with running_fleet(count=1, seed=31, protocols=("api", "ssh")) as info:
        yield info


@pytest.fixture
def radius_address(settings):
    settings.RADIUS_PUBLIC_ADDRESS = "192.0.2.53"
    settings.RADIUS_AUTH_PORT, settings.RADIUS_ACCT_PORT = 11812, 11813


def make_nas(world, device=None, name="nas-1", address="192.0.2.201") -> Router:
    with tenant_context(world.acme.id):
        router = Router.objects.create(tenant=world.acme, name=name, address=address, device=device, coa_port=3799)
        services.seal(router, "shared_secret", SECRET)
        router.save()
    return router


def ours(rows, router):
    return [r for r in rows if r.get("comment") == f"mikman-user-manager-{router.pk}"]


@pytest.mark.django_db(transaction=True)
def test_provision_pushes_radius_client_and_second_run_updates(world, worker, sim, radius_address):
    (device,) = sim_devices(world, sim, 1, prefix="nas")
    router = make_nas(world, device)
    client = api_client(world.users.alice)  # an admin

    preview = client.post(url("acme", f"routers/{router.pk}/provision-preview/"), {}, format="json")
    assert preview.status_code == 200, preview.content
    script = preview.json()["devices"][0]["script"]
    assert "secret=********" in script and "address=192.0.2.53" in script and SECRET not in preview.content.decode()

    job_ids = []
    for _ in range(2):
        started = client.post(url("acme", f"routers/{router.pk}/provision/"), {"rollback_s": 30}, format="json")
        assert started.status_code == 201, started.content
        assert SECRET not in started.content.decode()
        job = wait_for_job(client, "acme", started.json()["id"], timeout=60)
        assert job["state"] == "succeeded", job
        job_ids.append(job["id"])

    target = sim["devices"][0]
    api = librouteros.connect(target["address"], "admin", "sim-admin", port=target["ports"]["api"])
    try:
        entries = ours(api("/radius/print"), router)
        incoming = list(api("/radius/incoming/print"))[0]
        aaa = list(api("/ppp/aaa/print"))[0]
        hotspot = list(api("/ip/hotspot/profile/print"))
    finally:
        api.close()
    assert len(entries) == 1, entries  # updated in place, not added twice
    entry = entries[0]
    assert (entry["address"], entry["service"]) == ("192.0.2.53", "hotspot,ppp,login")
    assert (entry["authentication-port"], entry["accounting-port"]) == (11812, 11813)
    assert entry["require-message-auth"] == "yes-for-request-resp"
    assert entry["secret"] == SECRET  # the plaintext reached the router, and only the router
    assert (incoming["accept"], incoming["port"]) == (True, 3799)
    assert (aaa["use-radius"], aaa["accounting"], aaa["interim-update"]) == (True, True, "300s")
    assert hotspot and all(p["use-radius"] is True for p in hotspot)

    # the secret is in no job parameter, job output, push record, audit entry or log row
    with tenant_context(world.acme.id), connection.cursor() as cursor:
        cursor.execute("SELECT params::text, summary FROM devices_job WHERE id::text = ANY(%s)", [job_ids])
        jobs_text = json.dumps(cursor.fetchall())
        cursor.execute("SELECT output, reason FROM devices_jobdevice")
        rows_text = json.dumps(cursor.fetchall())
        cursor.execute("SELECT log, script_sha256 FROM devices_configpush")
        push_text = json.dumps(cursor.fetchall())
    assert "secret_refs" in jobs_text and "********" in jobs_text
    for text in (jobs_text, rows_text, push_text, stored_text(world.acme)):
        assert SECRET not in text
    assert "radius.router.provisioned" in stored_text(world.acme)
    with tenant_context(world.acme.id):  # the post-push backups hold it sealed, never as plain text
        blobs = [b.blob.text or "" for b in ConfigBackup.objects.filter(device=device).select_related("blob")]
    assert len(blobs) >= 2 and all(SECRET not in text for text in blobs)


@pytest.mark.django_db
@pytest.mark.parametrize("user", ["bob", "carol"])
def test_operators_and_viewers_may_not_provision(world, user, radius_address):
    router = make_nas(world)
    client = api_client(getattr(world.users, user))
    for action in ("provision", "provision-preview"):
        response = client.post(url("acme", f"routers/{router.pk}/{action}/"), {}, format="json")
        assert response.status_code == 403, response.content
    client.force_login(getattr(world.users, user))
    for method in (client.get, client.post):
        assert method(f"/t/acme/radius/routers/{router.pk}/provision/").status_code == 403


@pytest.mark.django_db
def test_nas_without_device_is_a_400_with_a_message(world, radius_address):
    router = make_nas(world)
    client = api_client(world.users.alice)
    response = client.post(url("acme", f"routers/{router.pk}/provision/"), {}, format="json")
    assert response.status_code == 400
    assert "not linked to a managed device" in response.content.decode()
    client.force_login(world.users.alice)
    page = client.get(f"/t/acme/radius/routers/{router.pk}/provision/")
    assert page.status_code == 400 and "not linked to a managed device" in page.content.decode()


@pytest.mark.django_db
def test_unusable_platform_address_is_a_400(world, settings):
    settings.RADIUS_PUBLIC_ADDRESS = "0.0.0.0"
    router = make_nas(world)
    with tenant_context(world.acme.id):
        from tests.factories import make_device

        router.device = make_device(world.acme, world.north, name="edge")
        router.save()
    response = api_client(world.users.alice).post(url("acme", f"routers/{router.pk}/provision/"), {}, format="json")
    assert response.status_code == 400 and "RADIUS_PUBLIC_ADDRESS" in response.content.decode()


@pytest.mark.django_db
def test_forged_secret_references_are_refused(world):
    """A user cannot attach the platform's secret references to a push of their own."""
    from tests.factories import make_device

    with tenant_context(world.acme.id):
        device = make_device(world.acme, world.north, name="edge2")
    body = {
        "kind": "push",
        "devices": [str(device.pk)],
        "params": {"script": "/system identity set name=********\n", "secret_refs": "forged:abc"},
    }
    response = api_client(world.users.alice).post("/api/v1/tenants/acme/jobs/", body, format="json")
    assert response.status_code == 400 and "platform only" in response.content.decode()


@pytest.mark.django_db
def test_admin_sees_the_preview_page_and_the_button(world, radius_address):
    from tests.factories import make_device

    with tenant_context(world.acme.id):
        device = make_device(world.acme, world.north, name="edge3")
    router = make_nas(world, device)
    client = api_client(world.users.alice)
    client.force_login(world.users.alice)
    listing = client.get("/t/acme/radius/routers/").content.decode()
    assert f"/t/acme/radius/routers/{router.pk}/provision/" in listing
    page = client.get(f"/t/acme/radius/routers/{router.pk}/provision/")
    text = page.content.decode()
    assert page.status_code == 200 and "secret=********" in text and SECRET not in text
    assert "/radius incoming set accept=yes port=3799" in text
    operator = api_client(world.users.bob)
    operator.force_login(world.users.bob)
    assert "/provision/" not in operator.get("/t/acme/radius/routers/").content.decode()
