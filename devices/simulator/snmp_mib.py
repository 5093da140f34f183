"""The MIB a simulated RouterOS device shows over SNMP, built from `device.snmp_view()`.

The agent never keeps per-device MIB objects: for each request it asks the device for its
current view and lays it out as a sorted list of (OID, value) pairs, so 10,000 devices cost
nothing until they are queried, and every answer reflects the device's state at that moment
(the same counters the API returns).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pysnmp.proto import rfc1902

Oid = tuple[int, ...]

SYSTEM = (1, 3, 6, 1, 2, 1, 1)
INTERFACES = (1, 3, 6, 1, 2, 1, 2)
IF_ENTRY = INTERFACES + (2, 1)
IFX_ENTRY = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
HOST_RESOURCES = (1, 3, 6, 1, 2, 1, 25)
HR_STORAGE_ENTRY = HOST_RESOURCES + (2, 3, 1)
HR_PROCESSOR_ENTRY = HOST_RESOURCES + (3, 3, 1)
HR_STORAGE_RAM = HOST_RESOURCES + (2, 1, 2)
HR_STORAGE_FIXED_DISK = HOST_RESOURCES + (2, 1, 4)
MIKROTIK = (1, 3, 6, 1, 4, 1, 14988)
MTXR_WL_RTAB_ENTRY = MIKROTIK + (1, 1, 1, 2, 1)
MTXR_WL_RTAB_COUNT = MIKROTIK + (1, 1, 1, 4, 0)
MTXR_HEALTH = MIKROTIK + (1, 1, 3)
MTXR_LICENSE = MIKROTIK + (1, 1, 4)
MTXR_SYSTEM = MIKROTIK + (1, 1, 7)
ROUTEROS_OBJECT_ID = MIKROTIK + (1,)

# RouterOS interface types → IANAifType.
IF_TYPES = {
    "ether": 6,
    "vlan": 135,
    "bridge": 209,
    "wlan": 71,
    "wifi": 71,
    "wireless": 71,
    "loopback": 24,
    "pppoe-out": 23,
    "pppoe-in": 23,
    "pppoe-client": 23,
    "l2tp-out": 23,
    "gre-tunnel": 131,
    "eoip": 6,
    "bonding": 161,
    "wg": 53,
    "wireguard": 53,
}


@dataclass(frozen=True, slots=True)
class MibValue:
    """A value waiting to become a pysnmp object: cheap to build, converted only if sent."""

    syntax: type
    value: Any

    def to_pysnmp(self) -> Any:
        return self.syntax(self.value)


def _text(value: Any) -> MibValue:
    return MibValue(rfc1902.OctetString, "" if value is None else str(value))


def _int(value: Any) -> MibValue:
    return MibValue(rfc1902.Integer32, int(value or 0))


def _gauge(value: Any) -> MibValue:
    return MibValue(rfc1902.Gauge32, max(0, min(int(value or 0), 2**32 - 1)))


def _counter32(value: Any) -> MibValue:
    return MibValue(rfc1902.Counter32, int(value or 0) % 2**32)


def _counter64(value: Any) -> MibValue:
    return MibValue(rfc1902.Counter64, int(value or 0) % 2**64)


def _ticks(centiseconds: Any) -> MibValue:
    return MibValue(rfc1902.TimeTicks, int(centiseconds or 0) % 2**32)


def _oid(value: Oid | str) -> MibValue:
    return MibValue(rfc1902.ObjectIdentifier, value)


def _octets(value: bytes) -> MibValue:
    return MibValue(rfc1902.OctetString, value)


def mac_bytes(mac: Any) -> bytes:
    """'AA:BB:CC:DD:EE:FF' (or '' for interfaces without one) → 6 raw bytes or b''."""
    text = str(mac or "").replace("-", ":")
    if not text:
        return b""
    try:
        return bytes(int(part, 16) for part in text.split(":"))
    except ValueError:
        return b""


def if_type_number(kind: Any) -> int:
    if isinstance(kind, int):
        return kind
    return IF_TYPES.get(str(kind or ""), 1)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "yes", "1", "up")
    return bool(value)


def _status(up: Any) -> MibValue:
    return _int(1 if _flag(up) else 2)


class DeviceMib:
    """One device's MIB at one moment: sorted OIDs with lazily converted values."""

    def __init__(self, entries: Iterable[tuple[Oid, MibValue]]) -> None:
        ordered = sorted(entries, key=lambda entry: entry[0])
        self._oids = [oid for oid, _ in ordered]
        self._values = [value for _, value in ordered]

    def __len__(self) -> int:
        return len(self._oids)

    def get(self, oid: Oid) -> MibValue | None:
        position = bisect.bisect_left(self._oids, oid)
        if position < len(self._oids) and self._oids[position] == oid:
            return self._values[position]
        return None

    def has_object(self, oid: Oid) -> bool:
        """Whether `oid` names an instance of an object this MIB implements (noSuchInstance)."""
        parent = oid[:-1]
        position = bisect.bisect_left(self._oids, parent)
        return position < len(self._oids) and self._oids[position][: len(parent)] == parent

    def next_after(self, oid: Oid, skip_counter64: bool = False) -> tuple[Oid, MibValue] | None:
        position = bisect.bisect_right(self._oids, oid)
        while position < len(self._oids):
            value = self._values[position]
            if not (skip_counter64 and value.syntax is rfc1902.Counter64):
                return self._oids[position], value
            position += 1
        return None


