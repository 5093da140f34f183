"""Shared fixtures and helpers of the polling and metrics tests (import the fixtures by name)."""

from __future__ import annotations

import time

import pytest

from devices.simulator.testing import running_fleet
from tenants.context import tenant_context
from tests.conftest import world  # noqa: F401
from tests.factories import make_device, sim_device_fields

SIM_PASSWORD = "sim-admin"


@pytest.fixture(scope="module")
def sim():
    with running_fleet(count=8, seed=3, protocols=("api", "api-ssl")) as info:
        yield info


@pytest.fixture
def fleet(sim):
    """The module's fleet with every fault cleared before and after the test."""
    indices = [d["index"] for d in sim["devices"]]
    sim["fleet"].set_fault(indices, None)
    yield sim
    sim["fleet"].set_fault(indices, None)


@pytest.fixture(autouse=True)
def fresh_poll_state():
    """No counters remembered from another test's devices; no stale statistics."""
    from devices.polling.writer import forget_counters

    forget_counters()
    yield


def sim_device(tenant, fleet, index: int, site=None, *, password: str = SIM_PASSWORD, **extra):
    """A device of `tenant` that reaches simulated device `index` over plain API."""
    extra.setdefault("username", "admin")
    fields = sim_device_fields(fleet["devices"][index], protocol="api", fallback_protocols=[], **extra)
    return make_device(tenant, site, password=password, **fields)


def poll(device_or_devices, due: float | None = None) -> dict:
    """Run devices.poll_batch in this process, as a worker would, for these devices."""
    from devices.polling.tasks import poll_batch

    devices = device_or_devices if isinstance(device_or_devices, list) else [device_or_devices]
    tenant_id = str(devices[0].tenant_id)
    ids = [str(d.pk) for d in devices]
    return poll_batch(tenant_id, ids, [due or time.time()] * len(ids))


def reload(device):
    from devices.models import Device

    with tenant_context(device.tenant_id):
        return Device.objects.get(pk=device.pk)


def rows(tenant, sql: str, params=()) -> list[tuple]:
    from django.db import connection

    with tenant_context(tenant.id), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class LoginFailures:
    """Counts failed logins at the simulator side (the device's own log)."""

    def __init__(self, fleet, index: int):
        self.count = 0
        self._stop = fleet["fleet"].device(index).add_log_listener(self._on_line)

    def _on_line(self, row: dict) -> None:
        if "login failure" in row.get("message", ""):
            self.count += 1

    def close(self) -> None:
        self._stop()
