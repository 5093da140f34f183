"""The simulator's SNMP agent, queried with pysnmp's high-level API and net-snmp's tools."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    usmAesCfb128Protocol,
    usmHMACSHAAuthProtocol,
    walk_cmd,
)

from devices.simulator.snmp_mib import mac_bytes
from devices.simulator.testing import running_fleet

SYS_DESCR, SYS_NAME = "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
HR_PROCESSOR_LOAD = "1.3.6.1.2.1.25.3.3.1.2"
HR_STORAGE_DESCR = "1.3.6.1.2.1.25.2.3.1.3"
MTXR_LIC_VERSION = "1.3.6.1.4.1.14988.1.1.4.4.0"
MTXR_WL_RTAB_STRENGTH = "1.3.6.1.4.1.14988.1.1.1.2.1.3"
V3_COMMUNITY = {
    "name": "monitor3",
    "security": "private",
    "authentication-protocol": "SHA1",
    "authentication-password": "auth-secret-1",
    "encryption-protocol": "AES",
    "encryption-password": "priv-secret-1",
}
WIRELESS_DEVICE = 0  # seed 3: device 0 is a hAP ax^2 with wireless clients; device 2 runs 6.49


@pytest.fixture(scope="module")
def fleet_info() -> Iterator[dict[str, Any]]:
    # A stopped clock keeps counters and signals still between a query and its expectation.
    with running_fleet(("snmp",), count=4, seed=3, clock_speed=0.0, control_port=None) as info:
        yield info


@pytest.fixture
def device(fleet_info: dict[str, Any]) -> Any:
    return fleet_info["fleet"].device(2)


def get(info: dict[str, Any], auth: Any, *oids: str, index: int = 2, timeout: float = 2.0) -> tuple[Any, dict]:
    async def query() -> tuple[Any, dict]:
        transport = await UdpTransportTarget.create(
            (info["fleet"].address(index), info["ports"]["snmp"]), timeout=timeout, retries=0
        )
        objects = [ObjectType(ObjectIdentity(oid)) for oid in oids]
        error, status, _, binds = await get_cmd(SnmpEngine(), auth, transport, ContextData(), *objects)
        assert not status, status.prettyPrint()
        return error, {str(name): value for name, value in binds}

    return asyncio.run(query())


def walk(info: dict[str, Any], auth: Any, oid: str, index: int = 2) -> dict[str, Any]:
    async def query() -> dict[str, Any]:
        transport = await UdpTransportTarget.create((info["fleet"].address(index), info["ports"]["snmp"]), timeout=2)
        found = {}
        async for error, status, _, binds in walk_cmd(
            SnmpEngine(), auth, transport, ContextData(), ObjectType(ObjectIdentity(oid)), lexicographicMode=False
        ):
            assert not error and not status, (error, status)
            found.update({str(name): value for name, value in binds})
        return found

    return asyncio.run(query())


def test_v2c_get_of_the_system_group(fleet_info: dict[str, Any], device: Any) -> None:
    error, values = get(fleet_info, CommunityData("public"), SYS_DESCR, SYS_NAME, MTXR_LIC_VERSION)
    assert error is None
    assert str(values[SYS_NAME]) == device.identity
    assert str(values[SYS_DESCR]).startswith("RouterOS ")
    assert str(values[MTXR_LIC_VERSION]) == device.version


def test_v2c_walk_of_if_descr_lists_the_interfaces(fleet_info: dict[str, Any], device: Any) -> None:
    names = [str(value) for value in walk(fleet_info, CommunityData("public"), IF_DESCR).values()]
    assert names == [row["name"] for row in device.snmp_view()["interfaces"]]


def test_v2c_getbulk_returns_many_rows_in_one_reply(fleet_info: dict[str, Any], device: Any) -> None:
    async def query() -> list[Any]:
        transport = await UdpTransportTarget.create((device.address, fleet_info["ports"]["snmp"]), timeout=2)
        error, status, _, binds = await bulk_cmd(
            SnmpEngine(), CommunityData("public"), transport, ContextData(), 0, 5, ObjectType(ObjectIdentity(IF_DESCR))
        )
        assert error is None and not status
        return binds

    binds = asyncio.run(query())
    assert len(binds) == 5
    assert [str(name) for name, _ in binds][:2] == [f"{IF_DESCR}.1", f"{IF_DESCR}.2"]


def test_64_bit_counters_are_the_interface_byte_counters(fleet_info: dict[str, Any], device: Any) -> None:
    counters = walk(fleet_info, CommunityData("public"), IF_HC_IN_OCTETS)
    expected = {
        f"{IF_HC_IN_OCTETS}.{int(row['.id'][1:], 16)}": int(row["rx-byte"]) for row in device.print("/interface")
    }
    assert {name: int(value) for name, value in counters.items()} == expected
    assert any(value > 2**32 for value in expected.values())  # beyond what Counter32 could carry


def test_host_resources_processor_and_storage(fleet_info: dict[str, Any], device: Any) -> None:
    loads = walk(fleet_info, CommunityData("public"), HR_PROCESSOR_LOAD)
    storage = walk(fleet_info, CommunityData("public"), HR_STORAGE_DESCR)
    assert len(loads) == device.hw.board.cpu_count
    assert all(0 <= int(load) <= 100 for load in loads.values())
    assert sorted(str(name) for name in storage.values()) == ["main memory", "system disk"]


def test_v3_auth_priv_with_a_routeros_v3_community(fleet_info: dict[str, Any], device: Any) -> None:
    device.add("/snmp/community", V3_COMMUNITY)
    user = UsmUserData(
        "monitor3",
        "auth-secret-1",
        "priv-secret-1",
        authProtocol=usmHMACSHAAuthProtocol,
        privProtocol=usmAesCfb128Protocol,
    )
    error, values = get(fleet_info, user, SYS_NAME)
    assert error is None
    assert str(values[SYS_NAME]) == device.identity

    wrong = UsmUserData(
        "monitor3",
        "not-the-key",
        "priv-secret-1",
        authProtocol=usmHMACSHAAuthProtocol,
        privProtocol=usmAesCfb128Protocol,
    )
    error, _ = get(fleet_info, wrong, SYS_NAME)
    assert error is not None


def test_unknown_community_gets_no_answer(fleet_info: dict[str, Any]) -> None:
    error, _ = get(fleet_info, CommunityData("guess"), SYS_NAME, timeout=0.3)
    assert "No SNMP response" in str(error)


def test_offline_device_is_silent(fleet_info: dict[str, Any]) -> None:
    fleet = fleet_info["fleet"]
    fleet.set_fault(3, "offline")
    try:
        error, _ = get(fleet_info, CommunityData("public"), SYS_NAME, index=3, timeout=0.3)
    finally:
        fleet.set_fault(3, None)
    assert "No SNMP response" in str(error)
    error, _ = get(fleet_info, CommunityData("public"), SYS_NAME, index=3)
    assert error is None


def test_each_address_answers_for_its_own_device(fleet_info: dict[str, Any]) -> None:
    fleet = fleet_info["fleet"]
    for index in range(4):
        _, values = get(fleet_info, CommunityData("public"), SYS_NAME, index=index)
        assert str(values[SYS_NAME]) == fleet.device(index).identity


def apt_get(*args: str) -> int:
    try:
        return subprocess.run(["apt-get", *args], capture_output=True, timeout=300).returncode
    except (OSError, subprocess.TimeoutExpired):
        return 1


@pytest.fixture(scope="module")
def snmpwalk() -> str:
    """net-snmp's snmpwalk, installed from Debian if missing (skipped if that is impossible)."""
    if shutil.which("snmpwalk") is None and apt_get("install", "-y", "-q", "snmp") != 0:
        apt_get("update", "-q")  # a fresh machine has no package lists yet
        apt_get("install", "-y", "-q", "snmp")
    path = shutil.which("snmpwalk")
    if path is None:
        pytest.skip("snmpwalk is not installed and apt-get could not install it")
    return path


