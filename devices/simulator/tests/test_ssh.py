"""The simulator's SSH frontend, driven by paramiko as the platform drives a real router."""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Iterator
from typing import Any

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from devices.simulator.fleet import Fleet
from devices.simulator.ssh_server import HOST_KEY_FILE, fleet_host_key
from devices.simulator.testing import running_fleet

PROMPT_TIMEOUT = 5.0


@pytest.fixture(scope="module")
def fleet_info() -> Iterator[dict[str, Any]]:
    with running_fleet(("ssh",), count=4, seed=1, control_port=None) as info:
        yield info


@pytest.fixture
def device(fleet_info: dict[str, Any]) -> Any:
    return fleet_info["fleet"].device(2)


def ssh_client(info: dict[str, Any], index: int = 2, **login: Any) -> paramiko.SSHClient:
    creds = info["credentials"]
    login.setdefault("username", creds["username"])
    if "pkey" not in login:
        login.setdefault("password", creds["password"])
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        info["fleet"].address(index),
        info["ports"]["ssh"],
        allow_agent=False,
        look_for_keys=False,
        timeout=5,
        banner_timeout=5,
        auth_timeout=5,
        **login,
    )
    return client


def run(client: paramiko.SSHClient, command: str) -> tuple[str, int]:
    _, stdout, _ = client.exec_command(command, timeout=5)
    output = stdout.read().decode()
    return output, stdout.channel.recv_exit_status()


def read_until(channel: paramiko.Channel, marker: bytes) -> bytes:
    received = b""
    deadline = time.monotonic() + PROMPT_TIMEOUT
    while marker not in received:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {marker!r} in {received!r}")
        if channel.recv_ready():
            received += channel.recv(4096)
        else:
            time.sleep(0.01)
    return received


def test_password_login_runs_an_exec_command(fleet_info: dict[str, Any], device: Any) -> None:
    with ssh_client(fleet_info) as client:
        output, status = run(client, "/system identity print")
    assert output == f"name: {device.identity}\r\n"
    assert status == 0


def test_export_over_ssh_is_the_device_export(fleet_info: dict[str, Any], device: Any) -> None:
    with ssh_client(fleet_info) as client:
        output, _ = run(client, "/export")
    assert output.startswith("# ") and f"RouterOS {device.version}" in output.splitlines()[0]
    assert "/system identity\r\nset name=" + device.identity in output


def test_several_exec_channels_share_one_transport(fleet_info: dict[str, Any], device: Any) -> None:
    with ssh_client(fleet_info) as client:
        transport = client.get_transport()
        sequential = [run(client, "/system identity print")[0] for _ in range(3)]
        channels = [transport.open_session() for _ in range(4)]
        for channel in channels:
            channel.exec_command("/system identity print")
        concurrent = [channel.makefile("rb").read().decode() for channel in channels]
        statuses = [channel.recv_exit_status() for channel in channels]
    assert sequential == concurrent[:3] == [f"name: {device.identity}\r\n"] * 3
    assert statuses == [0, 0, 0, 0]


def test_interactive_shell_prompts_echoes_and_runs_lines(fleet_info: dict[str, Any], device: Any) -> None:
    prompt = f"[admin@{device.identity}] > ".encode()
    with ssh_client(fleet_info) as client:
        channel = client.invoke_shell()
        read_until(channel, prompt)
        channel.send(b"/system identity print\r")
        answer = read_until(channel, prompt)
        channel.send(b"/quit\r")
        read_until(channel, b"/quit\r\n")
        assert channel.recv_exit_status() == 0
    assert answer == b"/system identity print\r\nname: " + device.identity.encode() + b"\r\n" + prompt


def test_interactive_shell_line_editing_and_ctrl_d(fleet_info: dict[str, Any], device: Any) -> None:
    prompt = f"[admin@{device.identity}] > ".encode()
    with ssh_client(fleet_info) as client:
        channel = client.invoke_shell()
        read_until(channel, prompt)
        channel.send(b"/system identitz\x7fy print\r\n")
        answer = read_until(channel, prompt)
        channel.send(b"\x04")
        assert channel.recv_exit_status() == 0
    assert b"name: " + device.identity.encode() in answer


