"""The registry of job kinds: what a Job can do to each of its devices.

A kind is registered once (`register(kind)`) and looked up by name when a job starts and when a
worker runs a batch of it. The runner (devices/jobs/runner.py) owns everything generic — rows,
claims, leases, counters, cancel, retry, audit — and asks the kind only three things:

- `prepare(params, access)`: validate the user's parameters; returns what to store (never a
  secret), a one-line summary, and whether the operation is dangerous (needs the admin role and
  an explicit confirmation);
- `idempotent(params)`: may a device's step run again after a worker died mid-step without
  changing the outcome? (the recovery re-queues such rows; others fail with a clear reason);
- `start(job, rows, emit)`: run the step on these claimed rows (in the task's tenant context:
  read what you need from the database here), call `emit(StepResult)` once per row — from any
  thread — and return a Future that completes when every row was emitted.

Push and upgrade register their own kinds the same way.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devices.models import JobDeviceState


@dataclass
class Prepared:
    params: dict
    summary: str
    dangerous: bool = False
    dangerous_reason: str = ""


@dataclass(slots=True)
class StepResult:
    row_id: str
    state: str  # JobDeviceState: succeeded, failed or skipped
    output: str = ""
    reason: str = ""
    truncated: bool = False

    @classmethod
    def ok(cls, row_id, output: str = "") -> StepResult:
        return cls(str(row_id), JobDeviceState.SUCCEEDED, output)

    @classmethod
    def failed(cls, row_id, reason: str, output: str = "") -> StepResult:
        return cls(str(row_id), JobDeviceState.FAILED, output, reason)

    @classmethod
    def skipped(cls, row_id, reason: str) -> StepResult:
        return cls(str(row_id), JobDeviceState.SKIPPED, "", reason)


Emit = Callable[[StepResult], None]


@dataclass
class JobKind:
    name: str
    label: str
    prepare: Callable[[dict, Any], Prepared]
    start: Callable[[Any, list, Emit], concurrent.futures.Future]
    idempotent: Callable[[dict], bool] = field(default=lambda params: False)
    # optional, for kinds that pace their devices (upgrade waves): which device ids to send when
    # the job starts (default: all), and a hook after each batch (tenant id, job id) that may
    # send more (tenant context)
    first_devices: Callable[[Any, list], list[str]] | None = None
    after_batch: Callable[[str, str], None] | None = None
    # optional, for kinds that hold devices until a time (upgrade: start_at, maintenance windows):
    # which of these device ids may be claimed now (job, ids) → ids (tenant context, its own
    # transaction before the claim); the kind keeps the others queued and re-sends them itself
    ready: Callable[[Any, list[str]], list[str]] | None = None


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> JobKind | None:
    _load_builtin()
    return KINDS.get(name)


def kind_names() -> list[str]:
    _load_builtin()
    return sorted(KINDS)


def done_future() -> concurrent.futures.Future:
    future: concurrent.futures.Future = concurrent.futures.Future()
    future.set_result(None)
    return future


_loaded = False


def _load_builtin() -> None:
    """Import the built-in kinds (they register themselves) on first use, not at import time."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from devices.jobs import backup_kind, command_kind, push_kind, upgrade_kind  # noqa: F401  (push_kind: helper h10)
