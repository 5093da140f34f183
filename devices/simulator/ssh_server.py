"""SSH frontend of the fleet simulator: exec channels, a minimal interactive shell and SFTP
over the device's `/file` menu (read and remove).

One listening socket serves every device; the connection's destination address says which.
Connections are accepted in the fleet's asyncio loop (where reachability and faults are
decided) and handed to paramiko, whose transport runs in its own thread; each exec channel
runs in a small thread pool and each interactive shell in a thread of its own, since device
methods are thread-safe and the CLI is synchronous.
"""

from __future__ import annotations

import io
import logging
import os
import posixpath
import socket
import stat
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from paramiko.common import MSG_CHANNEL_REQUEST

from devices.simulator.errors import RouterOSError
from devices.simulator.tcp_frontend import LINGER_RESET, TcpFrontend, reset_connection

log = logging.getLogger(__name__)

SERVER_VERSION = "SSH-2.0-ROSSSH"
HOST_KEY_FILE = "ssh_host_ed25519_key"
EXEC_WORKERS = 16
# Clients that vanish mid-session (often with a reset) are routine for a router, yet paramiko
# logs them as errors; its server transports log here, quiet unless asked for.
TRANSPORT_LOG = __name__ + ".transport"
logging.getLogger(TRANSPORT_LOG).setLevel(logging.CRITICAL)

CTRL_C, CTRL_D, BACKSPACE, DELETE, ESCAPE = 0x03, 0x04, 0x08, 0x7F, 0x1B
QUIT_COMMANDS = frozenset({"/quit", "quit", "/exit", "exit"})

_host_keys: weakref.WeakKeyDictionary[Any, paramiko.PKey] = weakref.WeakKeyDictionary()
_host_keys_lock = threading.Lock()


def fault_kind(device: Any) -> str | None:
    fault = device.fault
    return None if fault is None else fault.kind


# --- host key ---------------------------------------------------------------------------


def fleet_host_key(fleet: Any) -> paramiko.PKey:
    """The fleet's ed25519 host key: one per fleet, kept in its state dir when it has one."""
    with _host_keys_lock:
        key = _host_keys.get(fleet)
        if key is None:
            state_dir = getattr(fleet, "state_dir", None)
            key = _load_or_create_host_key(Path(state_dir) if state_dir else None)
            _host_keys[fleet] = key
        return key


def _load_or_create_host_key(state_dir: Path | None) -> paramiko.PKey:
    path = state_dir / HOST_KEY_FILE if state_dir else None
    if path is not None and path.exists():
        return paramiko.Ed25519Key(filename=str(path))
    pem = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        .decode()
    )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(pem)
        path.chmod(0o600)
    return paramiko.Ed25519Key(file_obj=io.StringIO(pem))


# --- authentication ---------------------------------------------------------------------


def login_name(username: str) -> str:
    """RouterOS lets clients append terminal options to the login (`admin+ct`)."""
    return username.split("+", 1)[0]


def key_matches(key: paramiko.PKey, authorized_lines: list[str]) -> bool:
    """Whether `key` is one of the OpenSSH `authorized_keys` lines."""
    offered = (key.get_name(), key.get_base64())
    for line in authorized_lines:
        parts = line.split()
        if any(pair == offered for pair in zip(parts, parts[1:], strict=False)):
            return True
    return False


def key_login_user(device: Any, username: str) -> Any:
    """The user a public-key login acts as: enabled and allowed to use SSH, else None."""
    user = device.user(username)
    if user is None or not user.can("ssh"):
        return None
    rows = device.print("/user", queries=[f"?name={username}"])
    if rows and rows[0].get("disabled") in ("true", "yes"):
        return None
    return user


# --- paramiko ---------------------------------------------------------------------------


def _handle_request_then_start(channel: paramiko.Channel, message: Any) -> None:
    """Channel-request handler: paramiko's own, then any work the request asked for.

    paramiko sends CHANNEL_SUCCESS after `check_channel_*_request` returns; a command that
    finished and closed its channel before that would make the client see "Channel closed".
    """
    paramiko.Channel._handle_request(channel, message)
    start = getattr(channel, "sim_start", None)
    if start is not None:
        channel.sim_start = None
        start()


