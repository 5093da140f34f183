# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""A JobDevice step runs once however often its batch is delivered: the claim (queued → running,
one conditional UPDATE) lets exactly one run through, sequentially or concurrently."""

import threading

import librouteros
import pytest

from devices.jobs import runner
from devices.models import Job, JobDevice
from devices.tests.inventory_support import fleet, sim, world  # noqa: F401
from devices.tests.jobs_support import sim_devices
from tenants.access import load_site_scope, resolve_access
from tenants.context import tenant_context


def scripts_named(target, name: str) -> int:
    """How many scripts of that name the simulated device has (then removes them)."""
    api = librouteros.connect(target["address"], "admin", "sim-admin", port=target["ports"]["api"])
    try:
        found = [row[".id"] for row in api("/system/script/print") if row.get("name") == name]
        for item in found:
            tuple(api("/system/script/remove", **{".id": item}))
        return len(found)
    finally:
        api.close()


def new_job(world, devices, command: str, **kwargs) -> Job:
    with tenant_context(world.acme.id):
        access = load_site_scope(resolve_access(world.users.bob, world.acme))
        return runner.start_job(
            access, "command", devices=[str(d.pk) for d in devices], params={"command": command}, **kwargs
        )


@pytest.mark.django_db(transaction=True)
def test_running_the_same_step_twice_changes_the_device_once(world, fleet):
    devices = sim_devices(world, fleet, 1)
    job = new_job(world, devices, "/system/script/add name=job-probe source=x")
    ids = [str(devices[0].pk)]
    tenant = str(world.acme.id)

    first = runner.run_batch(tenant, str(job.pk), ids)
    second = runner.run_batch(tenant, str(job.pk), ids)  # the redelivered message
    assert first == {"ran": 1} and second == {"ran": 0}
    with tenant_context(world.acme.id):
        row = JobDevice.objects.get(job=job)
        assert (row.state, row.attempt) == ("succeeded", 1)
        assert row.output.startswith("ret=")  # a second add would have failed: "already have item …"
        assert row.idempotency_key.startswith(f"{job.pk}:{devices[0].pk}:1:")
    assert scripts_named(fleet["devices"][0], "job-probe") == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_run_each_device_once(world, fleet):
    devices = sim_devices(world, fleet, 3)
    job = new_job(world, devices, "/system/script/add name=job-twice source=x")
    ids = [str(d.pk) for d in devices]
    tenant = str(world.acme.id)
    results = []

    def deliver():
        from django.db import connection

        try:
            results.append(runner.run_batch(tenant, str(job.pk), ids))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r["ran"] for r in results) == 3
    with tenant_context(world.acme.id):
        assert sorted(JobDevice.objects.filter(job=job).values_list("state", flat=True)) == ["succeeded"] * 3
        assert Job.objects.get(pk=job.pk).state == "succeeded"
    for target in fleet["devices"][:3]:
        assert scripts_named(target, "job-twice") == 1


@pytest.mark.django_db(transaction=True)
def test_a_late_result_of_a_lost_claim_is_not_written(world, fleet):
    from devices.jobs.kinds import StepResult

    devices = sim_devices(world, fleet, 1)
    job = new_job(world, devices, "/system/identity/print")
    with tenant_context(world.acme.id):
        rows = runner._claim(Job.objects.get(pk=job.pk), [str(devices[0].pk)])
        key = rows[0].idempotency_key
        JobDevice.objects.filter(pk=rows[0].pk).update(idempotency_key="someone-else")
    late = [StepResult.ok(rows[0].pk, "late")]
    written = runner._write_results(str(world.acme.id), job.pk, late, {str(rows[0].pk): key})
    assert written == 0
    with tenant_context(world.acme.id):
        assert JobDevice.objects.get(pk=rows[0].pk).output == ""


@pytest.mark.django_db(transaction=True)
def test_the_tenant_concurrency_limit_bounds_claims(world, fleet, settings):
    settings.JOBS_TENANT_CONCURRENCY = 2
    devices = sim_devices(world, fleet, 3)
    job = new_job(world, devices, "/system/identity/print")
    with tenant_context(world.acme.id):
        job = Job.objects.get(pk=job.pk)
        assert len(runner._claim(job, [str(d.pk) for d in devices])) == 2
        assert runner._claim(job, [str(d.pk) for d in devices]) == []  # no slot left while those run


@pytest.mark.django_db(transaction=True)
def test_a_device_without_api_access_fails_with_the_reason_and_a_disabled_one_is_skipped(world):
    from tests.factories import make_credential_profile, make_device

    profile = make_credential_profile(world.acme, "rest-only")
    rest_only = make_device(
        world.acme, world.north, name="rest-only", credential_profile=profile, protocol="rest", fallback_protocols=[]
    )
    disabled = make_device(world.acme, world.north, name="switched-off", credential_profile=profile, enabled=False)
    job = new_job(world, [rest_only, disabled], "/system/identity/print")
    runner.run_batch(str(world.acme.id), str(job.pk), [str(rest_only.pk), str(disabled.pk)])
    with tenant_context(world.acme.id):
        rows = {r.device_name: r for r in JobDevice.objects.filter(job=job)}
        assert rows["rest-only"].state == "failed" and "allows no API access" in rows["rest-only"].reason
        assert rows["switched-off"].state == "skipped" and rows["switched-off"].reason == "The device is disabled."
        assert Job.objects.get(pk=job.pk).state == "partially_failed"
