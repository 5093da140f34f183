# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""devices.protocols.ssh against the simulator's SSH server: commands, host-key pinning, faults."""

from __future__ import annotations

import dataclasses
import socket
import time

import pytest

from devices.protocols.ssh import (
    AuthFailed,
    Garbage,
    HostKeyMismatch,
    Refused,
    SSHSession,
    SSHTarget,
    Timeout,
    run_commands,
)
from devices.tests.backup_support import fleet, sim  # noqa: F401

OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOM2Fz0tYHqJq3oUj9XvJ8m1N1l3YpQ0f1eJm3b0q3cX"


def target(fleet, index: int = 0, **extra) -> SSHTarget:
    d = fleet["devices"][index]
    fields = {"connect_timeout": 2.0, "command_timeout": 5.0, **extra}
    return SSHTarget(d["address"], d["ports"]["ssh"], "admin", "sim-admin", **fields)


def test_runs_commands_on_one_connection_and_reports_the_host_key(fleet):
    results, key = run_commands(target(fleet), ["/system identity print", "/export"])
    assert [r.complete for r in results] == [True, True]
    assert results[0].output.strip() == f"name: {fleet['devices'][0]['identity']}"
    assert "\r" not in results[1].output and " by RouterOS " in results[1].output
    assert key.startswith("ssh-ed25519 ")
    pinned, _ = run_commands(target(fleet, host_key=key), ["/system identity print"])
    assert pinned[0].complete


def test_a_different_host_key_is_refused_before_login(fleet):
    logins = []
    stop = fleet["fleet"].device(0).add_log_listener(lambda row: logins.append(row.get("message", "")))
    try:
        with pytest.raises(HostKeyMismatch) as caught:
            SSHSession(target(fleet, host_key=OTHER_KEY)).open()
    finally:
        stop()
    assert caught.value.outcome == "host_key_mismatch" and "SHA256:" in str(caught.value)
    assert not any("logged in" in line for line in logins)


@pytest.mark.parametrize(
    ("fault", "error"),
    # the simulator resets "offline" connections right after accepting them (before any SSH byte,
    # or during connect), and follows "garbage" noise with a reset: either may win the race
    [
        ("wrong-credentials", AuthFailed),
        ("garbage", (Garbage, Refused)),
        ("offline", Refused),
        ("blackhole", Timeout),
    ],
)
def test_device_faults_raise_clear_errors_without_the_password(fleet, fault, error):
    fleet["fleet"].set_fault(0, fault)
    started = time.monotonic()
    with pytest.raises(error) as caught:
        run_commands(target(fleet), ["/export"])
    assert time.monotonic() - started < 4  # within the connect timeout (2 s) and then some
    assert "sim-admin" not in str(caught.value)


def test_truncated_reply_is_marked_incomplete(fleet):
    fleet["fleet"].set_fault(1, "truncate")
    results, _ = run_commands(target(fleet, 1), ["/export"])
    assert results[0].complete is False and results[0].exit_status is None


def test_closed_port_is_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(Refused):
        run_commands(SSHTarget("127.0.0.1", port, "admin", "x", connect_timeout=2), ["/export"])


def test_secret_password_is_revealed_only_at_login(fleet):
    from devices.keyring import Secret

    t = dataclasses.replace(target(fleet, 2), password=Secret("sim-admin"))
    assert "sim-admin" not in repr(t)
    results, _ = run_commands(t, ["/system identity print"])
    assert results[0].complete