class DeviceTransport(paramiko.Transport):
    """A paramiko transport that starts exec/shell work only after replying to the request,
    and reports when its thread ends (so the device forgets the connection)."""

    _channel_handler_table: ClassVar[dict[int, Callable[..., None]]] = {
        **paramiko.Transport._channel_handler_table,
        MSG_CHANNEL_REQUEST: _handle_request_then_start,
    }
    on_finished: Callable[[], None] | None = None

    def run(self) -> None:
        try:
            super().run()
        finally:
            if self.on_finished is not None:
                self.on_finished()

    def reset(self) -> None:
        """Drop the connection with a TCP reset, as a crashing router would."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
        except OSError:
            pass
        self.close()


# --- replies ----------------------------------------------------------------------------


def run_cli(device: Any, command: str, user: Any) -> str:
    """Run CLI text as RouterOS does over SSH: errors are part of the output, not a status."""
    try:
        return device.cli(command, user)
    except RouterOSError as error:
        return error.message + "\n"


def to_terminal(text: str) -> str:
    """RouterOS terminals end lines with CR LF."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def send_reply(channel: paramiko.Channel, device: Any, text: str) -> bool:
    """Send CLI output after the device's reply delay and through its reply faults.

    False when a fault ended the connection (truncated then closed, or reset).
    """
    delay = device.reply_delay_s()
    if delay > 0:
        time.sleep(delay)
    payload = to_terminal(text).encode()
    if device.fault is None:
        channel.sendall(payload)
        return True
    data, action = device.mangle_reply(payload)
    channel.sendall(data)
    if action == "send":
        return True
    transport = channel.get_transport()
    if isinstance(transport, DeviceTransport) and action == "reset":
        transport.reset()
    else:
        transport.close()
    return False


class DeviceSshSession(paramiko.ServerInterface):
    """paramiko's view of one SSH connection to one simulated device."""

    def __init__(self, server: FleetSshServer, device: Any) -> None:
        self._server = server
        self.device = device
        self.user: Any = None

    def get_allowed_auths(self, username: str) -> str:
        return "publickey,password"

    def check_auth_password(self, username: str, password: str) -> int:
        user = self.device.authenticate(login_name(username), password, "ssh")
        if user is None:
            return paramiko.AUTH_FAILED
        self.user = user
        return paramiko.AUTH_SUCCESSFUL

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        name = login_name(username)
        if not key_matches(key, self.device.authorized_keys(name)):
            return paramiko.AUTH_FAILED
        user = key_login_user(self.device, name)
        if user is None:
            return paramiko.AUTH_FAILED
        self.user = user
        return paramiko.AUTH_SUCCESSFUL

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: Any) -> bool:
        return True

    def check_channel_window_change_request(self, *args: Any) -> bool:
        return True

    def check_channel_env_request(self, *args: Any) -> bool:
        return True

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        text = command.decode("utf-8", "replace")
        channel.sim_start = lambda: self._server.run_exec(channel, self.device, self.user, text)
        return True

    def check_channel_subsystem_request(self, channel: paramiko.Channel, name: str) -> bool:
        """SFTP needs the `ftp` policy on RouterOS (a "write" or "read" group user has none)."""
        if name == "sftp" and (self.user is None or not self.user.can("ftp")):
            return False
        return super().check_channel_subsystem_request(channel, name)

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        shell = InteractiveShell(channel, self.device, self.user)
        channel.sim_start = lambda: self._server.run_shell(shell)
        return True


# --- SFTP -------------------------------------------------------------------------------


class DeviceFileHandle(paramiko.SFTPHandle):
    """An open `/file` row: its bytes, read-only (RouterOS serves backups and exports so)."""

    def __init__(self, name: str, data: bytes) -> None:
        super().__init__(os.O_RDONLY)
        self.readfile = io.BytesIO(data)
        self._attrs = file_attributes(name, len(data))

    def stat(self) -> paramiko.SFTPAttributes:
        return self._attrs


