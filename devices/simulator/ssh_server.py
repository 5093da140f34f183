"""SSH frontend of the fleet simulator: exec channels and a minimal interactive shell.

One listening socket serves every device; the connection's destination address says which.
Connections are accepted in the fleet's asyncio loop (where reachability and faults are
decided) and handed to paramiko, whose transport runs in its own thread; each exec channel
runs in a small thread pool and each interactive shell in a thread of its own, since device
methods are thread-safe and the CLI is synchronous.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import socket
import struct
import threading
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

log = logging.getLogger(__name__)

HOST_KEY_FILE = "ssh_host_ed25519_key"
EXEC_WORKERS = 16
BLACK_HOLE_HOLD_SECONDS = 600.0
BLACK_HOLE_FAULTS = frozenset({"blackhole", "black_hole", "black-hole"})
GARBAGE_FAULTS = frozenset({"garbage"})
RESET_FAULTS = frozenset({"reset", "reset_mid_reply", "reset-mid-reply"})
TRUNCATE_FAULTS = frozenset({"truncated", "truncate"})

CTRL_C, CTRL_D, BACKSPACE, DELETE, ESCAPE = 0x03, 0x04, 0x08, 0x7F, 0x1B
QUIT_COMMANDS = frozenset({"/quit", "quit", "/exit", "exit"})

_host_keys: weakref.WeakKeyDictionary[Any, paramiko.PKey] = weakref.WeakKeyDictionary()
_host_keys_lock = threading.Lock()


def fault_kind(device: Any) -> str | None:
    """The device's current fault as a lower-case word, or None."""
    fault = getattr(device, "fault", None)
    if not fault:
        return None
    return str(
        getattr(fault, "kind", None) or getattr(fault, "name", None) or fault
    ).lower()


def fleet_host_key(fleet: Any) -> paramiko.PKey:
    """The fleet's ed25519 host key: one per fleet, kept in its state dir when it has one."""
    with _host_keys_lock:
        key = _host_keys.get(fleet)
        if key is None:
            key = _load_or_create_host_key(_state_dir(fleet))
            _host_keys[fleet] = key
        return key


def _state_dir(fleet: Any) -> Path | None:
    directory = getattr(fleet, "state_dir", None)
    return Path(directory) if directory else None


def _load_or_create_host_key(state_dir: Path | None) -> paramiko.PKey:
    path = state_dir / HOST_KEY_FILE if state_dir else None
    if path is not None and path.exists():
        return paramiko.Ed25519Key(filename=str(path))
    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(pem)
        path.chmod(0o600)
    return paramiko.Ed25519Key(file_obj=io.StringIO(pem))


def login_name(username: str) -> str:
    """RouterOS lets clients append terminal options to the login (`admin+ct`)."""
    return username.split("+", 1)[0]


def key_matches(key: paramiko.PKey, authorized_lines: list[str]) -> bool:
    """Whether `key` is one of the OpenSSH `authorized_keys` lines."""
    offered = (key.get_name(), key.get_base64())
    for line in authorized_lines:
        parts = line.split()
        for position in range(len(parts) - 1):
            if (parts[position], parts[position + 1]) == offered:
                return True
    return False


def reset_connection(conn: socket.socket) -> None:
    """Close so the peer sees a reset (the nearest thing to 'refused' after accept)."""
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    conn.close()


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
    """A paramiko transport that starts exec/shell work only after replying to the request."""

    _channel_handler_table: ClassVar[dict[int, Callable[..., None]]] = {
        **paramiko.Transport._channel_handler_table,
        MSG_CHANNEL_REQUEST: _handle_request_then_start,
    }


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
        if not key_matches(key, list(self.device.authorized_keys(name))):
            return paramiko.AUTH_FAILED
        user = self._server.user_for_key_login(self.device, name)
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

    def check_channel_env_request(
        self, channel: paramiko.Channel, name: bytes, value: bytes
    ) -> bool:
        return True

    def check_channel_exec_request(
        self, channel: paramiko.Channel, command: bytes
    ) -> bool:
        text = command.decode("utf-8", "replace")
        channel.sim_start = lambda: self._server.run_exec(
            channel, self.device, self.user, text
        )
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        channel.sim_start = lambda: self._server.run_shell(
            channel, self.device, self.user
        )
        return True


