"""The simulator's SFTP subsystem and `/system backup save` files, driven by paramiko's
SFTPClient as the platform fetches a router's binary backup."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import paramiko
import pytest

from devices.simulator.backup_file import MAGIC_ENCRYPTED, MAGIC_PLAIN, backup_bytes
from devices.simulator.testing import running_fleet


@pytest.fixture(scope="module")
def fleet_info() -> Iterator[dict[str, Any]]:
    with running_fleet(("ssh",), count=2, seed=5, control_port=None) as info:
        yield info


def connect(info: dict[str, Any], username: str | None = None, password: str | None = None) -> paramiko.SSHClient:
    creds = info["credentials"]
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        info["fleet"].address(0),
        info["ports"]["ssh"],
        username=username or creds["username"],
        password=password or creds["password"],
        allow_agent=False,
        look_for_keys=False,
        timeout=5,
    )
    return client


def cli(client: paramiko.SSHClient, command: str) -> str:
    _, stdout, _ = client.exec_command(command, timeout=5)
    return stdout.read().decode()


def test_backup_file_is_read_over_sftp_and_removed(fleet_info):
    client = connect(fleet_info)
    try:
        assert cli(client, "/system backup save name=nightly dont-encrypt=yes") == ""
        sftp = client.open_sftp()
        assert "nightly.backup" in sftp.listdir("/")
        size = sftp.stat("nightly.backup").st_size
        buffer = io.BytesIO()
        sftp.getfo("/nightly.backup", buffer)
        data = buffer.getvalue()
        assert data.startswith(MAGIC_PLAIN) and len(data) == size
        assert data == fleet_info["fleet"].device(0).file_bytes("nightly.backup")
        sftp.remove("nightly.backup")
        assert "nightly.backup" not in sftp.listdir()
        assert "nightly.backup" not in cli(client, "/file print")
        with pytest.raises(FileNotFoundError):
            sftp.stat("nightly.backup")
        with pytest.raises(PermissionError):  # read-only: no uploads through this door
            sftp.open("upload.rsc", "w")
    finally:
        client.close()


def test_same_config_same_bytes_and_password_scrambles_them():
    snapshot = '{"identity": "edge", "ip": ["192.0.2.1/24"]}'
    assert backup_bytes(snapshot) == backup_bytes(snapshot)
    sealed = backup_bytes(snapshot, "s3cret")
    assert sealed.startswith(MAGIC_ENCRYPTED) and sealed == backup_bytes(snapshot, "s3cret")
    assert sealed != backup_bytes(snapshot, "other") and b"edge" not in sealed


def test_users_without_the_ftp_policy_get_no_sftp(fleet_info):
    fleet_info["fleet"].device(0).cli("/user add name=writer group=write password=writer-pass")
    client = connect(fleet_info, "writer", "writer-pass")
    try:
        assert "/system identity" in cli(client, "/export")  # SSH itself works
        with pytest.raises(paramiko.SSHException):
            client.open_sftp()
    finally:
        client.close()
