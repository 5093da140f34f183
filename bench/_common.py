"""What the benchmarks share: starting the simulator, a Celery worker and the embedded Redis,
stopping processes, free ports, a process's CPU and memory, percentiles, the bench credential
profile. One copy here so that every bench starts and measures things the same way.

Importing this module puts the repository root on sys.path (benches run as `python bench/x.py`);
`use_django_settings()` sets the settings module the Django benches run with.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

PASSWORD = "sim-admin"  # what the simulated devices take; stored in the bench credential profile


def use_django_settings() -> None:
    """Dev settings without DEBUG (DEBUG keeps every query in memory), unless the caller set them."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mikman.settings.dev")
    os.environ.setdefault("DJANGO_DEBUG", "false")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def simulator_command(
    count: int,
    port: int,
    *,
    protocol: str = "api",
    seed: int = 1,
    latency_ms: float = 0.0,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """`python -m devices.simulator` for `count` devices of one protocol on one shared `port`
    (lognormal reply latency with median `latency_ms`, sigma 0.5, when > 0)."""
    cmd = [
        sys.executable,
        "-m",
        "devices.simulator",
        "--count",
        str(count),
        "--seed",
        str(seed),
        "--protocols",
        protocol,
        f"--{protocol}-port",
        str(port),
        *extra,
        "--list",
        "0",
    ]
    if latency_ms > 0:
        cmd += ["--latency", f"lognormal:{latency_ms:g}ms:0.5"]
    return cmd


def read_ready(sim: subprocess.Popen, timeout: float = 300.0) -> dict | None:
    """The simulator's READY line (ports, credentials, control URL) as a dict; None when it exited
    first. Exits the bench when it has not said it within `timeout` (checked between lines)."""
    deadline = time.time() + timeout
    assert sim.stdout is not None
    while time.time() < deadline:
        line = sim.stdout.readline()
        if not line:
            return None
        if line.startswith("READY "):
            return json.loads(line[6:])
    raise SystemExit("simulator not READY in time")


def start_simulator(
    count: int,
    latency_ms: float,
    port: int,
    *,
    protocol: str = "api",
    seed: int = 1,
    extra: tuple[str, ...] = (),
) -> tuple[subprocess.Popen, dict]:
    """A running simulator and its READY information; exits the bench if it does not start."""
    cmd = simulator_command(count, port, protocol=protocol, seed=seed, latency_ms=latency_ms, extra=extra)
    sim = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    info = read_ready(sim)
    if info is None:
        raise SystemExit("simulator exited before READY")
    return sim, info


def start_worker(
    queues: str,
    name: str,
    *,
    pool: str | None = None,
    concurrency: int = 1,
    env: dict | None = None,
    heartbeat: bool = False,
) -> subprocess.Popen:
    """One Celery worker as production runs it (DJANGO_DEBUG=false), named `<name>-<our pid>@host`
    so that parallel benches do not answer each other's pings. `env`: extra variables."""
    cmd = [os.path.join(os.path.dirname(sys.executable), "celery"), "-A", "mikman", "worker", "-Q", queues]
    if pool:
        cmd += ["--pool", pool]
    cmd += [
        "-c",
        str(concurrency),
        "--loglevel",
        "WARNING",
        "-n",
        worker_name(name),
        "--without-gossip",
        "--without-mingle",
    ]
    if not heartbeat:
        cmd.append("--without-heartbeat")
    return subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, DJANGO_DEBUG="false", **(env or {})))


def worker_name(name: str) -> str:
    """The node name `start_worker` gives a worker called `name`."""
    return f"{name}-{os.getpid()}@%h"


def stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM, wait: float = 30) -> None:
    """Ask `process` to end with `sig`; kill it when it has not after `wait` seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def setup_django() -> subprocess.Popen | None:
    """django.setup(), then the embedded Redis when REDIS_URL names none (returned, for `stop`)."""
    import django

    django.setup()
    return start_redis_unless_url()


def start_api_fleet(count: int, latency_ms: float) -> tuple[subprocess.Popen, dict, int]:
    """A simulator of `count` API devices on a free port: (process, READY information, port)."""
    port = free_port()
    print(f"starting simulator: {count} devices, latency lognormal median {latency_ms} ms", flush=True)
    sim, ready = start_simulator(count, latency_ms, port)
    return sim, ready, port


def start_redis_unless_url() -> subprocess.Popen | None:
    """The embedded Redis, as `make run` would start it, when REDIS_URL names none (else None)."""
    if os.environ.get("REDIS_URL"):
        return None
    from mikman import dbconfig
    from mikman.launcher import embedded
    from mikman.secrets_store import data_dir

    return embedded.start_redis(data_dir(), dbconfig.embedded_redis_port())


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of the process and its children (prefork workers) so far."""
    import psutil

    p = psutil.Process(pid)
    total = p.cpu_times().user + p.cpu_times().system
    for child in p.children(recursive=True):
        try:
            total += child.cpu_times().user + child.cpu_times().system
        except psutil.Error:
            pass
    return total


def proc_rss_mb(pid: int) -> float:
    """Resident memory of the process (not its children), MiB."""
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def bench_profile(tenant, name: str = "bench"):
    """The tenant's credential profile for the simulated devices (admin / PASSWORD), created on
    first use. Call in the tenant's context."""
    from devices.models import CredentialProfile
    from devices.services import set_secret

    profile = CredentialProfile.objects.filter(tenant=tenant, name=name).first()
    if profile is None:
        profile = CredentialProfile(tenant=tenant, name=name, username="admin")
        set_secret(profile, "password", PASSWORD)
        profile.save()
    return profile


def api_fleet_devices(tenant, profile, count: int, port: int, *, name: str, interval: int, spread_from=None) -> list:
    """Unsaved Devices for simulator devices 0..count-1 (API on the shared `port`, no fallback),
    named `name.format(i)`. With `spread_from` (a datetime) their first polls spread evenly over
    one interval from then."""
    from datetime import timedelta

    from devices.models import Device
    from devices.simulator.fleet import address_of

    devices = []
    for i in range(count):
        device = Device(
            tenant=tenant,
            name=name.format(i),
            host=address_of(i),
            api_port=port,
            protocol="api",
            fallback_protocols=[],
            credential_profile=profile,
            poll_interval_s=interval,
        )
        if spread_from is not None:
            device.next_poll_at = spread_from + timedelta(seconds=interval * i / count)
        devices.append(device)
    return devices
