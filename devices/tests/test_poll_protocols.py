# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""devices.poll_batch over REST and SNMP (v2c, v3) against the simulator over real sockets:
the same status, facts and stored numbers as an API poll of the same simulated router; the
fallback from a closed API port to REST; faults (wrong community, wrong key, 401, garbage) as
recorded states. The fleet's clock is stopped, so every protocol sees the same moment."""

from __future__ import annotations

import socket
import time

import pytest

from devices.models import DeviceEvent
from devices.services import set_secret
from devices.simulator.testing import running_fleet
from tenants.context import tenant_context
from tests.factories import make_device, sim_device_fields

from .poll_support import SIM_PASSWORD, LoginFailures, fresh_poll_state, poll, reload, rows, world  # noqa: F401

pytestmark = pytest.mark.django_db

V3_COMMUNITY = {
    "name": "mikman3",
    "security": "private",
    "authentication-protocol": "SHA1",
    "authentication-password": "auth-secret-h1",
    "encryption-protocol": "AES",
    "encryption-password": "priv-secret-h1",
}
WIRELESS = 0  # seed 3: device 0 is a RouterOS 7 hAP ax² with wireless clients
V7 = 1  # RouterOS 7.17, no radio
V6 = 2  # RouterOS 6.49: no REST
SPARE = 3  # RouterOS 7.12, for the test that switches its API service off and on


@pytest.fixture(scope="module")
def sim():
    with running_fleet(("api", "api-ssl", "rest", "snmp", "ssh"), count=6, seed=3, clock_speed=0.0) as info:
        info["fleet"].device(WIRELESS).add("/snmp/community", V3_COMMUNITY)
        yield info
        from devices.polling.engine import engine

        engine().forget_all()  # no pooled REST session outlives the fleet


@pytest.fixture
def fleet(sim):
    indices = [d["index"] for d in sim["devices"]]
    sim["fleet"].set_fault(indices, None)
    yield sim
    sim["fleet"].set_fault(indices, None)


def device_over(
    tenant, fleet, index: int, protocol: str, *, fallbacks=(), password=SIM_PASSWORD, secrets=None, **extra
):
    """A device of `tenant` that reaches simulated device `index`, preferring `protocol`."""
    fields = sim_device_fields(
        fleet["devices"][index], protocol=protocol, fallback_protocols=list(fallbacks), username="admin", **extra
    )
    device = make_device(tenant, None, password=password, **fields)
    if secrets:
        with tenant_context(tenant.id):
            for name, value in secrets.items():
                set_secret(device, name, value)
            device.save()
    return device


def stored(tenant, device) -> dict:
    (sample,) = rows(
        tenant,
        "SELECT cpu, mem_used, mem_total, disk_used, disk_total, uptime_s, temperature, voltage "
        "FROM devices_devicesample WHERE device_id = %s",
        [device.pk],
    )
    interfaces = rows(
        tenant,
        "SELECT ifname, running, rx_bytes, tx_bytes FROM devices_interfacesample WHERE device_id = %s ORDER BY ifname",
        [device.pk],
    )
    wireless = rows(
        tenant, "SELECT clients, signal_avg, signal_min FROM devices_wirelesssample WHERE device_id = %s", [device.pk]
    )
    keys = ("cpu", "mem_used", "mem_total", "disk_used", "disk_total", "uptime_s", "temperature", "voltage")
    return {**dict(zip(keys, sample, strict=True)), "interfaces": interfaces, "wireless": wireless}


FACTS = ("identity", "model", "serial", "ros_version", "firmware", "license_level", "uptime_s")


def polled_ok(device) -> object:
    result = poll(device)
    fresh = reload(device)
    assert result["ok"] == 1, (fresh.status, fresh.status_reason)
    return fresh


