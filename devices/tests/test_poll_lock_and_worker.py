# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""The per-device Redis lock (two batches for one device → one poll) and a real Celery worker."""

import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from devices.polling.lock import DeviceLocks
from devices.polling.tasks import poll_batch, poll_tenant
from mikman.celery import app
from tenants.context import tenant_context

from .poll_support import fleet, fresh_poll_state, poll, reload, rows, sim, sim_device, world  # noqa: F401


@pytest.fixture
def worker(transactional_db):
    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", queues=[app.conf.task_default_queue]
    ):
        yield


@pytest.mark.django_db
def test_a_device_locked_by_another_worker_is_skipped(world, fleet):
    device = sim_device(world.acme, fleet, 0)
    other_worker = DeviceLocks()
    assert other_worker.acquire([str(device.pk)], 30) == [str(device.pk)]
    try:
        assert poll(device) == {"polled": 0, "skipped_locked": 1}
    finally:
        other_worker.release()
    assert poll(device)["polled"] == 1


@pytest.mark.django_db
def test_a_locked_device_of_a_scheduled_batch_is_tried_again_not_lost(world, fleet, monkeypatch):
    """wait=False batches (what poll_tenant sends) re-send a still-locked device a little later
    (its next_poll_at has already moved on: skipping it would lose the poll), up to LOCK_RETRIES
    times; only then does it count as skipped. Never two polls of it at once."""
    from devices.polling import tasks

    device = sim_device(world.acme, fleet, 4)
    sent = []
    monkeypatch.setattr(tasks.poll_batch, "apply_async", lambda args, kwargs=None, **opts: sent.append((args, kwargs)))
    other_worker = DeviceLocks()
    assert other_worker.acquire([str(device.pk)], 30) == [str(device.pk)]
    try:
        due = time.time()
        result = poll_batch(str(world.acme.id), [str(device.pk)], [due], False)
        assert result == {"polled": 0, "skipped_locked": 0}
        assert sent == [((str(world.acme.id), [str(device.pk)], [due], False), {"lock_retries": 1})]
        last = poll_batch(str(world.acme.id), [str(device.pk)], [due], False, lock_retries=tasks.LOCK_RETRIES)
        assert last == {"polled": 0, "skipped_locked": 1} and len(sent) == 1  # given up: counted, not re-sent
    finally:
        other_worker.release()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_batches_poll_a_device_once(world, fleet):
    fleet["fleet"].set_fault(1, "slow:300ms")  # keeps the first batch busy while the second arrives
    device = sim_device(world.acme, fleet, 1)
    results = []

    def run():
        try:
            results.append(poll_batch(str(world.acme.id), [str(device.pk)], [time.time()]))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r["polled"] for r in results) == [0, 1]
    assert rows(world.acme, "SELECT count(*) FROM devices_devicesample WHERE device_id = %s", [device.pk]) == [(1,)]


@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_poll_batch_and_poll_tenant(world, fleet, worker):
    device = sim_device(world.acme, fleet, 2)
    result = poll_batch.delay(str(world.acme.id), [str(device.pk)], [time.time()]).get(timeout=60)
    assert result["polled"] == 1 and result["ok"] == 1 and result["rows"] > 1
    assert reload(device).status == "online"
    # the scheduler path: poll_tenant claims the due device and sends a batch to the worker
    second = sim_device(world.acme, fleet, 3)
    with tenant_context(world.acme.id):
        type(second).objects.filter(pk=second.pk).update(next_poll_at=None)
    poll_tenant.delay(str(world.acme.id)).get(timeout=30)
    deadline = time.time() + 40
    while time.time() < deadline and reload(second).last_seen is None:
        time.sleep(0.3)
    assert reload(second).status == "online"
    assert reload(second).next_poll_at is not None


def test_a_scheduled_batch_is_stored_run_by_run_as_its_devices_answer(world, fleet, worker, settings):
    """wait=False batches store each POLL_STORE_WINDOW_S run of due times when its devices have
    answered (a failure reaches alerting within seconds), not when the batch's last device has;
    every run frees its own devices' locks."""
    settings.POLL_STORE_WINDOW_S = 1
    early, late = sim_device(world.acme, fleet, 0), sim_device(world.acme, fleet, 1)
    now = time.time()
    accepted = poll_batch.delay(str(world.acme.id), [str(early.pk), str(late.pk)], [now, now + 4], False).get(10)
    assert accepted["accepted"] == 2
    deadline = time.time() + 3.5
    while time.time() < deadline and reload(early).last_seen is None:
        time.sleep(0.1)
    assert reload(early).last_seen is not None and reload(late).last_seen is None  # before the late one was due
    while time.time() < now + 15 and reload(late).last_seen is None:
        time.sleep(0.2)
    assert reload(late).status == "online"
    time.sleep(0.3)
    assert sorted(DeviceLocks().acquire([str(early.pk), str(late.pk)], 5)) == sorted([str(early.pk), str(late.pk)])


def test_due_groups_cut_a_batch_into_runs_of_due_times():
    from types import SimpleNamespace

    from devices.polling.tasks import due_groups

    targets = [SimpleNamespace(due=t) for t in (5.0, 0.0, 0.4, 1.2, 1.9, 9.0)]
    assert [[t.due for t in g] for g in due_groups(targets, 1)] == [[0.0, 0.4], [1.2, 1.9], [5.0], [9.0]]
    assert due_groups([], 1) == [[]]
    assert len(due_groups(targets, 60)) == 1
