"""Creating metric partitions ahead and dropping them after retention.

Both go through the SECURITY DEFINER functions of migration 0003 (the app role runs no DDL):
`mikman_metric_partition(table, at)` creates the day's (raw) or month's (rollup) partition with
the tenant RLS policy, idempotently; `mikman_drop_metric_partitions(table, cutoff)` drops the
partitions that end before the cutoff.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from devices.models.metrics import RAW_TABLES, ROLLUP_TABLES

_known: set[tuple[str, str]] = set()
_known_lock = threading.Lock()


def ensure_partition(table: str, at: datetime) -> str:
    """The partition of `table` that holds `at` (created if missing)."""
    key = (table, at.strftime("%Y%m%d" if table in RAW_TABLES else "%Y%m"))
    with _known_lock:
        if key in _known:
            return key[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT mikman_metric_partition(%s, %s)", [table, at])
        name = cursor.fetchone()[0]
    with _known_lock:
        _known.add(key)
    return name


def forget_known_partitions() -> None:
    with _known_lock:
        _known.clear()


def retention_days(table: str) -> int:
    if table in RAW_TABLES:
        return settings.METRICS_RAW_RETENTION_DAYS
    if table.endswith("5m"):
        return settings.METRICS_5M_RETENTION_DAYS
    return settings.METRICS_1H_RETENTION_DAYS


def maintain(now: datetime | None = None) -> dict:
    """Create partitions for the next METRICS_PARTITIONS_AHEAD_DAYS (raw) / this and next month
    (rollups); drop those entirely older than each table's retention. Returns what it did."""
    now = now or timezone.now()
    created, dropped = [], []
    forget_known_partitions()
    with connection.cursor() as cursor:
        for table in RAW_TABLES:
            for day in range(-1, settings.METRICS_PARTITIONS_AHEAD_DAYS + 1):
                cursor.execute("SELECT mikman_metric_partition(%s, %s)", [table, now + timedelta(days=day)])
                created.append(cursor.fetchone()[0])
        for table in ROLLUP_TABLES:
            for at in (now, now + timedelta(days=32)):
                cursor.execute("SELECT mikman_metric_partition(%s, %s)", [table, at])
                created.append(cursor.fetchone()[0])
        for table in (*RAW_TABLES, *ROLLUP_TABLES):
            cutoff = now - timedelta(days=retention_days(table))
            cursor.execute("SELECT * FROM mikman_drop_metric_partitions(%s, %s)", [table, cutoff])
            dropped += [row[0] for row in cursor.fetchall()]
    return {"ensured": len(created), "dropped": sorted(dropped)}


def partitions_of(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY 1",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]
