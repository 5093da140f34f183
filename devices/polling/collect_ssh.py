"""Polling over SSH: the API's `print` commands run as RouterOS CLI commands, their text output
parsed back into the API's `{name: string}` rows, so `collect.parse_replies` builds the same
`Sample` as for an API poll.

`/system resource print` (single-item menus) prints `name: value` lines; list menus run as
`print terse without-paging` — one line per row, `N FLAGS name=value …` with the flags `X`
(disabled) and `R` (running) — and the flags become the API's `disabled`/`running` values. A
CLI error (`no such command prefix`, `bad command name`, `failure: …`) becomes a `TrapError`
for that command only, like an API trap.

The SSH client (`devices.protocols.ssh`, paramiko) is blocking: each open, batch of commands and
close runs in a thread of a small pool of its own (`SSH_THREADS`), so slow or silent SSH devices
never hold up the threads the event loop uses for name resolution. SSH polling costs a key exchange per
connection and one exec channel per command — far more CPU than the API (see
bench/backup.py's measurements) — so it is meant for the devices that offer nothing else.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import re
import shlex
import threading

from devices.protocols.errors import GarbledReply, LoginRejected, PeerIdentityChanged
from devices.protocols.routeros_api import TrapError

SINGLE_MENUS = frozenset({"/system/resource", "/system/identity", "/system/routerboard", "/system/license"})
CLI_ERRORS = ("no such command", "bad command name", "syntax error", "failure:", "expected ", "input does not match")
_ROW = re.compile(r"^\s*(\d+)\s+([A-Z ]*?)\s*(?=[a-z.][\w.-]*=|$)")
SSH_THREADS = 8  # paramiko is pure-Python crypto: more threads only contend for the GIL

_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


async def _in_thread(fn, *args):
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(SSH_THREADS, thread_name_prefix="poll-ssh")
    return await asyncio.get_running_loop().run_in_executor(_pool, functools.partial(fn, *args))


def cli_command(command: tuple[str, ...]) -> str:
    """("/interface/wifi/registration-table/print", …) → "/interface wifi registration-table print
    terse without-paging" (`.proplist` words are dropped: the parser keeps what it needs)."""
    path = command[0]
    menu = path[: -len("/print")] if path.endswith("/print") else path
    parts = menu.strip("/").split("/")
    text = "/" + " ".join(parts) + " print"
    return text if menu in SINGLE_MENUS else text + " terse without-paging"


def parse_cli(output: str) -> list[dict[str, str]] | TrapError:
    """A `print`'s text → rows (see the module docstring), or a TrapError for a CLI error."""
    text = output.strip()
    if not text:
        return []
    first = text.splitlines()[0].strip().lower()
    if any(first.startswith(marker) for marker in CLI_ERRORS):
        return TrapError(message=text.splitlines()[0].strip()[:200], category=None)
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("Flags:")]
    if all(_ROW.match(line) for line in lines):
        return [_list_row(line) for line in lines]
    row: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.strip().partition(":")
        if sep and key and " " not in key.strip():
            row[key.strip()] = value.strip()
    return [row] if row else []


def _list_row(line: str) -> dict[str, str]:
    match = _ROW.match(line)
    assert match is not None
    flags = match.group(2)
    row = {"disabled": "true" if "X" in flags else "false", "running": "true" if "R" in flags else "false"}
    try:
        words = shlex.split(line[match.end() :])
    except ValueError:  # an unbalanced quote: take the words as they are
        words = line[match.end() :].split()
    for word in words:
        name, sep, value = word.partition("=")
        if sep:
            row[name] = value
    return row


def _translate(exc: BaseException) -> BaseException:
    from devices.protocols import ssh

    message = str(exc)
    if isinstance(exc, ssh.AuthFailed):
        return LoginRejected(message)
    if isinstance(exc, ssh.HostKeyMismatch):
        return PeerIdentityChanged(message)
    if isinstance(exc, ssh.Timeout):
        return TimeoutError(message)
    if isinstance(exc, ssh.Refused):
        return ConnectionRefusedError(message)
    if isinstance(exc, ssh.Garbage):
        return GarbledReply(message)
    return ConnectionResetError(message or "connection reset")


class SshCli:
    """One device's SSH connection, used by the poll engine like `RawApi` (`call_many`, `close`)."""

    def __init__(self, session):
        self.session = session

    @property
    def host_key(self) -> str:
        return self.session.host_key

    @classmethod
    async def open(
        cls, host: str, port: int, username: str, password, *, host_key: str, connect_timeout: float, timeout: float
    ) -> SshCli:
        from devices.protocols.ssh import SSHError, SSHSession, SSHTarget

        target = SSHTarget(host, port, username, password, host_key, connect_timeout, timeout)
        try:
            session = await _in_thread(SSHSession(target).open)
        except SSHError as exc:
            raise _translate(exc) from None
        return cls(session)

    async def call_many(self, commands: list[tuple[str, ...]]) -> list[list[dict[str, str]] | TrapError]:
        from devices.protocols.ssh import SSHError

        try:
            results = await _in_thread(self.session.run_many, [cli_command(c) for c in commands])
        except SSHError as exc:
            raise _translate(exc) from None
        if not all(result.complete for result in results):
            raise ConnectionResetError("the device closed the SSH connection mid-reply")
        return [parse_cli(result.output) for result in results]

    async def close(self) -> None:
        await _in_thread(self.session.close)
