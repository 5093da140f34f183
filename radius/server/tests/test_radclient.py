"""Debian's radclient (an independent implementation) against our server: PAP, CHAP, MS-CHAPv2
accepts and rejects, and accounting."""

from __future__ import annotations

import os
import time

from radius.models import AuthLog, Session
from radius.protocol import mschap
from radius.server.tests.conftest import radclient_run
from tenants.context import tenant_context

MA = ", Message-Authenticator = 0x00"


def test_pap_accept_carries_rate_limit_and_message_authenticator(running, radclient):
    out = radclient_run(radclient, running.server.auth_port, "auth", "User-Name = alice, User-Password = alice-pw" + MA)
    assert "Received Access-Accept" in out, out
    reply = out.split("Received Access-Accept")[1]
    assert 'Mikrotik-Rate-Limit = "2000000/10000000"' in reply
    assert "Message-Authenticator = 0x" in reply


def test_pap_wrong_password_rejected_and_logged(running, radclient):
    out = radclient_run(radclient, running.server.auth_port, "auth", "User-Name = alice, User-Password = nope" + MA)
    assert "Received Access-Reject" in out, out
    running.handle.flush()
    with tenant_context(running.um.acme.id):
        log = AuthLog.objects.get(username="alice")
    assert log.result == "reject" and "wrong password" in log.reason and "nope" not in log.reason


def test_chap_accept_and_reject(running, radclient):
    port = running.server.auth_port
    ok = radclient_run(radclient, port, "auth", "User-Name = alice, CHAP-Password = alice-pw" + MA)
    bad = radclient_run(radclient, port, "auth", "User-Name = alice, CHAP-Password = wrong" + MA)
    assert "Received Access-Accept" in ok, ok
    assert "Received Access-Reject" in bad, bad


def _mschap2_attributes(user: str, password: str) -> str:
    challenge, peer = os.urandom(16), os.urandom(16)
    response = mschap.mschap2_client_response(user, password, challenge, peer, ident=7)
    return f"User-Name = {user}, MS-CHAP-Challenge = 0x{challenge.hex()}, MS-CHAP2-Response = 0x{response.hex()}" + MA


def test_mschapv2_accept_with_mppe_keys_and_reject(running, radclient):
    port = running.server.auth_port
    ok = radclient_run(radclient, port, "auth", _mschap2_attributes("alice", "alice-pw"))
    bad = radclient_run(radclient, port, "auth", _mschap2_attributes("alice", "wrong-pw"))
    assert "Received Access-Accept" in ok, ok
    accepted = ok.split("Received Access-Accept")[1]
    assert "MS-CHAP2-Success" in accepted and "MS-MPPE-Recv-Key" in accepted and "MS-MPPE-Send-Key" in accepted
    assert "Received Access-Reject" in bad and "MS-CHAP-Error" in bad


def test_mschapv1_accept(running, radclient):
    attributes = "User-Name = alice, MS-CHAP-Password = alice-pw" + MA
    ok = radclient_run(radclient, running.server.auth_port, "auth", attributes)
    assert "Received Access-Accept" in ok and "MS-CHAP-MPPE-Keys" in ok, ok


def test_accounting_start_interim_stop_with_gigawords(running, radclient):
    port = running.server.acct_port
    base = "User-Name = alice, Acct-Session-Id = s-1, Calling-Station-Id = AA:BB:CC:00:00:01"
    start = radclient_run(radclient, port, "acct", base + ", Acct-Status-Type = Start")
    assert "Received Accounting-Response" in start, start
    interim = radclient_run(
        radclient,
        port,
        "acct",
        base + ", Acct-Status-Type = Interim-Update, Acct-Input-Octets = 100, Acct-Output-Octets = 5, "
        "Acct-Output-Gigawords = 1, Acct-Session-Time = 60",
    )
    assert "Received Accounting-Response" in interim
    stop = radclient_run(
        radclient,
        port,
        "acct",
        base + ", Acct-Status-Type = Stop, Acct-Input-Octets = 200, Acct-Output-Octets = 7, "
        "Acct-Output-Gigawords = 1, Acct-Session-Time = 90, Acct-Terminate-Cause = User-Request",
    )
    assert "Received Accounting-Response" in stop
    # answered only after the write committed: the row is there now
    with tenant_context(running.um.acme.id):
        session = Session.objects.get(acct_session_id="s-1")
    assert session.status == "closed" and session.terminate_cause == "user-request"
    assert session.upload_bytes == 200 and session.download_bytes == 2**32 + 7 and session.uptime_s == 90
    assert session.user_id == running.um.users.alice.pk and session.calling_station_id == "AA:BB:CC:00:00:01"


def test_status_server_answered(running, radclient):
    out = radclient_run(radclient, running.server.auth_port, "status", "Message-Authenticator = 0x00")
    assert "Received Access-Accept" in out, out
    time.sleep(0)  # nothing else to wait for
