"""Reading usage from Accounting-Request packets (RFC 2866/2869).

Octet counters are 32-bit; the NAS counts wraps in Acct-Input/Output-Gigawords, so the true total
is gigawords * 2**32 + octets. "Input" is what the NAS received from the user (the user's upload).
"""

from __future__ import annotations

from dataclasses import dataclass

from radius.protocol.errors import PacketError
from radius.protocol.packet import Packet

_STATUS_NAMES = {1: "start", 2: "stop", 3: "interim", 7: "accounting-on", 8: "accounting-off"}


@dataclass(frozen=True, slots=True)
class Usage:
    status: str  # start | stop | interim | accounting-on | accounting-off | unknown
    session_id: str | None
    input_octets: int  # from the user (upload)
    output_octets: int  # to the user (download)
    session_time: int  # seconds
    terminate_cause: int | None


def _int(packet: Packet, name: str) -> int:
    value = packet.get(name, 0)
    assert isinstance(value, int)
    return value


def usage(packet: Packet) -> Usage:
    """Usage counters with gigawords folded in; PacketError when a counter is malformed."""
    status = packet.get("Acct-Status-Type")
    session_id = packet.get("Acct-Session-Id")
    if session_id is not None and not isinstance(session_id, str):
        raise PacketError("Acct-Session-Id is not text")  # pragma: no cover - the type guarantees str
    cause = packet.get("Acct-Terminate-Cause")
    return Usage(
        status=_STATUS_NAMES.get(status, "unknown") if isinstance(status, int) else "unknown",
        session_id=session_id,
        input_octets=(_int(packet, "Acct-Input-Gigawords") << 32) + _int(packet, "Acct-Input-Octets"),
        output_octets=(_int(packet, "Acct-Output-Gigawords") << 32) + _int(packet, "Acct-Output-Octets"),
        session_time=_int(packet, "Acct-Session-Time"),
        terminate_cause=cause if isinstance(cause, int) else None,
    )


def split_gigawords(total: int) -> tuple[int, int]:
    """(gigawords, octets) for a 64-bit total: what a limit attribute pair such as
    Mikrotik-Total-Limit-Gigawords / Mikrotik-Total-Limit carries."""
    if not 0 <= total < 2**64:
        raise ValueError("total out of range")
    return total >> 32, total & 0xFFFFFFFF
