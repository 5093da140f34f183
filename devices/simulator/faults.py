"""Fault injection: what can go wrong with a device, and how a spec picks devices.

Spec grammar (``--faults``): comma-separated entries ``KIND[:PARAM]=SELECTOR`` where
SELECTOR is a fraction of the fleet (``0.05``) or ``@`` followed by indices
(``@0,3,7`` or ``@10-19``); e.g. ``offline=0.05,slow:300ms=0.1,flapping:4s=@2``.
PARAM is a latency for ``slow`` and a period for ``flapping``/``reboot-loop``.

Frontends apply faults through the device: ``is_reachable(proto)`` (refuse),
``is_blackholed()`` (accept, never answer), ``await reply_delay()`` (slow) and
``mangle_reply(data)`` (truncate / garbage / reset), so every protocol fails alike.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

KINDS = (
    "offline",  # connection refused
    "blackhole",  # accept, never answer
    "slow",  # added latency per reply
    "wrong-credentials",  # the known password is rejected
    "flapping",  # reachable for half a period, refused for the other half
    "truncate",  # replies cut short, then the connection closes
    "garbage",  # replies replaced by bytes that are not the protocol
    "reset",  # connection reset (RST) in the middle of a reply
    "mgmt-cut",  # a firewall rule dropping management ports is added to the config
    "reboot-loop",  # the device keeps rebooting
    "disk-full",  # backups and file writes fail
    "upgrade-fails",  # an installed upgrade does not take: the device reboots back onto its old version
)


def parse_duration(text: str) -> float:
    """RouterOS-style durations: 300ms, 5s, 2m, 1h, 1d, 1w, 1h2m3s, 00:01:00, plain seconds."""
    text = text.strip()
    if not text:
        return 0.0
    if ":" in text:
        parts = [float(p) for p in text.split(":")]
        while len(parts) < 3:
            parts.insert(0, 0.0)
        return parts[0] * 3600 + parts[1] * 60 + parts[2]
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    total, number, i = 0.0, "", 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            number += ch
            i += 1
            continue
        unit = "ms" if text.startswith("ms", i) else ch
        if unit not in units or not number:
            raise ValueError(f"bad duration {text!r}")
        total += float(number) * units[unit]
        number = ""
        i += len(unit)
    if number:
        total += float(number)
    return total


@dataclass
class Fault:
    """An active fault on one device."""

    kind: str
    latency_s: float = 0.5
    period_s: float = 4.0
    since: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; known: {', '.join(KINDS)}")

    def is_down(self, now: float | None = None, reboot_s: float = 1.0) -> bool:
        """True while a flapping / reboot-looping device is in its unreachable phase."""
        now = time.monotonic() if now is None else now
        if self.kind == "flapping":
            return (now - self.since) % self.period_s >= self.period_s / 2
        if self.kind == "reboot-loop":
            return (now - self.since) % (self.period_s + reboot_s) >= self.period_s
        return self.kind == "offline"

    def cycle(self, now: float | None = None, reboot_s: float = 1.0) -> int:
        """Which up/down cycle we are in (a new cycle means a new boot)."""
        now = time.monotonic() if now is None else now
        span = self.period_s + (reboot_s if self.kind == "reboot-loop" else 0.0)
        return int((now - self.since) // span) if span > 0 else 0

    def describe(self) -> str:
        if self.kind == "slow":
            return f"slow:{self.latency_s * 1000:g}ms"
        if self.kind in ("flapping", "reboot-loop"):
            return f"{self.kind}:{self.period_s:g}s"
        return self.kind


def parse_fault(text: str) -> Fault | None:
    """ "slow:300ms" -> Fault("slow", latency_s=0.3); "none"/"" -> None."""
    text = text.strip()
    if text in ("", "none", "ok"):
        return None
    kind, _, param = text.partition(":")
    fault = Fault(kind.strip())
    if param:
        seconds = parse_duration(param)
        if fault.kind == "slow":
            fault.latency_s = seconds
        else:
            fault.period_s = seconds
    return fault


def _indices(selector: str, count: int, seed: int, salt: int) -> list[int]:
    if selector.startswith("@"):
        out: list[int] = []
        for part in selector[1:].split(","):
            if "-" in part:
                lo, hi = part.split("-", 1)
                out.extend(range(int(lo), int(hi) + 1))
            elif part:
                out.append(int(part))
        return [i for i in out if 0 <= i < count]
    fraction = float(selector)
    chosen = round(count * fraction)
    return sorted(random.Random(seed * 7919 + salt).sample(range(count), min(count, chosen)))


def assign_faults(spec: str | None, count: int, seed: int) -> dict[int, str]:
    """Deterministically map device index -> fault text for a --faults spec.

    Fractions are drawn independently per entry; a device picked twice keeps the last.
    """
    out: dict[int, str] = {}
    if not spec:
        return out
    entries: list[str] = []  # "@0,3" selectors contain commas: re-join index lists
    for piece in spec.split(","):
        piece = piece.strip()
        if not piece:
            continue
        if "=" not in piece and entries and "=@" in entries[-1]:
            entries[-1] += "," + piece
        else:
            entries.append(piece)
    for salt, entry in enumerate(entries):
        fault_text, _, selector = entry.partition("=")
        parse_fault(fault_text)  # validate early
        for index in _indices(selector.strip() or "1", count, seed, salt):
            out[index] = fault_text.strip()
    return out