def test_rest_poll_stores_what_an_api_poll_stores(world, fleet):
    over_api = polled_ok(device_over(world.acme, fleet, WIRELESS, "api"))
    over_rest = polled_ok(device_over(world.acme, fleet, WIRELESS, "rest"))
    assert over_rest.status == "online" and over_rest.status_reason == ""
    sim = fleet["devices"][WIRELESS]
    assert over_rest.identity == sim["identity"] and over_rest.serial == sim["serial"]
    for fact in (*FACTS, "architecture"):
        assert getattr(over_rest, fact) == getattr(over_api, fact), fact
    api_numbers, rest_numbers = stored(world.acme, over_api), stored(world.acme, over_rest)
    assert rest_numbers == api_numbers
    assert rest_numbers["wireless"] and rest_numbers["wireless"][0][0] > 0, "the hAP has wireless clients"
    assert rest_numbers["temperature"] and rest_numbers["voltage"] and rest_numbers["cpu"] is not None
    # trust on first use: the REST certificate is pinned like API-SSL's
    assert over_rest.tls_fingerprint
    with tenant_context(world.acme.id):
        assert DeviceEvent.objects.filter(device=over_rest, kind="tls").exists()


def assert_same_as_api(world, fleet, over_snmp, index: int) -> None:
    over_api = polled_ok(device_over(world.acme, fleet, index, "api"))
    for fact in FACTS:
        assert getattr(over_snmp, fact) == getattr(over_api, fact), fact
    assert over_snmp.architecture == "", "SNMP has no architecture object"
    api_numbers, snmp_numbers = stored(world.acme, over_api), stored(world.acme, over_snmp)
    for key in ("mem_used", "mem_total", "disk_used", "disk_total"):
        # hrStorage counts in 1 KiB allocation units
        assert abs(snmp_numbers[key] - api_numbers[key]) < 1024, key
    for key in ("cpu", "uptime_s", "temperature", "voltage", "interfaces", "wireless"):
        assert snmp_numbers[key] == api_numbers[key], key


def test_snmp_v2c_poll_stores_what_an_api_poll_stores(world, fleet):
    device = device_over(
        world.acme, fleet, WIRELESS, "snmp", password=None, snmp_version="v2c", secrets={"snmp_community": "public"}
    )
    over_snmp = polled_ok(device)
    assert over_snmp.status == "online" and over_snmp.status_reason == ""
    assert over_snmp.identity == fleet["devices"][WIRELESS]["identity"]
    assert_same_as_api(world, fleet, over_snmp, WIRELESS)
    assert stored(world.acme, over_snmp)["wireless"][0][0] > 0


def test_snmp_v2c_polls_routeros_6(world, fleet):
    device = device_over(
        world.acme, fleet, V6, "snmp", password=None, snmp_version="v2c", secrets={"snmp_community": "public"}
    )
    over_snmp = polled_ok(device)
    assert over_snmp.ros_version.startswith("6.")
    assert_same_as_api(world, fleet, over_snmp, V6)


def test_snmp_v3_auth_priv_poll(world, fleet):
    device = device_over(
        world.acme,
        fleet,
        WIRELESS,
        "snmp",
        password=None,
        snmp_version="v3",
        snmp_v3_user="mikman3",
        secrets={"snmp_v3_auth_key": "auth-secret-h1", "snmp_v3_priv_key": "priv-secret-h1"},
    )
    over_snmp = polled_ok(device)
    assert over_snmp.status == "online"
    assert_same_as_api(world, fleet, over_snmp, WIRELESS)


def test_rates_over_rest_come_from_the_previous_counters(world, fleet):
    """The clock is stopped: the counters do not move, so the second poll's rates are 0."""
    device = device_over(world.acme, fleet, V7, "rest")
    polled_ok(device)
    time.sleep(0.3)
    polled_ok(device)
    rates = rows(
        world.acme,
        "SELECT rx_bps, tx_bps FROM devices_interfacesample WHERE device_id = %s AND rx_bps IS NOT NULL",
        [device.pk],
    )
    assert rates and all(rx == 0 and tx == 0 for rx, tx in rates)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_closed_api_port_falls_back_to_rest_and_says_so(world, fleet):
    device = device_over(world.acme, fleet, V7, "api", fallbacks=["rest"], api_port=closed_port())
    polled = polled_ok(device)
    assert polled.status == "online"
    assert "polled over rest" in polled.status_reason and "api connection refused" in polled.status_reason
    assert polled.identity == fleet["devices"][V7]["identity"]
    assert stored(world.acme, polled)["interfaces"]


