"""Storing a batch of poll results: metrics and device state with one statement per table.

Runs in the task thread inside the tenant's transaction (RLS applies to every statement).
- Samples go to the partitioned tables with one `INSERT … SELECT FROM unnest(arrays)` per table
  per batch (COPY FROM is refused on tables under row-level security).
- Interface rates (bits/s) come from the previous counters: this process's memory first, the
  latest stored sample otherwise (another worker may have polled the device last). A counter
  that went backwards (reboot, wrap, reset) gives no rate for that sample.
- Poll bookkeeping (last_seen, uptime, failures, backoff, auth block) for the whole batch is one
  `UPDATE … FROM unnest(…)`. Status changes and new facts (rare, except at every device's first
  poll) are one more `UPDATE … FROM unnest` each plus one bulk INSERT of the DeviceEvents, with the
  semantics of `devices.services.record_status` / `apply_facts`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from django.conf import settings
from django.db import connection

from devices import live
from devices.alerts import services as alerts
from devices.models import Device, DeviceEvent

from .engine import AUTH_FAILED, PollResult
from .partitions import ensure_partition

# device id -> (ts, {ifname: (rx_bytes, tx_bytes)})
_COUNTERS: OrderedDict[str, tuple[float, dict[str, tuple[int, int]]]] = OrderedDict()
_COUNTERS_MAX = 50000
_counters_lock = threading.Lock()


@dataclass
class StoreReport:
    device_rows: int = 0
    interface_rows: int = 0
    wireless_rows: int = 0
    status_changes: int = 0


def backoff_seconds(failures: int) -> float | None:
    """Circuit breaker: no backoff below POLL_BREAKER_FAILURES consecutive failures, then
    POLL_BACKOFF_MIN_S doubling per further failure up to POLL_BACKOFF_MAX_S."""
    threshold = settings.POLL_BREAKER_FAILURES
    if failures < threshold:
        return None
    return float(min(settings.POLL_BACKOFF_MAX_S, settings.POLL_BACKOFF_MIN_S * 2 ** (failures - threshold)))


def _previous_counters(tenant_id: str, device_ids: list[str]) -> dict[str, tuple[float, dict]]:
    found: dict[str, tuple[float, dict]] = {}
    missing = []
    with _counters_lock:
        for device_id in device_ids:
            entry = _COUNTERS.get(device_id)
            if entry is None:
                missing.append(device_id)
            else:
                found[device_id] = entry
    if missing:
        # The newest sample per (device, interface) of the last hour; bounded by partition pruning.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT DISTINCT ON (device_id, ifname) device_id::text, ifname, ts, rx_bytes, tx_bytes
                FROM devices_interfacesample
                WHERE tenant_id = %s AND device_id = ANY(%s::uuid[]) AND ts > now() - interval '1 hour'
                ORDER BY device_id, ifname, ts DESC
                """,
                [tenant_id, missing],
            )
            for device_id, ifname, ts, rx, tx in cursor.fetchall():
                stamp, counters = found.setdefault(device_id, (ts.timestamp(), {}))
                counters[ifname] = (rx, tx)
    return found


def _remember(device_id: str, ts: float, counters: dict[str, tuple[int, int]]) -> None:
    with _counters_lock:
        _COUNTERS[device_id] = (ts, counters)
        _COUNTERS.move_to_end(device_id)
        while len(_COUNTERS) > _COUNTERS_MAX:
            _COUNTERS.popitem(last=False)


def forget_counters() -> None:
    with _counters_lock:
        _COUNTERS.clear()


def _rate(now: int, before: int | None, seconds: float) -> int | None:
    if before is None or seconds <= 0 or now < before:
        return None
    return int((now - before) * 8 / seconds)


def store_results(tenant_id: str, results: Sequence[PollResult], devices: dict[str, Device]) -> StoreReport:
    """Write the batch's samples and device state. Call inside the tenant's context."""
    report = StoreReport()
    status_before = {device_id: device.status for device_id, device in devices.items()}  # live updates
    ok = [r for r in results if r.sample is not None]
    if ok:
        _write_samples(tenant_id, ok, report)
    _update_devices(results, devices, report)
    live.publish_poll_batch(tenant_id, results, devices, status_before)  # sent when the batch commits
    alerts.poll_batch_stored(tenant_id, results)  # rules evaluated on this batch once it commits
    return report


