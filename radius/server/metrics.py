"""RADIUS packet counters and auth latency, counted in process and flushed to Redis every second.

A radius_server process answers thousands of packets a second, so nothing here touches Redis per
packet: the event loop only bumps in-memory Counters; a periodic flush (a worker thread, off the
loop) adds the deltas to one Redis hash with a single pipelined round trip, and /metrics
(mikman.metrics.platform) reads the hash, so the figures are summed over every process and pod.
Buckets are stored non-cumulative, like mikman.metrics.celery_stats. A flush that fails keeps
its deltas for the next one: Redis being away costs freshness, never counts.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

from mikman.metrics.celery_stats import redis_client

KEY = "mikman:metrics:radius"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)
FLUSH_INTERVAL = 1.0

log = logging.getLogger(__name__)


def latency_bucket(seconds: float) -> str:
    for bound in LATENCY_BUCKETS:
        if seconds <= bound:
            return str(bound)
    return "+Inf"


class PacketCounters:
    """One process's counts since the last flush. Only the event loop thread calls count() and
    auth_latency(); take() swaps the counters under a lock so the flush thread never races it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._packets: Counter = Counter()
        self._buckets: Counter = Counter()
        self._latency_sum = 0.0

    def count(self, kind: str, result: str, transport: str = "udp") -> None:
        self._packets[(kind, result, transport)] += 1

    def auth_latency(self, seconds: float) -> None:
        self._buckets[latency_bucket(seconds)] += 1
        self._latency_sum += seconds

    def take(self) -> tuple[Counter, Counter, float]:
        with self._lock:
            taken = self._packets, self._buckets, self._latency_sum
            self._packets, self._buckets, self._latency_sum = Counter(), Counter(), 0.0
        return taken

    def give_back(self, packets: Counter, buckets: Counter, latency_sum: float) -> None:
        with self._lock:
            self._packets.update(packets)
            self._buckets.update(buckets)
            self._latency_sum += latency_sum

    def flush(self) -> bool:
        """Add the pending deltas to the Redis hash (blocking: run it off the event loop)."""
        packets, buckets, latency_sum = self.take()
        if not packets and not buckets:
            return True
        try:
            pipe = redis_client().pipeline(transaction=False)
            for (kind, result, transport), n in packets.items():
                # UDP keeps the field name it had before RadSec existed
                field = f"packets|{kind}|{result}" if transport == "udp" else f"packets|{kind}|{result}|{transport}"
                pipe.hincrby(KEY, field, n)
            for bound, n in buckets.items():
                pipe.hincrby(KEY, f"latency|bucket|{bound}", n)
            if latency_sum:
                pipe.hincrbyfloat(KEY, "latency|sum", latency_sum)
            pipe.execute()
        except Exception:  # noqa: BLE001 - Redis away: keep the counts for the next flush
            self.give_back(packets, buckets, latency_sum)
            log.debug("radius metrics not flushed", exc_info=True)
            return False
        return True


def read(conn=None) -> dict:
    """{"packets": {(type, result, transport): n}, "buckets": {bound: n}, "sum": seconds} from the hash."""
    packets: dict = {}
    buckets: dict = {}
    total = 0.0
    for raw_field, raw_value in (conn or redis_client()).hgetall(KEY).items():
        kind, _, rest = raw_field.decode().partition("|")
        if kind == "packets":
            packet_type, _, result = rest.partition("|")
            result, _, transport = result.partition("|")
            packets[(packet_type, result, transport or "udp")] = int(raw_value)
        elif rest == "sum":
            total = float(raw_value)
        elif rest.startswith("bucket|"):
            buckets[rest[7:]] = int(raw_value)
    return {"packets": packets, "buckets": buckets, "sum": total}
