# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Config push end to end: a real Celery worker pushes over SSH to simulated routers with a
RouterOS rollback timer; a harmless change is confirmed (timer gone, new backup version), a
change that firewalls the management ports is rolled back by the device itself."""

import contextlib

import librouteros
import pytest

from devices.models import BackupTrigger, ConfigBackup, ConfigPush, PushStep
from devices.simulator.testing import running_fleet
from devices.tests.inventory_support import worker, world  # noqa: F401
from devices.tests.jobs_support import rows_by_name, sim_devices, wait_for_job
from tenants.context import tenant_context
from tests.factories import api_client

JOBS = "/api/v1/tenants/acme/jobs/"


@pytest.fixture(scope="module")
def sim():
    with running_fleet(count=4, seed=23, protocols=("api", "ssh"), reboot_seconds=1.0) as info:
        yield info


@pytest.fixture
def fleet(sim):
    indices = [d["index"] for d in sim["devices"]]
    sim["fleet"].set_fault(indices, None)
    yield sim
    sim["fleet"].set_fault(indices, None)


@contextlib.contextmanager
def router(fleet, index):
    target = fleet["devices"][index]
    api = librouteros.connect(target["address"], "admin", "sim-admin", port=target["ports"]["api"])
    try:
        yield api
    finally:
        api.close()


def rollback_leftovers(api) -> list[str]:
    names = [row.get("name", "") for row in api("/system/scheduler/print")]
    names += [row.get("name", "") for row in api("/file/print")]
    return [n for n in names if n.startswith("mikman-rollback")]


def push(client, devices, **params):
    body = {"kind": "push", "devices": [str(d.pk) for d in devices], "params": params}
    response = client.post(JOBS, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.django_db(transaction=True)
def test_template_push_to_two_devices_is_confirmed_and_backed_up(world, worker, fleet):
    devices = sim_devices(world, fleet, 2, prefix="p")
    client = api_client(world.users.alice)  # an admin
    created = push(
        client,
        devices,
        template='/ip firewall address-list add list=pushed address={{ addr }} comment="{{ device.name }}"\n',
        variables={"addr": "192.0.2.77"},
        rollback_s=30,
    )
    job = wait_for_job(client, "acme", created["id"], timeout=60)
    assert job["state"] == "succeeded", job
    rows = rows_by_name(job)
    for i, device in enumerate(devices):
        row = rows[device.name]
        assert row["state"] == "succeeded", row
        assert "rollback timer removed" in row["output"]
        with router(fleet, i) as api:
            pushed = [r for r in api("/ip/firewall/address-list/print") if r.get("list") == "pushed"]
            assert [(r["address"], r.get("comment")) for r in pushed] == [("192.0.2.77", device.name)]
            assert rollback_leftovers(api) == []  # timer and its backup file removed
            for r in pushed:  # leave the module's fleet as it was
                api("/ip/firewall/address-list/remove", **{".id": r[".id"]})
        with tenant_context(world.acme.id):
            backups = list(ConfigBackup.objects.filter(device=device).order_by("taken_at"))
            push_state = ConfigPush.objects.get(device=device)
            texts = [b.blob.text for b in backups]
        assert [b.trigger for b in backups] == [BackupTrigger.PRE_PUSH, BackupTrigger.JOB]
        assert backups[1].changed and backups[1].sha256 != backups[0].sha256
        assert "192.0.2.77" in texts[1] and "192.0.2.77" not in texts[0]
        assert push_state.step == PushStep.SUCCEEDED and push_state.pre_backup_id == backups[0].pk


@pytest.mark.django_db(transaction=True)
def test_push_that_firewalls_the_api_is_rolled_back_by_the_device(world, worker, fleet):
    (device,) = sim_devices(world, fleet, 3, prefix="q")[2:]
    client = api_client(world.users.alice)
    lockout = '/ip firewall filter add chain=input protocol=tcp dst-port=22,8728,8729 action=drop comment="lockout"\n'
    created = push(client, [device], script=lockout, rollback_s=4)
    job = wait_for_job(client, "acme", created["id"], timeout=40)

    assert job["state"] == "failed", job
    row = rows_by_name(job)[device.name]
    assert row["reason"].startswith("rolled back by the device"), row
    assert "its configuration equals the pre-push backup" in row["output"]
    with router(fleet, 2) as api:  # reachable again, without the rule, and no timer left behind
        assert not [r for r in api("/ip/firewall/filter/print") if r.get("comment") == "lockout"]
        assert rollback_leftovers(api) == []
    with tenant_context(world.acme.id):
        assert ConfigPush.objects.get(device=device).step == PushStep.ROLLED_BACK


@pytest.mark.django_db(transaction=True)
def test_restore_of_a_stored_version_with_the_rollback_timer(world, worker, fleet):
    from devices.backups.services import take_backup

    (device,) = sim_devices(world, fleet, 4, prefix="s")[3:]
    with tenant_context(world.acme.id):
        version = take_backup(device, trigger=BackupTrigger.MANUAL)
    assert version.ok, version.reason
    with router(fleet, 3) as api:  # drift made outside the platform
        original = list(api("/system/identity/print"))[0]["name"]
        tuple(api("/system/identity/set", name="drifted"))
        tuple(api("/ip/firewall/address-list/add", list="drift", address="198.51.100.9"))

    client = api_client(world.users.alice)
    body = {"kind": "restore", "devices": [str(device.pk)], "params": {"backup": str(version.pk), "rollback_s": 20}}
    assert client.post(JOBS, body, format="json").status_code == 400  # replaces the config: needs confirm
    assert api_client(world.users.bob).post(JOBS, {**body, "confirm": True}, format="json").status_code == 403
    created = client.post(JOBS, {**body, "confirm": True}, format="json")
    assert created.status_code == 201, created.content
    job = wait_for_job(client, "acme", created.json()["id"], timeout=40)

    assert job["state"] == "succeeded", job
    row = rows_by_name(job)[device.name]
    assert "the configuration equals the restored version" in row["output"], row["output"]
    with router(fleet, 3) as api:
        assert list(api("/system/identity/print"))[0]["name"] == original
        assert not [r for r in api("/ip/firewall/address-list/print") if r.get("list") == "drift"]
        assert rollback_leftovers(api) == []
        assert not [f for f in api("/file/print") if f.get("name", "").startswith("mikman-restore")]


def dead_attempt(world, device, step, **push_fields):
    """A push job whose worker died at `step`: the row still `running`, its ConfigPush saved."""
    from devices.jobs import push_kind
    from devices.models import Job, JobDevice

    with tenant_context(world.acme.id):
        params = push_kind.prepare(
            {"script": "/ip firewall address-list add list=resumed address=192.0.2.99\n", "rollback_s": 30}, None
        ).params
        job = Job.objects.create(tenant=world.acme, kind="push", params=params, summary="push", total=1)
        row = JobDevice.objects.create(
            tenant=world.acme, job=job, device=device, device_name=device.name, state="running", idempotency_key="k"
        )
        row = JobDevice.objects.select_related("device", "device__credential_profile").get(pk=row.pk)
        push = ConfigPush.objects.create(
            tenant=world.acme,
            job_device=row,
            device=device,
            step=step,
            rollback_name="mikman-rollback-dead-1",
            **push_fields,
        )
        work = push_kind._work_for(job, row)
    return work, push


@pytest.mark.django_db(transaction=True)
def test_resumed_push_removes_the_dead_runs_timer_and_applies_once(world, fleet):
    from django.utils import timezone

    from devices.push import device_ops
    from devices.push.safe_apply import run_push

    (device,) = sim_devices(world, fleet, 1, prefix="r")
    work, push = dead_attempt(world, device, PushStep.ARMED, rollback_due=timezone.now())
    device_ops.arm(work.api, push.rollback_name, 30)  # what the dead run left on the device

    result = run_push(work)

    assert result.state == "succeeded", (result.reason, result.output)
    assert "the interrupted run's rollback timer was removed" in result.output
    with router(fleet, 0) as api:
        assert rollback_leftovers(api) == []
        resumed = [r for r in api("/ip/firewall/address-list/print") if r.get("list") == "resumed"]
        assert len(resumed) == 1  # applied exactly once
        api("/ip/firewall/address-list/remove", **{".id": resumed[0][".id"]})


@pytest.mark.django_db(transaction=True)
def test_push_interrupted_while_applying_a_lockout_is_reported_rolled_back(world, fleet):
    from datetime import timedelta

    from django.utils import timezone

    from devices.backups.services import take_backup
    from devices.push import device_ops
    from devices.push.safe_apply import run_push

    (device,) = sim_devices(world, fleet, 2, prefix="t")[1:]
    with tenant_context(world.acme.id):
        before = take_backup(device, trigger=BackupTrigger.PRE_PUSH)
    work, push = dead_attempt(
        world, device, PushStep.APPLYING, pre_sha256=before.sha256, rollback_due=timezone.now() + timedelta(seconds=3)
    )
    device_ops.arm(work.api, push.rollback_name, 3)
    with router(fleet, 1) as api:  # the dead run got as far as cutting the platform off
        tuple(api("/ip/firewall/filter/add", chain="input", protocol="tcp", **{"dst-port": "8728,22"}, action="drop"))

    result = run_push(work)

    assert result.state == "failed"
    assert result.reason == "rolled back by the device: the run was interrupted while applying the script", (
        result.output
    )
    with router(fleet, 1) as api:
        assert rollback_leftovers(api) == []


@pytest.mark.django_db(transaction=True)
def test_script_error_midway_restores_the_pre_push_configuration_at_once(world, worker, fleet):
    (device,) = sim_devices(world, fleet, 1, prefix="e")
    client = api_client(world.users.alice)
    script = "/ip firewall address-list add list=halfway address=192.0.2.5\n/ip address add address=bogus\n"
    created = push(client, [device], script=script, rollback_s=60)  # the timer is not waited for
    job = wait_for_job(client, "acme", created["id"], timeout=30)

    assert job["state"] == "failed", job
    row = rows_by_name(job)[device.name]
    assert row["reason"].startswith("rolled back: the script failed"), row
    with router(fleet, 0) as api:
        assert not [r for r in api("/ip/firewall/address-list/print") if r.get("list") == "halfway"]
        assert rollback_leftovers(api) == []
