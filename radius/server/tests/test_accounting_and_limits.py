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


def test_accounting_on_closes_the_nas_sessions_once_and_spares_a_login_after_it(um):
    """RFC 2866 Accounting-On (the NAS rebooted): its open sessions end with cause nas-reboot;
    retransmissions change nothing, and a Start right behind it (same write batch) stays open."""
    import socket

    from radius.server.tests.conftest import ServerThread

    with ServerThread(flush_interval=0.3) as server:  # a wide batch: the On and the Start share it
        port = server.acct_port
        for session_id in ("old-1", "old-2"):
            assert exchange(accounting_request("Start", session_id), port).code == Code.ACCOUNTING_RESPONSE
        on = Packet(Code.ACCOUNTING_REQUEST, secret=SECRET_A.encode())
        on.add("Acct-Status-Type", "Accounting-On")
        on.add("Acct-Session-Id", "00000000")
        on_data = on.encode()
        start = accounting_request("Start", "new-1").encode()
        with (
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a,
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b,
        ):
            for sock in (a, b):
                sock.bind(("127.0.0.1", 0))
                sock.settimeout(3)
            a.sendto(on_data, ("127.0.0.1", port))
            b.sendto(start, ("127.0.0.1", port))
            a.recvfrom(4096), b.recvfrom(4096)
        with tenant_context(um.acme.id):
            first = {s.acct_session_id: (s.status, s.terminate_cause, s.ended_at) for s in Session.objects.all()}
        assert {k: v[:2] for k, v in first.items()} == {
            "old-1": ("closed", "nas-reboot"),
            "old-2": ("closed", "nas-reboot"),
            "new-1": ("active", ""),
        }
        for _ in range(2):  # the same bytes from new source ports: past the duplicate cache
            assert exchange(on, port, data=on_data).code == Code.ACCOUNTING_RESPONSE
        with tenant_context(um.acme.id):
            again = {s.acct_session_id: (s.status, s.terminate_cause, s.ended_at) for s in Session.objects.all()}
    assert {k: again[k] for k in ("old-1", "old-2")} == {k: first[k] for k in ("old-1", "old-2")}
