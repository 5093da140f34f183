"""Celery task counts, durations and failures, kept in Redis by the workers themselves.

Workers are separate processes (often separate pods) that nobody scrapes; instead every task
end adds to one Redis hash (one pipelined round trip per task) and /metrics reads it. Buckets
are stored non-cumulative and summed at scrape time.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings

KEY = "mikman:metrics:celery"
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)
STATES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried", "REJECTED": "rejected", "IGNORED": "ignored"}

log = logging.getLogger(__name__)
_started: dict[str, float] = {}
_lock = threading.Lock()
_client = None


def redis_client():
    global _client
    if _client is None:
        import redis

        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    return _client


def bucket_of(seconds: float) -> str:
    for bound in BUCKETS:
        if seconds <= bound:
            return str(bound)
    return "+Inf"


def record(task_name: str, state: str, seconds: float | None) -> None:
    """Add one finished task; never raises (metrics must not fail a task)."""
    outcome = STATES.get(state, "other")
    try:
        pipe = redis_client().pipeline(transaction=False)
        pipe.hincrby(KEY, f"{task_name}|count|{outcome}", 1)
        if seconds is not None:
            pipe.hincrbyfloat(KEY, f"{task_name}|sum", seconds)
            pipe.hincrby(KEY, f"{task_name}|bucket|{bucket_of(seconds)}", 1)
        pipe.execute()
    except Exception:  # noqa: BLE001 - Redis away: the broker is too; the task's own error matters
        log.debug("task metrics not recorded", exc_info=True)


def read() -> dict[str, dict]:
    """{task: {"counts": {outcome: n}, "sum": s, "buckets": {bound: n}}} from the hash."""
    tasks: dict[str, dict] = {}
    for raw_field, raw_value in redis_client().hgetall(KEY).items():
        field = raw_field.decode()
        name, _, rest = field.partition("|")
        entry = tasks.setdefault(name, {"counts": {}, "sum": 0.0, "buckets": {}})
        kind, _, label = rest.partition("|")
        if kind == "count":
            entry["counts"][label] = int(raw_value)
        elif kind == "sum":
            entry["sum"] = float(raw_value)
        elif kind == "bucket":
            entry["buckets"][label] = int(raw_value)
    return tasks


def _prerun(task_id=None, **kwargs) -> None:
    with _lock:
        _started[task_id] = time.monotonic()


def _postrun(task_id=None, task=None, state=None, **kwargs) -> None:
    with _lock:
        started = _started.pop(task_id, None)
    seconds = time.monotonic() - started if started is not None else None
    record(getattr(task, "name", "unknown"), state or "SUCCESS", seconds)


def connect_signals() -> None:
    from celery import signals

    signals.task_prerun.connect(_prerun, weak=False, dispatch_uid="mikman.metrics.prerun")
    signals.task_postrun.connect(_postrun, weak=False, dispatch_uid="mikman.metrics.postrun")
