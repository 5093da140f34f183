"""Runs `/system scheduler` entries on the simulator clock, plus startup scripts after reboots.

Next-run times are cached per device (cleared whenever the scheduler menu changes), so a tick
over thousands of devices is mostly float comparisons.  Scripts run in worker threads because
`:delay` blocks.
"""

from __future__ import annotations

import calendar
import heapq
import itertools
import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from .faults import parse_duration
from .views import MONTHS

if TYPE_CHECKING:
    from .device import SimDevice


def parse_start(date_text: str | None, time_text: str, now: float) -> float:
    """Epoch of start-date/start-time (UTC); today's date when no start-date is set."""
    if date_text:
        d = date_text.strip().lower()
        if "/" in d:
            mon, day, year = d.split("/")
            y, m, dd = int(year), MONTHS.index(mon[:3]) + 1, int(day)
        else:
            y, m, dd = (int(x) for x in d.split("-"))
    else:
        t = time.gmtime(now)
        y, m, dd = t.tm_year, t.tm_mon, t.tm_mday
    hh, mm, ss = (int(float(x)) for x in (time_text.split(":") + ["0", "0"])[:3])
    return calendar.timegm((y, m, dd, hh, mm, ss, 0, 0, 0))


def next_run(row: dict, now: float, boot_time: float) -> float:
    """When a scheduler row fires next (inf = never)."""
    if row.get("disabled") == "yes":
        return math.inf
    interval = parse_duration(row.get("interval", "0s") or "0s")
    start_time = row.get("start-time", "startup")
    if start_time == "startup":
        if interval <= 0:
            return math.inf  # runs once at boot, handled by the boot hook
        base = boot_time + 3
    else:
        base = parse_start(row.get("start-date"), start_time, now)
    if interval <= 0:
        return base if base > now else math.inf
    if base > now:
        return base
    return base + math.ceil((now - base) / interval) * interval


class Scheduler:
    """Fleet-wide ticker: scheduler entries, boot scripts and fault transitions.

    Devices needing attention (config changed, rebooted, faulty) are in `watched`; devices
    that only wait for their next run sit in a heap keyed by that time, so a tick over a
    10,000-device fleet touches only what is due.
    """

    def __init__(self, workers: int = 4) -> None:
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sim-script")
        self.watched: set[SimDevice] = set()
        self._due: list[tuple[float, int, SimDevice]] = []
        self._seq = itertools.count()

    def watch(self, device: SimDevice) -> None:
        self.watched.add(device)

    def tick(self, now: float) -> None:
        while self._due and self._due[0][0] <= now:
            due, _, device = heapq.heappop(self._due)
            if due == device.sched_due:  # else a stale entry: the device was re-planned
                self.watched.add(device)
        for device in list(self.watched):
            if device.fault is not None:
                device.enforce_faults()
            if not device.built or device.is_rebooting():
                continue
            if device.fault is None:
                self.watched.discard(device)
            self._run_due(device, now)

    def _run_due(self, device: SimDevice, now: float) -> None:
        if device.boot_scripts_pending:
            device.boot_scripts_pending = False
            for row in list(device.state.tables.get("/system/scheduler", ())):
                if row.get("start-time", "startup") == "startup" and row.get("disabled") != "yes":
                    self._fire(device, row)
        for row in list(device.state.tables.get("/system/scheduler", ())):
            rid = row[".id"]
            nxt = device.sched_next.get(rid)
            if nxt is None:
                nxt = device.sched_next[rid] = next_run(row, now, device.boot_time)
            if nxt <= now:
                interval = parse_duration(row.get("interval", "0s") or "0s")
                device.sched_next[rid] = nxt + interval if interval > 0 else math.inf
                if device.sched_next[rid] <= now:  # we fell behind: skip missed runs
                    device.sched_next[rid] = next_run(row, now, device.boot_time)
                self._fire(device, row)
        due = min(device.sched_next.values(), default=math.inf)
        device.sched_due = due
        if due < math.inf:
            heapq.heappush(self._due, (due, next(self._seq), device))

    def _fire(self, device: SimDevice, row: dict) -> None:
        rid = row[".id"]
        device.sched_runs[rid] = device.sched_runs.get(rid, 0) + 1
        event = row.get("on-event", "")
        self.executor.submit(_run_event, device, row.get("name", rid), event)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def _run_event(device: SimDevice, name: str, event: str) -> None:
    from .errors import RouterOSError

    try:
        scripts = device.state.tables.get("/system/script", ())
        if any(s.get("name") == event.strip() for s in scripts):
            device.run_script(event.strip())
        else:
            device.run_source(event)
    except RouterOSError as exc:
        device.log("script,error", f"executing script from scheduler ({name}) failed: {exc.message}")
    except Exception as exc:  # noqa: BLE001 - a broken script must not kill the scheduler
        device.log("script,error", f"executing script from scheduler ({name}) failed: {exc}")
