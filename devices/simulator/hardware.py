"""Per-device immutable facts derived from (fleet seed, index): board, version, serial, MACs.

Cheap to compute (no state built), so a 10,000-device fleet can describe itself at startup.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass

from .catalog import BOARDS, FACTORY_FIRMWARE, V6_VERSIONS, V7_VERSIONS, Board, pick_board

CITIES = ("ams", "ber", "par", "lis", "mad", "rom", "vie", "waw", "prg", "bud", "osl", "hel", "dub", "zrh")
ROLES = ("gw", "core", "edge", "ap", "sw", "cpe")
MAC_OUIS = (0x48A98A, 0xDC2C6E, 0x64D154, 0x18FD74, 0xCC2DE0, 0x2CC81B)
ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
_ALNUM_TABLE = bytes(ord(ALNUM[b % len(ALNUM)]) for b in range(256))


@dataclass(frozen=True, slots=True)
class Hardware:
    index: int
    salt: int  # per-device hash salt for pure functions of time
    board: Board
    version: str  # RouterOS version the device ships with in this fleet
    serial: str
    software_id: str
    identity: str
    mac_base: int
    initial_uptime: float
    current_firmware: str

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])

    def mac(self, offset: int) -> str:
        t = f"{self.mac_base + offset:012X}"
        return f"{t[0:2]}:{t[2:4]}:{t[4:6]}:{t[6:8]}:{t[8:10]}:{t[10:12]}"

    def hash01(self, key: str) -> float:
        """A stable number in [0, 1) for this device and key."""
        return zlib.crc32(key.encode(), self.salt) / 4294967296.0


def derive_hardware(seed: int, index: int, board_name: str | None = None, version: str | None = None) -> Hardware:
    rng = random.Random(seed * 1_000_003 + index)
    board = pick_board(rng.random())
    if board_name:
        board = next(b for b in BOARDS if board_name in (b.board_name, b.model))
    if version is None:
        major6 = board.v6_capable and rng.random() < 0.35
        version = rng.choice(V6_VERSIONS if major6 else V7_VERSIONS)
    else:
        rng.random()
    serial = f"HE{rng.getrandbits(40):010X}"
    sid = rng.randbytes(8).translate(_ALNUM_TABLE).decode()
    software_id = f"{sid[:4]}-{sid[4:]}"
    identity = f"{rng.choice(CITIES)}-{rng.choice(ROLES)}-{index + 1:05d}"
    oui = rng.choice(MAC_OUIS)
    mac_base = (oui << 24) | ((index * 64) & 0xFFFFFF)
    initial_uptime = rng.uniform(3600, 60 * 86400)
    firmware = rng.choice((FACTORY_FIRMWARE[board.architecture], version))
    return Hardware(
        index=index,
        salt=(seed * 2_654_435_761 + index * 40503) & 0xFFFFFFFF,
        board=board,
        version=version,
        serial=serial,
        software_id=software_id,
        identity=identity,
        mac_base=mac_base,
        initial_uptime=initial_uptime,
        current_firmware=firmware,
    )
