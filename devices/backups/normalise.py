"""From raw `/export` output to the text we store, or a reason why the output is not a backup.

Why normalise: RouterOS starts every export with `# <date> <time> by RouterOS <version>`, which
changes on every run; comparing raw exports would make every run a "change". We drop that line
(and trailing spaces, CR LF → LF) and hash the rest, so identical configs share one stored blob.

Why check: a dropped connection, a full disk or an interactive shell in the way produces output
that looks like text but is not a config. Storing it would make the next diff show the whole
config deleted; instead the run is recorded as failed with the reason.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# "# 2026-11-23 10:00:00 by RouterOS 7.16.2" (v7) / "# nov/23/2026 10:00:00 by RouterOS 6.49.13" (v6)
HEADER_RE = re.compile(r"^# \S+ \S+ by RouterOS (?P<version>\S+)")
# Lines RouterOS varies between runs without a config change.
VOLATILE_RES = (HEADER_RE,)
PROMPT_RE = re.compile(r"\[[^\]@\s]+@[^\]]+\]\s*[>/]")  # "[admin@router] > "
ERROR_RES = (
    re.compile(r"^(bad command name|expected end of command|syntax error|input does not match)", re.I),
    re.compile(r"^failure: ", re.I),
    re.compile(r"^no such (item|command)", re.I),
    re.compile(r"^(interrupted|action cancelled)", re.I),
)
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
MIN_CONFIG_LINES = 1


class BadExport(Exception):
    """The output is not a complete export; `outcome` is a short code, the message says why."""

    def __init__(self, outcome: str, reason: str):
        super().__init__(reason)
        self.outcome, self.reason = outcome, reason


@dataclass(frozen=True)
class NormalisedExport:
    text: str
    sha256: str
    ros_version: str  # from the header ("" when the header had none)

    @property
    def size(self) -> int:
        return len(self.text.encode())


def normalise(raw: str, *, complete: bool = True) -> NormalisedExport:
    """The storable form of `raw`, or BadExport.

    `complete=False` means the connection ended before the command did (no exit status): such
    output is never stored, whatever it looks like."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if not complete:
        raise BadExport(
            "truncated", f"The connection ended before the export finished ({len(text.encode())} bytes received)."
        )
    if not text.strip():
        raise BadExport("empty", "The device returned an empty export.")
    if ANSI_RE.search(text) or PROMPT_RE.search(text):
        raise BadExport(
            "shell_noise", "The output contains interactive-shell prompts or terminal codes, not an export."
        )
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    version = ""
    for line in lines[:3]:
        match = HEADER_RE.match(line)
        if match:
            version = match.group("version")
            break
    else:
        raise BadExport("not_export", "The output does not start with a RouterOS export header.")
    config_lines = 0
    for number, line in enumerate(lines, 1):
        if any(ch in line for ch in "\x00\ufffd") or any(ord(ch) < 0x20 and ch != "\t" for ch in line):
            raise BadExport("garbage", f"Line {number} holds binary data: the output is not an export.")
        stripped = line.strip()
        if any(pattern.match(stripped) for pattern in ERROR_RES):
            raise BadExport("device_error", f"The device answered with an error instead of an export: {stripped[:120]}")
        if stripped and not stripped.startswith("#"):
            config_lines += 1
    if lines[-1].endswith("\\"):
        raise BadExport("truncated", "The export ends inside a continued line: it was cut short.")
    if config_lines < MIN_CONFIG_LINES:
        raise BadExport("empty", "The export holds no configuration lines.")
    kept = [line for line in lines if not any(pattern.match(line) for pattern in VOLATILE_RES)]
    body = "\n".join(kept) + "\n"
    return NormalisedExport(body, hashlib.sha256(body.encode()).hexdigest(), version)