def build_device_mib(view: Mapping[str, Any]) -> DeviceMib:
    """Lay out a device's `snmp_view()` as MIB-II, IF-MIB, HOST-RESOURCES and MIKROTIK-MIB."""
    interfaces = list(view.get("interfaces") or ())
    entries: list[tuple[Oid, MibValue]] = []
    entries.extend(_system_group(view))
    entries.extend(_interface_tables(interfaces, view.get("sysUpTime")))
    entries.extend(_host_resources(view))
    entries.extend(_mikrotik(view, interfaces))
    return DeviceMib(entries)


def _system_group(view: Mapping[str, Any]) -> Iterator[tuple[Oid, MibValue]]:
    yield SYSTEM + (1, 0), _text(view.get("sysDescr"))
    yield SYSTEM + (2, 0), _oid(view.get("sysObjectID") or ROUTEROS_OBJECT_ID)
    yield SYSTEM + (3, 0), _ticks(view.get("sysUpTime"))
    yield SYSTEM + (4, 0), _text(view.get("sysContact"))
    yield SYSTEM + (5, 0), _text(view.get("sysName"))
    yield SYSTEM + (6, 0), _text(view.get("sysLocation"))
    yield SYSTEM + (7, 0), _int(78)


def _interface_tables(interfaces: list[Mapping[str, Any]], uptime: Any) -> Iterator[tuple[Oid, MibValue]]:
    yield INTERFACES + (1, 0), _int(len(interfaces))
    for interface in interfaces:
        index = int(interface["index"])
        speed = int(interface.get("speed") or 0)
        in_octets = interface.get("in_octets")
        out_octets = interface.get("out_octets")
        in_packets = interface.get("in_packets")
        out_packets = interface.get("out_packets")
        if_columns = {
            1: _int(index),
            2: _text(interface.get("name")),
            3: _int(if_type_number(interface.get("type"))),
            4: _int(interface.get("mtu") or 1500),
            5: _gauge(speed),
            6: _octets(mac_bytes(interface.get("mac"))),
            7: _status(interface.get("admin_up", True)),
            8: _status(interface.get("oper_up", True)),
            9: _ticks(0),
            10: _counter32(in_octets),
            11: _counter32(in_packets),
            13: _counter32(0),
            14: _counter32(0),
            16: _counter32(out_octets),
            17: _counter32(out_packets),
            19: _counter32(0),
            20: _counter32(0),
        }
        for column, value in if_columns.items():
            yield IF_ENTRY + (column, index), value
        ifx_columns = {
            1: _text(interface.get("name")),
            2: _counter32(0),
            3: _counter32(0),
            4: _counter32(0),
            5: _counter32(0),
            6: _counter64(in_octets),
            7: _counter64(in_packets),
            8: _counter64(0),
            9: _counter64(0),
            10: _counter64(out_octets),
            11: _counter64(out_packets),
            12: _counter64(0),
            13: _counter64(0),
            14: _int(1),
            15: _gauge(speed // 1_000_000),
            16: _int(2),
            17: _int(1 if if_type_number(interface.get("type")) == 6 else 2),
            18: _text(interface.get("comment") or ""),
            19: _ticks(0),
        }
        for column, value in ifx_columns.items():
            yield IFX_ENTRY + (column, index), value


def _host_resources(view: Mapping[str, Any]) -> Iterator[tuple[Oid, MibValue]]:
    yield HOST_RESOURCES + (1, 1, 0), _ticks(view.get("sysUpTime"))
    storages = list(view.get("storage") or ())
    memory = next((s for s in storages if "mem" in str(s.get("name", "")).lower()), None)
    if memory is not None:
        yield HOST_RESOURCES + (2, 2, 0), _int(memory.get("size_kb"))
    disks = (storage for storage in storages if storage is not memory)
    # RouterOS numbers main memory 65536 and its disks from 131072.
    indexed = ([(65536, memory)] if memory is not None else []) + list(enumerate(disks, start=131072))
    for index, storage in indexed:
        is_memory = storage is memory
        columns = {
            1: _int(index),
            2: _oid(HR_STORAGE_RAM if is_memory else HR_STORAGE_FIXED_DISK),
            3: _text(storage.get("name")),
            4: _int(1024),
            5: _int(storage.get("size_kb")),
            6: _int(storage.get("used_kb")),
        }
        for column, value in columns.items():
            yield HR_STORAGE_ENTRY + (column, index), value
    load = view.get("cpu_load") or 0
    for cpu in range(int(view.get("cpu_count") or 1)):
        cpu_load = load[cpu] if isinstance(load, (list, tuple)) else load
        yield HR_PROCESSOR_ENTRY + (1, cpu + 1), _oid((0, 0))
        yield HR_PROCESSOR_ENTRY + (2, cpu + 1), _int(cpu_load)


def _mikrotik(view: Mapping[str, Any], interfaces: list[Mapping[str, Any]]) -> Iterator[tuple[Oid, MibValue]]:
    registrations = list(view.get("wireless") or view.get("registrations") or ())
    names = {str(i.get("name")): int(i["index"]) for i in interfaces}
    for client in registrations:
        mac = mac_bytes(client.get("mac"))
        if len(mac) != 6:
            continue
        iface = client.get("interface_index") or names.get(str(client.get("interface")), 0)
        row = tuple(mac) + (int(iface),)
        columns = {
            3: _int(client.get("signal")),
            4: _counter32(client.get("tx_bytes")),
            5: _counter32(client.get("rx_bytes")),
            8: _gauge(client.get("tx_rate_bps")),
            9: _gauge(client.get("rx_rate_bps")),
            11: _ticks(int(client.get("uptime_s") or 0) * 100),
            19: _int(client.get("tx_signal", client.get("signal"))),
            20: _text(client.get("radio_name")),
        }
        for column, value in columns.items():
            yield MTXR_WL_RTAB_ENTRY + (column,) + row, value
    yield MTXR_WL_RTAB_COUNT, _gauge(len(registrations))
    health = view.get("health") or {}
    # MIKROTIK-MIB reports voltage in dV and temperature in d°C.
    if health.get("voltage") is not None:
        yield MTXR_HEALTH + (8, 0), _int(round(float(health["voltage"]) * 10))
    if health.get("temperature") is not None:
        yield MTXR_HEALTH + (10, 0), _int(round(float(health["temperature"]) * 10))
    version = view.get("software_version") or ""
    yield MTXR_LICENSE + (3, 0), _int(view.get("license_level") or 6)
    yield MTXR_LICENSE + (4, 0), _text(version)
    yield MTXR_SYSTEM + (3, 0), _text(view.get("serial"))
    yield MTXR_SYSTEM + (4, 0), _text(view.get("firmware"))
    yield (
        MTXR_SYSTEM + (7, 0),
        _text(view.get("upgrade_firmware") or view.get("firmware")),
    )
