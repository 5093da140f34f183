"""`manage.py radius_server` as a process: two workers sharing the ports, a clean SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from radius.protocol.client import access_request
from radius.protocol.packet import Code, Packet
from radius.protocol.tests.freeradius import free_udp_port_pair
from radius.server.tests.conftest import SECRET_A, exchange

ROOT = Path(__file__).resolve().parents[3]


def test_workers_answer_and_stop_cleanly_on_sigterm(um):
    assert settings.DATABASES["default"]["NAME"].endswith("_test")
    port = free_udp_port_pair()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "radius_server", "--bind", "127.0.0.1"]
        + ["--auth-port", str(port), "--acct-port", str(port + 1), "--workers", "2"],
        cwd=ROOT,
        env=dict(os.environ, DJANGO_SETTINGS_MODULE="mikman.settings.test"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            status = Packet(Code.STATUS_SERVER, secret=SECRET_A.encode())
            if exchange(status, port, timeout=0.5) is not None:
                break
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.poll() else ""
        for _ in range(8):  # new source ports each time: both workers get some
            assert exchange(access_request("alice", "alice-pw", SECRET_A.encode()), port).code == Code.ACCESS_ACCEPT
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert out.count("radius: stopped") == 2, out
