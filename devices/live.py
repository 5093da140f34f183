"""Live device updates: Redis pub/sub, one channel per tenant, read by the pages' SSE stream.

Publishers (the poll writer after each stored batch, `services.record_status` after a
connectivity check) send ONE compact message per batch once their transaction commits:

    {"devices": [{"id": "<uuid>", "site": "<uuid>|null", "status": "online", "cpu": 7,
                  "last_seen": "2026-…Z", "changed": true}, …]}

Only ids, status, CPU load and a time — never a name, host or credential — so the message holds
nothing a member of the tenant could not read anyway. Which of those devices a subscriber may
see (site scope) is decided by `visible_to()`, on the server, per subscriber.

Publishing is best effort: Redis being down must never fail a poll or a check (the pages then
simply stay as rendered until reloaded).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import datetime

import redis
from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "mikman:live:"

_client: redis.Redis | None = None
_client_lock = threading.Lock()


def channel(tenant_id) -> str:
    return f"{CHANNEL_PREFIX}{tenant_id}"


def client() -> redis.Redis:
    """The process's Redis connection pool for publishing (thread-safe)."""
    global _client
    with _client_lock:
        if _client is None:
            _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        return _client


def device_update(device, *, cpu: int | None = None, changed: bool = False) -> dict:
    """The compact event for one device (its current status and last_seen)."""
    last_seen: datetime | None = device.last_seen
    return {
        "id": str(device.pk),
        "site": str(device.site_id) if device.site_id else None,
        "status": device.status,
        "cpu": cpu,
        "last_seen": last_seen.isoformat() if last_seen else None,
        "changed": changed,
    }


def publish(tenant_id, updates: list[dict]) -> None:
    """Send the updates now (call after commit: subscribers may read the database at once)."""
    if not updates:
        return
    try:
        client().publish(channel(tenant_id), json.dumps({"devices": updates}, separators=(",", ":")))
    except (redis.RedisError, OSError) as exc:
        log.warning("live update for tenant %s not published: %s", tenant_id, exc.__class__.__name__)


def publish_on_commit(tenant_id, updates: list[dict]) -> None:
    """Publish once the current transaction commits (nothing if it rolls back)."""
    if updates:
        tenant = str(tenant_id)
        transaction.on_commit(lambda: publish(tenant, updates))


def visible_to(updates: Iterable[dict], site_ids: frozenset | None) -> list[dict]:
    """The updates a member with this site scope may receive (None: the whole tenant).

    Same rule as the scoped querysets: a site-scoped member sees only devices of their sites
    (not devices without a site)."""
    if site_ids is None:
        return list(updates)
    allowed = {str(s) for s in site_ids}
    return [u for u in updates if u.get("site") in allowed]


def stream(tenant_id, site_ids: frozenset | None, *, seconds: float, heartbeat: float, retry_ms: int) -> Iterator[str]:
    """Server-sent events for one subscriber, for at most `seconds` (then EventSource
    reconnects after `retry_ms`). Subscribes BEFORE the first chunk is yielded, so whoever
    has read the first chunk knows that later publications reach this stream."""
    pubsub = client().pubsub(ignore_subscribe_messages=True)
    try:
        try:
            pubsub.subscribe(channel(tenant_id))
        except (redis.RedisError, OSError) as exc:
            # No live updates now: tell the browser to come back later, not to hammer us.
            log.warning("live stream unavailable: %s", exc.__class__.__name__)
            yield f"retry: {retry_ms * 10}\n: unavailable\n\n"
            return
        yield f"retry: {retry_ms}\n: connected\n\n"
        deadline = time.monotonic() + seconds
        next_beat = time.monotonic() + heartbeat
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            try:
                message = pubsub.get_message(timeout=max(0.05, min(deadline, next_beat) - now))
            except (redis.RedisError, OSError):
                break  # Redis went away: end this stream; the browser reconnects after `retry`
            if message is not None and message.get("type") == "message":
                try:
                    updates = json.loads(message["data"]).get("devices", [])
                except (ValueError, AttributeError):
                    continue
                mine = visible_to(updates, site_ids)
                if mine:
                    yield f"event: devices\ndata: {json.dumps({'devices': mine}, separators=(',', ':'))}\n\n"
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + heartbeat
                yield ": heartbeat\n\n"
        yield "event: bye\ndata: {}\n\n"
    finally:
        try:
            pubsub.unsubscribe()
            pubsub.close()
        except (redis.RedisError, OSError):
            pass


def publish_poll_batch(tenant_id, results, devices: dict, status_before: dict[str, str]) -> None:
    """After the poll writer stored a batch: one message with every polled device's state
    (`devices` already hold the new status; `status_before` the one before the batch)."""
    from datetime import UTC

    updates = []
    for result in results:
        device = devices.get(result.device_id)
        if device is None:
            continue
        sample = result.sample
        update = device_update(
            device,
            cpu=sample.cpu if sample is not None else None,
            changed=status_before.get(result.device_id) != device.status,
        )
        if result.ok:
            update["last_seen"] = datetime.fromtimestamp(result.finished, UTC).isoformat()
        updates.append(update)
    publish_on_commit(tenant_id, updates)
