# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Scale-out: two real Celery worker processes on one queue share a tenant fan-out.

devices/tests/test_poll_lock_and_worker.py proves the per-device lock between two threads and
one in-process worker; this adds separate OS processes (as two worker containers/pods would
be): two scheduler ticks at once fan out over two tenants, the workers split the batches, and
every device is polled exactly once; then the same batch delivered to both workers at once
(a redelivery) still polls each device once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devices.polling import stats
from devices.polling.tasks import poll_batch, poll_schedule
from devices.tests.poll_support import fleet, fresh_poll_state, reload, rows, sim, sim_device, world  # noqa: F401
from mikman.celery import app

ROOT = Path(__file__).resolve().parents[2]
DEVICES = 8  # the poll_support fleet's size: 4 per tenant


@pytest.fixture
def two_workers(transactional_db, tmp_path):
    """Two `celery worker` OS processes (thread pools) on this test database's queue."""
    queue = app.conf.task_default_queue
    env = {**os.environ, "POLL_BATCH_SIZE": "1", "POLL_SCHEDULE_EVERY_S": "2", "POLL_LEAD_S": "1"}
    procs, logs = {}, {}
    for name in ("w1", "w2"):
        logs[name] = tmp_path / f"{name}.log"
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "mikman", "worker", "--pool", "threads", "-c", "2",
             "-Q", queue, "--hostname", f"{name}@%h", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=logs[name].open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.time() + 90
        while True:
            answered = {next(iter(r)).split("@")[0] for r in app.control.ping(timeout=1.0) or []}
            if {"w1", "w2"} <= answered:
                break
            dead = [n for n, p in procs.items() if p.poll() is not None]
            assert not dead and time.time() < deadline, {n: logs[n].read_text()[-3000:] for n in procs}
        yield logs
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def samples_per_device(world, devices) -> dict[str, int]:
    counts = {}
    for tenant in (world.acme, world.globex):
        for device_id, n in rows(
            tenant, "SELECT device_id::text, count(*) FROM devices_devicesample GROUP BY device_id"
        ):
            counts[device_id] = n
    return {str(d.pk): counts.get(str(d.pk), 0) for d in devices}


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_share_a_fan_out_and_poll_each_device_once(world, fleet, two_workers):
    stats.snapshot(clear=True)
    devices = [
        sim_device(world.acme if i % 2 == 0 else world.globex, fleet, i, poll_interval_s=3600) for i in range(DEVICES)
    ]
    # two beats (or a tick sent twice): the claim (FOR UPDATE SKIP LOCKED) hands each device out once
    poll_schedule.delay()
    poll_schedule.delay()
    wait_until(lambda: all(reload(d).last_seen for d in devices), 60, "every device's first poll")
    time.sleep(3)  # time for any duplicate poll to land
    assert samples_per_device(world, devices) == {str(d.pk): 1 for d in devices}
    counts = stats.snapshot()["counts"]
    assert counts.get("online", 0) + counts.get("degraded", 0) == DEVICES and "skipped_locked" not in counts

    worked = {
        name: log.read_text().count("Task devices.poll_batch[") for name, log in two_workers.items()
    }  # "received" and "succeeded" lines
    assert all(n > 0 for n in worked.values()), worked  # both processes took batches

    # the same batch delivered twice at once, possibly to both workers: the Redis lock per device
    fleet["fleet"].set_fault(list(range(DEVICES)), "slow:500ms")  # keeps the first holder busy
    acme = [d for d in devices if d.tenant_id == world.acme.id]
    ids = [str(d.pk) for d in acme]
    due = [time.time()] * len(ids)
    first = poll_batch.apply_async((str(world.acme.id), ids, due, True))
    second = poll_batch.apply_async((str(world.acme.id), ids, due, True))
    results = [first.get(timeout=90), second.get(timeout=90)]
    assert sum(r["polled"] for r in results) == len(ids), results
    assert sum(r["skipped_locked"] for r in results) == len(ids), results
    expected = {str(d.pk): 2 if d in acme else 1 for d in devices}
    assert samples_per_device(world, devices) == expected