def file_attributes(name: str, size: int) -> paramiko.SFTPAttributes:
    attrs = paramiko.SFTPAttributes()
    attrs.filename, attrs.st_size, attrs.st_mode = name, size, stat.S_IFREG | 0o644
    attrs.st_uid = attrs.st_gid = 0
    attrs.st_atime = attrs.st_mtime = int(time.time())
    return attrs


class DeviceSftp(paramiko.SFTPServerInterface):
    """SFTP over the device's `/file` menu, as RouterOS serves it to users with the `ftp`
    policy: list, stat, read and remove (what fetching a backup needs)."""

    def __init__(self, session: DeviceSshSession, *args: Any, **kwargs: Any) -> None:
        super().__init__(session, *args, **kwargs)
        self.device, self.user = session.device, session.user

    @staticmethod
    def _name(path: str) -> str:
        name = posixpath.normpath("/" + path.strip()).lstrip("/")
        return "" if name == "." else name

    def canonicalize(self, path: str) -> str:
        return "/" + self._name(path)

    def list_folder(self, path: str) -> Any:
        if self._name(path):
            return paramiko.SFTP_NO_SUCH_FILE
        return [
            file_attributes(name, len(self.device.file_bytes(name) or b""))
            for name in self.device.file_names()
            if name and "/" not in name
        ]

    def stat(self, path: str) -> Any:
        name = self._name(path)
        if not name:
            attrs = paramiko.SFTPAttributes()
            attrs.st_mode, attrs.st_size = stat.S_IFDIR | 0o755, 0
            return attrs
        data = self.device.file_bytes(name)
        return paramiko.SFTP_NO_SUCH_FILE if data is None else file_attributes(name, len(data))

    lstat = stat

    def open(self, path: str, flags: int, attr: Any) -> Any:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND):
            return paramiko.SFTP_PERMISSION_DENIED
        name = self._name(path)
        data = self.device.file_bytes(name)
        return paramiko.SFTP_NO_SUCH_FILE if data is None else DeviceFileHandle(name, data)

    def remove(self, path: str) -> int:
        name = self._name(path)
        row = next((r for r in self.device.print("/file") if r.get("name") == name), None)
        if row is None:
            return paramiko.SFTP_NO_SUCH_FILE
        try:
            self.device.remove("/file", row[".id"], self.user)
        except RouterOSError:
            return paramiko.SFTP_PERMISSION_DENIED
        return paramiko.SFTP_OK


