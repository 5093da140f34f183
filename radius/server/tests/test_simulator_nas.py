"""End to end over real sockets: simulated routers (devices.simulator as NAS) against our RADIUS
server and PostgreSQL — login, interim usage in the sessions API, Disconnect-Request at the
transfer limit, CoA throttling instead for a throttling limitation, tenant isolation, and the NAS
following its device (a reboot closes its sessions by Accounting-On; offline sends nothing)."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

import pytest

from devices.simulator.testing import running_fleet
from radius.models import AuthLog, Limitation, Session
from radius.protocol.client import RadiusClient, RadiusTimeout
from radius.protocol.packet import Code, Packet
from radius.server.tests.conftest import ServerThread, make_profile, make_radius_user, make_router
from radius.tests.support import url
from tenants.context import tenant_context
from tests.factories import add_member, api_client, make_tenant, make_user

BASE = "127.77.0.0"  # a loopback block of its own: no clash with other fleets on this host
SECRET_A = "acme-nas-secret-0123456789"
SECRET_B = "globex-nas-secret-987654321"
THROTTLED = "64k/128k"


def _free_udp_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def _wait(predicate, timeout: float = 8.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def fleet():
    with running_fleet(
        count=2, seed=5, protocols=(), base_address=BASE, radius_interim=0.2, reboot_seconds=0.3
    ) as info:
        yield info["fleet"]


@pytest.fixture
def world(transactional_db, fleet):
    acme, globex = make_tenant("Acme", slug="acme"), make_tenant("Globex", slug="globex")
    admin = make_user("acme-admin")
    add_member(admin, acme, "admin")
    capped = make_profile(acme, "capped", transfer_limit=600_000)
    throttling = make_profile(
        acme,
        "fair",
        transfer_limit=600_000,
        rate_limit_rx=2_000_000,
        rate_limit_tx=16_000_000,
        on_limit_reached="throttle",
        throttle_rate_limit=THROTTLED,
    )
    standard = make_profile(globex, "standard")
    make_radius_user(acme, "capped", "capped-pw", capped)
    make_radius_user(acme, "fair", "fair-pw", throttling)
    make_radius_user(acme, "shared", "acme-pw", capped)
    make_radius_user(globex, "shared", "globex-pw", standard)
    make_radius_user(globex, "onlyb", "onlyb-pw", standard)
    coa_ports = {i: _free_udp_port(fleet.nas_address(i)) for i in range(2)}
    make_router(acme, "acme-hotspot", fleet.nas_address(0), SECRET_A, coa_port=coa_ports[0])
    make_router(globex, "globex-hotspot", fleet.nas_address(1), SECRET_B, coa_port=coa_ports[1])
    with ServerThread() as server:
        for index, secret in ((0, SECRET_A), (1, SECRET_B)):
            dev = fleet.device(index)
            for row in list(dev.state.tables.get("/radius", ())):
                dev.remove("/radius", row[".id"])
            dev.add(
                "/radius",
                {
                    "service": "hotspot,ppp",
                    "address": "127.0.0.1",
                    "secret": secret,
                    "authentication-port": str(server.auth_port),
                    "accounting-port": str(server.acct_port),
                    "timeout": "1s",
                },
            )
            dev.set("/radius/incoming", None, {"accept": "yes", "port": str(coa_ports[index])})
        yield SimpleNamespace(server=server, acme=acme, globex=globex, api=api_client(admin), coa_ports=coa_ports)
        for index in range(2):
            for session in fleet.subscribers(index):
                fleet.subscriber_logout(index, session_id=session["session_id"])


def _api_session(world, user: str) -> dict | None:
    rows = world.api.get(url("acme", "sessions/"), {"username": user}).json()["results"]
    rows = [r for r in rows if r["username"] == user]
    return rows[0] if rows else None


def test_hotspot_user_is_disconnected_when_the_transfer_limit_is_reached(fleet, world):
    result = fleet.subscriber_login(0, "capped", "capped-pw", rate_bps=8_000_000)  # 1 MB/s download
    assert result["result"] == "accept", result
    session_id = result["session"]["session_id"]
    # interim updates raise the usage the sessions API shows while the session is still up
    live = _wait(lambda: (s := _api_session(world, "capped")) and s["download_bytes"] > 0 and s, what="usage")
    assert live["acct_session_id"] == session_id and live["nas_name"] == "acme-hotspot"
    # then the limit: Disconnect-Request, the simulator ends the session and sends Stop (Admin-Reset)
    _wait(lambda: not fleet.subscribers(0), what="the simulator session to end")
    ended = fleet.nas(0).ended[-1]
    assert ended["session_id"] == session_id and ended["terminate_cause"] == "Admin-Reset"
    closed = _wait(
        lambda: (s := _api_session(world, "capped")) and s["status"] == "closed" and s, what="the closed session"
    )
    assert closed["terminate_cause"] == "um-limits-reached"
    assert closed["download_bytes"] >= 600_000 - closed["upload_bytes"]
    assert world.server.stats.disconnect_ack >= 1
    # and the next login is rejected: nothing left
    assert fleet.subscriber_login(0, "capped", "capped-pw")["result"] == "reject"


def test_throttling_limitation_changes_the_rate_by_coa_and_the_session_continues(fleet, world):
    result = fleet.subscriber_login(0, "fair", "fair-pw", rate_bps=80_000_000)
    assert result["result"] == "accept" and result["session"]["rate_limit"].startswith("2000000/16000000")
    session_id = result["session"]["session_id"]
    throttled = _wait(
        lambda: [s for s in fleet.subscribers(0) if s["rate_limit"] == THROTTLED], what="the CoA rate change"
    )
    assert throttled[0]["session_id"] == session_id and throttled[0]["coa_count"] == 1
    # the session goes on (no Disconnect) and the database records the CoA
    time.sleep(0.5)
    assert [s["session_id"] for s in fleet.subscribers(0)] == [session_id]
    recorded = _wait(
        lambda: (s := _api_session(world, "fair")) and s["coa_result"] == "ack" and s, what="the recorded CoA"
    )
    assert recorded["status"] == "active" and recorded["throttled_rate_limit"] == THROTTLED
    assert world.server.stats.disconnect_ack == 0
    # the next Access-Request of that user gets the throttled rate
    assert fleet.subscriber_logout(0, "fair") == 1
    again = fleet.subscriber_login(0, "fair", "fair-pw")
    assert again["result"] == "accept" and again["session"]["rate_limit"] == THROTTLED
    with tenant_context(world.acme.id):
        assert Limitation.objects.get(name="fair limits").on_limit_reached == "throttle"


def test_a_nas_of_one_tenant_cannot_authenticate_a_user_of_another(fleet, world):
    # device 1 is globex's NAS: its "shared" is globex's user, acme's password does not open it
    assert fleet.subscriber_login(1, "shared", "acme-pw")["result"] == "reject"
    assert fleet.subscriber_login(1, "shared", "globex-pw")["result"] == "accept"
    # device 0 is acme's NAS: globex's user does not exist there
    assert fleet.subscriber_login(0, "onlyb", "onlyb-pw")["result"] == "reject"
    with tenant_context(world.globex.id):
        _wait(lambda: Session.objects.filter(username="shared").exists(), what="globex's session")
        assert Session.objects.get(username="shared").nas.name == "globex-hotspot"
    with tenant_context(world.acme.id):
        assert not Session.objects.filter(username="shared").exists()
        rejected = AuthLog.objects.filter(username="onlyb", result="reject")
        _wait(rejected.exists, what="the logged reject (written in batches)")


def _globex_sessions(world) -> dict[str, tuple]:
    with tenant_context(world.globex.id):
        return {
            s.acct_session_id: (s.status, s.terminate_cause, s.ended_at)
            for s in Session.objects.filter(nas__name="globex-hotspot")
        }


def test_a_rebooted_router_ends_its_sessions_and_its_accounting_on_closes_them_on_the_platform(fleet, world):
    ids = set()
    for user, password in (("shared", "globex-pw"), ("onlyb", "onlyb-pw")):
        result = fleet.subscriber_login(1, user, password)
        assert result["result"] == "accept", result
        ids.add(result["session"]["session_id"])
    _wait(lambda: {k for k, v in _globex_sessions(world).items() if v[0] == "active"} == ids, what="2 active")
    output = fleet.device(1).cli("/system reboot")  # the CLI command, as an admin types it
    assert "failure" not in output and "bad command" not in output, output
    _wait(lambda: not fleet.subscribers(1), what="the simulator to drop its sessions")
    assert {e["session_id"]: e["terminate_cause"] for e in fleet.nas(1).ended[-2:]} == dict.fromkeys(ids, "NAS-Reboot")
    # while it boots it sends nothing
    down = fleet.subscriber_login(1, "shared", "globex-pw")
    assert down == {"result": "not-sent", "reason": "the router is rebooting: no Access-Request sent"}
    closed = _wait(
        lambda: (rows := _globex_sessions(world)) and all(v[0] == "closed" for v in rows.values()) and rows,
        what="Accounting-On to close the sessions",
    )
    assert {k: v[1] for k, v in closed.items()} == dict.fromkeys(ids, "nas-reboot")
    assert fleet.nas(1).accounting_on_sent == 1
    # back up: a new login is a new open session; a repeated Accounting-On changes nothing closed
    again = fleet.subscriber_login(1, "onlyb", "onlyb-pw")
    assert again["result"] == "accept", again
    new_id = again["session"]["session_id"]
    _wait(lambda: _globex_sessions(world).get(new_id, ("",))[0] == "active", what="the new session")
    fleet.subscriber_logout(1, session_id=new_id)
    _wait(lambda: _globex_sessions(world)[new_id][0] == "closed", what="the new session's Stop")
    server = fleet.nas(1).servers("hotspot")[0]
    assert fleet._on_loop(fleet.nas(1)._accounting_on(server)) is True
    assert fleet._on_loop(fleet.nas(1)._accounting_on(server)) is True
    time.sleep(0.2)  # two flush intervals
    after = _globex_sessions(world)
    assert {k: after[k] for k in closed} == closed
    assert after[new_id][1] == "user-request"


def test_an_offline_or_black_holed_router_sends_no_login_and_answers_no_disconnect(fleet, world):
    nas = fleet.nas(1)
    fleet._on_loop(nas.sync_incoming())  # /radius incoming accept=yes: listening on its CoA port
    device = fleet.device(1)
    secret = SECRET_B.encode()

    def disconnect() -> str:
        request = Packet(Code.DISCONNECT_REQUEST, secret=secret)
        request.add("User-Name", "shared")

        async def send():
            async with RadiusClient(
                fleet.nas_address(1), world.coa_ports[1], secret, timeout=0.3, retries=1, source="127.0.0.1"
            ) as client:
                return (await client.send(request)).code

        try:
            return Code(fleet._on_loop(send())).name
        except RadiusTimeout:
            return "no answer"

    assert disconnect() == "DISCONNECT_NAK"  # up: it answers (no such session)
    requests = world.server.stats.access_requests
    try:
        for fault in ("offline", "blackhole"):
            device.set_fault(fault)
            result = fleet.subscriber_login(1, "shared", "globex-pw")
            assert result == {"result": "not-sent", "reason": f"the router is {fault}: no Access-Request sent"}
            assert disconnect() == "no answer"
        assert world.server.stats.access_requests == requests
    finally:
        device.set_fault(None)
    assert fleet.subscriber_login(1, "shared", "globex-pw")["result"] == "accept"


def test_a_reboot_loop_fault_ends_the_sessions_at_each_down_phase(fleet, world):
    sent = fleet.nas(1).accounting_on_sent
    fleet.set_fault(1, "reboot-loop:1s")  # up 1 s, down for the reboot (0.3 s), again
    try:
        result = fleet.subscriber_login(1, "shared", "globex-pw")
        assert result["result"] == "accept", result
        session_id = result["session"]["session_id"]
        _wait(lambda: _globex_sessions(world).get(session_id, ("",))[0] == "active", what="the session")
        _wait(lambda: not fleet.subscribers(1), what="the loop's reboot to end the session")
        assert fleet.nas(1).ended[-1]["terminate_cause"] == "NAS-Reboot"
        _wait(lambda: fleet.nas(1).accounting_on_sent > sent, what="Accounting-On after the reboot")
        closed = _wait(lambda: (row := _globex_sessions(world)[session_id])[0] == "closed" and row, what="closed")
        assert closed[1] == "nas-reboot"
    finally:
        fleet.set_fault(1, None)
