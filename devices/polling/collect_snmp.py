"""What one poll reads over SNMP, and how it becomes the same `Sample` an API poll gives.

Two requests per poll: one GET of the scalars (uptime, health, and the facts when they are
due) and one multi-column GETBULK walk of the tables (IF-MIB ifTable/ifXTable, HOST-RESOURCES
storage and processors, MIKROTIK-MIB wireless registrations while the device has a radio).

| Sample field | object |
|---|---|
| uptime_s | HOST-RESOURCES hrSystemUptime (sysUpTime if absent), centiseconds |
| cpu | mean of hrProcessorLoad over the CPUs (what RouterOS's cpu-load is) |
| mem_*, disk_* | hrStorageTable: the ram row and the first fixed-disk row, × allocation units |
| temperature, voltage | mtxrHlTemperature, mtxrHlVoltage (tenths) |
| interfaces | ifName, ifHCInOctets, ifHCOutOctets, ifOperStatus; admin-down (disabled) skipped |
| wireless | mtxrWlRtabStrength rows: clients, mean and min signal |
| facts | sysName (identity), sysDescr minus "RouterOS " (model), mtxrSerialNumber, |
|       | mtxrFirmwareVersion, mtxrLicVersion (RouterOS version), mtxrLicLevel |

Not available over SNMP: the architecture (no MIB object carries it). Storage is reported in
allocation units (1 KiB on RouterOS), so memory/disk use is exact only to 1 KiB.
"""

from __future__ import annotations

from devices.protocols.snmp import Oid, SnmpSession

from .collect import DeviceMemory, Sample

SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
HR_SYSTEM_UPTIME = (1, 3, 6, 1, 2, 1, 25, 1, 1, 0)
MIKROTIK = (1, 3, 6, 1, 4, 1, 14988, 1, 1)
MTXR_VOLTAGE = MIKROTIK + (3, 8, 0)
MTXR_TEMPERATURE = MIKROTIK + (3, 10, 0)
MTXR_LICENSE_LEVEL = MIKROTIK + (4, 3, 0)
MTXR_VERSION = MIKROTIK + (4, 4, 0)
MTXR_SERIAL = MIKROTIK + (7, 3, 0)
MTXR_FIRMWARE = MIKROTIK + (7, 4, 0)

IF_TYPE = (1, 3, 6, 1, 2, 1, 2, 2, 1, 3)
IF_ADMIN_STATUS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 7)
IF_OPER_STATUS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)
IF_NAME = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)
IF_HC_IN_OCTETS = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)
IF_HC_OUT_OCTETS = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10)
HR_STORAGE_TYPE = (1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 2)
HR_STORAGE_UNITS = (1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 4)
HR_STORAGE_SIZE = (1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 5)
HR_STORAGE_USED = (1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 6)
HR_PROCESSOR_LOAD = (1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2)
MTXR_WL_STRENGTH = MIKROTIK + (1, 2, 1, 3)

HR_STORAGE_RAM = (1, 3, 6, 1, 2, 1, 25, 2, 1, 2)
HR_STORAGE_FIXED_DISK = (1, 3, 6, 1, 2, 1, 25, 2, 1, 4)
IF_TYPE_WIRELESS = 71  # ieee80211

SCALARS = [SYS_UPTIME, HR_SYSTEM_UPTIME, MTXR_VOLTAGE, MTXR_TEMPERATURE, MTXR_VERSION]
FACT_SCALARS = [SYS_NAME, SYS_DESCR, MTXR_SERIAL, MTXR_FIRMWARE, MTXR_LICENSE_LEVEL]
TABLE_COLUMNS = [
    IF_NAME,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_TYPE,
    IF_ADMIN_STATUS,
    IF_OPER_STATUS,
    HR_STORAGE_TYPE,
    HR_STORAGE_UNITS,
    HR_STORAGE_SIZE,
    HR_STORAGE_USED,
    HR_PROCESSOR_LOAD,
]


async def poll_snmp(session: SnmpSession, memory: DeviceMemory, *, facts_due: bool) -> tuple[Sample, list[str]]:
    """(sample, problems) of one SNMP poll; updates `memory` (version, whether it has radios)."""
    scalars = await session.get(SCALARS + (FACT_SCALARS if facts_due else []))
    columns = TABLE_COLUMNS + ([MTXR_WL_STRENGTH] if memory.has_wireless is not False else [])
    tables = await session.walk_columns(columns)
    return build_sample(scalars, tables, memory, facts_due=facts_due)


