# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Firmware upgrades end to end: a real Celery worker upgrades simulated routers over the API
(check-for-updates, install, reboot, verify), in waves that pause at the failure threshold, only
inside maintenance windows when asked (held until one opens) or from a start time; admins only;
another tenant's devices are unknown."""

import time
from datetime import timedelta

import librouteros
import pytest
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.models import AuditEntry
from devices.firmware.services import available_update
from devices.models import BackupTrigger, ConfigBackup, Device, Job, JobDevice, MaintenanceWindow
from devices.simulator.testing import running_fleet
from devices.tests.inventory_support import worker, world  # noqa: F401
from devices.tests.jobs_support import FINAL, rows_by_name, wait_for_job
from tenants.context import tenant_context
from tests.factories import api_client, make_credential_profile, make_device, sim_device_fields

JOBS = "/api/v1/tenants/acme/jobs/"
LATEST_V7, LATEST_V6 = "7.99.1", "6.49.99"


@pytest.fixture(scope="module")
def sim():
    with running_fleet(count=16, seed=31, protocols=("api", "ssh"), reboot_seconds=0.5) as info:
        info["fleet"].set_latest_version(LATEST_V7)
        info["fleet"].set_latest_version(LATEST_V6)
        yield info


@pytest.fixture
def fleet(sim, settings):
    settings.UPGRADE_REBOOT_TIMEOUT_S = 8
    indices = [d["index"] for d in sim["devices"]]
    sim["fleet"].set_fault(indices, None)
    yield sim
    sim["fleet"].set_fault(indices, None)


def devices_at(world, fleet, indices, prefix, site=None):
    """acme devices (names `<prefix><i>`) that reach these simulated routers over the API."""
    profile = make_credential_profile(world.acme, f"{prefix}-routers")
    return [
        make_device(
            world.acme,
            site or world.north,
            name=f"{prefix}{n}",
            credential_profile=profile,
            protocol="api",
            fallback_protocols=[],
            **sim_device_fields(fleet["devices"][i]),
        )
        for n, i in enumerate(indices)
    ]


def version_of(fleet, index) -> str:
    target = fleet["devices"][index]
    api = librouteros.connect(target["address"], "admin", "sim-admin", port=target["ports"]["api"])
    try:
        return list(api("/system/resource/print"))[0]["version"].split(" ")[0]
    finally:
        api.close()


def wait_paused(client, job_id, timeout: float = 40.0) -> dict:
    deadline = time.monotonic() + timeout
    body = {}
    while time.monotonic() < deadline:
        body = client.get(f"{JOBS}{job_id}/").json()
        if body["params"].get("paused") or body["state"] in FINAL:
            return body
        time.sleep(0.1)
    raise AssertionError(f"job not paused within {timeout}s: {body}")


def latest_for(version: str) -> str:
    return LATEST_V6 if version.startswith("6.") else LATEST_V7


def upgrade(client, devices, *, confirm=True, **params):
    body = {"kind": "upgrade", "devices": [str(d.pk) for d in devices], "params": params, "confirm": confirm}
    return client.post(JOBS, body, format="json")


@pytest.mark.django_db(transaction=True)
def test_one_device_is_backed_up_upgraded_verified_and_audited(world, worker, fleet):
    (device,) = devices_at(world, fleet, [0], "u")
    before = version_of(fleet, 0)
    client = api_client(world.users.alice)  # an admin
    response = upgrade(client, [device], canary=1)
    assert response.status_code == 201, response.content
    seen = []  # the row's step log while it runs: live progress
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = client.get(f"{JOBS}{response.json()['id']}/").json()
        seen += [r["output"] for r in job["devices"] if r["state"] == "running"]
        if job["state"] in FINAL:
            break
        time.sleep(0.1)

    assert job["state"] == "succeeded", job
    row = rows_by_name(job)["u0"]
    target = latest_for(before)
    assert f"upgraded {before} → {target}; healthy" in row["output"], row["output"]
    assert "rebooted and back" in row["output"]
    assert any(f"upgrading {before} → {target}" in output for output in seen), seen
    assert version_of(fleet, 0) == target
    with tenant_context(world.acme.id):
        device = Device.objects.get(pk=device.pk)
        backups = list(ConfigBackup.objects.filter(device=device).values_list("trigger", flat=True))
        actions = list(
            AuditEntry.objects.filter(tenant=world.acme, target_id__in=[str(device.pk), job["id"]]).values_list(
                "action", "details"
            )
        )
    assert device.ros_version == target and device.update_latest == target
    assert available_update(device) is None  # the marker is gone once it runs the latest
    assert backups == [BackupTrigger.PRE_UPGRADE]
    assert ("job.started" in [a for a, _ in actions]) and ("device.upgrade_succeeded" in [a for a, _ in actions])
    details = dict(actions)["device.upgrade_succeeded"]
    assert (details["from_version"], details["to_version"]) == (before, target)

    # once more: nothing newer, so the device is skipped as already latest (no reboot, no backup)
    again = wait_for_job(client, "acme", upgrade(client, [device]).json()["id"], timeout=20)
    assert again["state"] == "succeeded" and again["skipped"] == 1, again
    assert rows_by_name(again)["u0"]["reason"].startswith(f"already latest ({target}")


