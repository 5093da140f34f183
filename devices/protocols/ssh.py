"""SSH to RouterOS: one session, one or more exec commands, faults as clear exception classes.

Used for config backups (`/export`) and by anything else that needs the CLI (commands, SSH
polling). Pure paramiko over a plain socket, no Django: callers build an `SSHTarget` (see
`devices.backups.services.export_request` for a Device) and get text back.

What callers may rely on:
- `connect_timeout` bounds TCP connect + SSH banner + key exchange + login; `command_timeout`
  bounds each command from sending it to the end of its output.
- Host keys are trusted on first use: with `host_key=""` any key is accepted and returned in
  `session.host_key` (store it); with a pinned key a different one raises `HostKeyMismatch`
  before the password is sent.
- Every failure is an `SSHError` subclass whose `outcome` is a short machine code (refused,
  timeout, auth_failed, host_key_mismatch, garbage, reset) and whose message never holds the
  password. A command whose channel closed without an exit status (the device dropped the
  connection mid-reply) is returned with `complete=False`, not raised: the caller decides
  whether partial output is usable (a backup is not).

Measured (2 cores, paramiko 5.1 client and the simulator's paramiko server in one process): one
connection + login + `/export` of ~4 KB costs ~80 ms of CPU; the client's share is about half.
Pure-Python key exchange dominates, so bulk work bounds concurrency at a few threads per core
(more threads only contend for the GIL) — see bench/backup.py.
"""

from __future__ import annotations

import errno
import io
import logging
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import paramiko

log = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_COMMAND_TIMEOUT_S = 60.0
READ_CHUNK = 65536
# paramiko logs every negotiation failure at ERROR with a traceback; ours are expected device faults.
logging.getLogger("paramiko.transport").setLevel(logging.CRITICAL)


class SSHError(Exception):
    """A device-side or network fault; `outcome` is a short code for machines."""

    outcome = "ssh_error"


class Refused(SSHError):
    outcome = "refused"


class Timeout(SSHError):
    outcome = "timeout"


class AuthFailed(SSHError):
    outcome = "auth_failed"


class HostKeyMismatch(SSHError):
    outcome = "host_key_mismatch"

    def __init__(self, expected: str, seen: str):
        self.expected, self.seen = expected, seen
        super().__init__(
            f"The device's SSH host key changed (pinned {fingerprint(expected)}, now {fingerprint(seen)}): "
            "check the device, then clear the pinned key to trust the new one."
        )


class Garbage(SSHError):
    """The peer does not speak SSH (or broke the protocol)."""

    outcome = "garbage"


class Reset(SSHError):
    outcome = "reset"


class SFTPUnavailable(SSHError):
    """The device refused the SFTP subsystem (on RouterOS: the user lacks the `ftp` policy)."""

    outcome = "sftp_unavailable"


class FileMissing(SSHError):
    outcome = "file_missing"


class FileTooLarge(SSHError):
    outcome = "file_too_large"


@dataclass(frozen=True)
class SSHTarget:
    host: str
    port: int
    username: str
    password: object = field(repr=False)  # str or devices.keyring.Secret: revealed only at login
    host_key: str = ""  # "ssh-ed25519 AAAA…" pinned on the device; "" = trust on first use
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT_S


@dataclass
class CommandResult:
    command: str
    output: str
    exit_status: int | None  # None: the channel closed without one
    complete: bool  # False: the connection ended before the command finished


def key_text(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.get_base64()}"


def fingerprint(text: str) -> str:
    """OpenSSH-style SHA256 fingerprint of a "type base64" key, for messages."""
    import base64
    import hashlib

    try:
        blob = base64.b64decode(text.split()[1])
    except (IndexError, ValueError):
        return "(unreadable key)"
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _reveal(password: object) -> str:
    reveal = getattr(password, "reveal", None)
    return reveal() if callable(reveal) else str(password)


