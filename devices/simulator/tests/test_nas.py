"""The simulated device as a RADIUS NAS, against a small RADIUS server built on the project's codec
(real UDP sockets; the end-to-end run against our own server is radius/server/tests/test_simulator_nas.py)."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request

import pytest

from devices.simulator.nas import parse_rate
from devices.simulator.testing import running_fleet
from radius.protocol.auth import authenticate
from radius.protocol.client import check_reply
from radius.protocol.definitions import ACCT_STATUS_TYPES
from radius.protocol.packet import Code, Packet, decode_packet

SECRET = b"sim-nas-secret-0123"


class TinyRadius:
    """Accepts alice/alice-pw (any method), records every request with its source address."""

    def __init__(self) -> None:
        self.auth = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.acct = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for sock in (self.auth, self.acct):
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(0.1)
        self.requests: list[tuple[str, Packet]] = []
        self.running = True
        self.threads = [threading.Thread(target=self._serve, args=(s,), daemon=True) for s in (self.auth, self.acct)]
        for thread in self.threads:
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        while self.running:
            try:
                data, addr = sock.recvfrom(4096)
            except TimeoutError:
                continue
            request = decode_packet(data, SECRET)
            request.verify_request(require_message_authenticator=request.code == Code.ACCESS_REQUEST)
            self.requests.append((addr[0], request))
            if request.code == Code.ACCOUNTING_REQUEST:
                sock.sendto(request.reply(Code.ACCOUNTING_RESPONSE).encode(), addr)
                continue
            result = authenticate(request, "alice-pw")
            reply = request.reply(Code.ACCESS_ACCEPT if result.accepted else Code.ACCESS_REJECT)
            if result.accepted:
                for name, value in result.reply:
                    reply.add(name, value)
                reply.add("Mikrotik-Rate-Limit", "2M/16M")
                reply.add("Session-Timeout", 3600)
                reply.add("Mikrotik-Total-Limit", 5)
                reply.add("Mikrotik-Total-Limit-Gigawords", 1)
            sock.sendto(reply.encode(), addr)

    def accounting(self, status: str) -> list[Packet]:
        return [
            p
            for _, p in self.requests
            if p.code == Code.ACCOUNTING_REQUEST and p.get("Acct-Status-Type") == ACCT_STATUS_TYPES[status]
        ]

    def wait(self, status: str, count: int = 1, timeout: float = 5.0) -> list[Packet]:
        deadline = time.monotonic() + timeout
        while len(self.accounting(status)) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.accounting(status)

    def close(self) -> None:
        self.running = False
        for thread in self.threads:
            thread.join(2)
        self.auth.close()
        self.acct.close()


@pytest.fixture(scope="module")
def nas_fleet():
    radius = TinyRadius()
    with running_fleet(count=2, seed=3, protocols=(), radius_interim=0.1) as info:
        fleet = info["fleet"]
        for index in range(2):
            dev = fleet.device(index)
            for row in list(dev.state.tables.get("/radius", ())):
                dev.remove("/radius", row[".id"])
            dev.add(
                "/radius",
                {
                    "service": "hotspot,ppp",
                    "address": "127.0.0.1",
                    "secret": SECRET.decode(),
                    "authentication-port": str(radius.auth.getsockname()[1]),
                    "accounting-port": str(radius.acct.getsockname()[1]),
                    "timeout": "500ms",
                },
            )
            dev.set("/radius/incoming", None, {"accept": "yes", "port": "0"})
        yield info, radius
    radius.close()


def _incoming_port(fleet, index: int) -> int:
    listener = fleet.nas(index)._listener
    return listener.get_extra_info("sockname")[1]


def _send(packet: Packet, address: str, port: int, source: str = "127.0.0.1") -> Packet | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(0.5)
        sock.sendto(packet.encode(), (address, port))
        try:
            data, _ = sock.recvfrom(4096)
        except TimeoutError:
            return None
    return check_reply(data, packet, require_message_authenticator=False)


def test_parse_rate_reads_the_first_pair():
    assert parse_rate("2M/16M 4M/32M 1M/8M 10/10 8") == (2_000_000, 16_000_000)
    assert parse_rate("512k") == (512_000, 512_000)
    assert parse_rate("") == (0, 0)


def test_hotspot_login_sends_pap_from_the_device_address_and_opens_a_session(nas_fleet):
    info, radius = nas_fleet
    fleet = info["fleet"]
    result = fleet.subscriber_login(0, "alice", "alice-pw", mac="AA:BB:CC:00:00:01", rate_bps=80_000_000)
    assert result["result"] == "accept", result
    source, request = next((a, p) for a, p in radius.requests if p.code == Code.ACCESS_REQUEST)
    assert source == fleet.nas_address(0) == info["devices"][0]["address"]
    assert "User-Password" in request and "Message-Authenticator" in request
    assert request.get("NAS-Identifier") == fleet.device(0).identity
    assert str(request.get("NAS-IP-Address")) == source
    assert request.get("Calling-Station-Id") == "AA:BB:CC:00:00:01"
    assert request.get("Framed-IP-Address") is not None
    session = result["session"]
    assert session["rate_limit"] == "2M/16M" and session["session_timeout"] == 3600
    assert session["limits"]["total-limit"] == (1 << 32) + 5
    rows = fleet.device(0).rows("/ip/hotspot/active")
    mine = [r for r in rows if r.get("radius") == "true"]
    assert mine and mine[0]["user"] == "alice" and mine[0]["rate-limit"] == "2M/16M"
    # interims every 0.1 s with counters growing at the rate-limited 16 Mbit/s download
    interims = radius.wait("Interim-Update", 2)
    first, second = interims[0], interims[-1]
    assert second.get("Acct-Output-Octets") > first.get("Acct-Output-Octets") > 0
    assert first.get("Acct-Session-Id") == session["session_id"]
    assert fleet.subscriber_logout(0, "alice") == 1
    stop = radius.wait("Stop")[-1]
    assert stop.get("Acct-Terminate-Cause") == 1  # User-Request
    assert not [r for r in fleet.device(0).rows("/ip/hotspot/active") if r.get("radius") == "true"]


@pytest.mark.parametrize("method", ["chap", "mschap2"])
def test_chap_and_mschap2_logins_are_accepted_and_a_wrong_password_rejected(nas_fleet, method):
    fleet = nas_fleet[0]["fleet"]
    assert fleet.subscriber_login(1, "alice", "alice-pw", method=method, service="ppp")["result"] == "accept"
    assert fleet.subscribers(1)[0]["method"] == method
    assert [r["name"] for r in fleet.device(1).rows("/ppp/active") if r.get("radius") == "true"] == ["alice"]
    assert fleet.subscriber_login(1, "alice", "wrong", method=method)["result"] == "reject"
    fleet.subscriber_logout(1, "alice")


def test_disconnect_request_ends_the_session_with_admin_reset(nas_fleet):
    info, radius = nas_fleet
    fleet = info["fleet"]
    session = fleet.subscriber_login(0, "alice", "alice-pw")["session"]
    port = _incoming_port(fleet, 0)
    address = fleet.nas_address(0)
    unknown = Packet(Code.DISCONNECT_REQUEST, secret=SECRET).add("Acct-Session-Id", "nope")
    nak = _send(unknown, address, port)
    assert nak.code == Code.DISCONNECT_NAK and nak.get("Error-Cause") == 503
    forged = Packet(Code.DISCONNECT_REQUEST, secret=b"not-the-secret").add("Acct-Session-Id", session["session_id"])
    assert _send(forged, address, port) is None
    assert fleet.subscribers(0)
    stops = len(radius.accounting("Stop"))
    good = Packet(Code.DISCONNECT_REQUEST, secret=SECRET).add("User-Name", "alice")
    good.add("Acct-Session-Id", session["session_id"])
    assert _send(good, address, port).code == Code.DISCONNECT_ACK
    stop = radius.wait("Stop", stops + 1)[-1]
    assert stop.get("Acct-Terminate-Cause") == 6 and stop.get("Acct-Session-Id") == session["session_id"]
    assert fleet.subscribers(0) == []


def test_coa_request_changes_the_rate_of_the_live_session(nas_fleet):
    fleet = nas_fleet[0]["fleet"]
    session = fleet.subscriber_login(0, "alice", "alice-pw", rate_bps=80_000_000)["session"]
    coa = Packet(Code.COA_REQUEST, secret=SECRET).add("Acct-Session-Id", session["session_id"])
    coa.add("Mikrotik-Rate-Limit", "64k/128k")
    assert _send(coa, fleet.nas_address(0), _incoming_port(fleet, 0)).code == Code.COA_ACK
    (now,) = fleet.subscribers(0)
    assert now["rate_limit"] == "64k/128k" and now["coa_count"] == 1
    before = now["bytes_out"]
    time.sleep(0.2)
    grown = fleet.subscribers(0)[0]["bytes_out"] - before
    assert 0 < grown < 128_000 / 8 * 0.5  # 128 kbit/s, not 16 Mbit/s
    fleet.subscriber_logout(0, "alice")


def test_control_endpoint_logs_in_lists_and_logs_out(nas_fleet):
    info, _ = nas_fleet
    url = info["control_url"]

    def call(path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url + path, data=data, method="POST" if body is not None else "GET")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    status, result = call("/subscribers", {"index": 1, "user": "alice", "password": "alice-pw", "rate_bps": 1000})
    assert status == 200 and result["result"] == "accept"
    status, listed = call("/subscribers?index=1")
    assert [s["user"] for s in listed["sessions"]] == ["alice"]
    assert call("/subscribers", {"index": 1, "user": "alice", "password": "x", "service": "nope"})[0] == 400
    assert call("/subscribers/logout", {"index": 1, "user": "alice"}) == (200, {"ended": 1})
    assert call("/subscribers?index=1")[1]["ended"][-1]["terminate_cause"] == "User-Request"
