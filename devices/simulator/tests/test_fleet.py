"""Fleet-level behaviour: addressing, persistence, control endpoint, port-mode fallback, latency."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import librouteros
import pytest
from librouteros.login import token

from devices.simulator.fleet import Fleet, address_of, index_of
from devices.simulator.testing import fleet_fixture, running_fleet

from .conftest import api_connect


def test_address_mapping_skips_network_and_broadcast() -> None:
    assert address_of(0) == "127.1.0.1"
    assert address_of(253) == "127.1.0.254"
    assert address_of(254) == "127.1.1.1"
    assert all(index_of(address_of(i)) == i for i in range(0, 20000, 97))
    assert index_of("127.1.0.255") is None and index_of("127.1.0.0") is None


def test_deterministic_from_seed() -> None:
    a, b = Fleet(count=30, seed=9, control_port=None), Fleet(count=30, seed=9, control_port=None)
    assert [d["identity"] for d in a.describe()] == [d["identity"] for d in b.describe()]
    assert (
        a.device(5).export(show_sensitive=True).splitlines()[1:]
        == b.device(5).export(show_sensitive=True).splitlines()[1:]
    )
    versions = {d["version"].split(".")[0] for d in Fleet(count=200, seed=1, control_port=None).describe()}
    assert versions == {"6", "7"}


def test_lazy_state_for_large_fleets() -> None:
    start = time.monotonic()
    fleet = Fleet(count=10000, seed=2, control_port=None)
    assert len(fleet.describe()) == 10000
    assert time.monotonic() - start < 5
    assert sum(1 for d in fleet._devices.values() if d.built) == 0


def test_state_persists_across_restarts(tmp_path: Path) -> None:
    with running_fleet(count=3, seed=4, protocols=("api",), state_dir=str(tmp_path)) as info:
        api = api_connect(info, 1)
        api.path("/system/identity").update(name="persisted-name")
        api.path("/ip/pool").add(name="kept", ranges="10.9.0.1-10.9.0.9")
    with running_fleet(count=3, seed=4, protocols=("api", "api-ssl"), state_dir=str(tmp_path)) as info:
        api = api_connect(info, 1, tls=True)  # the CA is kept too
        assert next(iter(api.path("/system/identity")))["name"] == "persisted-name"
        assert any(p["name"] == "kept" for p in api.path("/ip/pool"))


def test_control_endpoint_sets_faults() -> None:
    with running_fleet(count=3, seed=5, protocols=("api",)) as info:
        url = info["control_url"]
        body = json.dumps({"devices": [2], "fault": "offline"}).encode()
        request = urllib.request.Request(f"{url}/faults", data=body, method="POST")
        assert json.load(urllib.request.urlopen(request, timeout=5))["ok"]
        assert json.load(urllib.request.urlopen(f"{url}/devices/2", timeout=5))["fault"] == "offline"
        with pytest.raises((ConnectionError, OSError, librouteros.exceptions.ConnectionClosed)):
            api_connect(info, 2)
        info["fleet"].set_fault(2, None)
        assert api_connect(info, 2)
        body = json.dumps({"text": "/system identity set name=via-control"}).encode()
        request = urllib.request.Request(f"{url}/devices/1/cli", data=body, method="POST")
        assert json.load(urllib.request.urlopen(request, timeout=5))["error"] is None
        export = json.load(urllib.request.urlopen(f"{url}/devices/1/export", timeout=5))["export"]
        assert "set name=via-control" in export


def test_port_mode_fallback() -> None:
    with running_fleet(count=3, seed=6, protocols=("api",), mode="ports") as info:
        devices = info["fleet"].describe()
        assert {d["address"] for d in devices} == {"127.0.0.1"}
        assert len({d["ports"]["api"] for d in devices}) == 3
        for d in devices:
            api = librouteros.connect(d["address"], "admin", "sim-admin", port=d["ports"]["api"])
            assert next(iter(api.path("/system/identity")))["name"] == d["identity"]


def test_fixed_latency_and_token_login() -> None:
    with running_fleet(count=2, seed=8, protocols=("api",), latency="100ms") as info:
        d = info["fleet"].describe([0])[0]
        start = time.monotonic()
        api = librouteros.connect(d["address"], "admin", "sim-admin", port=d["ports"]["api"], login_method=token)
        list(api.path("/system/identity"))
        assert time.monotonic() - start >= 0.3  # challenge, response, print


def test_counters_grow_and_match_snmp_view() -> None:
    fleet = Fleet(count=3, seed=3, clock_speed=50, control_port=None)
    dev = fleet.device(0)
    first = {r["name"]: int(r["rx-byte"]) for r in dev.print("/interface")}
    view = {i["name"]: i["in_octets"] for i in dev.snmp_view()["interfaces"]}
    time.sleep(0.1)
    later = {r["name"]: int(r["rx-byte"]) for r in dev.print("/interface")}
    assert set(first) == set(view)
    assert all(later[n] >= first[n] for n in first) and any(later[n] > first[n] for n in first)


def test_wireless_registration_tables() -> None:
    fleet = Fleet(count=60, seed=1, control_port=None)
    wifi = next(
        d
        for d in fleet.devices()
        if d.hw.board.wireless == "wifi" and d.major == 7 and d.print("/interface/wifi/registration-table")
    )
    row = wifi.print("/interface/wifi/registration-table")[0]
    assert {"mac-address", "signal", "tx-rate", "rx-rate", "uptime"} <= set(row)
    legacy = next(
        d
        for d in fleet.devices()
        if d.hw.board.wireless == "wireless" and d.print("/interface/wireless/registration-table")
    )
    assert "signal-strength" in legacy.print("/interface/wireless/registration-table")[0]
    assert wifi.snmp_view()["wireless"]


def test_command_line_entry_point() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devices.simulator",
            "--count",
            "3",
            "--seed",
            "2",
            "--protocols",
            "api",
            "--api-port",
            "0",
            "--faults",
            "offline=@2",
            "--list",
            "3",
        ],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("READY "):
                break
        info = json.loads(lines[-1][6:])
        assert any("fault=offline" in line for line in lines)
        port = info["ports"]["api"]
        address = Fleet(count=3, seed=2, control_port=None).address(1)
        api = librouteros.connect(address, "admin", "sim-admin", port=port, timeout=5)
        assert next(iter(api.path("/system/identity")))["name"]
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


small_fleet = fleet_fixture(count=2, seed=12, protocols=("api",))


def test_fleet_fixture_helper(small_fleet: dict) -> None:
    assert len(small_fleet["devices"]) == 2
    assert api_connect(small_fleet, 1)