class FleetSshServer:
    """Accepts SSH connections for every device of a fleet on one listening socket."""

    def __init__(self, fleet: Any, sock: socket.socket) -> None:
        self._fleet = fleet
        self._sock = sock
        self._loop = asyncio.get_running_loop()
        self._host_key = fleet_host_key(fleet)
        self._executor = ThreadPoolExecutor(
            EXEC_WORKERS, thread_name_prefix="sim-ssh-exec"
        )
        self._transports: weakref.WeakSet[paramiko.Transport] = weakref.WeakSet()
        self._held: set[socket.socket] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sock.setblocking(False)
        self._accepting = self._loop.create_task(self._accept_forever())

    async def _accept_forever(self) -> None:
        while True:
            try:
                conn, _peer = await self._loop.sock_accept(self._sock)
            except asyncio.CancelledError:
                raise
            except OSError:
                log.warning("SSH accept failed", exc_info=True)
                await asyncio.sleep(0.05)
                continue
            self._spawn(self._admit(conn))

    def _spawn(self, coroutine: Any) -> None:
        task = self._loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _admit(self, conn: socket.socket) -> None:
        device = self._fleet.device_for_address(conn.getsockname()[0])
        if device is None or not device.is_reachable("ssh"):
            reset_connection(conn)
            return
        fault = fault_kind(device)
        if fault in BLACK_HOLE_FAULTS:
            self._hold(conn)
            return
        if fault is not None:
            await device.reply_delay()
        if fault in GARBAGE_FAULTS:
            try:
                conn.send(os.urandom(64))
            except OSError:
                pass
            reset_connection(conn)
            return
        conn.setblocking(True)
        transport = DeviceTransport(conn)
        transport.add_server_key(self._host_key)
        transport.local_version = "SSH-2.0-ROSSSH"
        self._transports.add(transport)
        try:
            transport.start_server(
                event=threading.Event(), server=DeviceSshSession(self, device)
            )
        except (paramiko.SSHException, OSError):
            log.debug("SSH negotiation with %s failed", device, exc_info=True)
            transport.close()

    def _hold(self, conn: socket.socket) -> None:
        """Accept and never answer; let go after a while so descriptors don't pile up."""
        self._held.add(conn)

        def release() -> None:
            if conn in self._held:
                self._held.discard(conn)
                conn.close()

        self._loop.call_later(BLACK_HOLE_HOLD_SECONDS, release)

    def user_for_key_login(self, device: Any, username: str) -> Any:
        """The user a key login acts as: the device's user object if it exposes one."""
        lookup: Callable[[str], Any] | None = getattr(device, "user", None)
        if callable(lookup):
            return lookup(username)
        return username

    def _delay_in_thread(self, device: Any) -> None:
        if fault_kind(device) is None:
            return
        future = asyncio.run_coroutine_threadsafe(device.reply_delay(), self._loop)
        future.result()

    def run_exec(
        self, channel: paramiko.Channel, device: Any, user: Any, command: str
    ) -> None:
        self._executor.submit(self._exec, channel, device, user, command)

    def _exec(
        self, channel: paramiko.Channel, device: Any, user: Any, command: str
    ) -> None:
        try:
            self._delay_in_thread(device)
            output, status = run_cli(device, command, user)
            payload = to_terminal(output).encode()
            fault = fault_kind(device)
            if fault in RESET_FAULTS | TRUNCATE_FAULTS:
                channel.sendall(payload[: len(payload) // 2])
                if fault in RESET_FAULTS:
                    channel.get_transport().close()
                else:
                    channel.close()
                return
            channel.sendall(payload)
            channel.send_exit_status(status)
        except (OSError, EOFError, paramiko.SSHException):
            log.debug("SSH exec channel broke", exc_info=True)
        except Exception:
            log.exception("SSH exec of %r failed", command)
            channel.send_exit_status(1)
        finally:
            channel.close()

    def run_shell(self, channel: paramiko.Channel, device: Any, user: Any) -> None:
        thread = threading.Thread(
            target=InteractiveShell(channel, device, user).run,
            name="sim-ssh-shell",
            daemon=True,
        )
        thread.start()

    async def close(self) -> None:
        self._accepting.cancel()
        for task in list(self._tasks):
            task.cancel()
        for conn in list(self._held):
            conn.close()
        self._held.clear()
        for transport in list(self._transports):
            transport.close()
        self._executor.shutdown(wait=False, cancel_futures=True)


def run_cli(device: Any, command: str, user: Any) -> tuple[str, int]:
    """Run one CLI command line; RouterOS errors become their message and exit status 1."""
    try:
        return device.cli(command, user), 0
    except RouterOSError as error:
        return error.message + "\n", 1


def to_terminal(text: str) -> str:
    """RouterOS terminals end lines with CR LF."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


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
        name = getattr(self._user, "name", self._user)
        return f"[{name}@{self._device.identity}] > ".encode()

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
            if self._escape:
                self._escape = self._escape + 1 if byte in b"[O0123456789;" else 0
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
            output, _status = run_cli(self._device, line, self._user)
            if output and not output.endswith("\n"):
                output += "\n"
            self._channel.sendall(to_terminal(output).encode())
        self._channel.sendall(self.prompt())
        return True


async def serve(fleet: Any, sock: socket.socket) -> FleetSshServer:
    """Start serving SSH for every device of `fleet` on the listening `sock`."""
    return FleetSshServer(fleet, sock)