def test_cli_errors_come_back_as_output(fleet_info: dict[str, Any]) -> None:
    with ssh_client(fleet_info) as client:
        output, status = run(client, "/bogus")
    assert "bad command name bogus" in output
    assert status == 0


def test_wrong_password_is_rejected(fleet_info: dict[str, Any]) -> None:
    with pytest.raises(paramiko.AuthenticationException):
        ssh_client(fleet_info, password="not-the-password")


def ed25519_key() -> paramiko.PKey:
    pem = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
        .decode()
    )
    return paramiko.Ed25519Key(file_obj=io.StringIO(pem))


@pytest.mark.parametrize("make_key", [ed25519_key, lambda: paramiko.RSAKey.generate(2048)], ids=["ed25519", "rsa"])
def test_public_key_login(fleet_info: dict[str, Any], device: Any, make_key: Any) -> None:
    key = make_key()
    stranger = make_key()
    device.add("/user/ssh-keys", {"user": "admin", "key": f"{key.get_name()} {key.get_base64()} ops@example"})
    with ssh_client(fleet_info, pkey=key) as client:
        output, _ = run(client, "/system identity print")
    assert output == f"name: {device.identity}\r\n"
    with pytest.raises(paramiko.AuthenticationException):
        ssh_client(fleet_info, pkey=stranger)


def test_terminal_options_after_plus_in_the_login_are_ignored(fleet_info: dict[str, Any], device: Any) -> None:
    with ssh_client(fleet_info, username="admin+ct") as client:
        output, _ = run(client, "/system identity print")
    assert output == f"name: {device.identity}\r\n"


def test_host_key_is_one_ed25519_key_for_the_fleet(fleet_info: dict[str, Any]) -> None:
    keys = []
    for index in (1, 2):
        with ssh_client(fleet_info, index=index) as client:
            keys.append(client.get_transport().get_remote_server_key())
    assert keys[0].get_name() == "ssh-ed25519"
    assert keys[0] == keys[1] == fleet_host_key(fleet_info["fleet"])


def test_host_key_persists_in_the_state_dir(tmp_path: Any) -> None:
    keys = []
    for _ in range(2):  # two fleets, one after the other, on the same state dir
        fleet = Fleet(1, state_dir=str(tmp_path), control_port=None)
        keys.append(fleet_host_key(fleet))
        fleet.close()
    assert (tmp_path / HOST_KEY_FILE).exists()
    assert keys[0] == keys[1]


@pytest.fixture
def faulty(fleet_info: dict[str, Any]) -> Iterator[Any]:
    """Set a fault on device 3 for one test, then clear it."""
    fleet = fleet_info["fleet"]
    yield lambda spec: fleet.set_fault(3, spec)
    fleet.set_fault(3, None)


def test_offline_device_refuses_connections(fleet_info: dict[str, Any], faulty: Any) -> None:
    faulty("offline")
    with pytest.raises((paramiko.SSHException, OSError, EOFError)):
        ssh_client(fleet_info, index=3)


def test_black_holed_device_never_answers(fleet_info: dict[str, Any], faulty: Any) -> None:
    faulty("blackhole")
    with socket.create_connection((fleet_info["fleet"].address(3), fleet_info["ports"]["ssh"]), timeout=2) as sock:
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            sock.recv(100)


def test_wrong_credentials_fault_rejects_the_known_password(fleet_info: dict[str, Any], faulty: Any) -> None:
    faulty("wrong-credentials")
    with pytest.raises(paramiko.AuthenticationException):
        ssh_client(fleet_info, index=3)


def test_truncate_fault_cuts_the_reply_and_closes(fleet_info: dict[str, Any], faulty: Any) -> None:
    with ssh_client(fleet_info, index=3) as client:
        full, _ = run(client, "/ip address print")
    faulty("truncate")
    with ssh_client(fleet_info, index=3) as client:
        _, stdout, _ = client.exec_command("/ip address print", timeout=5)
        partial = stdout.read().decode()
        assert not client.get_transport().is_active()
    assert 0 < len(partial) < len(full)
    assert full.startswith(partial)


def test_garbage_fault_is_not_ssh(fleet_info: dict[str, Any], faulty: Any) -> None:
    faulty("garbage")
    with pytest.raises((paramiko.SSHException, OSError, EOFError)):
        ssh_client(fleet_info, index=3)