def _int(value) -> int | None:
    return value if isinstance(value, int) else None


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def build_sample(
    scalars: dict[Oid, object], tables: dict[Oid, dict[Oid, object]], memory: DeviceMemory, *, facts_due: bool
) -> tuple[Sample, list[str]]:
    """Pure: the GET and walk results → (Sample, problems)."""
    sample = Sample()
    problems: list[str] = []
    uptime = _int(scalars.get(HR_SYSTEM_UPTIME))
    if uptime is None:
        uptime = _int(scalars.get(SYS_UPTIME))
    sample.uptime_s = uptime // 100 if uptime is not None else None
    voltage, temperature = _int(scalars.get(MTXR_VOLTAGE)), _int(scalars.get(MTXR_TEMPERATURE))
    sample.voltage = voltage / 10 if voltage is not None else None
    sample.temperature = temperature / 10 if temperature is not None else None

    loads = [v for v in tables.get(HR_PROCESSOR_LOAD, {}).values() if isinstance(v, int)]
    sample.cpu = round(sum(loads) / len(loads)) if loads else None
    kinds = tables.get(HR_STORAGE_TYPE, {})
    units, sizes, used = (tables.get(c, {}) for c in (HR_STORAGE_UNITS, HR_STORAGE_SIZE, HR_STORAGE_USED))
    for index in sorted(kinds):
        unit, size, in_use = _int(units.get(index)) or 1, _int(sizes.get(index)), _int(used.get(index))
        if size is None or in_use is None:
            continue
        if kinds[index] == HR_STORAGE_RAM and sample.mem_total is None:
            sample.mem_total, sample.mem_used = size * unit, in_use * unit
        elif kinds[index] == HR_STORAGE_FIXED_DISK and sample.disk_total is None:
            sample.disk_total, sample.disk_used = size * unit, in_use * unit

    names, types = tables.get(IF_NAME, {}), tables.get(IF_TYPE, {})
    admin, oper = tables.get(IF_ADMIN_STATUS, {}), tables.get(IF_OPER_STATUS, {})
    rx, tx = tables.get(IF_HC_IN_OCTETS, {}), tables.get(IF_HC_OUT_OCTETS, {})
    has_wireless = False
    for index in sorted(names):
        if admin.get(index) == 2:  # administratively down: a disabled interface
            continue
        if types.get(index) == IF_TYPE_WIRELESS:
            has_wireless = True
        sample.interfaces.append(
            (_text(names[index]), oper.get(index) == 1, _int(rx.get(index)) or 0, _int(tx.get(index)) or 0)
        )
    if not names:
        problems.append("IF-MIB: no interfaces")
    if sample.uptime_s is None:
        problems.append("SNMP: no uptime")
    memory.has_wireless = has_wireless
    if has_wireless and MTXR_WL_STRENGTH in tables:
        signals = [v for v in tables[MTXR_WL_STRENGTH].values() if isinstance(v, int)]
        sample.wireless = (
            len(signals),
            round(sum(signals) / len(signals), 1) if signals else None,
            min(signals) if signals else None,
        )

    version = _text(scalars.get(MTXR_VERSION)).split(" ", 1)[0]
    if version:
        sample.facts["ros_version"] = version
        major = version.split(".", 1)[0]
        memory.major = int(major) if major.isdigit() else memory.major
    if facts_due:
        if SYS_NAME in scalars:
            sample.facts["identity"] = _text(scalars[SYS_NAME])
        descr = _text(scalars.get(SYS_DESCR))
        if descr.startswith("RouterOS "):
            sample.facts["model"] = descr[len("RouterOS ") :].strip()
        for oid, fact in ((MTXR_SERIAL, "serial"), (MTXR_FIRMWARE, "firmware")):
            if _text(scalars.get(oid)):
                sample.facts[fact] = _text(scalars[oid])
        level = scalars.get(MTXR_LICENSE_LEVEL)
        if level is not None:
            sample.facts["license_level"] = _text(level)
    return sample, problems
