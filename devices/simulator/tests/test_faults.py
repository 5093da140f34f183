"""Every fault mode, observed from the client side as the error a real failure would give."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from librouteros.exceptions import ConnectionClosed, ProtocolError, TrapError

from devices.simulator.faults import assign_faults, parse_duration, parse_fault
from devices.simulator.testing import running_fleet

from .conftest import api_connect

UNREACHABLE = (ConnectionError, ConnectionClosed, OSError)


@pytest.fixture(scope="module")
def info() -> Iterator[dict[str, Any]]:
    with running_fleet(count=16, seed=11, protocols=("api", "api-ssl"), reboot_seconds=0.3) as info:
        yield info


def _poll(info: dict[str, Any], index: int, **kw: Any) -> dict[str, Any]:
    api = api_connect(info, index, **kw)
    try:
        return next(iter(api.path("/system/resource")))
    finally:
        api.close()


def test_offline_refuses(info: dict[str, Any]) -> None:
    info["fleet"].set_fault(0, "offline")
    with pytest.raises(UNREACHABLE):
        _poll(info, 0)
    with pytest.raises(UNREACHABLE):
        _poll(info, 0, tls=True)
    info["fleet"].set_fault(0, None)
    assert _poll(info, 0)


def test_black_hole_times_out(info: dict[str, Any]) -> None:
    info["fleet"].set_fault(1, "blackhole")
    with pytest.raises(TimeoutError):
        _poll(info, 1, timeout=0.3)
    with pytest.raises(TimeoutError):
        _poll(info, 1, tls=True, timeout=0.3)


def test_slow_adds_latency_per_reply(info: dict[str, Any]) -> None:
    info["fleet"].set_fault(2, "slow:150ms")
    start = time.monotonic()
    _poll(info, 2)
    assert time.monotonic() - start >= 0.3  # login + one print


def test_wrong_credentials(info: dict[str, Any]) -> None:
    info["fleet"].set_fault(3, "wrong-credentials")
    with pytest.raises(TrapError, match="invalid user name or password"):
        _poll(info, 3)


def test_flapping_alternates(info: dict[str, Any]) -> None:
    info["fleet"].set_fault(4, "flapping:400ms")
    outcomes = set()
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline and len(outcomes) < 2:
        try:
            _poll(info, 4, timeout=1)
            outcomes.add("up")
        except UNREACHABLE:
            outcomes.add("down")
        time.sleep(0.05)
    assert outcomes == {"up", "down"}


def test_truncated_reply(info: dict[str, Any]) -> None:
    info["fleet"].set_fault(5, "truncate")
    with pytest.raises(ConnectionClosed):
        _poll(info, 5)


def test_garbage_reply_is_a_protocol_error(info: dict[str, Any]) -> None:
    info["fleet"].set_fault(6, "garbage")
    with pytest.raises(ProtocolError):
        _poll(info, 6)


def test_reset_mid_reply(info: dict[str, Any]) -> None:
    info["fleet"].set_fault(7, "reset")
    with pytest.raises((ConnectionResetError, ConnectionClosed)):
        _poll(info, 7)


def test_management_cut_blocks_new_api_connections(info: dict[str, Any]) -> None:
    fleet = info["fleet"]
    assert _poll(info, 8)
    fleet.set_fault(8, "mgmt-cut")
    with pytest.raises(UNREACHABLE):
        _poll(info, 8)
    rules = fleet.device(8).print("/ip/firewall/filter")
    assert rules[0]["action"] == "drop" and "8728" in rules[0]["dst-port"]


def test_firewall_rule_added_over_api_cuts_access(info: dict[str, Any]) -> None:
    api = api_connect(info, 9)
    api.path("/ip/firewall/filter").add(chain="input", protocol="tcp", **{"dst-port": "8728,8729"}, action="drop")
    with pytest.raises(UNREACHABLE):
        _poll(info, 9)
    with pytest.raises(UNREACHABLE):
        _poll(info, 9, tls=True)


def test_reboot_loop(info: dict[str, Any]) -> None:
    info["fleet"].set_fault(10, "reboot-loop:300ms")
    outcomes = set()
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline and len(outcomes) < 2:
        try:
            resource = _poll(info, 10, timeout=1)
            outcomes.add("up")
            assert parse_duration(str(resource["uptime"])) < 60
        except UNREACHABLE:
            outcomes.add("down")
        time.sleep(0.05)
    assert outcomes == {"up", "down"}


def test_disk_full_backup_fails(info: dict[str, Any]) -> None:
    info["fleet"].set_fault(11, "disk-full")
    api = api_connect(info, 11)
    with pytest.raises(TrapError, match="not enough disk space"):
        list(api.path("/system/backup")("save", name="nightly"))


def test_backup_save_works_without_fault(info: dict[str, Any]) -> None:
    api = api_connect(info, 12)
    list(api.path("/system/backup")("save", name="nightly"))
    assert any(f["name"] == "nightly.backup" for f in api.path("/file"))


def test_fault_spec_is_deterministic() -> None:
    first = assign_faults("offline=0.1,slow:200ms=0.2,flapping:2s=@3,5", 100, seed=4)
    assert first == assign_faults("offline=0.1,slow:200ms=0.2,flapping:2s=@3,5", 100, seed=4)
    assert first[3] == "flapping:2s" and first[5] == "flapping:2s"
    assert sum(1 for v in first.values() if v == "offline") >= 8
    assert parse_fault("slow:200ms").latency_s == pytest.approx(0.2)
