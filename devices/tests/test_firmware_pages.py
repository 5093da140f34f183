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


def test_next_window_opening_weekly_and_one_off(world):
    from datetime import UTC, datetime, time

    from devices.firmware.services import in_maintenance_window, next_window_opening
    from devices.models import MaintenanceWindow

    device = make_device(world.acme, world.north, name="gw-win")
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday
    nightly = MaintenanceWindow(
        tenant=world.acme, name="nights", kind="weekly", weekdays=[1, 3], start_time=time(2, 0), duration_minutes=60
    )
    other_site = MaintenanceWindow(
        tenant=world.acme, name="south", site=world.south, starts_at=monday_noon, ends_at=monday_noon.replace(hour=13)
    )
    assert next_window_opening(device, monday_noon, [nightly, other_site]) == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert next_window_opening(device, datetime(2026, 11, 26, 2, 30, tzinfo=UTC), [nightly]) == datetime(
        2026, 12, 1, 2, 0, tzinfo=UTC
    )  # Thursday's is open now: the next is Tuesday's
    assert in_maintenance_window(device, datetime(2026, 11, 26, 2, 30, tzinfo=UTC), [nightly])
    once = MaintenanceWindow(
        tenant=world.acme, name="once", device=device, starts_at=monday_noon, ends_at=monday_noon.replace(hour=14)
    )
    assert next_window_opening(device, monday_noon.replace(hour=9), [nightly, once]) == monday_noon
    assert next_window_opening(device, monday_noon.replace(hour=13), [once]) is None  # open now, none ahead
    assert next_window_opening(device, monday_noon, [other_site]) is None  # another site's window


def test_planner_start_at_and_window_waits_are_shown(world, fleet):
    from datetime import timedelta

    from django.utils import timezone

    from devices.models import MaintenanceWindow

    old, current, lts = fleet
    opens = (timezone.now() + timedelta(hours=5)).replace(second=0, microsecond=0)
    with tenant_context(world.acme.id):
        MaintenanceWindow.objects.create(
            tenant=world.acme, name="night", site=world.north, starts_at=opens, ends_at=opens + timedelta(hours=1)
        )
    alice = client_for(world.users.alice)
    form = {"tag": "", "canary": 0, "batch_size": 10, "failure_threshold": 1, "only_in_window": "on"}
    past = alice.post(PLANNER, {**form, "preview": "1", "start_at": "2020-01-01T10:00"}).content.decode()
    assert "Must be in the future" in past and jobs(world) == 0
    start_at = opens - timedelta(hours=1)
    preview = alice.post(PLANNER, {**form, "preview": "1", "start_at": f"{start_at:%Y-%m-%dT%H:%M}"}).content.decode()
    assert f"waiting for window, opens {opens:%Y-%m-%d %H:%M} UTC" in preview  # gw-old, gw-current (north)
    assert "no window ahead: skipped" in preview  # gw-lts (south)
    assert f"nothing starts before {start_at:%Y-%m-%d %H:%M} UTC" in preview
    started = alice.post(PLANNER, {**form, "start": "1", "confirm": "on", "start_at": f"{start_at:%Y-%m-%dT%H:%M}"})
    assert started.status_code == 302
    with tenant_context(world.acme.id):
        job = Job.objects.get()
    assert job.params["start_at"] == start_at.isoformat() and job.params["only_in_window"] is True
    page = alice.get(f"/t/acme/jobs/{job.pk}/").content.decode()
    assert f"scheduled: starts at {start_at:%Y-%m-%d %H:%M:%S} UTC" in page


def test_a_window_that_closes_holds_the_devices_not_yet_started(world, fleet):
    """`ready` decides again before every claim: running rows are left alone, queued ones wait."""
    from datetime import timedelta

    from django.utils import timezone

    from devices.jobs.upgrade_kind import prepare, ready, recheck
    from devices.models import MaintenanceWindow

    old, current, lts = fleet
    now = timezone.now()
    with tenant_context(world.acme.id):
        window = MaintenanceWindow.objects.create(
            tenant=world.acme, name="now", starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1)
        )
        params = prepare({"only_in_window": True, "canary": 0}, None).params
        job = Job.objects.create(tenant=world.acme, kind="upgrade", params=params, total=3)
        for device in (old, current, lts):
            JobDevice.objects.create(tenant=world.acme, job=job, device=device, device_name=device.name)
        ids = [str(d.pk) for d in (old, current, lts)]
        assert sorted(ready(job, ids)) == sorted(ids)
        JobDevice.objects.filter(job=job, device=old).update(state="running")  # started in time
        MaintenanceWindow.objects.filter(pk=window.pk).update(ends_at=now)  # the window closed
        MaintenanceWindow.objects.create(
            tenant=world.acme,
            name="next",
            site=world.north,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=2),
        )
        assert ready(job, ids) == []
        rows = {r.device_name: r for r in JobDevice.objects.filter(job=job)}
        assert recheck(str(world.acme.id), str(job.pk)) == 1  # only gw-current is still queued
    assert (rows["gw-old"].state, rows["gw-old"].reason) == ("running", "")
    assert rows["gw-current"].state == "queued" and rows["gw-current"].reason.startswith(
        "waiting for maintenance window (opens "
    )
    assert (rows["gw-lts"].state, rows["gw-lts"].reason) == ("skipped", "not started: no maintenance window ahead")
