"""What each rule kind checks in one device's newest data: (subject, breached, value) triples.

`DeviceData` is what the engine loads for one device of a batch (its row and its newest sample
of each table in the batch). A kind with no data this time (no sample: the poll failed) yields
nothing, which leaves its counters and alerts as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from devices.models import RuleKind

OFFLINE_STATUSES = {"offline", "unreachable"}


@dataclass(slots=True)
class DeviceData:
    id: str
    name: str
    site_id: str | None
    tags: list
    status: str
    reason: str = ""
    # newest device sample of the batch: cpu %, memory %, disk %, temperature °C
    cpu: float | None = None
    memory: float | None = None
    disk: float | None = None
    temperature: float | None = None
    has_sample: bool = False
    # interface name -> (running, max(rx, tx) bit/s or None)
    interfaces: dict = field(default_factory=dict)
    # wireless: (clients, weakest signal dBm or None); the two values the wireless kinds check
    wireless: tuple | None = None
    wireless_clients: float | None = None
    wireless_signal: float | None = None


@dataclass(slots=True)
class Observation:
    subject: str
    breached: bool
    value: float | None


def _above(value, threshold) -> bool:
    return value is not None and threshold is not None and value > threshold


def observe(kind: str, threshold: float | None, interface: str, data: DeviceData) -> Iterator[Observation]:
    if kind == RuleKind.OFFLINE:
        if data.status in ("unknown", ""):
            return
        yield Observation("", data.status in OFFLINE_STATUSES, None)
    elif kind in (RuleKind.CPU, RuleKind.MEMORY, RuleKind.DISK, RuleKind.TEMPERATURE):
        value = getattr(data, kind)
        if value is not None:
            yield Observation("", _above(value, threshold), value)
    elif kind == RuleKind.INTERFACE_DOWN:
        for name, (running, _bps) in data.interfaces.items():
            if not interface or name == interface:
                yield Observation(name, not running, 0.0 if not running else 1.0)
    elif kind == RuleKind.INTERFACE_TRAFFIC:
        for name, (_running, bps) in data.interfaces.items():
            if (not interface or name == interface) and bps is not None:
                mbps = bps / 1e6
                yield Observation(name, _above(mbps, threshold), mbps)
    elif kind == RuleKind.WIRELESS_SIGNAL:
        if data.wireless is not None and data.wireless[0] and data.wireless[1] is not None:
            signal = float(data.wireless[1])
            yield Observation("", threshold is not None and signal < threshold, signal)
    elif kind == RuleKind.WIRELESS_CLIENTS:
        if data.wireless is not None:
            yield Observation("", _above(data.wireless[0], threshold), float(data.wireless[0]))


def describe(kind: str, threshold: float | None, subject: str, value: float | None, data: DeviceData) -> str:
    """One line for people (notifications, the alert list). Never a credential."""
    where = f"{data.name}{' ' + subject if subject else ''}"
    if kind == RuleKind.OFFLINE:
        return f"{data.name} is {data.status}{': ' + data.reason if data.reason else ''}"
    if kind == RuleKind.INTERFACE_DOWN:
        return f"{where} is down"
    units = {
        RuleKind.CPU: "%",
        RuleKind.MEMORY: "%",
        RuleKind.DISK: "%",
        RuleKind.TEMPERATURE: "°C",
        RuleKind.INTERFACE_TRAFFIC: "Mbit/s",
        RuleKind.WIRELESS_SIGNAL: "dBm",
        RuleKind.WIRELESS_CLIENTS: "clients",
    }
    unit = units.get(kind, "")
    label = RuleKind(kind).label.split(" (")[0]
    shown = "—" if value is None else f"{value:.1f}".rstrip("0").rstrip(".")
    limit = "—" if threshold is None else f"{threshold:g}"
    return f"{where}: {label.lower()} {limit} {unit} (now {shown} {unit})".replace("  ", " ")
