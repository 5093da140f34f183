"""What one poll asks a RouterOS device, and how the replies become a `PollResult`.

Pure functions (no I/O): `commands_for` builds the pipelined command list from what the
connection already knows about the device; `parse_replies` turns the raw string replies into
typed samples. Only the fields that are stored are requested (`.proplist`) and cast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

RESOURCE = (
    "/system/resource/print",
    "=.proplist=uptime,version,cpu-load,free-memory,total-memory,free-hdd-space,total-hdd-space,"
    "board-name,architecture-name",
)
HEALTH = ("/system/health/print",)
INTERFACES = ("/interface/print", "=.proplist=name,type,running,disabled,rx-byte,tx-byte")
WIRELESS_V6 = ("/interface/wireless/registration-table/print", "=.proplist=interface,signal-strength")
WIFI_V7 = ("/interface/wifi/registration-table/print", "=.proplist=interface,signal")
IDENTITY = ("/system/identity/print",)
ROUTERBOARD = ("/system/routerboard/print", "=.proplist=model,serial-number,current-firmware")
LICENSE = ("/system/license/print",)

WIRELESS_TYPES = frozenset({"wlan", "wifi", "wifiwave2", "cap", "w60g"})
_UPTIME_PART = re.compile(r"(\d+)([wdhms])")
_UPTIME_CLOCK = re.compile(r"(\d+):(\d+):(\d+)$")
_UPTIME_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


@dataclass(slots=True)
class DeviceMemory:
    """What the engine remembers about a device between polls on one connection."""

    major: int | None = None  # RouterOS major version, once known
    has_wireless: bool | None = None  # None: not known yet, ask
    facts_at: float = 0.0  # when identity/routerboard/license were last read


@dataclass(slots=True)
class Sample:
    """One successful poll's measurements (raw counters; rates are computed at write time)."""

    cpu: int | None = None
    mem_used: int | None = None
    mem_total: int | None = None
    disk_used: int | None = None
    disk_total: int | None = None
    uptime_s: int | None = None
    temperature: float | None = None
    voltage: float | None = None
    # (name, running, rx_bytes, tx_bytes)
    interfaces: list[tuple[str, bool, int, int]] = field(default_factory=list)
    wireless: tuple[int, float | None, int | None] | None = None  # clients, signal_avg, signal_min
    facts: dict[str, str] = field(default_factory=dict)  # Device field name -> value


def commands_for(memory: DeviceMemory, *, facts_due: bool) -> list[tuple[str, ...]]:
    commands = [RESOURCE, HEALTH, INTERFACES]
    if memory.has_wireless is not False:
        if memory.major is None or memory.major >= 7:
            commands.append(WIFI_V7)
        commands.append(WIRELESS_V6)  # also v7 with the legacy wireless package
    if facts_due:
        commands += [IDENTITY, ROUTERBOARD, LICENSE]
    return commands


