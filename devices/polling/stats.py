"""Poll health counters in Redis: how late polls start against their schedule, and outcomes.

Each batch appends its polls' lag (ms) to a capped list and bumps outcome counters; operators
(and bench/poll.py) read them with `snapshot()`. One pipelined round trip per batch.
"""

from __future__ import annotations

from collections.abc import Sequence

from .engine import PollResult
from .lock import client

LAG_KEY = "mikman:poll:lag_ms"
COUNT_KEY = "mikman:poll:counts"
BATCH_DELAY_KEY = "mikman:poll:batch_delay_ms"
LAG_KEEP = 200_000


def record(results: Sequence[PollResult], *, skipped_locked: int = 0, batch_delay: float | None = None) -> None:
    pipe = client().pipeline(transaction=False)
    if batch_delay is not None:  # how late the batch task itself started (queueing, ETA timer)
        pipe.rpush(BATCH_DELAY_KEY, max(0, int(batch_delay * 1000)))
        pipe.ltrim(BATCH_DELAY_KEY, -LAG_KEEP, -1)
    if results:
        pipe.rpush(LAG_KEY, *(max(0, int((r.started - r.due) * 1000)) for r in results))
        pipe.ltrim(LAG_KEY, -LAG_KEEP, -1)
        counts: dict[str, int] = {}
        for r in results:
            counts[r.status] = counts.get(r.status, 0) + 1
        for status, n in counts.items():
            pipe.hincrby(COUNT_KEY, status, n)
    if skipped_locked:
        pipe.hincrby(COUNT_KEY, "skipped_locked", skipped_locked)
    pipe.execute()


def snapshot(clear: bool = False) -> dict:
    conn = client()
    pipe = conn.pipeline(transaction=True)
    pipe.lrange(LAG_KEY, 0, -1)
    pipe.hgetall(COUNT_KEY)
    pipe.lrange(BATCH_DELAY_KEY, 0, -1)
    if clear:
        pipe.delete(LAG_KEY, COUNT_KEY, BATCH_DELAY_KEY)
    lags, counts, delays = pipe.execute()[:3]
    return {
        "lag_ms": [int(x) for x in lags],
        "batch_delay_ms": [int(x) for x in delays],
        "counts": {k.decode(): int(v) for k, v in counts.items()},
    }
