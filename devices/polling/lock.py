"""Per-device poll locks in Redis: two workers never poll one device at the same time.

`SET key token NX PX ttl` per device (pipelined: one round trip for a whole batch); released
with a compare-and-delete script so a worker never frees a lock that expired and was taken by
another. The TTL bounds how long a crashed worker can hold a device.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable, Sequence

import redis
from django.conf import settings

PREFIX = "mikman:poll:lock:"
_RELEASE = """
local released = 0
for i, key in ipairs(KEYS) do
    if redis.call('get', key) == ARGV[1] then
        redis.call('del', key)
        released = released + 1
    end
end
return released
"""

_client: redis.Redis | None = None
_client_lock = threading.Lock()


def client() -> redis.Redis:
    global _client
    with _client_lock:
        if _client is None:
            _client = redis.Redis.from_url(settings.REDIS_URL)
        return _client


class DeviceLocks:
    """The locks one batch holds: `acquire(ids, ttl_s)` → the ids it got; `release()`."""

    def __init__(self, conn: redis.Redis | None = None) -> None:
        self.redis = conn or client()
        self.token = secrets.token_hex(16)
        self.held: list[str] = []

    def acquire(self, device_ids: Sequence[str], ttl_s: float) -> list[str]:
        pipe = self.redis.pipeline(transaction=False)
        ttl_ms = max(1000, int(ttl_s * 1000))
        for device_id in device_ids:
            pipe.set(PREFIX + str(device_id), self.token, nx=True, px=ttl_ms)
        got = [str(device_id) for device_id, ok in zip(device_ids, pipe.execute(), strict=True) if ok]
        self.held += got
        return got

    def release(self, device_ids: Iterable[str] | None = None) -> int:
        ids = list(self.held if device_ids is None else device_ids)
        if not ids:
            return 0
        released = self.redis.eval(_RELEASE, len(ids), *(PREFIX + i for i in ids), self.token)
        gone = set(ids)
        self.held = [i for i in self.held if i not in gone]
        return int(released)