def set_service(fleet, index: int, name: str, disabled: bool) -> None:
    sim = fleet["fleet"].device(index)
    (row,) = [r for r in sim.print("/ip/service") if r.get("name") == name]
    sim.set("/ip/service", row[".id"], {"disabled": "yes" if disabled else "no"})


def test_preferred_protocol_is_used_again_when_it_is_back(world, fleet):
    """A fallback connection is given up after POLL_FACTS_EVERY_S (here: at once); the next poll
    tries the preferred protocol first again."""
    from devices.polling.engine import engine

    device = device_over(world.acme, fleet, SPARE, "api", fallbacks=["rest"])
    set_service(fleet, SPARE, "api", disabled=True)
    try:
        polled = polled_ok(device)
        assert polled.status == "online" and "polled over rest (fallback; api connection" in polled.status_reason
    finally:
        set_service(fleet, SPARE, "api", disabled=False)
    every = engine().facts_every_s
    engine().facts_every_s = 0
    try:
        assert polled_ok(device).status_reason == "", "back on the API: the fallback note is gone"
    finally:
        engine().facts_every_s = every


def test_wrong_snmp_community_is_a_recorded_state(world, fleet, settings):
    settings.POLL_CONNECT_TIMEOUT_S = 1
    device = device_over(
        world.acme, fleet, V7, "snmp", password=None, snmp_version="v2c", secrets={"snmp_community": "not-public"}
    )
    result = poll(device)
    assert result["polled"] == 1 and result["failed"] == 1
    device = reload(device)
    assert device.status == "unreachable" and "no SNMP answer" in device.status_reason
    assert not device.auth_blocked and device.consecutive_failures == 1
    with tenant_context(world.acme.id):
        assert DeviceEvent.objects.filter(device=device, kind="status", new="unreachable").exists()


def test_wrong_snmp_v3_key_is_auth_failed(world, fleet):
    device = device_over(
        world.acme,
        fleet,
        WIRELESS,
        "snmp",
        password=None,
        snmp_version="v3",
        snmp_v3_user="mikman3",
        secrets={"snmp_v3_auth_key": "not-the-auth-key", "snmp_v3_priv_key": "priv-secret-h1"},
    )
    assert poll(device)["failed"] == 1
    device = reload(device)
    assert device.status == "auth_failed" and device.auth_blocked


def test_rest_wrong_password_is_auth_failed_and_blocks(world, fleet):
    device = device_over(world.acme, fleet, V7, "rest", fallbacks=["api"], password="wrong")
    assert poll(device)["failed"] == 1
    device = reload(device)
    assert device.status == "auth_failed" and device.auth_blocked and "401" in device.status_reason
    assert poll(device)["polled"] == 0, "blocked: no second login attempt"


def test_rest_on_routeros_6_is_offline_not_a_crash(world, fleet, settings):
    settings.POLL_CONNECT_TIMEOUT_S = 2
    device = device_over(world.acme, fleet, V6, "rest")
    assert poll(device)["failed"] == 1
    assert reload(device).status in ("offline", "unreachable")


def test_snmp_without_a_community_is_recorded(world, fleet):
    device = device_over(world.acme, fleet, V7, "snmp", password=None, snmp_version="v2c")
    poll(device)
    device = reload(device)
    assert device.status == "auth_failed" and "community" in device.status_reason


@pytest.mark.parametrize("index", [WIRELESS, V6])
def test_ssh_poll_stores_what_an_api_poll_stores(world, fleet, index):
    over_api = polled_ok(device_over(world.acme, fleet, index, "api"))
    over_ssh = polled_ok(device_over(world.acme, fleet, index, "ssh"))
    assert over_ssh.status == "online" and over_ssh.status_reason == ""
    for fact in (*FACTS, "architecture"):
        assert getattr(over_ssh, fact) == getattr(over_api, fact), fact
    assert stored(world.acme, over_ssh) == stored(world.acme, over_api)
    assert over_ssh.ssh_host_key.startswith("ssh-"), "the host key is pinned on first use"
    assert polled_ok(over_ssh).status == "online", "and the pinned key is accepted"


def test_ssh_wrong_password_is_auth_failed(world, fleet):
    device = device_over(world.acme, fleet, V7, "ssh", password="wrong")
    assert poll(device)["failed"] == 1
    device = reload(device)
    assert device.status == "auth_failed" and device.auth_blocked