class FleetSshServer(TcpFrontend):
    """Accepts SSH connections for every device of a fleet on one listening socket."""

    name = "ssh"

    def __init__(self, fleet: Any, sock: socket.socket) -> None:
        super().__init__(fleet, sock)
        self._host_key = fleet_host_key(fleet)
        self._executor = ThreadPoolExecutor(EXEC_WORKERS, thread_name_prefix="sim-ssh-exec")
        self._transports: weakref.WeakSet[paramiko.Transport] = weakref.WeakSet()

    async def handle(self, conn: socket.socket) -> None:
        device = self.device_for(conn)
        if device is None or not device.is_reachable("ssh"):
            reset_connection(conn)
            return
        if device.is_blackholed():
            self.hold(conn)
            return
        await device.reply_delay()
        if fault_kind(device) == "garbage":
            noise, _ = device.mangle_reply(SERVER_VERSION.encode() + b"\r\n")
            try:
                conn.send(noise)
            except OSError:
                pass
            reset_connection(conn)
            return
        self._start_transport(conn, device)

    def _start_transport(self, conn: socket.socket, device: Any) -> None:
        conn.setblocking(True)
        # as OpenSSH does: without it the last small packets of a reply (exit status, EOF)
        # wait ~40 ms for the client's delayed ACK
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = DeviceTransport(conn)
        transport.local_version = SERVER_VERSION
        transport.set_log_channel(TRANSPORT_LOG)
        transport.add_server_key(self._host_key)
        transport.set_subsystem_handler("sftp", paramiko.SFTPServer, DeviceSftp)
        token = device.attach(transport.close)
        transport.on_finished = lambda: device.detach(token)
        self._transports.add(transport)
        try:
            transport.start_server(event=threading.Event(), server=DeviceSshSession(self, device))
        except (paramiko.SSHException, OSError):
            log.debug("SSH negotiation with %s failed", device, exc_info=True)
            transport.close()
            device.detach(token)

    def run_exec(self, channel: paramiko.Channel, device: Any, user: Any, command: str) -> None:
        self._executor.submit(self._exec, channel, device, user, command)

    def _exec(self, channel: paramiko.Channel, device: Any, user: Any, command: str) -> None:
        try:
            if send_reply(channel, device, run_cli(device, command, user)):
                channel.send_exit_status(0)
        except (OSError, EOFError, paramiko.SSHException):
            log.debug("SSH exec channel broke", exc_info=True)
        except Exception:
            log.exception("SSH exec of %r failed", command)
            channel.send_exit_status(1)
        finally:
            channel.close()

    def run_shell(self, shell: InteractiveShell) -> None:
        threading.Thread(target=shell.run, name="sim-ssh-shell", daemon=True).start()

    async def close(self) -> None:
        await super().close()
        for transport in list(self._transports):
            transport.close()
        self._executor.shutdown(wait=False, cancel_futures=True)


class InteractiveShell:
    """The `[user@identity] > ` prompt: line editing, echo, and each line through the CLI."""

    def __init__(self, channel: paramiko.Channel, device: Any, user: Any) -> None:
        self._channel = channel
        self._device = device
        self._user = user
        self._line = bytearray()
        self._escape = 0
        self._last = 0

    def prompt(self) -> bytes:
        return f"[{self._user.name}@{self._device.identity}] > ".encode()

    def run(self) -> None:
        try:
            self._channel.sendall(b"\r\n" + self.prompt())
            while not self._channel.closed:
                data = self._channel.recv(4096)
                if not data or not self._feed(data):
                    break
            self._channel.send_exit_status(0)
        except (OSError, EOFError, paramiko.SSHException):
            log.debug("SSH shell channel broke", exc_info=True)
        finally:
            self._channel.close()

    def _feed(self, data: bytes) -> bool:
        """Handle typed bytes; False when the session should end."""
        for byte in data:
            previous, self._last = self._last, byte
            if self._escape:  # skip the rest of an escape sequence (arrow keys, ...)
                self._escape = 0 if 0x40 <= byte <= 0x7E and byte != ord("[") else 1
                continue
            if byte == ESCAPE:
                self._escape = 1
            elif byte in (0x0D, 0x0A):
                if byte == 0x0A and previous == 0x0D:
                    continue
                if not self._enter():
                    return False
            elif byte == CTRL_D and not self._line:
                self._channel.sendall(b"\r\n")
                return False
            elif byte == CTRL_C:
                self._line.clear()
                self._channel.sendall(b"\r\n" + self.prompt())
            elif byte in (BACKSPACE, DELETE):
                if self._line:
                    self._line.pop()
                    self._channel.sendall(b"\b \b")
            elif byte >= 0x20:
                self._line.append(byte)
                self._channel.sendall(bytes([byte]))
        return True

    def _enter(self) -> bool:
        line = self._line.decode("utf-8", "replace").strip()
        self._line.clear()
        self._channel.sendall(b"\r\n")
        if line in QUIT_COMMANDS:
            return False
        if line:
            output = run_cli(self._device, line, self._user)
            if output and not output.endswith("\n"):
                output += "\n"
            if not send_reply(self._channel, self._device, output):
                return False
        self._channel.sendall(self.prompt())
        return True


async def serve(fleet: Any, sock: socket.socket) -> Callable[[], Any]:
    """Serve SSH for the fleet's devices on the listening `sock`; returns the async closer."""
    return FleetSshServer(fleet, sock).close