class SSHSession:
    """One SSH connection: `with SSHSession(target) as s: s.run("/export")`."""

    def __init__(self, target: SSHTarget):
        self.target = target
        self.host_key = ""  # what the device presented (pin it when the target had none)
        self._transport: paramiko.Transport | None = None

    # --- connect ------------------------------------------------------------------------------
    def open(self) -> SSHSession:
        t = self.target
        where = f"{t.host}:{t.port}"
        deadline = time.monotonic() + t.connect_timeout
        try:
            sock = socket.create_connection((t.host, t.port), timeout=t.connect_timeout)
        except TimeoutError as exc:
            raise Timeout(f"No answer from {where} within {t.connect_timeout:g} s.") from exc
        except ConnectionRefusedError as exc:
            raise Refused(f"Connection refused on {where} (device down or SSH service off).") from exc
        except ConnectionResetError as exc:
            raise Refused(f"Connection reset on {where} (device down or SSH service off).") from exc
        except OSError as exc:
            if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
                raise Timeout(f"No route to {where}.") from exc
            raise Refused(f"Cannot connect to {where}: {exc.strerror or type(exc).__name__}.") from exc
        # SSH sends many small packets each way; with Nagle on, each waits for the peer's
        # delayed ACK (~40 ms on Linux): measured 50 ms per exchange instead of <1 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = paramiko.Transport(sock)
        self._transport = transport
        transport.banner_timeout = t.connect_timeout
        transport.handshake_timeout = t.connect_timeout
        transport.auth_timeout = t.connect_timeout
        try:
            transport.start_client(timeout=max(0.1, deadline - time.monotonic()))
            seen = key_text(transport.get_remote_server_key())
            if t.host_key and t.host_key.strip() != seen:
                raise HostKeyMismatch(t.host_key.strip(), seen)
            self.host_key = seen
            try:
                transport.auth_password(t.username, _reveal(t.password))
            except paramiko.BadAuthenticationType as exc:
                raise AuthFailed(f"The device does not accept password logins over SSH ({exc.allowed_types}).") from exc
            except paramiko.AuthenticationException as exc:
                raise AuthFailed("The device refused the SSH login (wrong user name or password).") from exc
        except SSHError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            if time.monotonic() >= deadline - 0.05:  # paramiko words its timeouts in many ways
                raise Timeout(f"No SSH answer from {where} within {t.connect_timeout:g} s.") from exc
            closed = isinstance(exc, (EOFError, ConnectionResetError)) or "reset by peer" in str(exc).lower()
            if closed and not getattr(transport, "remote_version", ""):
                # dropped before SSH even started: as good as refused (a router whose service is off)
                raise Refused(f"Connection reset on {where} (device down or SSH service off).") from exc
            raise _classify(exc, where, t.connect_timeout) from exc
        return self

    # --- commands -----------------------------------------------------------------------------
    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run one command on a fresh exec channel; its whole output as text (CR LF → LF)."""
        if self._transport is None or not self._transport.is_active():
            raise Reset("The SSH connection is closed.")
        timeout = self.target.command_timeout if timeout is None else timeout
        where = f"{self.target.host}:{self.target.port}"
        deadline = time.monotonic() + timeout
        chunks: list[bytes] = []
        try:
            channel = self._transport.open_session(timeout=timeout)
            channel.settimeout(timeout)
            channel.exec_command(command)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Timeout(f"`{command}` on {where} did not finish within {timeout:g} s.")
                channel.settimeout(remaining)
                data = channel.recv(READ_CHUNK)
                if not data:
                    break
                chunks.append(data)
            status = channel.recv_exit_status() if channel.exit_status_ready() else None
            channel.close()
        except SSHError:
            raise
        except TimeoutError as exc:
            raise Timeout(f"`{command}` on {where} did not finish within {timeout:g} s.") from exc
        except Exception as exc:
            raise _classify(exc, where, timeout) from exc
        text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
        # paramiko reports -1 for a channel that closed without an exit status
        status = None if status is None or status < 0 else status
        return CommandResult(command, text, status, complete=status is not None)

    def run_many(self, commands: Iterable[str], timeout: float | None = None) -> list[CommandResult]:
        """Each command on its own channel of this one connection, in order."""
        return [self.run(command, timeout) for command in commands]

    def fetch_file(self, name: str, *, max_bytes: int, remove: bool = False) -> bytes:
        """A file of the device over SFTP on this connection (then removed from it when
        `remove`). Raises SFTPUnavailable, FileMissing, FileTooLarge or another SSHError."""
        if self._transport is None or not self._transport.is_active():
            raise Reset("The SSH connection is closed.")
        where = f"{self.target.host}:{self.target.port}"
        try:
            sftp = paramiko.SFTPClient.from_transport(self._transport)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise SFTPUnavailable(f"The device at {where} offers no SFTP to this user.") from exc
        if sftp is None:
            raise SFTPUnavailable(f"The device at {where} offers no SFTP to this user.")
        try:
            sftp.get_channel().settimeout(self.target.command_timeout)
            try:
                size = sftp.stat(name).st_size or 0
            except FileNotFoundError as exc:
                raise FileMissing(f"`{name}` is not on the device.") from exc
            if size > max_bytes:
                raise FileTooLarge(f"`{name}` is {size} bytes, more than the {max_bytes} allowed.")
            buffer = io.BytesIO()
            sftp.getfo(name, buffer)
            if remove:
                sftp.remove(name)
            return buffer.getvalue()
        except SSHError:
            raise
        except TimeoutError as exc:
            raise Timeout(f"Reading `{name}` from {where} took longer than {self.target.command_timeout:g} s.") from exc
        except OSError as exc:
            raise SFTPUnavailable(f"SFTP on {where} failed: {exc.strerror or type(exc).__name__}.") from exc
        except Exception as exc:
            raise _classify(exc, where, self.target.command_timeout) from exc
        finally:
            sftp.close()

    # --- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        if self._transport is not None:
            try:
                self._transport.close()
            except Exception:  # noqa: BLE001 - closing a broken transport must not mask the real error
                log.debug("closing SSH transport failed", exc_info=True)
            self._transport = None

    def __enter__(self) -> SSHSession:
        return self.open() if self._transport is None else self

    def __exit__(self, *exc_info) -> None:
        self.close()


def run_commands(target: SSHTarget, commands: Iterable[str]) -> tuple[list[CommandResult], str]:
    """Connect, run the commands, close. Returns (results, the host key the device presented)."""
    with SSHSession(target) as session:
        return session.run_many(commands), session.host_key


def _classify(exc: BaseException, where: str, timeout: float) -> SSHError:
    """paramiko/socket failures as our exception classes (the message never holds a secret)."""
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return Timeout(f"No answer from {where} within {timeout:g} s.")
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, EOFError)):
        return Reset(f"The device closed the SSH connection ({where}).")
    if isinstance(exc, paramiko.SSHException):
        text = str(exc)
        lowered = text.lower()
        if "reset by peer" in lowered or "eof" in lowered or "closed" in lowered:
            return Reset(f"The device closed the SSH connection ({where}).")
        if "banner" in text.lower() or "protocol" in text.lower() or "incompatible" in text.lower():
            if "timeout" in text.lower():
                return Timeout(f"No SSH banner from {where} within {timeout:g} s.")
            return Garbage(f"The device at {where} did not answer with the SSH protocol.")
        return Garbage(f"SSH negotiation with {where} failed ({type(exc).__name__}).")
    if isinstance(exc, OSError):
        return Reset(f"Network error with {where}: {exc.strerror or type(exc).__name__}.")
    return Garbage(f"Unexpected SSH failure with {where} ({type(exc).__name__}).")
