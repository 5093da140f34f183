"""Export fidelity: RouterOS header/format, sensitivity rules, and export -> import -> export."""

from __future__ import annotations

import re

import pytest

from devices.simulator.device import DeviceContext, SimDevice
from devices.simulator.export import strip_volatile


def _device(seed: int, index: int) -> SimDevice:
    return SimDevice(index, f"127.1.0.{index + 1}", DeviceContext(seed=seed))


def _fresh_twin(device: SimDevice) -> SimDevice:
    twin = SimDevice(device.index, device.address, DeviceContext(seed=device.ctx.seed))
    twin.reset_configuration()
    return twin


@pytest.mark.parametrize("seed", range(50))
def test_export_import_export_is_identical(seed: int) -> None:
    device = _device(seed, seed % 13)
    exported = device.export(show_sensitive=True)
    fresh = _fresh_twin(device)
    fresh.add("/file", {"name": "backup.rsc", "contents": exported})
    result = fresh.cli_result("/import file-name=backup.rsc")
    assert result.ok, result.text
    assert strip_volatile(fresh.export(show_sensitive=True)) == strip_volatile(exported)


def test_header_lines_like_routeros() -> None:
    device = _device(1, 0)
    lines = device.export().splitlines()
    assert re.fullmatch(
        r"# (\d{4}-\d\d-\d\d|[a-z]{3}/\d\d/\d{4}) \d\d:\d\d:\d\d by RouterOS " + re.escape(device.version), lines[0]
    )
    assert lines[1] == f"# software id = {device.hw.software_id}"
    assert lines[2] == "#"
    assert lines[3] == f"# model = {device.hw.board.model}"
    assert lines[4] == f"# serial number = {device.serial}"


def _with_major(major: int) -> SimDevice:
    for index in range(200):
        device = _device(5, index)
        if device.major == major:
            device.add("/ppp/secret", {"name": "probe", "password": "s3cret-value"})
            return device
    raise AssertionError("no such device")


def test_v7_hides_sensitive_unless_asked() -> None:
    device = _with_major(7)
    assert "s3cret-value" not in device.export()
    assert "s3cret-value" in device.export(show_sensitive=True)


def test_v6_shows_sensitive_unless_hidden() -> None:
    device = _with_major(6)
    assert "s3cret-value" in device.export()
    assert "s3cret-value" not in device.export(show_sensitive=False)


def test_sub_menu_export_and_terse() -> None:
    device = _device(2, 1)
    firewall = device.cli("/ip firewall export")
    sections = [line for line in firewall.splitlines() if line.startswith("/")]
    assert sections and all(s.startswith("/ip firewall") for s in sections)
    terse = device.export(terse=True)
    assert all(line.startswith(("/", "#")) for line in terse.splitlines())


def test_long_lines_wrap_with_continuation() -> None:
    device = _device(3, 0)
    device.add("/ip/firewall/address-list", {"list": "x" * 30, "address": "192.0.2.1", "comment": "y " * 30})
    text = device.export(show_sensitive=True)
    assert any(line.endswith(" \\") for line in text.splitlines())
    assert all(
        len(line) <= 80
        for line in text.splitlines()
        if not line.startswith("#") and "policy=" not in line and "source=" not in line
    )


def test_awkward_values_survive_the_round_trip() -> None:
    device = _device(8, 2)
    awkward = ['a "quoted" (x) {y} [z] $var \\ back', "tab\there", "two\nlines", "ünïcode ✓", "semi;colon#hash", ""]
    for i, text in enumerate(awkward):
        device.add("/ip/firewall/address-list", {"list": f"odd{i}", "address": f"192.0.2.{i + 1}", "comment": text})
    exported = device.export(show_sensitive=True)
    fresh = _fresh_twin(device)
    fresh.add("/file", {"name": "b.rsc", "contents": exported})
    assert fresh.cli_result("/import file-name=b.rsc").ok
    assert strip_volatile(fresh.export(show_sensitive=True)) == strip_volatile(exported)
    comments = {r["list"]: r.get("comment") for r in fresh.print("/ip/firewall/address-list")}
    assert [comments[f"odd{i}"] for i in range(len(awkward))] == awkward
