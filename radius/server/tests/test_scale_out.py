"""Two radius_server processes (SO_REUSEPORT) answer one fleet of NAS correctly.

Every Access-Request gets exactly the right answer whichever worker the kernel hands it to;
an accounting session whose packets (and retransmissions) come from several source ports, and
so land on either worker, is stored once, with the last Interim/Stop counters (no double
counting). Both workers answered some: their stop lines and /metrics prove it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from radius.models import Session
from radius.protocol.client import access_request, check_reply
from radius.protocol.packet import Code, Packet
from radius.protocol.tests.freeradius import free_udp_port_pair
from radius.server.tests.conftest import NAS_A, NAS_B, SECRET_A, SECRET_B, exchange
from radius.server.tests.test_accounting_and_limits import accounting_request
from radius.server.tests.test_metrics import radius_samples, wait_for
from tenants.context import tenant_context

ROOT = Path(__file__).resolve().parents[3]


def start_workers(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "radius_server", "--bind", "127.0.0.1"]
        + ["--auth-port", str(port), "--acct-port", str(port + 1), "--workers", "2"],
        cwd=ROOT,
        env=dict(os.environ, DJANGO_SETTINGS_MODULE="mikman.settings.test"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while exchange(Packet(Code.STATUS_SERVER, secret=SECRET_A.encode()), port, timeout=0.5) is None:
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.poll() else ""
    time.sleep(0.5)  # the second worker may still be loading: make sure both are bound
    return proc


def send_twice_from_one_port(packet, port: int, source: str = NAS_A) -> list:
    """A NAS retransmitting: the same bytes twice from the same source port (same worker)."""
    data = packet.encode()
    replies = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(2)
        for _ in range(2):
            sock.sendto(data, ("127.0.0.1", port))
            reply, _ = sock.recvfrom(4096)
            replies.append(check_reply(reply, packet, require_message_authenticator=True).code)
    return replies


def test_two_processes_answer_right_and_count_a_session_once(um, client):
    assert settings.DATABASES["default"]["NAME"].endswith("_test")
    port = free_udp_port_pair()
    acct = port + 1
    before = radius_samples(client)
    proc = start_workers(port)
    try:
        # many Access-Requests, each from a new source port, two tenants' NAS
        cases = [
            ("alice", "alice-pw", NAS_A, SECRET_A, Code.ACCESS_ACCEPT),
            ("alice", "nope", NAS_A, SECRET_A, Code.ACCESS_REJECT),
            ("shared", "acme-pw", NAS_A, SECRET_A, Code.ACCESS_ACCEPT),
            ("shared", "globex-pw", NAS_B, SECRET_B, Code.ACCESS_ACCEPT),
            ("shared", "acme-pw", NAS_B, SECRET_B, Code.ACCESS_REJECT),
            ("onlyb", "onlyb-pw", NAS_A, SECRET_A, Code.ACCESS_REJECT),  # globex's user at acme's NAS
        ]
        for _ in range(10):
            for name, password, source, secret, want in cases:
                reply = exchange(access_request(name, password, secret.encode()), port, source=source, timeout=2)
                assert reply is not None and reply.code == want, (name, password, source)
        # one accounting session; Start and Interims retransmitted from the same port and resent
        # from new ports (a NAS that re-opened its socket): either worker may get each of them
        start = accounting_request("Start", "scale-1")
        assert send_twice_from_one_port(start, acct) == [Code.ACCOUNTING_RESPONSE] * 2
        for i in range(1, 6):
            interim = accounting_request(
                "Interim-Update",
                "scale-1",
                Acct_Input_Octets=100 * i,
                Acct_Output_Octets=1000 * i,
                Acct_Session_Time=10 * i,
            )
            assert send_twice_from_one_port(interim, acct) == [Code.ACCOUNTING_RESPONSE] * 2
            data = interim.encode()
            for _ in range(2):
                assert exchange(interim, acct, data=data, timeout=2).code == Code.ACCOUNTING_RESPONSE
        stop = accounting_request(
            "Stop", "scale-1", Acct_Input_Octets=700, Acct_Output_Octets=7000, Acct_Session_Time=70
        )
        assert send_twice_from_one_port(stop, acct) == [Code.ACCOUNTING_RESPONSE] * 2
        # a late, stale Interim from yet another port must not reopen or lower the session
        stale = accounting_request("Interim-Update", "scale-1", Acct_Input_Octets=300, Acct_Output_Octets=3000)
        assert exchange(stale, acct, timeout=2).code == Code.ACCOUNTING_RESPONSE
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out

    with tenant_context(um.acme.id):
        sessions = list(Session.objects.filter(acct_session_id="scale-1"))
    assert len(sessions) == 1
    s = sessions[0]
    assert (s.upload_bytes, s.download_bytes, s.uptime_s, s.status) == (700, 7000, 70, "closed")

    # each worker's stop line: both decided some packets
    lines = re.findall(r"radius: stopped; (.*)", out)
    assert len(lines) == 2, out
    per_worker = [dict(kv.split("=") for kv in line.split()) for line in lines]
    for stats in per_worker:
        assert int(stats["access_requests"]) + int(stats["accounting_requests"]) > 0, lines
    assert sum(int(s["access_requests"]) for s in per_worker) == 60
    assert sum(int(s["accepts"]) for s in per_worker) == 30
    assert sum(int(s["duplicates"]) for s in per_worker) == 7  # the same-port retransmissions

    # and /metrics summed both processes (each flushed at stop)
    def delta(samples, key):
        return samples["packets"].get(key, 0) - before["packets"].get(key, 0)

    after = wait_for(client, lambda s: delta(s, ("access", "reject")) >= 30)
    assert delta(after, ("access", "accept")) == 30
    assert delta(after, ("access", "reject")) == 30
    assert delta(after, ("acct", "duplicate")) == 7
    assert delta(after, ("accounting", "start")) == 1
    assert delta(after, ("accounting", "interim")) == 5 * 3 + 1  # once per source port, + the stale one
    assert delta(after, ("accounting", "stop")) == 1