def _write_samples(tenant_id: str, results: list[PollResult], report: StoreReport) -> None:
    previous = _previous_counters(tenant_id, [r.device_id for r in results])
    device_rows, interface_rows, wireless_rows = [], [], []
    for result in results:
        sample = result.sample
        assert sample is not None
        ts = datetime.fromtimestamp(result.finished, UTC)
        device_rows.append(
            (
                ts,
                tenant_id,
                result.device_id,
                sample.mem_used,
                sample.mem_total,
                sample.disk_used,
                sample.disk_total,
                sample.uptime_s,
                sample.temperature,
                sample.voltage,
                sample.cpu,
            )
        )
        stamp = ts.timestamp()  # microsecond precision, as stored
        prev_ts, prev = previous.get(result.device_id, (0.0, {}))
        seconds = stamp - prev_ts
        counters = {}
        for name, running, rx, tx in sample.interfaces:
            before = prev.get(name)
            interface_rows.append(
                (
                    ts,
                    tenant_id,
                    result.device_id,
                    _rate(rx, before[0] if before else None, seconds),
                    _rate(tx, before[1] if before else None, seconds),
                    rx,
                    tx,
                    running,
                    name,
                )
            )
            counters[name] = (rx, tx)
        _remember(result.device_id, stamp, counters)
        if sample.wireless is not None:
            clients, signal_avg, signal_min = sample.wireless
            wireless_rows.append((ts, tenant_id, result.device_id, clients, signal_avg, signal_min))
    days = {row[0].date(): row[0] for row in device_rows}
    for at in days.values():
        for table in ("devices_devicesample", "devices_interfacesample", "devices_wirelesssample"):
            ensure_partition(table, at)
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:  # server-side binding (see _insert)
        _insert(
            cursor,
            "devices_devicesample",
            "ts timestamptz, tenant_id uuid, device_id uuid, mem_used bigint, mem_total bigint, disk_used bigint, "
            "disk_total bigint, uptime_s bigint, temperature real, voltage real, cpu smallint",
            device_rows,
        )
        _insert(
            cursor,
            "devices_interfacesample",
            "ts timestamptz, tenant_id uuid, device_id uuid, rx_bps bigint, tx_bps bigint, rx_bytes bigint, "
            "tx_bytes bigint, running boolean, ifname text",
            interface_rows,
        )
        _insert(
            cursor,
            "devices_wirelesssample",
            "ts timestamptz, tenant_id uuid, device_id uuid, clients integer, signal_avg real, signal_min smallint",
            wireless_rows,
        )
    report.device_rows += len(device_rows)
    report.interface_rows += len(interface_rows)
    report.wireless_rows += len(wireless_rows)


def _insert(cursor, table: str, columns: str, rows: list[tuple]) -> None:
    """COPY the rows into a session-local staging table, then one INSERT … SELECT into the real
    (partitioned, RLS-protected) table. PostgreSQL refuses COPY FROM into a table under row-level
    security, but a TEMPORARY table has none; the INSERT then goes through the policy's WITH
    CHECK like any write. COPY's row formatting runs in psycopg's C code: measured cheaper than
    binding one array per column (whose dumping is Python) or a multi-row VALUES."""
    if not rows:
        return
    names = ", ".join(c.strip().split(" ", 1)[0] for c in columns.split(","))
    stage = f"poll_stage_{table}"
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ({columns}) ON COMMIT DELETE ROWS"
    )  # once per connection; emptied at every commit
    with cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage}")
    cursor.execute(f"TRUNCATE {stage}")  # a second batch in the same transaction starts empty too


