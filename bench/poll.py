"""Benchmark the polling engine end to end (not a unit test).

    MIKMAN_DB_NAME=mikman_pollbench .venv/bin/python -m mikman.launcher prepare   # once
    MIKMAN_DB_NAME=mikman_pollbench DJANGO_SETTINGS_MODULE=mikman.settings.dev \\
        .venv/bin/python bench/poll.py --devices 10000 [--interval 20] [--latency-ms 20] [--duration 60]

1. Starts `python -m devices.simulator` with N API devices whose replies carry lognormal latency
   (median --latency-ms, sigma 0.5), one address per device, one shared port.
2. Registers them as devices of a tenant "bench" (one credential profile; first polls spread
   over one interval), replacing the devices of an earlier run.
3. Starts ONE real Celery worker as production runs the poll queue
   (`celery -A mikman worker -Q poll --pool threads -c 4`, DJANGO_DEBUG=false) and acts as beat:
   sends `devices.poll_schedule` every POLL_SCHEDULE_EVERY_S. Everything else — claiming due
   devices, batches, locks, the engine, storing samples and state — is the worker's own code.
4. After a warm-up of one interval, measures for --duration seconds: device polls per second
   that were STORED (device-sample rows written in the window), the poll lag (start − scheduled
   time, from the worker's Redis statistics), the worker's CPU and resident memory.
5. Baseline: the same devices polled by a naive sequential loop — librouteros `connect()` (sync),
   the same menus, one INSERT per row — for --naive-seconds.

Last line:
    RESULT polls_per_s=… p95_lag_s=… naive_polls_per_s=… ratio=… worker_rss_mb=…
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

from _common import (
    PASSWORD,
    api_fleet_devices,
    bench_profile,
    percentile,
    proc_cpu_s,
    proc_rss_mb,
    setup_django,
    start_api_fleet,
    start_worker,
    stop,
    use_django_settings,
)

use_django_settings()


def register(count: int, port: int, interval: int) -> tuple[str, list[tuple[str, str]]]:
    """(tenant id, [(device id, address)]); devices of an earlier run are replaced."""
    from devices.models import Device
    from tenants.context import tenant_context
    from tenants.models import Tenant

    tenant, _ = Tenant.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    with tenant_context(tenant.id):
        Device.objects.filter(tenant=tenant).delete()  # cascades over every device table: seconds
        now = datetime.now(UTC)  # first polls spread over one interval from here, not from before the delete
        profile = bench_profile(tenant)
        devices = api_fleet_devices(
            tenant, profile, count, port, name="bench-{:05d}", interval=interval, spread_from=now
        )
        Device.objects.bulk_create(devices, batch_size=2000)
    return str(tenant.id), [(str(d.id), d.host) for d in devices]


def stored_polls(tenant_id: str, since: datetime, until: datetime) -> int:
    from django.db import connection

    from tenants.context import tenant_context

    with tenant_context(tenant_id), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM devices_devicesample WHERE tenant_id = %s AND ts >= %s AND ts < %s",
            [tenant_id, since, until],
        )
        return cursor.fetchone()[0]


def naive_loop(tenant_id: str, devices: list[tuple[str, str]], port: int, seconds: float) -> float:
    """Sequential, synchronous librouteros: connect, log in, the same menus, one INSERT per row."""
    import librouteros
    from django.db import connection

    from tenants.context import tenant_context

    done = 0
    start = time.time()
    for device_id, address in devices:
        if time.time() - start > seconds:
            break
        api = librouteros.connect(address, "admin", PASSWORD, port=port, timeout=10)
        try:
            resource = list(api("/system/resource/print"))[0]
            list(api("/system/health/print"))
            interfaces = list(api("/interface/print"))
            list(api("/system/identity/print"))
        finally:
            api.close()
        now = datetime.now(UTC)
        with tenant_context(tenant_id), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO devices_devicesample (ts, tenant_id, device_id, cpu, mem_total) VALUES (%s,%s,%s,%s,%s)",
                [now, tenant_id, device_id, resource.get("cpu-load"), resource.get("total-memory")],
            )
            for row in interfaces:
                cursor.execute(
                    "INSERT INTO devices_interfacesample (ts, tenant_id, device_id, ifname, rx_bytes, tx_bytes, "
                    "running) VALUES (%s,%s,%s,%s,%s,%s,%s)",
                    [now, tenant_id, device_id, row.get("name"), row.get("rx-byte", 0), row.get("tx-byte", 0), True],
                )
        done += 1
    return done / (time.time() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=20, help="poll interval of every device (s)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="median reply latency (lognormal)")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds (after one interval)")
    parser.add_argument("--naive-seconds", type=float, default=15.0)
    parser.add_argument("--threads", type=int, default=4, help="worker task threads")
    parser.add_argument("--profile", default="", help="py-spy the worker into this file (speedscope)")
    args = parser.parse_args()

    redis_proc = setup_django()
    from django.conf import settings

    from devices.polling import stats
    from devices.polling.partitions import maintain

    sim, ready, port = start_api_fleet(args.devices, args.latency_ms)
    worker = None
    try:
        from django.db import transaction

        with transaction.atomic():
            maintain()
        tenant_id, devices = register(args.devices, port, args.interval)
        print(f"registered {len(devices)} devices for tenant bench ({tenant_id})", flush=True)
        stats.snapshot(clear=True)
        worker = start_worker("poll", "pollbench", pool="threads", concurrency=args.threads)
        from devices.polling.tasks import poll_schedule

        tick = settings.POLL_SCHEDULE_EVERY_S
        started = time.time()
        warmup_end = started + args.interval + tick
        measure_end = warmup_end + args.duration
        cpu0 = rss_peak = 0.0
        measuring = False
        profiler = None
        next_tick = started
        next_report, lag_seen = started + 5, 0
        while time.time() < measure_end:
            now = time.time()
            if now >= next_tick:
                poll_schedule.delay()
                next_tick += tick
            if not measuring and now >= warmup_end:
                measuring = True
                stats.snapshot(clear=True)
                lag_seen = 0
                cpu0, t0 = proc_cpu_s(worker.pid), time.time()
                since = datetime.now(UTC)
                if args.profile:
                    profiler = subprocess.Popen(
                        [
                            os.path.join(os.path.dirname(sys.executable), "py-spy"),
                            "record",
                            "--pid",
                            str(worker.pid),
                            "--duration",
                            str(int(min(args.duration, 30))),
                            "--rate",
                            "50",
                            "--format",
                            "speedscope",
                            "-o",
                            args.profile,
                            "--nonblocking",
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
            if measuring:
                rss_peak = max(rss_peak, proc_rss_mb(worker.pid))
            if now >= next_report:
                # Lag of the polls stored in the last few seconds (where a late stretch happens:
                # warm-up backlog or steady state); read only, the lists are not cleared here.
                conn = stats.client()
                new_lags = [int(x) / 1000 for x in conn.lrange(stats.LAG_KEY, lag_seen, -1)]
                lag_seen += len(new_lags)
                counts = {k.decode(): int(v) for k, v in conn.hgetall(stats.COUNT_KEY).items()}
                print(
                    f"  t={now - started:5.1f}s stored {len(new_lags)} polls, "
                    f"lag p95 {percentile(new_lags, 0.95):.2f} s max {max(new_lags, default=float('nan')):.2f} s, "
                    f"counts {counts}",
                    flush=True,
                )
                next_report = now + 5
            time.sleep(min(0.5, max(0.0, next_tick - time.time())))
        elapsed = time.time() - t0
        cpu = proc_cpu_s(worker.pid) - cpu0
        until = datetime.now(UTC)
        time.sleep(3)  # polls of the window still being stored (they carry their own timestamps)
        snap = stats.snapshot(clear=True)
        polls = stored_polls(tenant_id, since, until)
        lags = [ms / 1000 for ms in snap["lag_ms"]]
        polls_per_s = polls / elapsed
        p50, p95 = percentile(lags, 0.5), percentile(lags, 0.95)
        delays = [ms / 1000 for ms in snap["batch_delay_ms"]]
        print(
            f"batch task start delay vs first due: p50 {percentile(delays, 0.5):.2f} s "
            f"p95 {percentile(delays, 0.95):.2f} s max {max(delays) if delays else float('nan'):.2f} s "
            f"({len(delays)} batches)",
            flush=True,
        )
        print(
            f"measured {elapsed:.0f} s: {polls} polls stored ({polls_per_s:.0f}/s), outcomes {snap['counts']}, "
            f"lag p50 {p50:.2f} s p95 {p95:.2f} s max {max(lags) if lags else float('nan'):.2f} s, "
            f"worker CPU {cpu / elapsed * 100:.0f}% of a core, RSS peak {rss_peak:.0f} MB",
            flush=True,
        )
        if profiler is not None:
            profiler.wait(60)
        stop(worker)
        worker = None
        naive = naive_loop(tenant_id, devices, port, args.naive_seconds)
        print(f"naive sequential sync librouteros loop: {naive:.1f} polls/s", flush=True)
        ratio = polls_per_s / naive if naive else float("inf")
        print(
            f"RESULT polls_per_s={polls_per_s:.0f} p50_lag_s={p50:.2f} p95_lag_s={p95:.2f} "
            f"naive_polls_per_s={naive:.1f} ratio={ratio:.0f} worker_rss_mb={rss_peak:.0f} "
            f"worker_cpu_pct={cpu / elapsed * 100:.0f} devices={args.devices} interval_s={args.interval} "
            f"latency_ms={args.latency_ms:g}",
            flush=True,
        )
    finally:
        if worker is not None:
            worker.kill()
        stop(sim, signal.SIGINT, 20)
        stop(redis_proc, wait=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
