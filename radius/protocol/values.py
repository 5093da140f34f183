"""Typed attribute values <-> wire bytes, per dictionary data type.

Decoding is strict (an integer is exactly 4 bytes, text is valid UTF-8): a malformed value raises
`PacketError`, which the server treats like any other bad packet.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import struct

from radius.protocol.dictionary import AttributeDef
from radius.protocol.errors import PacketError

_FIXED = {"integer": 4, "integer64": 8, "short": 2, "byte": 1, "ipaddr": 4, "ipv6addr": 16, "ifid": 8, "date": 4}


def encode_value(attr: AttributeDef, value: object) -> bytes:
    """Wire bytes for `value` (without any tag or encryption). ValueError on a value that does not fit."""
    t = attr.type
    if t == "string":
        if isinstance(value, bytes):
            return value
        return str(value).encode()
    if t in ("octets", "vsa", "ifid"):
        if isinstance(value, str):
            value = bytes.fromhex(value[2:] if value.startswith("0x") else value)
        if not isinstance(value, (bytes, bytearray)):
            raise ValueError(f"{attr.name} takes bytes")
        if t == "ifid" and len(value) != 8:
            raise ValueError(f"{attr.name} takes 8 bytes")
        return bytes(value)
    if t in ("integer", "integer64", "short", "byte"):
        if isinstance(value, str):
            if value in attr.values:
                value = attr.values[value]
            elif value.isdigit():
                value = int(value)
            else:
                raise ValueError(f"{attr.name}: unknown value {value!r}")
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{attr.name} takes an integer")
        fmt = {"integer": "!I", "integer64": "!Q", "short": "!H", "byte": "!B"}[t]
        try:
            return struct.pack(fmt, value)
        except struct.error:
            raise ValueError(f"{attr.name}: {value} is out of range") from None
    if t == "ipaddr":
        return ipaddress.IPv4Address(value).packed
    if t == "ipv6addr":
        return ipaddress.IPv6Address(value).packed
    if t == "ipv6prefix":
        net = ipaddress.IPv6Network(value, strict=False)
        nbytes = (net.prefixlen + 7) // 8
        return bytes([0, net.prefixlen]) + net.network_address.packed[:nbytes]
    if t == "date":
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                raise ValueError(f"{attr.name} needs an aware datetime")
            value = int(value.timestamp())
        if not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"{attr.name} takes a datetime or epoch seconds")
        return struct.pack("!I", value)
    raise ValueError(f"cannot encode type {t}")  # pragma: no cover - TYPES is closed


def decode_value(attr: AttributeDef, raw: bytes) -> object:
    """Typed value of `raw`: str, bytes, int, IPv4Address, IPv6Address, IPv6Network or datetime."""
    t = attr.type
    want = _FIXED.get(t)
    if want is not None and len(raw) != want:
        raise PacketError(f"{attr.name}: expected {want} bytes, got {len(raw)}")
    if t == "string":
        try:
            return raw.decode()
        except UnicodeDecodeError:
            raise PacketError(f"{attr.name}: not valid UTF-8") from None
    if t in ("octets", "vsa", "ifid"):
        return raw
    if t == "integer" or t == "date":
        number = struct.unpack("!I", raw)[0]
        return dt.datetime.fromtimestamp(number, dt.UTC) if t == "date" else number
    if t == "integer64":
        return struct.unpack("!Q", raw)[0]
    if t == "short":
        return struct.unpack("!H", raw)[0]
    if t == "byte":
        return raw[0]
    if t == "ipaddr":
        return ipaddress.IPv4Address(raw)
    if t == "ipv6addr":
        return ipaddress.IPv6Address(raw)
    if t == "ipv6prefix":
        if not 2 <= len(raw) <= 18:
            raise PacketError(f"{attr.name}: bad length {len(raw)}")
        plen = raw[1]
        if plen > 128 or len(raw) - 2 < (plen + 7) // 8:
            raise PacketError(f"{attr.name}: prefix length {plen} does not match the data")
        addr = raw[2:].ljust(16, b"\x00")
        return ipaddress.IPv6Network((addr, plen), strict=False)
    raise PacketError(f"cannot decode type {t}")  # pragma: no cover