def _update_devices(results: Sequence[PollResult], devices: dict[str, Device], report: StoreReport) -> None:
    ids, last_seen, uptime, failures, backoff, blocked = [], [], [], [], [], []
    for result in results:
        device = devices.get(result.device_id)
        if device is None:
            continue
        at = datetime.fromtimestamp(result.finished, UTC)
        ids.append(result.device_id)
        if result.ok:
            sample = result.sample
            last_seen.append(at)
            uptime.append(sample.uptime_s if sample is not None else None)
            failures.append(0)
            backoff.append(None)
            blocked.append(False)
        else:
            count = device.consecutive_failures + 1
            wait = backoff_seconds(count)
            last_seen.append(device.last_seen)
            uptime.append(device.uptime_s)
            failures.append(count)
            backoff.append(at + timedelta(seconds=wait) if wait else None)
            blocked.append(result.status == AUTH_FAILED)
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE devices_device AS d
                SET last_seen = v.last_seen, uptime_s = v.uptime_s, consecutive_failures = v.failures,
                    backoff_until = v.backoff_until, auth_blocked = d.auth_blocked OR v.blocked
                FROM unnest(%s::uuid[], %s::timestamptz[], %s::bigint[], %s::int[], %s::timestamptz[], %s::bool[])
                     AS v(id, last_seen, uptime_s, failures, backoff_until, blocked)
                WHERE d.id = v.id
                """,
                [ids, last_seen, uptime, failures, backoff, blocked],
            )
    # Status changes, reboots and new facts: rare in steady state, but EVERY device's first poll
    # has them (unknown → online, facts read). One statement per kind for the whole batch
    # (and one bulk INSERT of the events) instead of 2-4 statements per device: measured, the
    # per-device `record_status`/`apply_facts` calls were ~11 % of the worker's CPU and made
    # the storing threads fall seconds behind during a fleet's first interval (locks held,
    # devices skipped). Same semantics as `devices.services.record_status`/`apply_facts`.
    events: list[DeviceEvent] = []
    status_rows: list[tuple] = []
    fact_rows: list[tuple[Device, list[str]]] = []
    for result in results:
        device = devices.get(result.device_id)
        if device is None:
            continue
        at = datetime.fromtimestamp(result.finished, UTC)
        # An online device's reason is empty, or says it was reached over a fallback protocol.
        if device.status != result.status or device.status_reason != result.reason:
            if _set_status(device, result.status, result.reason, at, status_rows, events):
                report.status_changes += 1
        sample = result.sample
        if sample is not None and sample.uptime_s is not None and device.uptime_s and sample.uptime_s < device.uptime_s:
            events.append(
                DeviceEvent(
                    tenant_id=device.tenant_id,
                    device=device,
                    at=at,
                    kind="reboot",
                    old=f"uptime_s={device.uptime_s}",
                    new=f"uptime_s={sample.uptime_s}",
                    reason="Uptime went backwards: the device restarted.",
                )
            )
        if result.sample is not None and result.sample.facts:
            changed = _set_facts(device, result.sample.facts, at, events)
            if changed:
                fact_rows.append((device, changed))
        if result.ok and result.new_connection and result.protocol in ("api-ssl", "rest"):
            _pin_first_certificate(device, result.protocol)
        if result.ok and result.host_key and not device.ssh_host_key:
            _pin_first_host_key(device, result.host_key)
    if status_rows:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE devices_device AS d
                SET status = v.status, status_reason = v.reason,
                    status_changed = coalesce(v.changed, d.status_changed), last_seen = coalesce(v.seen, d.last_seen)
                FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[])
                     AS v(id, status, reason, changed, seen)
                WHERE d.id = v.id
                """,
                [list(column) for column in zip(*status_rows, strict=True)],
            )
    if fact_rows:
        # Only the facts that changed are written (NULL = keep the row's value, as `apply_facts`
        # updates only those): e.g. uptime_s was just set by the bookkeeping UPDATE above.
        from devices.services import FACT_FIELDS

        text_fields = [name for name in FACT_FIELDS if name != "uptime_s"]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE devices_device AS d
                SET {", ".join(f"{name} = coalesce(v.{name}, d.{name})" for name in FACT_FIELDS)}
                FROM unnest(%s::uuid[], {", ".join("%s::text[]" for _ in text_fields)}, %s::bigint[])
                     AS v(id, {", ".join(text_fields)}, uptime_s)
                WHERE d.id = v.id
                """,
                [
                    [str(d.pk) for d, _ in fact_rows],
                    *(
                        [getattr(d, name) if name in changed else None for d, changed in fact_rows]
                        for name in text_fields
                    ),
                    [d.uptime_s if "uptime_s" in changed else None for d, changed in fact_rows],
                ],
            )
    if events:
        DeviceEvent.objects.bulk_create(events)
    versions = [str(d.pk) for d, changed in fact_rows if "ros_version" in changed]
    if versions:
        alerts.versions_changed(str(next(iter(devices.values())).tenant_id), versions)  # CVE / firmware rules


def _set_status(device: Device, status: str, reason: str, at: datetime, rows: list, events: list) -> bool:
    """`record_status` for a batch: updates the instance, queues the row and the event."""
    from devices.models import DeviceStatus

    status = DeviceStatus(status).value
    old = device.status
    changed = old != status
    device.status, device.status_reason = status, reason
    if changed:
        device.status_changed = at
        events.append(
            DeviceEvent(
                tenant_id=device.tenant_id, device=device, at=at, kind="status", old=old, new=status, reason=reason
            )
        )
    if status == DeviceStatus.ONLINE:
        device.last_seen = at
    rows.append(
        (str(device.pk), status, reason, at if changed else None, at if status == DeviceStatus.ONLINE else None)
    )
    return changed


def _set_facts(device: Device, facts: dict, at: datetime, events: list) -> list[str]:
    """`apply_facts` for a batch: updates the instance (the caller writes the row), queues the
    version-change events. Returns the names of the facts that changed."""
    from devices.services import FACT_FIELDS

    changed = [k for k in FACT_FIELDS if k in facts and facts[k] is not None and getattr(device, k) != facts[k]]
    for name in changed:
        if name in ("ros_version", "firmware") and getattr(device, name):
            events.append(
                DeviceEvent(
                    tenant_id=device.tenant_id,
                    device=device,
                    at=at,
                    kind="facts",
                    old=f"{name}={getattr(device, name)}",
                    new=f"{name}={facts[name]}",
                )
            )
        setattr(device, name, facts[name])
    return changed


def _pin_first_certificate(device: Device, protocol: str) -> None:
    from devices.models import TLSMode
    from devices.services import remember_tls_fingerprint

    from .targets import tls_context_used

    if device.tls_mode == TLSMode.FINGERPRINT and not device.tls_fingerprint:
        remember_tls_fingerprint(device, tls_context_used(device, protocol))


def _pin_first_host_key(device: Device, key: str) -> None:
    """Trust on first use for SSH, as the backups do: pin the key the first connection saw."""
    if Device.objects.filter(pk=device.pk, ssh_host_key="").update(ssh_host_key=key):
        device.ssh_host_key = key
        DeviceEvent.objects.create(
            tenant_id=device.tenant_id,
            device=device,
            at=datetime.now(UTC),
            kind="ssh_host_key",
            new=key[:200],
            reason="SSH host key pinned on first use.",
        )
