"""Scheduler entries run on the simulated clock and can roll back a change that cut access."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from devices.simulator.device import DeviceContext, SimDevice
from devices.simulator.scheduler import next_run
from devices.simulator.testing import running_fleet

from .conftest import api_connect

UNREACHABLE = (ConnectionError, OSError)


@pytest.fixture(scope="module")
def info() -> Iterator[dict[str, Any]]:
    # 60x: one simulated minute per real second
    with running_fleet(
        count=4, seed=21, protocols=("api",), clock_speed=60, reboot_seconds=0.3, tick_seconds=0.05
    ) as info:
        yield info


def _at(fleet: Any, seconds_ahead: float) -> dict[str, str]:
    t = time.gmtime(fleet.clock.now() + seconds_ahead)
    return {"start-date": time.strftime("%Y-%m-%d", t), "start-time": time.strftime("%H:%M:%S", t)}


def _wait_until(predicate: Any, timeout: float = 6.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _reachable(info: dict[str, Any], index: int) -> bool:
    try:
        api_connect(info, index, timeout=1).close()
        return True
    except UNREACHABLE:
        return False


def test_scheduled_script_removes_the_rule_that_cut_access(info: dict[str, Any]) -> None:
    fleet = info["fleet"]
    api = api_connect(info, 0)
    api.path("/system/scheduler").add(
        name="rollback",
        **{"on-event": '/ip firewall filter remove [find comment="push 42"]', **_at(fleet, 90)},
    )
    api.path("/ip/firewall/filter").add(
        chain="input", action="drop", protocol="tcp", comment="push 42", **{"dst-port": "8728"}
    )
    assert not _reachable(info, 0)
    assert _wait_until(lambda: _reachable(info, 0))
    rows = fleet.device(0).print("/system/scheduler", queries=["?name=rollback"])
    assert rows[0]["run-count"] == "1"


def test_scheduled_reset_with_import_restores_the_whole_config(info: dict[str, Any]) -> None:
    fleet = info["fleet"]
    device = fleet.device(1)
    before = device.export(show_sensitive=True)
    assert device.cli_result("/export show-sensitive file=backup").ok
    api = api_connect(info, 1)
    api.path("/system/scheduler").add(
        name="revert",
        **{
            "on-event": "/system reset-configuration no-defaults=yes keep-users=yes run-after-reset=backup.rsc",
            **_at(fleet, 60),
        },
    )
    api.path("/system/identity").update(name="broken-push")
    api.path("/ip/firewall/filter").add(chain="input", action="drop")
    assert not _reachable(info, 1)
    assert _wait_until(lambda: device.identity != "broken-push")
    assert _wait_until(lambda: _reachable(info, 1))
    after = device.export(show_sensitive=True)
    strip = lambda text: [ln for ln in text.splitlines() if " by RouterOS " not in ln]  # noqa: E731
    # the scheduler entry itself was part of the config that got replaced by the backup
    assert strip(after) == strip(before)


def test_interval_entries_repeat(info: dict[str, Any]) -> None:
    device = info["fleet"].device(2)
    device.add("/system/script", {"name": "tick", "source": ':log info "tick"'})
    device.add("/system/scheduler", {"name": "every-10s", "interval": "10s", "on-event": "tick"})
    assert _wait_until(lambda: sum(1 for r in device.print("/log") if r["message"] == "tick") >= 3)


def test_startup_entries_run_after_reboot(info: dict[str, Any]) -> None:
    device = info["fleet"].device(3)
    device.add("/system/scheduler", {"name": "boot", "start-time": "startup", "on-event": ':log info "booted"'})
    device.reboot()
    assert _wait_until(lambda: any(r["message"] == "booted" for r in device.print("/log")))


def test_next_run_math() -> None:
    now = 1_800_000_000.0
    row = {"start-time": "startup", "interval": "1h"}
    assert next_run(row, now, boot_time=now - 10) == pytest.approx(now - 7 + 3600 - 0, abs=3600)
    assert next_run({"start-time": "startup"}, now, now) == float("inf")
    d = SimDevice(0, "127.1.0.1", DeviceContext(seed=1))
    assert d.cli_result('/system scheduler add name=x interval=bogus on-event=""').error is not None
