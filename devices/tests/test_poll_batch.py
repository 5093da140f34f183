# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""devices.poll_batch against simulated routers: samples, rates, facts, status events, auth block,
backoff, tenant isolation (run in-process exactly as a worker runs it)."""

import time

import pytest

from devices.models import DeviceEvent
from devices.polling.writer import backoff_seconds, forget_counters
from devices.services import mark_credentials_changed
from tenants.context import tenant_context

from .poll_support import LoginFailures, fleet, fresh_poll_state, poll, reload, rows, sim, sim_device, world  # noqa: F401

pytestmark = pytest.mark.django_db


def test_poll_stores_samples_and_updates_facts(world, fleet):
    device = sim_device(world.acme, fleet, 0, world.north)
    result = poll(device)
    assert result["polled"] == 1 and result["ok"] == 1, (reload(device).status, reload(device).status_reason)
    device = reload(device)
    sim = fleet["devices"][0]
    assert device.status == "online"
    assert device.identity == sim["identity"] and device.serial == sim["serial"]
    assert device.ros_version == sim["version"].split()[0]
    assert device.model and device.architecture and device.firmware and device.license_level
    assert device.uptime_s > 0 and device.last_seen is not None
    (sample,) = rows(
        world.acme,
        "SELECT cpu, mem_used, mem_total, disk_used, disk_total, uptime_s, temperature, voltage "
        "FROM devices_devicesample WHERE device_id = %s",
        [device.pk],
    )
    cpu, mem_used, mem_total, disk_used, disk_total, uptime, temperature, voltage = sample
    assert 0 <= cpu <= 100 and 0 < mem_used < mem_total and 0 < disk_used < disk_total
    assert uptime == device.uptime_s and temperature > 0 and voltage > 0
    interfaces = rows(
        world.acme, "SELECT ifname, rx_bps, rx_bytes FROM devices_interfacesample WHERE device_id = %s", [device.pk]
    )
    assert len(interfaces) >= 2
    assert all(rx_bps is None for _, rx_bps, _ in interfaces), "no rate without a previous sample"


def test_rates_come_from_the_previous_counters(world, fleet):
    device = sim_device(world.acme, fleet, 1)
    poll(device)
    time.sleep(1.2)
    poll(device)
    samples = rows(
        world.acme,
        "SELECT ifname, ts, rx_bytes, tx_bytes, rx_bps, tx_bps FROM devices_interfacesample "
        "WHERE device_id = %s ORDER BY ifname, ts",
        [device.pk],
    )
    by_name: dict = {}
    for name, ts, rx, tx, rx_bps, tx_bps in samples:
        by_name.setdefault(name, []).append((ts, rx, tx, rx_bps, tx_bps))
    checked = 0
    for series in by_name.values():
        assert len(series) == 2
        (t0, rx0, tx0, _, _), (t1, rx1, tx1, rx_bps, tx_bps) = series
        seconds = (t1 - t0).total_seconds()
        assert rx_bps == pytest.approx((rx1 - rx0) * 8 / seconds, rel=1e-4, abs=1)
        assert tx_bps == pytest.approx((tx1 - tx0) * 8 / seconds, rel=1e-4, abs=1)
        checked += rx1 > rx0
    assert checked >= 1, "at least one interface carried traffic between the polls"


def test_rates_survive_a_worker_that_never_saw_the_device(world, fleet):
    """Another worker process polled last: the previous counters come from the stored sample."""
    device = sim_device(world.acme, fleet, 2)
    poll(device)
    forget_counters()
    time.sleep(1.1)
    poll(device)
    rates = rows(
        world.acme,
        "SELECT rx_bps FROM devices_interfacesample WHERE device_id = %s AND rx_bps IS NOT NULL",
        [device.pk],
    )
    assert rates


def test_offline_then_back_are_status_events(world, fleet):
    device = sim_device(world.acme, fleet, 3)
    poll(device)
    fleet["fleet"].set_fault(3, "offline")
    result = poll(device)
    assert result["failed"] == 1
    device = reload(device)
    assert device.status == "offline" and device.consecutive_failures == 1
    fleet["fleet"].set_fault(3, None)
    poll(device)
    device = reload(device)
    assert device.status == "online" and device.consecutive_failures == 0
    with tenant_context(world.acme.id):
        events = list(DeviceEvent.objects.filter(device=device, kind="status").order_by("at").values_list("old", "new"))
    assert events == [("unknown", "online"), ("online", "offline"), ("offline", "online")]


def test_wrong_credentials_block_until_credentials_change(world, fleet):
    device = sim_device(world.acme, fleet, 4, password="not-the-password")
    failures = LoginFailures(fleet, 4)
    try:
        poll(device)
        device = reload(device)
        assert device.status == "auth_failed" and device.auth_blocked
        assert failures.count == 1
        for _ in range(3):  # the scheduler skips it and a direct batch refuses it: no login flood
            assert poll(device)["polled"] == 0
        from devices.polling.schedule import claim_due

        with tenant_context(world.acme.id):
            assert str(device.pk) not in [i for i, _ in claim_due(world.acme.id)]
        assert failures.count == 1
        with tenant_context(world.acme.id):
            from devices.services import set_secret

            set_secret(device, "password", "sim-admin")
            device.save()
            mark_credentials_changed(device)
        assert poll(reload(device))["ok"] == 1
        assert reload(device).status == "online" and not reload(device).auth_blocked
        assert failures.count == 1
    finally:
        failures.close()


def test_backoff_grows_with_consecutive_failures(world, fleet, settings):
    settings.POLL_CONNECT_TIMEOUT_S = 2
    fleet["fleet"].set_fault(5, "offline")
    device = sim_device(world.acme, fleet, 5)
    waits = []
    for _ in range(7):
        started = time.time()
        poll(device)
        device = reload(device)
        waits.append(None if device.backoff_until is None else round(device.backoff_until.timestamp() - started))
        with tenant_context(world.acme.id):  # time passes: the backoff is over
            type(device).objects.filter(pk=device.pk).update(backoff_until=None)
    assert device.consecutive_failures == 7
    assert waits[:4] == [None] * 4
    assert waits[4] == pytest.approx(30, abs=2) and waits[5] == pytest.approx(60, abs=2)
    assert waits[6] == pytest.approx(120, abs=2)
    assert backoff_seconds(20) == 900


def test_a_device_in_backoff_is_not_polled(world, fleet):
    from datetime import timedelta

    from django.utils import timezone

    device = sim_device(world.acme, fleet, 6)
    with tenant_context(world.acme.id):
        type(device).objects.filter(pk=device.pk).update(backoff_until=timezone.now() + timedelta(minutes=5))
    assert poll(device)["polled"] == 0
    assert reload(device).last_seen is None


def test_a_tenants_batch_never_touches_another_tenants_device(world, fleet):
    foreign = sim_device(world.globex, fleet, 7)
    from devices.polling.tasks import poll_batch

    result = poll_batch(str(world.acme.id), [str(foreign.pk)], [time.time()])  # acme's task, globex's id
    assert result["polled"] == 0
    assert reload(foreign).last_seen is None and reload(foreign).status == "unknown"
    assert rows(world.globex, "SELECT count(*) FROM devices_devicesample WHERE device_id = %s", [foreign.pk]) == [(0,)]
