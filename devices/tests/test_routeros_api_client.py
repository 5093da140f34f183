"""The buffered RouterOS API client against the simulator over real sockets (plain and TLS)."""

import asyncio
import ssl

import pytest

from devices.protocols.routeros_api import ConnectionClosed, TrapError, open_api
from devices.simulator.testing import running_fleet


@pytest.fixture(scope="module")
def fleet():
    with running_fleet(count=4, seed=7, protocols=("api", "api-ssl")) as info:
        yield info


def _run(coro):
    return asyncio.run(coro)


def _device(fleet, index=0):
    return fleet["devices"][index]


def test_login_and_print_resource(fleet):
    dev = _device(fleet)

    async def poll():
        api = await open_api(dev["address"], dev["ports"]["api"], "admin", "sim-admin", timeout=5)
        try:
            resource = (await api.call("/system/resource/print"))[0]
            interfaces = await api.call("/interface/print", "=.proplist=name,rx-byte")
        finally:
            await api.close()
        return resource, interfaces

    resource, interfaces = _run(poll())
    assert resource["version"].startswith(dev["version"].split()[0])
    assert int(resource["total-memory"]) > 0
    assert interfaces and set(interfaces[0]) == {"name", "rx-byte"}
    assert all(row["rx-byte"].isdigit() for row in interfaces)


def test_wrong_password_is_a_trap(fleet):
    dev = _device(fleet, 1)
    with pytest.raises((TrapError, ConnectionClosed)):
        _run(open_api(dev["address"], dev["ports"]["api"], "admin", "wrong", timeout=5))


def test_bad_path_is_a_trap_and_connection_stays_usable(fleet):
    dev = _device(fleet, 2)

    async def go():
        api = await open_api(dev["address"], dev["ports"]["api"], "admin", "sim-admin", timeout=5)
        try:
            with pytest.raises(TrapError):
                await api.call("/no/such/menu/print")
            return await api.call("/system/identity/print")
        finally:
            await api.close()

    assert _run(go())[0]["name"] == _device(fleet, 2)["identity"]


def test_api_ssl_with_pinned_ca(fleet):
    dev = _device(fleet, 3)
    context = ssl.create_default_context(cafile=fleet["ca_pem_path"])
    context.check_hostname = False  # routers are reached by IP; the CA pin is what is verified

    async def go():
        api = await open_api(dev["address"], dev["ports"]["api-ssl"], "admin", "sim-admin", ssl_context=context)
        try:
            return await api.call("/system/identity/print")
        finally:
            await api.close()

    assert _run(go())[0]["name"] == dev["identity"]


def test_large_reply_spanning_many_reads(fleet):
    """A reply bigger than one TCP read is reassembled from the buffer."""
    dev = _device(fleet)

    async def go():
        api = await open_api(dev["address"], dev["ports"]["api"], "admin", "sim-admin", timeout=5)
        try:
            for n in range(300):
                await api.call("/ip/firewall/address-list/add", list="big", address=f"10.9.{n // 250}.{n % 250 + 1}")
            return await api.call("/ip/firewall/address-list/print", "?list=big")
        finally:
            await api.close()

    rows = _run(go())
    assert len(rows) == 300
