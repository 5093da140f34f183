"""Enforcement: the server sends Disconnect-Request to the NAS's CoA port when a user is disabled
while online or runs out mid-session, and records the terminate cause."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from radius.models import RadiusUser, Router, Session
from radius.protocol.client import access_request
from radius.protocol.packet import Code, decode_packet
from radius.server.tests.conftest import SECRET_A, exchange
from radius.server.tests.test_accounting_and_limits import accounting_request
from tenants.context import tenant_context


class FakeNasCoa:
    """The acme NAS's CoA listener on 127.0.0.1: verifies each Disconnect-Request, answers ACK."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                data, addr = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            request = decode_packet(data, SECRET_A.encode())
            request.verify_request(require_message_authenticator=True)
            self.received.append((request.code, request.get("User-Name"), request.get("Acct-Session-Id")))
            self.sock.sendto(request.reply(Code.DISCONNECT_ACK).encode(), addr)

    def wait(self, count: int = 1, timeout: float = 5.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.received

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def coa(um):
    nas = FakeNasCoa()
    with tenant_context(um.acme.id):
        Router.objects.filter(name="acme-nas").update(coa_port=nas.port)
    yield nas
    nas.close()


@pytest.fixture
def online(coa, running):
    return running


def _session(running, session_id):
    running.handle.flush()
    with tenant_context(running.um.acme.id):
        return Session.objects.get(acct_session_id=session_id)


def test_disabling_an_online_user_disconnects_the_session(coa, online):
    auth, acct = online.server.auth_port, online.server.acct_port
    assert exchange(access_request("alice", "alice-pw", SECRET_A.encode()), auth).code == Code.ACCESS_ACCEPT
    assert exchange(accounting_request("Start", "on-1"), acct).code == Code.ACCOUNTING_RESPONSE
    with tenant_context(online.um.acme.id):
        RadiusUser.objects.filter(name="alice").update(disabled=True)
    assert coa.wait() == [(Code.DISCONNECT_REQUEST, "alice", "on-1")]
    deadline = time.monotonic() + 5
    while online.server.stats.disconnect_ack < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _session(online, "on-1").terminate_cause == "um-user-disabled"
    # the NAS's own Stop closes the session and keeps our cause
    stop = accounting_request("Stop", "on-1", Acct_Terminate_Cause="Admin-Reset")
    assert exchange(stop, acct).code == Code.ACCOUNTING_RESPONSE
    session = _session(online, "on-1")
    assert session.status == "closed" and session.terminate_cause == "um-user-disabled"


def test_transfer_limit_used_up_mid_session_disconnects(coa, online):
    auth, acct = online.server.auth_port, online.server.acct_port
    assert exchange(access_request("capped", "capped-pw", SECRET_A.encode()), auth).code == Code.ACCESS_ACCEPT
    assert exchange(accounting_request("Start", "cap-1", user="capped"), acct).code == Code.ACCOUNTING_RESPONSE
    assert coa.received == []
    interim = accounting_request("Interim-Update", "cap-1", user="capped", Acct_Output_Octets=2000)
    assert exchange(interim, acct).code == Code.ACCOUNTING_RESPONSE
    assert coa.wait() == [(Code.DISCONNECT_REQUEST, "capped", "cap-1")]
    deadline = time.monotonic() + 5
    while online.server.stats.disconnect_ack < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _session(online, "cap-1").terminate_cause == "um-limits-reached"
