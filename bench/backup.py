"""Benchmark config backups end to end (not a unit test).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/mikman_backupbench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python -m mikman.launcher prepare                                   # once
    DATABASE_URL=… REDIS_URL=… .venv/bin/python bench/backup.py --devices 1000 [--latency-ms 20]
        [--concurrency 8] [--processes 2] [--sim-processes 2] [--rounds 2]

1. Starts `python -m devices.simulator` (SSH only, `--config-bulk`: exports of 5-50 KB, lognormal
   reply latency with median --latency-ms) — `--sim-processes` of them, each serving its share of
   the fleet on its own port, because the simulator's SSH server (pure-Python paramiko, one
   process) would otherwise be the bottleneck rather than the platform.
2. Registers the devices for a tenant "bench-backup" (one credential profile; no backup yet, so
   every device is due), replacing an earlier run's devices, versions and blobs.
3. Starts ONE real Celery worker on the jobs queue as production would
   (`celery -A mikman worker -Q jobs -c PROCESSES`, DJANGO_DEBUG=false) and acts as beat: sends
   `devices.backup_schedule` once per round. Claiming due devices, batches, SSH, normalising,
   de-duplication and storing are the worker's own code (devices/backups/).
4. A round ends when every device has a run of that round; round 2+ re-run the same (unchanged)
   configs after making every device due again — they must all de-duplicate.

Last line:
    RESULT wall_s=<round 1> devices_per_s=… bytes_per_version=<mean stored size of a distinct
    version> dedup_ratio=<bytes of all good runs / bytes stored in blobs> …
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid

from _common import (
    bench_profile,
    free_port,
    proc_cpu_s,
    setup_django,
    start_simulator,
    start_worker,
    stop,
    use_django_settings,
)

use_django_settings()

TENANT_SLUG = "bench-backup"


def register(fleets: list[tuple[int, str, int]]) -> str:
    """Devices for [(count, base address, ssh port)]; returns the tenant id. Earlier runs' devices
    (and so their backups) and blobs are removed first."""
    from devices.models import BackupPolicy, ConfigBlob, Device
    from devices.simulator.fleet import address_of
    from tenants.context import tenant_context
    from tenants.models import Tenant

    tenant, _ = Tenant.objects.get_or_create(slug=TENANT_SLUG, defaults={"name": "Bench backups"})
    with tenant_context(tenant.id):
        Device.objects.filter(tenant=tenant).delete()
        ConfigBlob.objects.filter(tenant=tenant).delete()
        BackupPolicy.objects.filter(tenant=tenant).delete()
        profile = bench_profile(tenant)
        devices = []
        for f, (count, base, port) in enumerate(fleets):
            for i in range(count):
                devices.append(
                    Device(
                        id=uuid.uuid4(),
                        tenant=tenant,
                        name=f"bench-{f}-{i:05d}",
                        host=address_of(i, base),
                        ssh_port=port,
                        protocol="ssh",
                        fallback_protocols=[],
                        credential_profile=profile,
                        enabled=True,
                        next_poll_at=None,
                        poll_interval_s=86400,
                    )
                )
        Device.objects.bulk_create(devices, batch_size=2000)
    return str(tenant.id)


def runs_since(tenant_id: str, since) -> tuple[int, int]:
    from devices.models import ConfigBackup
    from tenants.context import tenant_context

    with tenant_context(tenant_id):
        runs = ConfigBackup.objects.filter(tenant_id=tenant_id, taken_at__gte=since)
        return runs.count(), runs.filter(status="ok").count()


def make_all_due(tenant_id: str) -> None:
    from devices.models import Device
    from tenants.context import tenant_context

    with tenant_context(tenant_id):
        Device.objects.filter(tenant_id=tenant_id).update(next_backup_at=None)


def storage(tenant_id: str) -> dict:
    from django.db.models import Count, Sum

    from devices.models import ConfigBackup, ConfigBlob
    from tenants.context import tenant_context

    with tenant_context(tenant_id):
        blobs = ConfigBlob.objects.filter(tenant_id=tenant_id).aggregate(n=Count("id"), bytes=Sum("size"))
        runs = ConfigBackup.objects.filter(tenant_id=tenant_id, status="ok").aggregate(n=Count("id"), bytes=Sum("size"))
        failed = dict(
            ConfigBackup.objects.filter(tenant_id=tenant_id, status="failed")
            .values_list("outcome")
            .annotate(n=Count("id"))
        )
    return {
        "blobs": blobs["n"],
        "blob_bytes": blobs["bytes"] or 0,
        "runs": runs["n"],
        "run_bytes": runs["bytes"] or 0,
        "failed": failed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20.0, help="median reply latency (lognormal)")
    parser.add_argument("--concurrency", type=int, default=8, help="SSH sessions at once per worker process")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (prefork)")
    parser.add_argument("--sim-processes", type=int, default=2, help="simulator processes sharing the fleet")
    parser.add_argument("--batch", type=int, default=0, help="devices per batch task (default: spread evenly)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600.0, help="give up on a round after this many seconds")
    args = parser.parse_args()

    redis_proc = setup_django()
    from django.utils import timezone

    sims, fleets = [], []
    shares = [
        args.devices // args.sim_processes + (1 if k < args.devices % args.sim_processes else 0)
        for k in range(args.sim_processes)
    ]
    print(
        f"starting {args.sim_processes} simulator process(es): {args.devices} SSH devices, 5-50 KB configs, "
        f"latency lognormal median {args.latency_ms} ms",
        flush=True,
    )
    worker = None
    try:
        for k, count in enumerate(shares):
            port, base = free_port(), f"127.{10 + k}.0.0"
            sim, _ready = start_simulator(
                count,
                args.latency_ms,
                port,
                protocol="ssh",
                seed=1 + k,
                extra=("--config-bulk", "--base-address", base),
            )
            sims.append(sim)
            fleets.append((count, base, port))
        tenant_id = register(fleets)
        print(f"registered {args.devices} devices for tenant {TENANT_SLUG} ({tenant_id})", flush=True)
        batch = args.batch or max(10, -(-args.devices // (args.processes * 4)))
        env = dict(BACKUP_CONCURRENCY=str(args.concurrency), BACKUP_BATCH_SIZE=str(batch), LOG_LEVEL="WARNING")
        worker = start_worker("jobs", "backupbench", concurrency=args.processes, env=env)
        # worker start-up (imports, forking) is not part of a backup round: wait until it answers
        from tenants.tasks import untenanted_probe

        for _ in range(args.processes):
            untenanted_probe.delay().get(timeout=180)
        from devices.backups.tasks import backup_schedule

        walls = []
        for rnd in range(1, args.rounds + 1):
            if rnd > 1:
                make_all_due(tenant_id)
            since = timezone.now()
            cpu0 = proc_cpu_s(worker.pid)
            sim_cpu0 = sum(proc_cpu_s(s.pid) for s in sims)
            started = time.time()
            backup_schedule.delay()
            done = ok = 0
            next_report = started + 5
            while time.time() - started < args.timeout:
                done, ok = runs_since(tenant_id, since)
                if done >= args.devices:
                    break
                if time.time() >= next_report:
                    print(f"  round {rnd}: {done}/{args.devices} after {time.time() - started:.0f} s", flush=True)
                    next_report += 5
                time.sleep(0.25)
            wall = time.time() - started
            walls.append(wall)
            cpu = proc_cpu_s(worker.pid) - cpu0
            sim_cpu = sum(proc_cpu_s(s.pid) for s in sims) - sim_cpu0
            print(
                f"round {rnd}: {done} runs ({ok} ok) in {wall:.1f} s = {done / wall:.1f} devices/s; "
                f"worker CPU {cpu:.1f} s ({cpu / max(done, 1) * 1000:.0f} ms/device), simulator CPU {sim_cpu:.1f} s",
                flush=True,
            )
            if done < args.devices:
                print(f"round {rnd} did not finish within {args.timeout:.0f} s", flush=True)
                break
        st = storage(tenant_id)
        print(f"storage: {st}", flush=True)
        bytes_per_version = st["blob_bytes"] / max(st["blobs"], 1)
        dedup = st["run_bytes"] / max(st["blob_bytes"], 1)
        print(
            f"RESULT wall_s={walls[0]:.1f} devices_per_s={args.devices / walls[0]:.1f} "
            f"bytes_per_version={bytes_per_version:.0f} dedup_ratio={dedup:.2f} "
            f"rounds={len(walls)} wall_s_rounds={','.join(f'{w:.1f}' for w in walls)} devices={args.devices} "
            f"concurrency={args.concurrency} processes={args.processes} sim_processes={args.sim_processes} "
            f"latency_ms={args.latency_ms:g} failed={sum(st['failed'].values())}",
            flush=True,
        )
        return 0
    finally:
        stop(worker)
        for sim in sims:
            stop(sim, wait=10)
        if redis_proc is not None:
            redis_proc.terminate()


if __name__ == "__main__":
    sys.exit(main())
