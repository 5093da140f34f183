"""Accounting is idempotent under retransmission; shared-users and transfer limits hold."""

from __future__ import annotations

from radius.models import AuthLog, Session
from radius.protocol.client import access_request
from radius.protocol.packet import Code, Packet
from radius.server.tests.conftest import SECRET_A, exchange
from tenants.context import tenant_context


def accounting_request(status: str, session_id: str, user: str = "alice", **counters) -> Packet:
    packet = Packet(Code.ACCOUNTING_REQUEST, secret=SECRET_A.encode())
    packet.add("User-Name", user)
    packet.add("Acct-Status-Type", status)
    packet.add("Acct-Session-Id", session_id)
    for name, value in counters.items():
        packet.add(name.replace("_", "-"), value)
    return packet


def test_retransmitted_and_repeated_accounting_changes_nothing(running):
    port = running.server.acct_port
    interim = accounting_request("Interim-Update", "r-1", Acct_Input_Octets=10, Acct_Output_Octets=20)
    data = interim.encode()
    for _ in range(3):  # same bytes from new source ports: past the duplicate cache, into the logic
        assert exchange(interim, port, data=data).code == Code.ACCOUNTING_RESPONSE
    stop = accounting_request("Stop", "r-1", Acct_Input_Octets=30, Acct_Output_Octets=40, Acct_Session_Time=5)
    stop_data = stop.encode()
    assert exchange(stop, port, data=stop_data).code == Code.ACCOUNTING_RESPONSE
    assert exchange(stop, port, data=stop_data).code == Code.ACCOUNTING_RESPONSE
    late = accounting_request("Interim-Update", "r-1", Acct_Input_Octets=999, Acct_Output_Octets=999)
    assert exchange(late, port).code == Code.ACCOUNTING_RESPONSE
    with tenant_context(running.um.acme.id):
        sessions = list(Session.objects.filter(acct_session_id="r-1"))
    assert len(sessions) == 1
    s = sessions[0]
    assert (s.upload_bytes, s.download_bytes, s.uptime_s, s.status) == (30, 40, 5, "closed")


def test_duplicate_cache_answers_a_retransmission_with_the_same_reply(running):
    import socket

    packet = accounting_request("Start", "d-1")
    data = packet.encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(2)
        sock.sendto(data, ("127.0.0.1", running.server.acct_port))
        first, _ = sock.recvfrom(4096)
        sock.sendto(data, ("127.0.0.1", running.server.acct_port))
        second, _ = sock.recvfrom(4096)
    assert first == second
    assert running.server.stats.duplicates >= 1


def test_shared_users_limit_rejects_a_second_session(running):
    auth, acct = running.server.auth_port, running.server.acct_port
    assert exchange(access_request("alice", "alice-pw", SECRET_A.encode()), auth).code == Code.ACCESS_ACCEPT
    assert exchange(accounting_request("Start", "sh-1"), acct).code == Code.ACCOUNTING_RESPONSE
    assert exchange(access_request("alice", "alice-pw", SECRET_A.encode()), auth).code == Code.ACCESS_REJECT
    assert exchange(accounting_request("Stop", "sh-1"), acct).code == Code.ACCOUNTING_RESPONSE
    assert exchange(access_request("alice", "alice-pw", SECRET_A.encode()), auth).code == Code.ACCESS_ACCEPT
    running.handle.flush()
    with tenant_context(running.um.acme.id):
        assert AuthLog.objects.filter(reason="shared-users limit (1) reached for user <alice>").exists()


def test_transfer_limit_used_up_rejects_with_reason(running):
    auth, acct = running.server.auth_port, running.server.acct_port
    first = exchange(access_request("capped", "capped-pw", SECRET_A.encode()), auth)
    assert first.code == Code.ACCESS_ACCEPT
    assert first.get("Mikrotik-Total-Limit") == 1000
    stop = accounting_request("Stop", "c-1", user="capped", Acct_Input_Octets=400, Acct_Output_Octets=600)
    assert exchange(stop, acct).code == Code.ACCOUNTING_RESPONSE
    assert exchange(access_request("capped", "capped-pw", SECRET_A.encode()), auth).code == Code.ACCESS_REJECT
    running.handle.flush()
    with tenant_context(running.um.acme.id):
        log = AuthLog.objects.filter(username="capped", result="reject").get()
    assert log.reason == "transfer limit reached for user <capped>"
