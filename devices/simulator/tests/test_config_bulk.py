"""Opt-in bulk config (`config_bulk=True`): exports of realistic size (5-50 KB) that still
round-trip, deterministic per seed, and off by default."""

from __future__ import annotations

from devices.simulator.device import DeviceContext, SimDevice
from devices.simulator.export import strip_volatile


def _device(seed: int, index: int, bulk: bool = True) -> SimDevice:
    return SimDevice(index, f"127.1.0.{index + 1}", DeviceContext(seed=seed, config_bulk=bulk))


def test_bulk_exports_are_5_to_50_kb_and_deterministic() -> None:
    sizes = [len(_device(1, i).export().encode()) for i in range(30)]
    assert min(sizes) >= 5_000 and max(sizes) <= 50_000
    assert len(set(sizes)) > 20  # spread, not one size
    assert _device(1, 7).export().splitlines()[1:] == _device(1, 7).export().splitlines()[1:]


def test_bulk_is_off_by_default_and_leaves_the_seeded_config_alone() -> None:
    plain = SimDevice(3, "127.1.0.4", DeviceContext(seed=2))
    assert len(plain.export().encode()) < 5_000
    bulk_lines = set(_device(2, 3).export().splitlines()[1:])
    assert set(plain.export().splitlines()[1:]) - bulk_lines <= {"/ip firewall address-list", "/ip firewall filter"}


def test_bulk_export_round_trips() -> None:
    device = _device(5, 4)
    exported = device.export(show_sensitive=True)
    fresh = SimDevice(device.index, device.address, DeviceContext(seed=5))
    fresh.reset_configuration()
    fresh.add("/file", {"name": "backup.rsc", "contents": exported})
    result = fresh.cli_result("/import file-name=backup.rsc")
    assert result.ok, result.text
    assert strip_volatile(fresh.export(show_sensitive=True)) == strip_volatile(exported)
