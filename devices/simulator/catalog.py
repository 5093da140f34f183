"""Immutable hardware and software catalog the fleet draws devices from.

Shared by every device (templates, never copied), so 10,000 devices cost only their own
small per-device differences.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Board:
    """One RouterBOARD model and what its hardware offers."""

    board_name: str
    model: str
    architecture: str
    cpu: str
    cpu_count: int
    cpu_mhz: int
    memory_mb: int
    disk_mb: int
    ethernet: tuple[str, ...]
    wireless: str | None  # None, "wireless" (legacy wlanN) or "wifi" (v7 wifiN)
    radios: int
    has_temperature: bool
    has_voltage: bool
    v6_capable: bool
    license_level: int
    weight: int  # relative frequency in the fleet
    firmware_type: str


def _ports(prefix: str, count: int, start: int = 1) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(start, start + count))


BOARDS: tuple[Board, ...] = (
    Board(
        "hAP ax^2",
        "C52iG-5HaxD2HaxD",
        "arm64",
        "ARM64",
        4,
        864,
        1024,
        128,
        _ports("ether", 5),
        "wifi",
        2,
        True,
        True,
        False,
        4,
        20,
        "ipq6000",
    ),
    Board(
        "RB5009UG+S+",
        "RB5009UG+S+",
        "arm64",
        "ARM64",
        4,
        1400,
        1024,
        1024,
        _ports("ether", 8) + ("sfp-sfpplus1",),
        None,
        0,
        True,
        True,
        False,
        5,
        15,
        "mv88f37xx",
    ),
    Board(
        "CCR2004-1G-12S+2XS",
        "CCR2004-1G-12S+2XS",
        "arm64",
        "ARM64",
        4,
        1700,
        4096,
        128,
        ("ether1",) + _ports("sfp-sfpplus", 12) + ("sfp28-1", "sfp28-2"),
        None,
        0,
        True,
        True,
        True,
        6,
        8,
        "al52400",
    ),
    Board(
        "CRS326-24G-2S+",
        "CRS326-24G-2S+",
        "arm",
        "ARMv7",
        1,
        800,
        512,
        16,
        _ports("ether", 24) + _ports("sfp-sfpplus", 2),
        None,
        0,
        True,
        True,
        True,
        5,
        12,
        "98DX3236",
    ),
    Board(
        "hEX",
        "RB750Gr3",
        "mmips",
        "MIPS 1004Kc V2.15",
        4,
        880,
        256,
        16,
        _ports("ether", 5),
        None,
        0,
        False,
        True,
        True,
        4,
        20,
        "mt7621L",
    ),
    Board(
        "wAP ac",
        "RBwAPG-5HacD2HnD",
        "arm",
        "ARMv7",
        4,
        716,
        128,
        16,
        ("ether1",),
        "wireless",
        2,
        True,
        True,
        True,
        4,
        10,
        "ipq4000L",
    ),
    Board(
        "hAP ac^2",
        "RBD52G-5HacD2HnD",
        "arm",
        "ARMv7",
        4,
        716,
        128,
        16,
        _ports("ether", 5),
        "wireless",
        2,
        True,
        True,
        True,
        4,
        15,
        "ipq4000L",
    ),
)

V6_VERSIONS: tuple[str, ...] = ("6.49.10", "6.49.13", "6.49.15", "6.49.17", "6.49.18")
V7_VERSIONS: tuple[str, ...] = ("7.12.1", "7.14.3", "7.15.3", "7.16.2", "7.17.2", "7.18.2", "7.19.4")
LATEST_VERSION = {"stable": "7.19.4", "long-term": "7.16.2", "testing": "7.20rc3", "development": "7.20rc3"}
LATEST_V6 = "6.49.18"

FACTORY_FIRMWARE = {"arm64": "7.5", "arm": "6.45.9", "mmips": "6.44.6"}

BUILD_TIMES = {
    "6.49.10": "2023-09-18 09:22:23",
    "6.49.13": "2024-02-08 09:46:59",
    "6.49.15": "2024-04-22 10:30:11",
    "6.49.17": "2024-09-06 12:45:28",
    "6.49.18": "2025-02-03 11:57:12",
    "7.12.1": "2023-11-17 13:06:08",
    "7.14.3": "2024-04-17 12:47:58",
    "7.15.3": "2024-07-24 10:39:00",
    "7.16.2": "2024-11-26 14:18:05",
    "7.17.2": "2025-02-17 08:51:11",
    "7.18.2": "2025-03-11 10:00:23",
    "7.19.4": "2025-07-21 13:00:15",
}


def version_tuple(version: str) -> tuple[int, ...]:
    """ "7.16.2" -> (7, 16, 2); release candidates sort before their release."""
    parts: list[int] = []
    for part in version.split("."):
        digits = "".join(ch for ch in part if ch.isdigit()) if "rc" not in part else part.split("rc")[0]
        parts.append(int(digits or 0))
    if "rc" in version:
        parts.append(-1)
    return tuple(parts)


def pick_board(value: float) -> Board:
    """Map a uniform number in [0,1) to a board following the fleet mix weights."""
    total = sum(b.weight for b in BOARDS)
    acc = 0.0
    for board in BOARDS:
        acc += board.weight / total
        if value < acc:
            return board
    return BOARDS[-1]