@pytest.mark.django_db(transaction=True)
def test_a_failing_wave_pauses_the_job_and_later_devices_stay_untouched(world, worker, fleet):
    indices = [1, 2, 3, 4, 5]
    devices = devices_at(world, fleet, indices, "w")
    before = {i: version_of(fleet, i) for i in indices}
    fleet["fleet"].set_fault([3], "upgrade-fails")  # w2: in the second wave (w1, w2)
    client = api_client(world.users.alice)
    plan = client.post(
        JOBS + "upgrade-plan/",
        {"devices": [str(d.pk) for d in devices], "params": {"canary": 1, "batch_size": 2}},
        format="json",
    )
    assert plan.status_code == 200, plan.content
    assert [[d["name"] for d in wave] for wave in plan.json()["waves"]] == [["w0"], ["w1", "w2"], ["w3", "w4"]]

    response = upgrade(client, devices, canary=1, batch_size=2, failure_threshold=1)
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    job = wait_paused(client, job_id)

    rows = rows_by_name(job)
    assert [rows[n]["state"] for n in ("w0", "w1", "w2", "w3", "w4")] == [
        "succeeded",
        "succeeded",
        "failed",
        "queued",
        "queued",
    ], job
    assert "came back on" in rows["w2"]["reason"] and "did not take" in rows["w2"]["reason"]
    assert rows["w3"]["reason"].startswith("paused: failure threshold reached (1 of 2 devices of wave 2 failed)")
    assert job["state"] == "running" and job["params"]["paused"] is True
    for i in (4, 5):  # the paused wave's routers were never touched
        assert version_of(fleet, i) == before[i]

    # an operator may not resume; the admin cancels: the paused rows are cancelled, never run
    assert api_client(world.users.bob).post(f"{JOBS}{job_id}/resume/").status_code == 403
    cancelled = client.post(f"{JOBS}{job_id}/cancel/")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["state"] == "cancelled"
    assert [r["state"] for r in cancelled.json()["devices"]][3:] == ["cancelled", "cancelled"]
    with tenant_context(world.acme.id):
        assert AuditEntry.objects.filter(tenant=world.acme, action="job.paused", target_id=job_id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_resume_sends_the_next_wave(world, worker, fleet):
    devices = devices_at(world, fleet, [6, 7], "r")
    fleet["fleet"].set_fault([6], "upgrade-fails")
    client = api_client(world.users.alice)
    job_id = upgrade(client, devices, canary=1, batch_size=1).json()["id"]
    job = wait_paused(client, job_id)
    assert rows_by_name(job)["r1"]["state"] == "queued"

    resumed = client.post(f"{JOBS}{job_id}/resume/")
    assert resumed.status_code == 202, resumed.content
    job = wait_for_job(client, "acme", job_id, timeout=30)
    assert job["state"] == "partially_failed", job
    assert rows_by_name(job)["r1"]["state"] == "succeeded"
    assert client.post(f"{JOBS}{job_id}/resume/").status_code == 400  # nothing paused any more


@pytest.mark.django_db(transaction=True)
def test_only_inside_maintenance_windows_and_the_routerboard_step(world, worker, fleet):
    inside, outside = devices_at(world, fleet, [8, 5], "m")
    now = timezone.now()
    with tenant_context(world.acme.id):
        MaintenanceWindow.objects.create(
            tenant=world.acme,
            name="tonight",
            device=inside,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
        )
    before = version_of(fleet, 5)
    client = api_client(world.users.alice)
    created = upgrade(client, [inside, outside], canary=0, only_in_window=True, routerboard=True)
    job = wait_for_job(client, "acme", created.json()["id"])

    rows = rows_by_name(job)
    assert rows["m1"]["state"] == "skipped" and rows["m1"]["reason"] == "not started: no maintenance window ahead"
    assert version_of(fleet, 5) == before
    assert rows["m0"]["state"] == "succeeded", rows["m0"]  # inside its window: upgraded
    target = version_of(fleet, 8)
    assert target in (LATEST_V6, LATEST_V7)
    assert f"RouterBOARD firmware now {target}" in rows["m0"]["output"], rows["m0"]["output"]
    with tenant_context(world.acme.id):
        assert Device.objects.get(pk=inside.pk).firmware == target


@pytest.mark.django_db(transaction=True)
def test_only_admins_start_upgrades_and_bad_params_are_400(world, fleet):
    (device,) = devices_at(world, fleet, [0], "p")
    assert upgrade(api_client(world.users.carol), [device]).status_code == 403  # viewer
    operator = upgrade(api_client(world.users.bob), [device])
    assert operator.status_code == 403 and "admin" in str(operator.json())
    plan = api_client(world.users.bob).post(JOBS + "upgrade-plan/", {"devices": [str(device.pk)]}, format="json")
    assert plan.status_code == 403
    admin = api_client(world.users.alice)
    unconfirmed = upgrade(admin, [device], confirm=False)
    assert unconfirmed.status_code == 400 and "reboots the routers" in str(unconfirmed.json())
    for bad in ({"batch_size": 0}, {"canary": "x"}, {"channel": "nightly"}, {"reboot": True}):
        response = upgrade(admin, [device], **bad)
        assert response.status_code == 400, (bad, response.content)


@pytest.mark.django_db(transaction=True)
def test_another_tenants_devices_and_jobs_are_unknown(world, fleet):
    foreign = make_device(world.globex, world.east, name="g0", protocol="api", **sim_device_fields(fleet["devices"][0]))
    with tenant_context(world.globex.id):
        foreign_job = Job.objects.create(tenant=world.globex, kind="upgrade", params={"paused": True}, total=1)
    admin = api_client(world.users.alice)
    response = upgrade(admin, [foreign])
    assert response.status_code == 400 and "Unknown devices" in str(response.json())
    plan = admin.post(JOBS + "upgrade-plan/", {"devices": [str(foreign.pk)]}, format="json")
    assert plan.status_code == 400 and "Unknown devices" in str(plan.json())
    assert admin.post(f"{JOBS}{foreign_job.pk}/resume/").status_code == 404
    assert admin.post(f"/api/v1/tenants/globex/jobs/{foreign_job.pk}/resume/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_row_left_by_a_dead_worker_is_reconciled_not_installed_again(world, worker, fleet):
    from devices.jobs.recovery import recover_tenant
    from devices.jobs.upgrade_kind import prepare

    (device,) = devices_at(world, fleet, [9], "c")
    before = version_of(fleet, 9)
    target = latest_for(before)
    sim_device = fleet["fleet"].device(9)
    sim_device.install_update()  # the dead run got this far: installed, the router rebooting
    with tenant_context(world.acme.id):
        job = Job.objects.create(
            tenant=world.acme, kind="upgrade", params=prepare({"canary": 1}, None).params, total=1, state="running"
        )
        JobDevice.objects.create(
            tenant=world.acme,
            job=job,
            device=device,
            device_name=device.name,
            state="running",
            idempotency_key="dead-claim",
            lease_until=timezone.now() - timedelta(seconds=1),
            output=f"12:00:00 upgrading {before} → {target}: download and install (the device reboots)",
        )
    assert recover_tenant(str(world.acme.id)) == {"requeued": 1, "failed": 0}
    body = wait_for_job(api_client(world.users.alice), "acme", job.pk, timeout=30)

    assert body["state"] == "succeeded", body
    output = rows_by_name(body)["c0"]["output"]
    assert f"upgraded {before} → {target}" in output and "confirmed after an interrupted run" in output
    assert "download and install" not in output.split("taking over")[-1]  # not installed a second time
    with tenant_context(world.acme.id):
        assert not ConfigBackup.objects.filter(device=device).exists()  # nor backed up again


@pytest.mark.django_db(transaction=True)
def test_an_operator_checks_for_updates_and_the_device_remembers_its_channel(world, worker, fleet):
    (device,) = devices_at(world, fleet, [4], "k")
    now_running = version_of(fleet, 4)
    bob = api_client(world.users.bob)  # an operator: a check installs nothing
    response = bob.post(JOBS, {"kind": "update_check", "devices": [str(device.pk)]}, format="json")
    assert response.status_code == 201, response.content
    job = wait_for_job(bob, "acme", response.json()["id"], timeout=20)

    assert job["state"] == "succeeded", job
    newer = now_running != latest_for(now_running)
    assert rows_by_name(job)["k0"]["output"].endswith("update available" if newer else "up to date")
    assert version_of(fleet, 4) == now_running
    with tenant_context(world.acme.id):
        device = Device.objects.get(pk=device.pk)
    assert (device.update_channel, device.update_latest, device.ros_version) == (
        "stable",
        latest_for(now_running),
        now_running,
    )
    update = available_update(device)
    assert (update.latest, update.source) == (latest_for(now_running), "device") if newer else update is None


@pytest.mark.django_db(transaction=True)
def test_a_canary_that_never_comes_back_pauses_the_job(world, worker, fleet, settings):
    import threading

    settings.UPGRADE_REBOOT_TIMEOUT_S = 2
    canary, later = devices_at(world, fleet, [10, 11], "n")
    before = version_of(fleet, 11)
    sim_device, stop = fleet["fleet"].device(10), threading.Event()

    def keep_it_down():  # the router goes into its upgrade reboot and is never heard of again
        while not stop.is_set() and not sim_device.is_rebooting():
            time.sleep(0.005)
        fleet["fleet"].set_fault([10], "offline")

    watcher = threading.Thread(target=keep_it_down, daemon=True)
    watcher.start()
    client = api_client(world.users.alice)
    try:
        job = wait_paused(client, upgrade(client, [canary, later], canary=1, batch_size=5).json()["id"])
    finally:
        stop.set()
        watcher.join(2)
    rows = rows_by_name(job)
    assert rows["n0"]["state"] == "failed" and rows["n0"]["reason"].startswith("did not come back within 2 s")
    assert rows["n1"]["state"] == "queued" and "wave 1 failed" in rows["n1"]["reason"]
    assert version_of(fleet, 11) == before


def wait_rows(client, job_id, check, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    body = {}
    while time.monotonic() < deadline:
        body = client.get(f"{JOBS}{job_id}/").json()
        if check(body):
            return body
        time.sleep(0.05)
    raise AssertionError(f"not seen within {timeout}s: {body}")


def upgrades_of(world, device) -> int:
    with tenant_context(world.acme.id):
        return AuditEntry.objects.filter(action="device.upgrade_succeeded", target_id=str(device.pk)).count()


@pytest.mark.django_db(transaction=True)
def test_devices_outside_their_window_wait_for_it_then_run_once(world, worker, fleet, settings):
    from devices.jobs.tasks import upgrade_recheck

    settings.UPGRADE_RECHECK_HOP_S = 1  # the opening 3 s ahead is reached in hops, as hours ahead would be

    held, missed = devices_at(world, fleet, [12, 13], "h")
    now = timezone.now()
    opens = now + timedelta(seconds=3)
    with tenant_context(world.acme.id):
        MaintenanceWindow.objects.create(
            tenant=world.acme, name="soon", device=held, starts_at=opens, ends_at=now + timedelta(minutes=5)
        )
        MaintenanceWindow.objects.create(
            tenant=world.acme, name="gone", device=missed, starts_at=now - timedelta(hours=2), ends_at=now
        )
    before = version_of(fleet, 12)
    client = api_client(world.users.alice)
    plan = client.post(
        JOBS + "upgrade-plan/",
        {"devices": [str(held.pk), str(missed.pk)], "params": {"only_in_window": True}},
        format="json",
    )
    planned = {d["name"]: d for wave in plan.json()["waves"] for d in wave}
    assert planned["h0"]["in_window"] is False and planned["h0"]["opens"].startswith(opens.strftime("%Y-%m-%dT%H:%M"))
    assert planned["h1"]["opens"] is None
    job_id = upgrade(client, [held, missed], canary=0, only_in_window=True).json()["id"]

    job = wait_rows(client, job_id, lambda b: rows_by_name(b)["h0"]["reason"].startswith("waiting"))
    rows = rows_by_name(job)
    assert rows["h0"]["state"] == "queued" and job["hold"] == "waiting", job
    assert rows["h0"]["reason"] == f"waiting for maintenance window (opens {opens:%Y-%m-%d %H:%M:%S} UTC)"
    assert rows["h1"]["state"] == "skipped" and rows["h1"]["reason"] == "not started: no maintenance window ahead"
    page = Client()
    page.force_login(world.users.alice)
    html = page.get(f"/t/acme/jobs/{job_id}/").content.decode()
    assert "waiting for window" in html and "waiting for maintenance windows" in html
    assert version_of(fleet, 12) == before
    # a second re-check due at the same opening: the claim lets the device start only once
    upgrade_recheck.apply_async((str(world.acme.id), job_id), countdown=(opens - timezone.now()).total_seconds() + 0.2)

    job = wait_for_job(client, "acme", job_id, timeout=20)
    row = rows_by_name(job)["h0"]
    assert job["state"] == "succeeded" and job["hold"] == "", job
    assert row["state"] == "succeeded" and row["reason"] == "" and row["attempt"] == 1, row
    assert parse_datetime(row["started"]) >= opens, (row["started"], opens)
    assert row["output"].count("download and install") == 1
    assert version_of(fleet, 12) == latest_for(before) and upgrades_of(world, held) == 1
    from devices.polling.lock import client as redis_client

    hops = redis_client().keys(f"mikman:upgrade-recheck:{job_id}:*")
    assert len(hops) >= 3, hops  # 1-s hops towards the opening 3 s ahead, each a re-check of its own


@pytest.mark.django_db(transaction=True)
def test_start_at_holds_the_job_until_then_and_cancel_while_waiting(world, worker, fleet):
    later, cancelled = devices_at(world, fleet, [14, 15], "s")
    client = api_client(world.users.alice)
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    for bad in (past, "tonight", "2026-13-40T25:00", 12):
        response = upgrade(client, [later], start_at=bad)
        assert response.status_code == 400 and "start_at" in response.json()["error"]["fields"], (bad, response.content)
    before = {14: version_of(fleet, 14), 15: version_of(fleet, 15)}
    start_at = (timezone.now() + timedelta(seconds=2)).replace(microsecond=0) + timedelta(seconds=1)
    job_id = upgrade(client, [later], start_at=start_at.isoformat()).json()["id"]
    other_id = upgrade(client, [cancelled], start_at=start_at.isoformat()).json()["id"]

    job = wait_rows(client, job_id, lambda b: rows_by_name(b)["s0"]["reason"].startswith("scheduled"))
    assert job["hold"] == "scheduled" and job["state"] == "queued", job
    assert rows_by_name(job)["s0"]["reason"] == f"scheduled: starts at {start_at:%Y-%m-%d %H:%M:%S} UTC"
    stopped = client.post(f"{JOBS}{other_id}/cancel/")
    assert stopped.status_code == 200 and stopped.json()["state"] == "cancelled", stopped.content

    job = wait_for_job(client, "acme", job_id, timeout=20)
    row = rows_by_name(job)["s0"]
    assert job["state"] == "succeeded" and parse_datetime(row["started"]) >= start_at, row
    assert version_of(fleet, 14) == latest_for(before[14])
    other = client.get(f"{JOBS}{other_id}/").json()  # its start time passed too: still nothing ran
    assert rows_by_name(other)["s1"]["state"] == "cancelled" and other["hold"] == ""
    assert version_of(fleet, 15) == before[15] and upgrades_of(world, cancelled) == 0
