"""Benchmark alerting (not a unit test): rule evaluation throughput, and fault → notification time.

    MIKMAN_DB_NAME=mikman_alertbench .venv/bin/python -m mikman.launcher prepare   # once
    MIKMAN_DB_NAME=mikman_alertbench DJANGO_SETTINGS_MODULE=mikman.settings.dev \\
        .venv/bin/python bench/alerts.py [--devices 10000] [--rounds 4] [--fleet 20] [--interval 10] [--faults 12]

Part 1 — evaluation throughput on ONE worker. A tenant "alertbench" with --devices devices and
the default rules (offline, CPU, memory, disk, wireless signal — created by the tenant signal, as
for every tenant). Per round, one device sample per device (and one wireless sample for half of
them) is stored in the real partitioned tables — about 3 % of devices over the CPU threshold, 1 %
over memory, 0.5 % over disk, 1 % offline, 2 % with a weak wireless client, so counters move and
alerts fire and resolve — then the batch ids go to the real entry point, the Celery task
`alerts.evaluate(tenant, device_ids, since)`, in batches of POLL_BATCH_SIZE exactly as the poll
writer sends them, to ONE worker process (`celery -A mikman worker -Q alerts --pool threads -c 4`,
as the poll worker runs: an evaluation mostly waits for PostgreSQL and Redis, so its threads
overlap those waits; `--threads 1` for a single thread).
samples_per_s = sample rows evaluated (device + wireless) / seconds from the first task sent to
the last task's result, over --rounds rounds after one warm-up round.

Part 2 — fault → notification. A simulated fleet of --fleet devices (`python -m devices.simulator`)
polled for real every --interval s by a poll worker (`-Q poll --pool threads -c 4`) and an alerts
worker (`-Q alerts`), this process acting as beat; a webhook channel points at a local HTTP
server. After a warm-up, --faults devices get the simulator's "offline" fault, one every few
seconds (so faults land at every phase of the poll cycle); each measurement is the time from
setting the fault to the signed "firing" webhook arriving for that device.

Last line:
    RESULT samples_per_s=… fault_to_notify_p95_s=… (+ details)
Targets: samples_per_s ≥ 20,000; fault_to_notify_p95_s ≤ interval + 5.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _common import (
    api_fleet_devices,
    bench_profile,
    free_port,
    percentile,
    proc_cpu_s,
    proc_rss_mb,
    setup_django,
    start_simulator,
    start_worker,
    stop,
    use_django_settings,
)

use_django_settings()

SIGNING_SECRET = "alertbench-signing-secret"


def fresh_tenant(slug: str):
    """The bench tenant, emptied of an earlier run's devices, alerts and state (keeps its rules)."""
    from devices.alerts import state
    from devices.models import Alert, Device, NotificationChannel
    from tenants.context import tenant_context
    from tenants.models import Tenant

    tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": slug.title()})  # default rules: signal
    with tenant_context(tenant.id):
        Alert.objects.all().delete()
        NotificationChannel.objects.all().delete()
        Device.objects.all().delete()
    state.forget(str(tenant.id))
    return tenant


# --- part 1: evaluation throughput --------------------------------------------------------------------
def register_quiet_devices(tenant, count: int) -> list[str]:
    """Devices that are never polled (due in ten years), 1 % of them offline."""
    from devices.models import Device
    from tenants.context import tenant_context

    later = datetime.now(UTC) + timedelta(days=3650)
    devices = [
        Device(
            id=uuid.uuid4(),
            tenant=tenant,
            name=f"eval-{i:05d}",
            host=f"198.18.{i // 250}.{i % 250 + 1}",
            status="offline" if i % 100 == 7 else "online",
            next_poll_at=later,
        )
        for i in range(count)
    ]
    with tenant_context(tenant.id):
        Device.objects.bulk_create(devices, batch_size=2000)
    return [str(d.id) for d in devices]


