"""One device, five protocols: a change made over the API shows in SSH, REST and SNMP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import paramiko
import pytest
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    get_cmd,
    walk_cmd,
)

from devices.simulator.testing import running_fleet
from devices.simulator.tests.conftest import api_connect

DEVICE = 1  # seed 3: a CRS326 on RouterOS 7.17
SYS_NAME = "1.3.6.1.2.1.1.5.0"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT_OCTETS = "1.3.6.1.2.1.31.1.1.1.10"


@pytest.fixture(scope="module")
def fleet_info() -> Iterator[dict[str, Any]]:
    # A stopped clock freezes traffic counters, so "the same moment" is every moment.
    with running_fleet(("api", "ssh", "rest", "snmp"), count=2, seed=3, clock_speed=0.0, control_port=None) as info:
        assert info["fleet"].device(DEVICE).major == 7
        yield info


@pytest.fixture
def api(fleet_info: dict[str, Any]) -> Iterator[Any]:
    connection = api_connect(fleet_info, DEVICE)
    yield connection
    connection.close()


def ssh_export(info: dict[str, Any]) -> str:
    creds = info["credentials"]
    with paramiko.SSHClient() as client:
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        client.connect(
            info["fleet"].address(DEVICE),
            info["ports"]["ssh"],
            creds["username"],
            creds["password"],
            allow_agent=False,
            look_for_keys=False,
            timeout=5,
        )
        _, stdout, _ = client.exec_command("/export", timeout=5)
        return stdout.read().decode().replace("\r\n", "\n")


def rest_get(info: dict[str, Any], path: str) -> Any:
    creds = info["credentials"]
    url = f"https://{info['fleet'].address(DEVICE)}:{info['ports']['rest']}/rest{path}"
    response = httpx.get(
        url, auth=(creds["username"], creds["password"]), verify=info["fleet"].client_ssl_context(), timeout=5
    )
    response.raise_for_status()
    return response.json()


def snmp_walk(info: dict[str, Any], oid: str) -> dict[str, Any]:
    async def query() -> dict[str, Any]:
        transport = await UdpTransportTarget.create((info["fleet"].address(DEVICE), info["ports"]["snmp"]), timeout=2)
        found: dict[str, Any] = {}
        async for error, status, _, binds in walk_cmd(
            SnmpEngine(),
            CommunityData("public"),
            transport,
            ContextData(),
            ObjectType(ObjectIdentity(oid)),
            lexicographicMode=False,
        ):
            assert not error and not status, (error, status)
            found.update({str(name): value for name, value in binds})
        return found

    return asyncio.run(query())


def snmp_get(info: dict[str, Any], oid: str, timeout: float = 2.0) -> Any:
    async def query() -> Any:
        address = (info["fleet"].address(DEVICE), info["ports"]["snmp"])
        transport = await UdpTransportTarget.create(address, timeout=timeout, retries=0)
        error, status, _, binds = await get_cmd(
            SnmpEngine(), CommunityData("public"), transport, ContextData(), ObjectType(ObjectIdentity(oid))
        )
        assert not error and not status, (error, status)
        return binds[0][1]

    return asyncio.run(query())


def test_identity_set_over_the_api_shows_in_ssh_rest_and_snmp(fleet_info: dict[str, Any], api: Any) -> None:
    tuple(api("/system/identity/set", name="core-ams-7"))
    assert "/system identity\nset name=core-ams-7\n" in ssh_export(fleet_info)
    assert rest_get(fleet_info, "/system/identity") == {"name": "core-ams-7"}
    assert str(snmp_get(fleet_info, SYS_NAME)) == "core-ams-7"


def test_vlan_added_over_the_api_shows_in_ssh_rest_and_snmp(fleet_info: dict[str, Any], api: Any) -> None:
    api.path("interface", "vlan").add(name="vlan77", interface="ether1", **{"vlan-id": "77"})
    export = ssh_export(fleet_info)
    assert "/interface vlan\nadd interface=ether1 name=vlan77 vlan-id=77\n" in export
    assert [row["name"] for row in rest_get(fleet_info, "/interface/vlan")] == ["vlan77"]
    assert "vlan77" in [str(name) for name in snmp_walk(fleet_info, IF_DESCR).values()]


def test_traffic_counters_agree_across_api_rest_and_snmp(fleet_info: dict[str, Any], api: Any) -> None:
    busy = next(row for row in api.path("interface") if row["rx-byte"] > 0)
    index = int(busy[".id"][1:], 16)  # RouterOS ifIndex is the interface's internal id
    rest_row = rest_get(fleet_info, f"/interface/{busy['.id']}")
    assert int(rest_row["rx-byte"]) == busy["rx-byte"]
    assert int(rest_row["tx-byte"]) == busy["tx-byte"]
    assert int(snmp_get(fleet_info, f"{IF_HC_IN_OCTETS}.{index}")) == busy["rx-byte"]
    assert int(snmp_get(fleet_info, f"{IF_HC_OUT_OCTETS}.{index}")) == busy["tx-byte"]


def test_an_offline_device_is_gone_on_every_protocol(fleet_info: dict[str, Any]) -> None:
    fleet = fleet_info["fleet"]
    fleet.set_fault(DEVICE, "offline")
    try:
        with pytest.raises(Exception):  # noqa: B017 - librouteros raises its own connection errors
            api_connect(fleet_info, DEVICE, timeout=1)
        with pytest.raises((paramiko.SSHException, OSError, EOFError)):
            ssh_export(fleet_info)
        with pytest.raises(httpx.TransportError):
            rest_get(fleet_info, "/system/identity")
        with pytest.raises(AssertionError, match="No SNMP response"):
            snmp_get(fleet_info, SYS_NAME, timeout=0.3)
    finally:
        fleet.set_fault(DEVICE, None)