def net_snmp(tool: str, info: dict[str, Any], options: list[str], oid: str = "", index: int = 2) -> list[str]:
    address = f"{info['fleet'].address(index)}:{info['ports']['snmp']}"
    command = [tool, "-On", "-t", "2", *options, address, *([oid] if oid else [])]
    result = subprocess.run(command, capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_snmpwalk_of_the_mikrotik_subtree(fleet_info: dict[str, Any], device: Any, snmpwalk: str) -> None:
    lines = net_snmp(snmpwalk, fleet_info, ["-v2c", "-c", "public"], "1.3.6.1.4.1.14988")
    version_line = next(line for line in lines if line.startswith("." + MTXR_LIC_VERSION + " "))
    assert version_line.endswith(f'STRING: "{device.version}"')


def test_snmpwalk_of_the_wireless_registration_table(fleet_info: dict[str, Any], snmpwalk: str) -> None:
    device = fleet_info["fleet"].device(WIRELESS_DEVICE)
    # The registration table is indexed by MAC address: a client without a 6-byte MAC
    # cannot appear in it.
    clients = [client for client in device.snmp_view()["wireless"] if len(mac_bytes(client["mac"])) == 6]
    assert clients, "the chosen device should have wireless clients"
    lines = net_snmp(snmpwalk, fleet_info, ["-v2c", "-c", "public"], MTXR_WL_RTAB_STRENGTH, index=WIRELESS_DEVICE)
    signals = sorted(int(line.rsplit(" ", 1)[1]) for line in lines)
    assert signals == sorted(int(client["signal"]) for client in clients)


def test_snmpbulkwalk_v3_auth_priv(fleet_info: dict[str, Any], device: Any, snmpwalk: str) -> None:
    if V3_COMMUNITY["name"] not in [row["name"] for row in device.print("/snmp/community")]:
        device.add("/snmp/community", V3_COMMUNITY)
    v3 = [
        "-v3",
        "-l",
        "authPriv",
        "-u",
        "monitor3",
        "-a",
        "SHA",
        "-A",
        "auth-secret-1",
        "-x",
        "AES",
        "-X",
        "priv-secret-1",
    ]
    lines = net_snmp(shutil.which("snmpbulkwalk") or "snmpbulkwalk", fleet_info, v3, IF_DESCR)
    assert [line.split('"')[1] for line in lines] == [row["name"] for row in device.snmp_view()["interfaces"]]
