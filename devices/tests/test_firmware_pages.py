# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""The upgrade planner page and the "update available" markers: everyone sees versions; only
admins preview and start upgrades or resume a paused one (403 for forged posts of the others)."""

import pytest
from django.test import Client

from devices.firmware.services import available_update, plan_waves
from devices.models import Device, Job, JobDevice, RouterOSRelease
from devices.tests.inventory_support import world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import api_client, make_device

pytestmark = pytest.mark.django_db

PLANNER = "/t/acme/upgrades/"


def jobs(world) -> int:
    with tenant_context(world.acme.id):
        return Job.objects.count()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def fleet(world):
    RouterOSRelease.objects.update_or_create(major=7, channel="stable", defaults={"version": "7.16.2"})
    RouterOSRelease.objects.update_or_create(major=7, channel="long-term", defaults={"version": "7.12.1"})
    old = make_device(world.acme, world.north, name="gw-old", ros_version="7.10", tags=["edge"])
    current = make_device(world.acme, world.north, name="gw-current", ros_version="7.16.2")
    lts = make_device(world.acme, world.south, name="gw-lts", ros_version="7.12.1", update_channel="long-term")
    return old, current, lts


def test_available_update_per_channel_feed_or_device(world, fleet):
    old, current, lts = fleet
    update = available_update(old)
    assert (update.installed, update.latest, update.channel, update.source) == ("7.10", "7.16.2", "stable", "feed")
    assert available_update(current) is None
    assert available_update(lts) is None  # long-term's latest, although stable has a newer one
    with tenant_context(world.acme.id):
        Device.objects.filter(pk=lts.pk).update(update_latest="7.12.2")  # what the device itself saw
        lts.refresh_from_db()
    assert available_update(lts).latest == "7.12.2" and available_update(lts).source == "device"
    api = api_client(world.users.carol)
    listed = {d["name"]: d["available_update"] for d in api.get("/api/v1/tenants/acme/devices/").json()["results"]}
    assert listed == {"gw-old": "7.16.2", "gw-current": None, "gw-lts": "7.12.2"}
    assert [len(w) for w in plan_waves(range(7), 1, 3)] == [1, 3, 3]
    assert [len(w) for w in plan_waves(range(4), 0, 3)] == [3, 1]


def test_markers_on_the_device_list_and_page(world, fleet):
    old, current, _ = fleet
    carol = client_for(world.users.carol)  # a viewer sees them too
    listing = carol.get("/t/acme/devices/").content.decode()
    assert listing.count("update available") == 1 and "7.16.2 is available on stable" in listing
    assert "update available: 7.16.2 (stable)" in carol.get(f"/t/acme/devices/{old.pk}/").content.decode()
    assert "update available" not in carol.get(f"/t/acme/devices/{current.pk}/").content.decode()


def test_the_planner_shows_versions_to_everyone_but_only_admins_plan(world, fleet):
    old, *_ = fleet
    page = client_for(world.users.carol).get(PLANNER)
    assert page.status_code == 200
    body = page.content.decode()
    assert "gw-old" in body and "update available: 7.16.2" in body and "Only a tenant admin" in body
    for user in (world.users.carol, world.users.bob):  # viewer, operator: forged posts
        response = client_for(user).post(PLANNER, {"devices": [str(old.pk)], "canary": 1, "batch_size": 1})
        assert response.status_code == 403
    assert jobs(world) == 0
    assert client_for(world.users.erin).get(PLANNER).status_code == 404  # another tenant's admin


def test_admin_previews_the_waves_then_starts_the_job(world, fleet):
    alice = client_for(world.users.alice)
    form = {"tag": "", "canary": 1, "batch_size": 1, "failure_threshold": 1}
    preview = alice.post(PLANNER, {**form, "preview": "1"})
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "Wave 1 (canary)" in body and "Wave 3" in body and "7.16.2" in body
    assert jobs(world) == 0
    tagged = alice.post(PLANNER, {**form, "preview": "1", "tag": "edge"}).content.decode()
    assert "Wave 1 (canary) — 1 device" in tagged and "Wave 2" not in tagged
    unconfirmed = alice.post(PLANNER, {**form, "start": "1"})
    assert unconfirmed.status_code == 200 and jobs(world) == 0  # shown as a plan, not started
    assert "tick this to start the upgrade" in unconfirmed.content.decode()
    started = alice.post(PLANNER, {**form, "start": "1", "confirm": "on"})
    assert started.status_code == 302
    with tenant_context(world.acme.id):
        job = Job.objects.get()
        assert job.kind == "upgrade" and job.total == 3 and job.params["batch_size"] == 1
    assert started["Location"] == f"/t/acme/jobs/{job.pk}/"
    assert "Upgrade planner" in alice.get("/t/acme/jobs/").content.decode()


def test_paused_job_shows_resume_to_admins_only(world, fleet):
    old, *_ = fleet
    with tenant_context(world.acme.id):
        job = Job.objects.create(
            tenant=world.acme, kind="upgrade", params={"paused": True, "paused_wave": 1, "canary": 1}, total=1
        )
        JobDevice.objects.create(tenant=world.acme, job=job, device=old, device_name=old.name)
    url = f"/t/acme/jobs/{job.pk}/"
    assert "Resume upgrade" in client_for(world.users.alice).get(url).content.decode()
    assert "paused</span>" in client_for(world.users.carol).get("/t/acme/jobs/").content.decode()
    assert "Resume upgrade" not in client_for(world.users.bob).get(url).content.decode()
    assert client_for(world.users.bob).post(url + "resume/").status_code == 403


def test_check_for_updates_from_the_planner_is_for_operators(world, fleet):
    old, *_ = fleet
    assert "Check all for updates" in client_for(world.users.bob).get(PLANNER).content.decode()
    assert client_for(world.users.carol).post(PLANNER + "check/").status_code == 403  # a viewer
    response = client_for(world.users.bob).post(PLANNER + "check/", {"device": [str(old.pk)]})
    assert response.status_code == 302
    with tenant_context(world.acme.id):
        job = Job.objects.get()
    assert (job.kind, job.total, job.params) == ("update_check", 1, {"check_only": True})
