"""Getting one device's export over SSH — network only, no database (safe in worker threads).

Why SSH and not the API/REST: `/export` is a console command; RouterOS documents it for the
terminal (SSH), and every backup tool (Oxidized, RANCID, The Other Dude) uses SSH for it. The
simulator also answers `/export` over API and REST, but a real router's API does not return the
export text, so relying on it would pass tests and fail in the field. We keep SSH and make it
cheap instead: one connection per device, bounded concurrency (see bench/backup.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from devices.protocols.ssh import SSHError, SSHSession, SSHTarget

from .normalise import HEADER_RE

DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_EXPORT_TIMEOUT_S = 120.0  # large configs on slow CPUs take a while to render


DEFAULT_BINARY_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class BinaryRequest:
    """Also save and fetch the binary `/system backup save` file (policy `binary_backup`)."""

    name: str  # file name on the router, without `.backup`
    password: object = field(default=None, repr=False)  # Secret/str: the file's password; None: dont-encrypt
    max_bytes: int = DEFAULT_BINARY_MAX_BYTES


@dataclass(frozen=True)
class ExportRequest:
    """What the fetcher needs to know of a device (built in the tenant's context)."""

    device_id: str
    target: SSHTarget
    ros_version: str  # last known ("" if never polled)
    show_sensitive: bool
    binary: BinaryRequest | None = None


@dataclass
class BinaryResult:
    name: str
    data: bytes = b""
    password_protected: bool = False
    outcome: str = ""  # set when it failed (save_failed, sftp_unavailable, file_missing, …)
    reason: str = ""


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
    binary: BinaryResult | None = None


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
            if request.binary is not None and reply.complete:
                result.binary = fetch_binary(session, request.binary)
    except SSHError as exc:
        result.outcome, result.reason = exc.outcome, str(exc)
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


def _reveal(password: object) -> str:
    reveal = getattr(password, "reveal", None)
    return reveal() if callable(reveal) else str(password)


def fetch_binary(session: SSHSession, request: BinaryRequest) -> BinaryResult:
    """`/system backup save` on the open session, the file over SFTP, then deleted from the
    router (over SFTP, else with `/file remove`). Never raises for device faults, and no reason
    ever quotes the save command (it may carry the password)."""
    filename = f"{request.name}.backup"
    result = BinaryResult(filename, password_protected=request.password is not None)
    if request.password is not None:
        secret = _reveal(request.password).replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
        command = f'/system backup save name={request.name} password="{secret}"'
    else:
        command = f"/system backup save name={request.name} dont-encrypt=yes"
    try:
        reply = session.run(command)
    except SSHError as exc:
        result.outcome, result.reason = exc.outcome, "The router did not finish `/system backup save`."
        return result
    said = reply.output.strip()
    if not reply.complete or said:  # RouterOS says nothing when it saved the file
        result.outcome = "save_failed"
        result.reason = f"`/system backup save` failed: {said[:200]}" if said else "`/system backup save` broke off."
        return result
    try:
        result.data = session.fetch_file(filename, max_bytes=request.max_bytes, remove=True)
    except SSHError as exc:
        result.outcome, result.reason = exc.outcome, str(exc)
        try:  # do not leave a file full of secrets on the router
            session.run(f'/file remove [find name="{filename}"]')
        except SSHError:
            result.reason += f" `{filename}` may still be on the router."
        return result
    if not is_routeros_backup(result.data):
        result.outcome, result.reason = "not_a_backup", f"`{filename}` is not a RouterOS backup file."
        result.data = b""
    return result


def is_routeros_backup(data: bytes) -> bool:
    """RouterOS backups start with a magic number: plain, RC4- or AES-encrypted."""
    return data[:4] in (b"\x88\xac\xa1\xb1", b"\xef\xa8\x91\x72", b"\xef\xa8\x91\x73")
