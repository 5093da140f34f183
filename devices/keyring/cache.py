"""A small per-process LRU cache of decrypted secrets with a time limit.

Workers open many connections to the same devices; without a cache each one would cost a
backend round trip (Vault `decrypt`). Entries are keyed by tenant, purpose, record and a digest
of the exact ciphertext, so a re-encrypted or moved value never hits an old entry, and they
expire after MIKMAN_SECRET_CACHE_TTL seconds (default 300) — the longest a deleted tenant's
credential can still be used by a worker that had already decrypted it. The cache lives only in
memory: Secret refuses to be pickled, so it cannot end up in Redis or on disk.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings

from .secret import Secret

CacheKey = tuple[str, str, str, str]


class SecretCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: OrderedDict[CacheKey, tuple[float, Secret]] = OrderedDict()
        self._lock = threading.Lock()
        self.clock = clock

    @staticmethod
    def _limits() -> tuple[int, float]:
        return int(getattr(settings, "MIKMAN_SECRET_CACHE_SIZE", 1024)), float(
            getattr(settings, "MIKMAN_SECRET_CACHE_TTL", 300)
        )

    def get(self, key: CacheKey) -> Secret | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, secret = entry
            if self.clock() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return secret

    def put(self, key: CacheKey, secret: Secret) -> None:
        size, ttl = self._limits()
        if size <= 0 or ttl <= 0:
            return
        with self._lock:
            self._entries[key] = (self.clock() + ttl, secret)
            self._entries.move_to_end(key)
            while len(self._entries) > size:
                self._entries.popitem(last=False)

    def forget_tenant(self, tenant_id: str) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == tenant_id]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


secret_cache = SecretCache()
