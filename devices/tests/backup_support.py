"""Shared fixtures of the config-backup tests: a simulated fleet over SSH and devices reaching it."""

from __future__ import annotations

import pytest

from devices.simulator.testing import running_fleet
from tenants.context import tenant_context
from tests.conftest import world  # noqa: F401 - the shared cast
from tests.factories import make_device, sim_device_fields

SIM_PASSWORD = "sim-admin"


@pytest.fixture(scope="module")
def sim():
    with running_fleet(count=4, seed=11, protocols=("ssh",)) as info:
        yield info


@pytest.fixture
def fleet(sim):
    """The module's fleet with every fault cleared before and after the test."""
    indices = [d["index"] for d in sim["devices"]]
    sim["fleet"].set_fault(indices, None)
    yield sim
    sim["fleet"].set_fault(indices, None)


def sim_device(tenant, fleet, index: int, site=None, **extra):
    """A device of `tenant` that reaches simulated device `index` (SSH port of the fleet)."""
    extra.setdefault("username", "admin")
    fields = sim_device_fields(fleet["devices"][index], protocol="api", fallback_protocols=[], **extra)
    return make_device(tenant, site, password=SIM_PASSWORD, **fields)


def backup_now(device, **kwargs):
    """take_backup in the device's tenant context, as a job step or a task would call it."""
    from devices.backups.services import take_backup

    with tenant_context(device.tenant_id):
        return take_backup(device, **kwargs)


def reload(model, pk, tenant_id):
    with tenant_context(tenant_id):
        return model.objects.get(pk=pk)
