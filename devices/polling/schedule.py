"""Which devices of a tenant are due, claimed so that no other tick sends them again.

`claim_due` runs in the tenant's context: it picks the enabled, unblocked devices whose
`next_poll_at` (and backoff) falls before the next scheduler tick plus POLL_LEAD_S (batches reach
the worker ahead of their devices' due times, so queueing delays do not make polls late; the
engine starts each device at its due time),
moves their `next_poll_at` one interval on (± jitter, so a fleet added at once spreads out over
time) in the same statement (`FOR UPDATE SKIP LOCKED`: two schedulers never claim one device),
and returns (id, due) pairs.
A device never polled is due at a random moment of the coming tick; one far behind schedule
(workers were down) at a random moment of its next interval — no thundering herd.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection

CLAIM_SQL = """
WITH due AS (
    SELECT id, poll_interval_s,
           greatest(coalesce(next_poll_at, now() + random() * make_interval(secs => %(tick)s)),
                    coalesce(backoff_until, '-infinity')) AS due_at
    FROM devices_device
    WHERE tenant_id = %(tenant)s AND enabled AND NOT auth_blocked
      AND coalesce(next_poll_at, '-infinity') < now() + make_interval(secs => %(horizon)s)
      AND coalesce(backoff_until, '-infinity') < now() + make_interval(secs => %(horizon)s)
    ORDER BY next_poll_at NULLS FIRST
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE devices_device AS d
SET next_poll_at = CASE
        WHEN due.due_at + make_interval(secs => due.poll_interval_s) > now()
        THEN due.due_at + make_interval(secs => due.poll_interval_s * (1 + (random() - 0.5) * 2 * %(jitter)s))
        ELSE now() + make_interval(secs => due.poll_interval_s * random())
    END
FROM due
WHERE d.id = due.id
RETURNING d.id::text, extract(epoch FROM due.due_at)::float8
"""


def claim_due(tenant_id: str, *, limit: int = 100000) -> list[tuple[str, float]]:
    """[(device id, due epoch seconds)] sorted by due time. Call inside the tenant's context."""
    with connection.cursor() as cursor:
        cursor.execute(
            CLAIM_SQL,
            {
                "tenant": str(tenant_id),
                "tick": float(settings.POLL_SCHEDULE_EVERY_S),
                "horizon": float(settings.POLL_SCHEDULE_EVERY_S + settings.POLL_LEAD_S),
                "jitter": settings.POLL_JITTER_PERCENT / 100.0,
                "limit": limit,
            },
        )
        rows = cursor.fetchall()
    return sorted(rows, key=lambda row: row[1])


def batches(claimed: list[tuple[str, float]], size: int) -> list[list[tuple[str, float]]]:
    return [claimed[i : i + size] for i in range(0, len(claimed), size)]


def now() -> float:
    return time.time()
