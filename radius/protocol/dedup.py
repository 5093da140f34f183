"""RFC 5080 2.2.2 duplicate detection: a retransmitted request gets the cached reply, not a second run.

A NAS retransmits with the same identifier and authenticator when our reply was lost; running the
request twice would double-count accounting or take a second shared-users slot. The key includes
the source address/port, code, identifier and authenticator, so identifier reuse with a new
request is not mistaken for a duplicate. Memory is bounded: oldest entries are evicted first.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

IN_PROGRESS = object()  # the first copy is still being processed: drop the duplicate silently

Key = tuple[str, int, int, int, bytes]


def request_key(address: tuple[str, int], data: bytes) -> Key:
    """Cache key for a datagram from `address` (data must be at least the 20-byte header)."""
    return (address[0], address[1], data[0], data[1], bytes(data[4:20]))


class DuplicateCache:
    def __init__(self, ttl: float = 30.0, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[Key, tuple[float, object]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def begin(self, key: Key) -> object | None:
        """None for a new request (now marked in progress); else the cached reply bytes or IN_PROGRESS."""
        now = self.clock()
        self._expire(now)
        entry = self._entries.get(key)
        if entry is not None:
            return entry[1]
        self._entries[key] = (now, IN_PROGRESS)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return None

    def finish(self, key: Key, reply: bytes | None) -> None:
        """Remember the reply sent for `key` (None: nothing was sent; a retransmission is re-run)."""
        if reply is None:
            self._entries.pop(key, None)
        elif key in self._entries:
            self._entries[key] = (self._entries[key][0], reply)

    def _expire(self, now: float) -> None:
        entries = self._entries
        while entries:
            key, (started, _) = next(iter(entries.items()))
            if now - started < self.ttl:
                break
            entries.popitem(last=False)
