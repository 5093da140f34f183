"""Consecutive-sample counters per rule × device × subject, in one Redis hash per tenant.

A counter is an int: n > 0 = the last n samples breached; n < 0 = the last -n samples were good
while an alert is open (clear_after damping). Zero is not stored, so a healthy fleet keeps an
empty hash: the state is proportional to what is going wrong, not to the fleet. Losing Redis
loses only progress towards a threshold (counting restarts), never an alert (those are rows).
"""

from __future__ import annotations

import threading

import redis
from django.conf import settings

PREFIX = "mikman:alerts:state:"
_client: redis.Redis | None = None
_lock = threading.Lock()


def client() -> redis.Redis:
    global _client
    with _lock:
        if _client is None:
            _client = redis.Redis.from_url(settings.REDIS_URL)
        return _client


def key(tenant_id: str) -> str:
    return f"{PREFIX}{tenant_id}"


def load(tenant_id: str, fields: list[str]) -> dict[str, int]:
    """Counters of these fields (absent = 0)."""
    if not fields:
        return {}
    values = client().hmget(key(tenant_id), fields)
    return {field: int(value) for field, value in zip(fields, values, strict=True) if value is not None}


def save(tenant_id: str, changed: dict[str, int]) -> None:
    """Write changed counters in one round trip (0 deletes the field)."""
    if not changed:
        return
    pipe = client().pipeline(transaction=False)
    keep = {field: value for field, value in changed.items() if value}
    drop = [field for field, value in changed.items() if not value]
    if keep:
        pipe.hset(key(tenant_id), mapping=keep)
    if drop:
        pipe.hdel(key(tenant_id), *drop)
    pipe.execute()


def forget(tenant_id: str) -> None:
    client().delete(key(tenant_id))


def load_all(tenant_id: str) -> dict[str, int]:
    """Every stored counter of the tenant: one HGETALL. The hash holds only non-zero counters
    (devices on their way to firing or clearing), so it stays small however big the fleet —
    cheaper than asking for each rule × device of a batch by name."""
    return {field.decode(): int(value) for field, value in client().hgetall(key(tenant_id)).items()}
