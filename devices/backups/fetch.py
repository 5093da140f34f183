"""Getting one device's export over SSH — network only, no database (safe in worker threads).

Why SSH and not the API/REST: `/export` is a console command; RouterOS documents it for the
terminal (SSH), and every backup tool (Oxidized, RANCID, The Other Dude) uses SSH for it. The
simulator also answers `/export` over API and REST, but a real router's API does not return the
export text, so relying on it would pass tests and fail in the field. We keep SSH and make it
cheap instead: one connection per device, bounded concurrency (see bench/backup.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from devices.protocols.ssh import SSHError, SSHSession, SSHTarget

from .normalise import HEADER_RE

DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_EXPORT_TIMEOUT_S = 120.0  # large configs on slow CPUs take a while to render


@dataclass(frozen=True)
class ExportRequest:
    """What the fetcher needs to know of a device (built in the tenant's context)."""

    device_id: str
    target: SSHTarget
    ros_version: str  # last known ("" if never polled)
    show_sensitive: bool


@dataclass
class ExportResult:
    device_id: str
    raw: str = ""
    complete: bool = False
    sensitive: bool = False
    host_key: str = ""
    outcome: str = ""  # set when the connection failed (refused, timeout, auth_failed, …)
    reason: str = ""
    duration_ms: int = 0


def major_of(version: str) -> int | None:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def export_command(major: int | None, show_sensitive: bool) -> str:
    """RouterOS 7 hides secrets unless asked (`show-sensitive`); RouterOS 6 shows them unless
    asked (`hide-sensitive`). Unknown version: plain `/export` (checked against its header)."""
    if major is None:
        return "/export"
    if major >= 7:
        return "/export show-sensitive" if show_sensitive else "/export"
    return "/export" if show_sensitive else "/export hide-sensitive"


def header_major(raw: str) -> int | None:
    for line in raw.replace("\r\n", "\n").split("\n")[:3]:
        match = HEADER_RE.match(line)
        if match:
            return major_of(match.group("version"))
    return None


def fetch_export(request: ExportRequest) -> ExportResult:
    """Connect, run the export (again with the right flag if the version guess was wrong), close.

    Never raises for device faults: they come back as `outcome`/`reason`."""
    started = time.monotonic()
    result = ExportResult(request.device_id)
    major = major_of(request.ros_version)
    try:
        with SSHSession(request.target) as session:
            result.host_key = session.host_key
            command = export_command(major, request.show_sensitive)
            reply = session.run(command)
            seen = header_major(reply.output) if reply.complete else None
            if seen is not None and export_command(seen, request.show_sensitive) != command:
                reply = session.run(export_command(seen, request.show_sensitive))
                major = seen
            elif seen is not None:
                major = seen
            result.raw, result.complete = reply.output, reply.complete
            # v6 exports always carry secrets unless hidden; v7 only with show-sensitive
            result.sensitive = request.show_sensitive and major is not None
    except SSHError as exc:
        result.outcome, result.reason = exc.outcome, str(exc)
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result
