"""Benchmark the Job machinery end to end: one command to N simulated devices (not a unit test).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/mikman_bulkbench REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python -m mikman.launcher prepare                                  # once
    DATABASE_URL=… REDIS_URL=… .venv/bin/python bench/bulk.py --devices 1000 [--latency-ms 20]
    (or with the embedded PostgreSQL/Redis: MIKMAN_DB_NAME=mikman_bulkbench, as bench/poll.py)

1. Starts `python -m devices.simulator` with N API devices whose replies carry lognormal latency
   (median --latency-ms, sigma 0.5), one address per device, one shared port.
2. Registers them as devices of a tenant "bench" with an operator "bench-operator" (earlier
   runs' devices and jobs are replaced).
3. Starts ONE real Celery worker as production runs the jobs queue (deploy/entrypoint.sh:
   `celery -A mikman worker --queues jobs,celery --concurrency 2`, prefork, DJANGO_DEBUG=false)
   and waits until it answers a ping (its start-up is not measured).
4. Starts the job through the real API (`POST /api/v1/tenants/bench/jobs/`, Django's test client
   in this process: authentication, role and site checks, serializer, audit, enqueue on commit),
   then watches the job's counters (what the UI's progress bar shows) until it has finished.
   Everything in between — batches, claims, the asyncio conversations, result writes, progress
   counters — is the worker's own code.

Last line:
    RESULT wall_s=… devices_per_s=… succeeded=… failed=… devices=… latency_ms=… worker_procs=…
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import time
import uuid

from _common import (
    api_fleet_devices,
    bench_profile,
    proc_cpu_s,
    setup_django,
    start_api_fleet,
    start_worker,
    stop,
    use_django_settings,
    worker_name,
)

use_django_settings()


def register(count: int, port: int):
    """(tenant, operator user, [device ids]); devices and jobs of an earlier run are replaced."""
    from devices.models import Device, Job
    from tenants.context import tenant_context
    from tenants.models import Membership, Tenant, User

    tenant, _ = Tenant.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    user = User.objects.filter(username="bench-operator").first()
    if user is None:
        user = User.objects.create_user("bench-operator", password=uuid.uuid4().hex)
    with tenant_context(tenant.id):
        Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": "operator"})
        Job.objects.filter(tenant=tenant).delete()
        Device.objects.filter(tenant=tenant).delete()
        profile = bench_profile(tenant)
        devices = api_fleet_devices(tenant, profile, count, port, name="bench-{:05d}", interval=3600)
        Device.objects.bulk_create(devices, batch_size=2000)
    return tenant, user, [str(d.id) for d in devices]


def start_ready_worker(procs: int) -> subprocess.Popen:
    """The jobs worker (prefork, `procs` processes), once it answers a ping."""
    worker = start_worker("jobs,celery", "bulkbench", concurrency=procs, heartbeat=True)
    name = worker_name("bulkbench")
    from mikman.celery import app

    deadline = time.time() + 120
    while time.time() < deadline:
        if worker.poll() is not None:
            raise SystemExit("the worker exited during start-up")
        replies = app.control.ping(timeout=1.0)
        if any(name.split("@")[0] in host for reply in replies for host in reply):
            return worker
    raise SystemExit("the worker did not answer a ping in 120 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20.0, help="median reply latency (lognormal)")
    parser.add_argument("--command", default="/system/resource/print")
    parser.add_argument("--procs", type=int, default=2, help="worker processes (production default: 2)")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()

    redis_proc = setup_django()
    from rest_framework.test import APIClient

    from devices.models import Job
    from tenants.context import tenant_context

    sim, _, port = start_api_fleet(args.devices, args.latency_ms)
    worker = None
    try:
        tenant, user, device_ids = register(args.devices, port)
        print(f"registered {len(device_ids)} devices for tenant bench ({tenant.id})", flush=True)
        worker = start_ready_worker(args.procs)
        print(f"worker ready (pid {worker.pid}, {args.procs} processes)", flush=True)
        client = APIClient(SERVER_NAME="localhost")
        client.force_authenticate(user)
        warm = client.get("/api/v1/tenants/bench/jobs/")  # a running web process has its URLs and views loaded
        assert warm.status_code == 200, warm.content[:300]
        cpu0 = proc_cpu_s(worker.pid)
        t0 = time.time()
        response = client.post(
            "/api/v1/tenants/bench/jobs/",
            {"kind": "command", "devices": device_ids, "params": {"command": args.command}},
            format="json",
        )
        if response.status_code != 201:
            raise SystemExit(f"starting the job failed: {response.status_code} {response.content[:500]!r}")
        job_id = response.json()["id"]
        t_post = time.time() - t0
        print(f"job {job_id} started through the API in {t_post:.2f} s", flush=True)
        next_report = t0 + 1
        while True:
            with tenant_context(tenant.id):
                job = Job.objects.get(pk=job_id)
            now = time.time()
            if job.is_finished:
                break
            if now >= next_report:
                print(f"  t={now - t0:5.1f}s {job.state}: {job.done}/{job.total} ({job.progress_percent}%)", flush=True)
                next_report = now + 1
            if now - t0 > args.timeout:
                raise SystemExit(f"job not finished in {args.timeout} s: {job.done}/{job.total}")
            time.sleep(0.05)
        wall = time.time() - t0
        cpu = proc_cpu_s(worker.pid) - cpu0
        print(
            f"finished {job.state}: {job.succeeded} succeeded, {job.failed} failed, {job.skipped} skipped "
            f"in {wall:.2f} s (database: {(job.finished - job.created).total_seconds():.2f} s); "
            f"worker CPU {cpu:.1f} s",
            flush=True,
        )
        if job.failed:
            with tenant_context(tenant.id):
                reasons = list(job.rows.filter(state="failed").values_list("reason", flat=True)[:5])
            print(f"some failures: {reasons}", flush=True)
        print(
            f"RESULT wall_s={wall:.2f} devices_per_s={job.total / wall:.0f} succeeded={job.succeeded} "
            f"failed={job.failed} devices={args.devices} latency_ms={args.latency_ms:g} worker_procs={args.procs}",
            flush=True,
        )
    finally:
        stop(worker)
        stop(sim, signal.SIGINT, 20)
        stop(redis_proc, wait=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
