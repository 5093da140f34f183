# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Jobs end to end: a real Celery worker runs commands on simulated devices over the RouterOS API;
per-device output, a device fault as a failed row, retry failed, cancel, lease recovery."""

import time

import librouteros
import pytest

from devices.jobs.recovery import recover_tenant
from devices.models import JobDevice
from devices.tests.inventory_support import fleet, sim, worker, world  # noqa: F401
from devices.tests.jobs_support import rows_by_name, sim_devices, wait_for_job
from tenants.context import tenant_context
from tests.factories import api_client

JOBS = "/api/v1/tenants/acme/jobs/"


def start(client, devices, command, **extra):
    body = {"kind": "command", "devices": [str(d.pk) for d in devices], "params": {"command": command}, **extra}
    response = client.post(JOBS, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.django_db(transaction=True)
def test_command_on_three_devices_succeeds_with_output_per_device(world, worker, fleet):
    devices = sim_devices(world, fleet, 3)
    client = api_client(world.users.bob)  # an operator
    created = start(client, devices, "/system/identity/print")
    assert created["total"] == 3 and created["state"] in ("queued", "running")

    job = wait_for_job(client, "acme", created["id"])
    assert job["state"] == "succeeded", job
    assert (job["succeeded"], job["failed"], job["progress_percent"]) == (3, 0, 100)
    rows = rows_by_name(job)
    for i, device in enumerate(devices):
        row = rows[device.name]
        assert row["state"] == "succeeded" and row["attempt"] == 1
        assert row["output"] == f"name={fleet['devices'][i]['identity']}"
        assert row["started"] and row["finished"]
    full = client.get(f"/api/v1/tenants/acme/job-devices/?job={created['id']}").json()
    assert full["count"] == 3


@pytest.mark.django_db(transaction=True)
def test_set_command_changes_every_device(world, worker, fleet):
    devices = sim_devices(world, fleet, 2)
    client = api_client(world.users.bob)
    job = wait_for_job(client, "acme", start(client, devices, '/system identity set name="job renamed"')["id"])
    assert job["state"] == "succeeded", job
    for i in range(2):
        target = fleet["devices"][i]
        api = librouteros.connect(target["address"], "admin", "sim-admin", port=target["ports"]["api"])
        try:
            assert list(api("/system/identity/print"))[0]["name"] == "job renamed"
            tuple(api("/system/identity/set", name=target["identity"]))  # put it back for the other tests
        finally:
            api.close()


@pytest.mark.django_db(transaction=True)
def test_offline_device_fails_with_reason_then_retry_failed_succeeds(world, worker, fleet):
    devices = sim_devices(world, fleet, 3)
    fleet["fleet"].set_fault(fleet["devices"][1]["index"], "offline")
    client = api_client(world.users.bob)
    job = wait_for_job(client, "acme", start(client, devices, "/system/resource/print")["id"])

    assert job["state"] == "partially_failed", job
    assert (job["succeeded"], job["failed"]) == (2, 1)
    rows = rows_by_name(job)
    bad = rows[devices[1].name]
    assert bad["state"] == "failed"
    assert bad["reason"] in ("connection reset", "connection refused"), bad
    assert "uptime=" in rows[devices[0].name]["output"]

    # nothing failed yet to retry while … fixed: the fault goes away, only the failed row runs again
    fleet["fleet"].set_fault(fleet["devices"][1]["index"], None)
    good_finished = rows[devices[0].name]["finished"]
    response = client.post(f"{JOBS}{job['id']}/retry-failed/", format="json")
    assert response.status_code == 202, response.content
    job = wait_for_job(client, "acme", job["id"])
    assert job["state"] == "succeeded", job
    rows = rows_by_name(job)
    assert rows[devices[1].name]["attempt"] == 2 and rows[devices[1].name]["state"] == "succeeded"
    assert rows[devices[0].name]["attempt"] == 1 and rows[devices[0].name]["finished"] == good_finished
    again = client.post(f"{JOBS}{job['id']}/retry-failed/", format="json")
    assert again.status_code == 400 and "nothing to retry" in again.json()["error"]["fields"][0]


@pytest.mark.django_db(transaction=True)
def test_cancel_stops_queued_devices_and_lets_the_running_one_finish(world, worker, fleet):
    devices = sim_devices(world, fleet, 3)
    for d in fleet["devices"][:3]:
        fleet["fleet"].set_fault(d["index"], "slow:700ms")
    client = api_client(world.users.bob)
    created = start(client, devices, "/system/identity/print", concurrency=1)
    wait_for_job(client, "acme", created["id"], until=("running",))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the first device is in flight
        job = client.get(f"{JOBS}{created['id']}/").json()
        if any(r["state"] == "running" for r in job["devices"]):
            break
        time.sleep(0.05)
    response = client.post(f"{JOBS}{created['id']}/cancel/", format="json")
    assert response.status_code == 200, response.content
    job = wait_for_job(client, "acme", created["id"])
    assert job["state"] == "cancelled", job
    states = sorted(r["state"] for r in job["devices"])
    assert states.count("cancelled") >= 1 and "queued" not in states and "running" not in states
    assert job["succeeded"] >= 1  # the device that was running finished its step
    assert client.post(f"{JOBS}{created['id']}/cancel/", format="json").status_code == 400  # already finished


@pytest.mark.django_db(transaction=True)
def test_expired_lease_of_a_dead_worker_is_requeued_and_completes(world, worker, fleet):
    """A worker killed mid-step leaves its row `running`; once the lease expired the recovery
    puts an idempotent step back in the queue, and it completes exactly once."""
    devices = sim_devices(world, fleet, 1)
    client = api_client(world.users.bob)
    created = start(client, devices, "/system/identity/print")
    job = wait_for_job(client, "acme", created["id"])
    assert job["state"] == "succeeded"
    # fake the dead worker: the row claimed long ago and never finished
    with tenant_context(world.acme.id):
        from devices.jobs.runner import refresh
        from devices.models import Job

        JobDevice.objects.filter(job_id=created["id"]).update(
            state="running", output="", lease_until="2000-01-01T00:00:00Z", idempotency_key="dead-claim"
        )
        Job.objects.filter(pk=created["id"]).update(state="running", finished=None)
        refresh(created["id"])
    result = recover_tenant(str(world.acme.id))
    assert result == {"requeued": 1, "failed": 0}
    job = wait_for_job(client, "acme", created["id"])
    assert job["state"] == "succeeded", job
    assert job["devices"][0]["output"].startswith("name=")


@pytest.mark.django_db(transaction=True)
def test_expired_lease_of_a_non_idempotent_step_fails_instead_of_repeating(world, fleet):
    from devices.jobs import runner
    from devices.models import Job
    from tenants.access import load_site_scope, resolve_access

    devices = sim_devices(world, fleet, 1)
    with tenant_context(world.acme.id):
        access = load_site_scope(resolve_access(world.users.bob, world.acme))
        job = runner.start_job(
            access, "command", devices=[str(devices[0].pk)], params={"command": "/system/script/add name=once"}
        )
        JobDevice.objects.filter(job=job).update(state="running", lease_until="2000-01-01T00:00:00Z")
    assert recover_tenant(str(world.acme.id)) == {"requeued": 0, "failed": 1}
    with tenant_context(world.acme.id):
        row = JobDevice.objects.get(job=job)
        assert row.state == "failed" and "may or may not have been applied" in row.reason
        assert Job.objects.get(pk=job.pk).state == "failed"


@pytest.mark.django_db(transaction=True)
def test_command_via_ssh_returns_cli_output_and_pins_the_host_key(world, worker, fleet):
    devices = sim_devices(world, fleet, 2)
    client = api_client(world.users.bob)
    body = {"kind": "command", "devices": [str(d.pk) for d in devices]}
    created = client.post(JOBS, {**body, "params": {"command": "/system/identity/print", "via": "ssh"}}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["summary"] == "/system identity print (ssh)"
    job = wait_for_job(client, "acme", created.json()["id"])
    assert job["state"] == "succeeded", job
    rows = rows_by_name(job)
    for i, device in enumerate(devices):
        assert rows[device.name]["output"].strip() == f"name: {fleet['devices'][i]['identity']}"
        with tenant_context(world.acme.id):
            device.refresh_from_db()
        assert device.ssh_host_key.startswith("ssh-")  # trusted on first use, as backups do
    bad = client.post(JOBS, {**body, "params": {"command": "/nonsense/print", "via": "ssh"}}, format="json")
    job = wait_for_job(client, "acme", bad.json()["id"])
    assert job["state"] == "failed"
    assert all(r["reason"].startswith("RouterOS: bad command name") for r in job["devices"]), job


@pytest.mark.django_db(transaction=True)
def test_backup_job_backs_every_device_up(world, worker, fleet):
    devices = sim_devices(world, fleet, 2)
    client = api_client(world.users.bob)
    created = client.post(JOBS, {"kind": "backup", "devices": [str(d.pk) for d in devices]}, format="json")
    assert created.status_code == 201, created.content
    job = wait_for_job(client, "acme", created.json()["id"], timeout=60)
    assert job["state"] == "succeeded", job
    for row in job["devices"]:
        assert " bytes · sha256 " in row["output"], row
    with tenant_context(world.acme.id):
        from devices.models.backups import ConfigBackup

        assert ConfigBackup.objects.filter(trigger="job", status="ok").count() == 2