def test_changed_ssh_host_key_is_unreachable_before_login(world, fleet):
    device = device_over(
        world.acme,
        fleet,
        V7,
        "ssh",
        ssh_host_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ",
    )
    failures = LoginFailures(fleet, V7)
    try:
        assert poll(device)["failed"] == 1
    finally:
        failures.close()
    device = reload(device)
    assert device.status == "unreachable" and "host key" in device.status_reason.lower()
    assert failures.count == 0, "no password was sent to the impostor"


def test_rest_verifies_the_fleet_ca_and_refuses_a_changed_certificate(world, fleet):
    with open(fleet["ca_pem_path"]) as ca:
        pem = ca.read()
    assert polled_ok(device_over(world.acme, fleet, V7, "rest", tls_mode="ca", tls_ca_pem=pem)).status == "online"
    pinned_elsewhere = device_over(world.acme, fleet, V7, "rest", tls_mode="fingerprint", tls_fingerprint="ab" * 32)
    failures = LoginFailures(fleet, V7)
    try:
        assert poll(pinned_elsewhere)["failed"] == 1
    finally:
        failures.close()
    device = reload(pinned_elsewhere)
    assert device.status == "unreachable" and "TLS" in device.status_reason
    assert failures.count == 0


def snmp_check(world, device, timeout: float = 5.0):
    """The connectivity check's task body, in-process (the network part is real)."""
    from devices.connectivity import run_check
    from devices.models import ConnectivityCheck

    with tenant_context(world.acme.id):
        check = ConnectivityCheck.objects.create(tenant=world.acme, device=device)
    state = run_check(str(world.acme.id), str(check.pk), timeout=timeout)
    with tenant_context(world.acme.id):
        return state, ConnectivityCheck.objects.get(pk=check.pk)


def test_connectivity_check_of_an_snmp_only_device(world, fleet):
    device = device_over(
        world.acme, fleet, WIRELESS, "snmp", password=None, snmp_version="v2c", secrets={"snmp_community": "public"}
    )
    state, check = snmp_check(world, device)
    assert state == "succeeded" and check.outcome == "ok" and check.protocol == "snmp", check.message
    device = reload(device)
    assert device.status == "online" and device.identity == fleet["devices"][WIRELESS]["identity"]
    assert device.ros_version and device.serial and device.model


def test_connectivity_check_with_a_wrong_community_says_why(world, fleet):
    device = device_over(
        world.acme, fleet, V7, "snmp", password=None, snmp_version="v2c", secrets={"snmp_community": "nope"}
    )
    state, check = snmp_check(world, device, timeout=1.0)
    assert state == "failed" and check.outcome == "timeout" and "No SNMP answer" in check.message
    assert reload(device).status == "unreachable"


def test_cli_print_output_becomes_api_rows():
    from devices.polling.collect_ssh import cli_command, parse_cli
    from devices.protocols.rest import rest_path
    from devices.protocols.routeros_api import TrapError

    assert cli_command(("/interface/wifi/registration-table/print", "=.proplist=interface,signal")) == (
        "/interface wifi registration-table print terse without-paging"
    )
    assert cli_command(("/system/resource/print", "=.proplist=uptime")) == "/system resource print"
    assert rest_path(("/interface/print", "=.proplist=name,type", "?type=ether")) == (
        "/interface",
        {".proplist": "name,type", "type": "ether"},
    )
    rows = parse_cli(
        ' 0   R name=ether1 type=ether rx-byte=10 comment="uplink to a=b"\n 1 X   name=ether2 type=ether rx-byte=0\n'
    )
    assert rows == [
        {"disabled": "false", "running": "true", "name": "ether1", "type": "ether", "rx-byte": "10",
         "comment": "uplink to a=b"},
        {"disabled": "true", "running": "false", "name": "ether2", "type": "ether", "rx-byte": "0"},
    ]  # fmt: skip
    assert parse_cli("          uptime: 1w2d\n         version: 7.16 (stable)\n") == [
        {"uptime": "1w2d", "version": "7.16 (stable)"}
    ]
    trap = parse_cli("no such command prefix\n")
    assert isinstance(trap, TrapError) and trap.message == "no such command prefix"
    assert parse_cli("") == []