def store_round(tenant_id: str, round_no: int, at: datetime) -> None:
    """One sample per device (and a wireless sample for every second one) at `at`: the shape the
    poll writer stores. Breaching devices are chosen by their name's number."""
    from django.db import connection

    from devices.polling.partitions import ensure_partition
    from tenants.context import tenant_context

    for table in ("devices_devicesample", "devices_wirelesssample"):
        ensure_partition(table, at)
    with tenant_context(tenant_id), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO devices_devicesample (ts, tenant_id, device_id, cpu, mem_used, mem_total, disk_used,
                                              disk_total, uptime_s, temperature, voltage)
            SELECT %(at)s, tenant_id, id,
                   CASE WHEN n %% 100 < 3 THEN 97 ELSE (n * 7 + %(r)s) %% 60 END,
                   CASE WHEN n %% 100 = 50 THEN 980 ELSE 300 + n %% 200 END, 1000,
                   CASE WHEN n %% 200 = 99 AND %(r)s %% 2 = 0 THEN 95 ELSE 40 END, 100,
                   86400 + %(r)s * 60, 45.0, 24.0
            FROM (SELECT tenant_id, id, substring(name from 6)::int AS n FROM devices_device
                  WHERE name LIKE 'eval-%%') d
            """,
            {"at": at, "r": round_no},
        )
        cursor.execute(
            """
            INSERT INTO devices_wirelesssample (ts, tenant_id, device_id, clients, signal_avg, signal_min)
            SELECT %(at)s, tenant_id, id, 5 + n %% 20, -60, CASE WHEN n %% 100 < 2 THEN -88 ELSE -65 END
            FROM (SELECT tenant_id, id, substring(name from 6)::int AS n FROM devices_device
                  WHERE name LIKE 'eval-%%') d
            WHERE n %% 2 = 0
            """,
            {"at": at},
        )


def analyze() -> None:
    """Statistics of the sample tables, as autovacuum keeps them on a running system (untimed).
    Without them a partition filled seconds ago looks empty to the planner, which then scans the
    tenant's whole index range instead of probing the batch's devices."""
    import psycopg
    from django.conf import settings

    with psycopg.connect(**settings.DB_OWNER.connect_kwargs(), autocommit=True) as conn:
        conn.execute("ANALYZE devices_devicesample")
        conn.execute("ANALYZE devices_wirelesssample")


def evaluate_round(tenant_id: str, device_ids: list[str], since: float, batch: int) -> tuple[float, dict]:
    from devices.alerts.tasks import evaluate

    started = time.perf_counter()
    pending = [
        evaluate.apply_async((tenant_id, device_ids[i : i + batch], since), ignore_result=False)
        for i in range(0, len(device_ids), batch)
    ]
    totals: dict = {}
    for result in pending:
        for key, value in result.get(timeout=600).items():
            totals[key] = totals.get(key, 0) + value
    return time.perf_counter() - started, totals


def throughput(args) -> tuple[float, float]:
    from django.conf import settings

    tenant = fresh_tenant("alertbench")
    tenant_id = str(tenant.id)
    device_ids = register_quiet_devices(tenant, args.devices)
    print(f"part 1: {len(device_ids)} devices of tenant alertbench, default rules", flush=True)
    worker = start_worker("alerts", "alertbench-eval", pool="threads", concurrency=args.threads)
    rss = 0.0
    try:
        elapsed_total, samples_total, checks_total, cpu_total = 0.0, 0, 0, 0.0
        for round_no in range(args.rounds + 1):
            at = datetime.now(UTC)
            store_round(tenant_id, round_no, at)
            analyze()
            cpu_before = proc_cpu_s(worker.pid)
            seconds, totals = evaluate_round(tenant_id, device_ids, at.timestamp() - 0.001, settings.POLL_BATCH_SIZE)
            cpu = proc_cpu_s(worker.pid) - cpu_before
            rss = max(rss, proc_rss_mb(worker.pid))
            label = "warm-up" if round_no == 0 else f"round {round_no}"
            print(
                f"  {label}: {totals.get('samples', 0)} samples, {totals.get('checks', 0)} checks in {seconds:.2f} s "
                f"({totals.get('samples', 0) / seconds:.0f} samples/s); fired {totals.get('fired', 0)}, "
                f"resolved {totals.get('resolved', 0)}",
                flush=True,
            )
            if round_no:
                elapsed_total += seconds
                samples_total += totals.get("samples", 0)
                checks_total += totals.get("checks", 0)
                cpu_total += cpu
        samples_per_s = samples_total / elapsed_total
        per_cpu_s = samples_total / cpu_total if cpu_total else float("nan")
        print(
            f"part 1: {samples_total} samples ({checks_total} rule checks) in {elapsed_total:.2f} s on one worker: "
            f"{samples_per_s:.0f} samples/s, {checks_total / elapsed_total:.0f} checks/s; the worker used "
            f"{cpu_total:.2f} CPU-s ({cpu_total / elapsed_total * 100:.0f}% of a core): {per_cpu_s:.0f} samples per "
            f"worker CPU-second; worker RSS {rss:.0f} MB; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        return samples_per_s, per_cpu_s
    finally:
        stop(worker)


# --- part 2: fault → notification ----------------------------------------------------------------------
class Receiver:
    def __init__(self):
        self.firing: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                arrived = time.time()
                self.send_response(200)
                self.end_headers()
                payload = json.loads(body)
                alert = payload.get("alert") or {}
                if payload.get("event") == "firing" and alert.get("kind") == "offline":
                    with receiver.lock:
                        receiver.firing.setdefault(alert["device"]["name"], arrived)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def control(url: str, path: str, body: dict) -> None:
    import httpx

    httpx.post(url.rstrip("/") + path, json=body, timeout=10).raise_for_status()


def fault_to_notify(args) -> list[float]:
    from django.conf import settings

    from devices.alerts import services
    from devices.models import AlertRule, Device
    from devices.polling.tasks import poll_schedule
    from tenants.access import TenantAccess
    from tenants.context import tenant_context
    from tenants.models import User
    from tenants.roles import Role

    port = free_port()
    sim, ready = start_simulator(args.fleet, 5.0, port)
    receiver = Receiver()
    workers = []
    try:
        tenant = fresh_tenant("alertbench-live")
        admin, _ = User.objects.get_or_create(username="alertbench-admin")
        access = TenantAccess(user=admin, tenant=tenant, role=Role.ADMIN, site_ids=None)
        now = datetime.now(UTC)
        with tenant_context(tenant.id):
            offline_rule = AlertRule.objects.get(kind="offline", is_default=True)
            assert offline_rule.enabled and offline_rule.duration == 1, "the default offline rule was changed"
            services.save_channel(
                access, None, {"name": "bench hook", "kind": "webhook"}, {"url": receiver.url, "secret": SIGNING_SECRET}
            )
            profile = bench_profile(tenant)
            Device.objects.bulk_create(
                api_fleet_devices(
                    tenant, profile, args.fleet, port, name="live-{:03d}", interval=args.interval, spread_from=now
                )
            )
        workers = [
            start_worker("poll", "alertbench-poll", pool="threads", concurrency=4),
            start_worker("alerts", "alertbench-alerts", pool="threads", concurrency=args.threads),
        ]
        tick = settings.POLL_SCHEDULE_EVERY_S
        beat_stop = threading.Event()

        def beat():
            while not beat_stop.is_set():
                poll_schedule.delay()
                beat_stop.wait(tick)

        threading.Thread(target=beat, daemon=True).start()
        warmup = args.interval + tick + 5
        print(f"part 2: {args.fleet} simulated devices polled every {args.interval} s; warm-up {warmup} s", flush=True)
        time.sleep(warmup)
        with tenant_context(tenant.id):
            online = Device.objects.filter(status="online").count()
        print(f"  {online}/{args.fleet} devices online after warm-up", flush=True)
        injected: dict[str, float] = {}
        spacing = args.interval / 3.3  # faults land at every phase of the poll cycle
        for k in range(min(args.faults, args.fleet)):
            control(ready["control_url"], "/faults", {"index": k, "fault": "offline"})
            injected[f"live-{k:03d}"] = time.time()
            time.sleep(spacing)
        deadline = time.time() + args.interval * 3 + 15
        while time.time() < deadline and not set(injected) <= set(receiver.firing):
            time.sleep(0.2)
        beat_stop.set()
        delays = []
        for name, at in sorted(injected.items()):
            arrived = receiver.firing.get(name)
            if arrived is None:
                print(f"  {name}: no notification", flush=True)
                continue
            delays.append(arrived - at)
            print(f"  {name}: fault → signed webhook in {arrived - at:.2f} s", flush=True)
        missing = len(injected) - len(delays)
        if missing:
            delays += [float("inf")] * missing
        return delays
    finally:
        for worker in workers:
            stop(worker)
        receiver.server.shutdown()
        stop(sim, signal.SIGINT, 20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=10000, help="part 1: devices evaluated per round")
    parser.add_argument("--rounds", type=int, default=4, help="part 1: measured rounds (after one warm-up)")
    parser.add_argument("--fleet", type=int, default=20, help="part 2: simulated devices polled for real")
    parser.add_argument("--interval", type=int, default=10, help="part 2: poll interval (s, ≥ 10)")
    parser.add_argument("--faults", type=int, default=12, help="part 2: faults injected")
    parser.add_argument("--part", choices=("both", "eval", "notify"), default="both")
    parser.add_argument(
        "--threads", type=int, default=4, help="task threads of the ONE alerts worker process (--pool threads -c N)"
    )
    parser.add_argument(
        "--tick",
        type=int,
        default=0,
        help="part 2: POLL_SCHEDULE_EVERY_S for this run (default: the setting, 10 s). A batch is stored in "
        "runs of POLL_STORE_WINDOW_S of due times, so the tick no longer delays a failed poll's storing.",
    )
    args = parser.parse_args()
    if args.tick:
        os.environ["POLL_SCHEDULE_EVERY_S"] = str(args.tick)  # read by the settings of this process and the workers

    redis_proc = setup_django()
    from django.conf import settings
    from django.db import transaction

    from devices.polling.partitions import maintain

    try:
        with transaction.atomic():
            maintain()
        samples_per_s, per_cpu_s = throughput(args) if args.part in ("both", "eval") else (float("nan"),) * 2
        delays = fault_to_notify(args) if args.part in ("both", "notify") else [float("nan")]
        p50, p95 = percentile(delays, 0.5), percentile(delays, 0.95)
        print(
            f"RESULT samples_per_s={samples_per_s:.0f} fault_to_notify_p95_s={p95:.2f} "
            f"fault_to_notify_p50_s={p50:.2f} fault_to_notify_max_s={max(delays):.2f} "
            f"samples_per_worker_cpu_s={per_cpu_s:.0f} load_avg={os.getloadavg()[0]:.1f} "
            f"devices={args.devices} rules=default interval_s={args.interval} "
            f"tick_s={settings.POLL_SCHEDULE_EVERY_S} faults={len(delays)}",
            flush=True,
        )
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