def uptime_seconds(text: str) -> int | None:
    """RouterOS durations: "3w5d3m34s", "1d02:03:04" (older form) or plain seconds."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    total = 0
    clock = _UPTIME_CLOCK.search(text)
    if clock:  # older form "1w2d03:04:05"
        total, text = int(clock[1]) * 3600 + int(clock[2]) * 60 + int(clock[3]), text[: clock.start()]
    for number, unit in _UPTIME_PART.findall(text):
        total += int(number) * _UPTIME_UNITS[unit]
    return total


def _to_int(value: str | None) -> int:
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def _int_or_none(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        try:
            return int(float(value))
        except ValueError:
            return None


def _float_or_none(value: str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _signal(value: str | None) -> int | None:
    # v6: "-50@6Mbps" (or "-50@HT20-7"); v7 wifi: "-60"
    if not value:
        return None
    head = value.split("@", 1)[0]
    return _int_or_none(head)


def parse_replies(commands: list[tuple[str, ...]], replies: list, memory: DeviceMemory) -> tuple[Sample, list[str]]:
    """(sample, problems). A trap on the resource or interface menu is a problem (the device is
    degraded); traps on optional menus (health, wireless on a device without it) are not.
    Updates `memory` with the version and whether the device has wireless."""
    sample = Sample()
    problems: list[str] = []
    wireless_rows: list[dict[str, str]] = []
    wireless_answered = False
    for command, reply in zip(commands, replies, strict=True):
        if not isinstance(reply, list):  # a TrapError
            if command in (RESOURCE, INTERFACES):
                problems.append(f"{command[0]}: {getattr(reply, 'message', reply)}")
            continue
        if command is RESOURCE and reply:
            row = reply[0]
            sample.cpu = _int_or_none(row.get("cpu-load"))
            total, free = _int_or_none(row.get("total-memory")), _int_or_none(row.get("free-memory"))
            sample.mem_total = total
            sample.mem_used = total - free if total is not None and free is not None else None
            total, free = _int_or_none(row.get("total-hdd-space")), _int_or_none(row.get("free-hdd-space"))
            sample.disk_total = total
            sample.disk_used = total - free if total is not None and free is not None else None
            sample.uptime_s = uptime_seconds(row.get("uptime", ""))
            version = row.get("version", "").split(" ", 1)[0]
            if version:
                sample.facts["ros_version"] = version
                major = _int_or_none(version.split(".", 1)[0])
                memory.major = major
            if row.get("architecture-name"):
                sample.facts["architecture"] = row["architecture-name"]
        elif command is HEALTH:
            _parse_health(reply, sample)
        elif command is INTERFACES:
            has_wireless = False
            for row in reply:
                if row.get("disabled") == "true":
                    continue
                kind = row.get("type", "")
                if kind in WIRELESS_TYPES:
                    has_wireless = True
                sample.interfaces.append(
                    (
                        row.get("name", ""),
                        row.get("running") == "true",
                        _to_int(row.get("rx-byte")),
                        _to_int(row.get("tx-byte")),
                    )
                )
            memory.has_wireless = has_wireless
        elif command is WIRELESS_V6 or command is WIFI_V7:
            wireless_answered = True
            key = "signal" if command is WIFI_V7 else "signal-strength"
            wireless_rows += [{"signal": row.get(key)} for row in reply]
        elif command is IDENTITY and reply:
            sample.facts["identity"] = reply[0].get("name", "")
        elif command is ROUTERBOARD and reply:
            row = reply[0]
            if row.get("model"):
                sample.facts["model"] = row["model"]
            if row.get("serial-number"):
                sample.facts["serial"] = row["serial-number"]
            if row.get("current-firmware"):
                sample.facts["firmware"] = row["current-firmware"]
        elif command is LICENSE and reply:
            row = reply[0]
            level = row.get("nlevel") or row.get("level")
            if level:
                sample.facts["license_level"] = level
    if wireless_answered and memory.has_wireless:
        signals = [s for s in (_signal(r["signal"]) for r in wireless_rows) if s is not None]
        sample.wireless = (
            len(wireless_rows),
            round(sum(signals) / len(signals), 1) if signals else None,
            min(signals) if signals else None,
        )
    return sample, problems


def _parse_health(rows: list[dict[str, str]], sample: Sample) -> None:
    if not rows:
        return
    if "name" in rows[0] and "value" in rows[0]:  # v7: one row per sensor
        values = {row.get("name", ""): row.get("value") for row in rows}
        temperature = (
            values.get("temperature")
            or values.get("cpu-temperature")
            or next((v for k, v in values.items() if "temperature" in k), None)
        )
        sample.temperature = _float_or_none(temperature)
        sample.voltage = _float_or_none(values.get("voltage"))
    else:  # v6: one row with a column per sensor
        row = rows[0]
        sample.temperature = _float_or_none(row.get("temperature") or row.get("cpu-temperature"))
        sample.voltage = _float_or_none(row.get("voltage"))
