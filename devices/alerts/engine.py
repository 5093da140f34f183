"""Incremental rule evaluation for one poll batch of one tenant (runs inside its RLS context).

Per batch, whatever its size: ONE database round trip (a psycopg pipeline of five queries: the
enabled rules, the batch's devices, their newest device and wireless sample since the batch
started — index range on (tenant, device, ts), partition-pruned — and their open alerts; a
second only when an interface rule exists), one Redis HGETALL of the tenant's counters and at
most one pipelined write of the changed ones. History is never rescanned: a counter says how
many consecutive samples breached, so "CPU > 90 % for 5 samples" needs only the newest sample.
Python work is one small loop per rule × device; writes happen only on transitions, in bulk
(one INSERT of the alerts that fire, one UPDATE of those that resolve).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
from django.db import connection

from devices.models import AlertRule, RuleKind

from . import lifecycle, state
from .conditions import DeviceData, describe, observe
from .events import EVENT_KINDS

DEVICE_KINDS = {RuleKind.CPU, RuleKind.MEMORY, RuleKind.DISK, RuleKind.TEMPERATURE}
INTERFACE_KINDS = {RuleKind.INTERFACE_DOWN, RuleKind.INTERFACE_TRAFFIC}
WIRELESS_KINDS = {RuleKind.WIRELESS_SIGNAL, RuleKind.WIRELESS_CLIENTS}
# kinds with one value per device: kind -> (DeviceData attribute, breached when BELOW the threshold)
SCALAR = {
    RuleKind.CPU: ("cpu", False),
    RuleKind.MEMORY: ("memory", False),
    RuleKind.DISK: ("disk", False),
    RuleKind.TEMPERATURE: ("temperature", False),
    RuleKind.WIRELESS_SIGNAL: ("wireless_signal", True),
    RuleKind.WIRELESS_CLIENTS: ("wireless_clients", False),
}


@dataclass
class EvaluationReport:
    devices: int = 0
    samples: int = 0  # sample rows evaluated (device + interface + wireless)
    checks: int = 0  # rule × device × subject evaluations
    fired: int = 0
    resolved: int = 0
    notified: list = field(default_factory=list)  # delivery ids queued

    def as_dict(self) -> dict:
        return {
            "devices": self.devices,
            "samples": self.samples,
            "checks": self.checks,
            "fired": self.fired,
            "resolved": self.resolved,
            "deliveries": len(self.notified),
        }


def evaluate_batch(tenant_id: str, device_ids: list[str], since: float) -> EvaluationReport:
    report = EvaluationReport()
    if not device_ids:
        return report
    since_at = datetime.fromtimestamp(since, UTC)
    rules, data, (device_rows, wireless_rows), open_alerts, counters = _load(tenant_id, device_ids, since_at)
    rules = [r for r in rules if r.kind not in EVENT_KINDS]  # those are evaluated on events (events.py)
    if not rules:
        return report
    kinds = {r.kind for r in rules}
    report.devices = len(data)
    report.samples = (device_rows if kinds & DEVICE_KINDS else 0) + (wireless_rows if kinds & WIRELESS_KINDS else 0)
    if kinds & INTERFACE_KINDS:
        report.samples += _load_interface_samples(tenant_id, data, since_at)
    if kinds == {RuleKind.OFFLINE}:
        report.samples = len(data)

    # Devices with a counter or an open alert: only for those can a good sample change anything.
    hot = {name.split(":", 2)[1] for name in counters} | {name.split(":", 2)[1] for name in open_alerts}
    changed: dict[str, int] = {}
    ctx = lifecycle.Batch(tenant_id, datetime.now(UTC))
    devices = list(data.values())
    to_fire: list[tuple] = []  # written in bulk after the loop (lifecycle.fire_many / resolve_many)
    to_resolve: list[str] = []

    def transition(rule, device, subject: str, breached: bool, value) -> None:
        name = f"{rule.pk}:{device.id}:{subject}"
        count = counters.get(name, 0)
        is_open = name in open_alerts
        if breached:
            new = max(count, 0) + 1
            if not is_open and new >= rule.duration:
                message = describe(rule.kind, rule.threshold, subject, value, device)
                to_fire.append((rule, device, subject, value, message))
                new = 0  # counting starts again once it is open: only good samples matter now
            elif is_open:
                new = 0
        elif is_open:
            new = min(count, 0) - 1
            if -new >= rule.clear_after:
                to_resolve.append(open_alerts[name])
                new = 0
        else:
            new = 0
        if new != count:
            changed[name] = new

    checks = 0
    for rule in rules:
        kind, threshold = rule.kind, rule.threshold
        scoped = bool(rule.sites or rule.tags or rule.devices)
        scalar = SCALAR.get(kind)
        for device in devices:
            if scoped and not rule.applies_to(device.id, device.site_id, device.tags):
                continue
            if scalar is not None:  # the common case, kept tight: one value per device
                attribute, below = scalar
                value = getattr(device, attribute)
                if value is None or threshold is None:
                    continue
                checks += 1
                breached = value < threshold if below else value > threshold
                if breached or device.id in hot:
                    transition(rule, device, "", breached, value)
            else:
                for obs in observe(kind, threshold, rule.interface, device):
                    checks += 1
                    if obs.breached or device.id in hot:
                        transition(rule, device, obs.subject, obs.breached, obs.value)
    report.checks = checks
    report.fired = lifecycle.fire_many(ctx, to_fire)
    report.resolved = lifecycle.resolve_many(ctx, to_resolve)
    state.save(tenant_id, changed)
    report.notified = ctx.deliveries
    ctx.send()
    return report


@contextlib.contextmanager
def _cursor():
    """A server-side-binding cursor on Django's connection (same transaction, same tenant): the
    batch's ids travel as ONE array parameter instead of being quoted one by one in Python
    (measured: client-side quoting of 250 UUIDs per query was a third of the evaluation time)."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def _array(ids) -> str:
    """A PostgreSQL array literal of UUIDs (ids come from the database or are validated)."""
    return "{" + ",".join(str(i) for i in ids) + "}"


RULE_COLUMNS = (
    "id",
    "name",
    "kind",
    "threshold",
    "duration",
    "clear_after",
    "severity",
    "interface",
    "sites",
    "tags",
    "devices",
)


def _load(tenant_id: str, device_ids, since) -> tuple[list, dict, tuple[int, int], dict, dict]:
    """Everything one evaluation reads, as five queries sent in ONE psycopg pipeline (one round
    trip): the tenant's enabled rules, the batch's devices, their newest device and wireless
    sample since `since` (DISTINCT ON over the batch's (tenant, device, ts) index range) and
    their open alerts. Measured: one query with a LATERAL lookup per device was ~30x slower on
    the partitioned, RLS-protected tables.
    Returns (rules, {device id: DeviceData}, (device rows, wireless rows), {"rule:device:subject": alert id},
    the tenant's Redis counters)."""
    import uuid

    valid = []
    for device_id in device_ids:
        with contextlib.suppress(ValueError):
            valid.append(str(uuid.UUID(str(device_id))))
    ids = _array(valid)
    connection.ensure_connection()
    raw = connection.connection
    cursors = [raw.cursor() for _ in range(5)]
    rules_cur, devices_cur, samples_cur, wireless_cur, alerts_cur = cursors
    with raw.pipeline():
        rules_cur.execute(
            f"SELECT {', '.join(RULE_COLUMNS)} FROM devices_alertrule WHERE tenant_id = %s AND enabled", [tenant_id]
        )
        devices_cur.execute(
            "SELECT id::text, name, site_id::text, tags, status, status_reason FROM devices_device "
            "WHERE tenant_id = %s AND id = ANY(%s::uuid[]) AND enabled",
            [tenant_id, ids],
        )
        samples_cur.execute(
            """
            SELECT DISTINCT ON (device_id) device_id::text, cpu, mem_used, mem_total, disk_used, disk_total, temperature
            FROM devices_devicesample
            WHERE tenant_id = %s AND device_id = ANY(%s::uuid[]) AND ts >= %s
            ORDER BY device_id, ts DESC
            """,
            [tenant_id, ids, since],
        )
        wireless_cur.execute(
            """
            SELECT DISTINCT ON (device_id) device_id::text, clients, signal_min
            FROM devices_wirelesssample
            WHERE tenant_id = %s AND device_id = ANY(%s::uuid[]) AND ts >= %s
            ORDER BY device_id, ts DESC
            """,
            [tenant_id, ids, since],
        )
        alerts_cur.execute(
            "SELECT id::text, rule_id::text, device_id::text, subject FROM devices_alert "
            "WHERE tenant_id = %s AND device_id = ANY(%s::uuid[]) AND NOT state = 'resolved'",
            [tenant_id, ids],
        )
        # the counters' Redis round trip overlaps PostgreSQL working on the five queries
        counters = state.load_all(tenant_id)
    rules = [AlertRule(tenant_id=tenant_id, enabled=True, **dict(zip(RULE_COLUMNS, r, strict=True))) for r in rules_cur]
    for rule in rules:
        rule._state.adding = False  # loaded, not new: only used as a foreign-key target and for its fields
    data = {
        row[0]: DeviceData(id=row[0], name=row[1], site_id=row[2], tags=row[3], status=row[4], reason=row[5])
        for row in devices_cur
    }
    device_rows = wireless_rows = 0
    for device_id, cpu, mem_used, mem_total, disk_used, disk_total, temperature in samples_cur:
        device = data.get(device_id)
        if device is None:
            continue
        device_rows += 1
        device.has_sample = True
        device.cpu = None if cpu is None else float(cpu)
        device.memory = _percent(mem_used, mem_total)
        device.disk = _percent(disk_used, disk_total)
        device.temperature = temperature
    for device_id, clients, signal_min in wireless_cur:
        device = data.get(device_id)
        if device is None:
            continue
        wireless_rows += 1
        device.wireless = (clients, signal_min)
        device.wireless_clients = float(clients)
        if clients and signal_min is not None:
            device.wireless_signal = float(signal_min)
    open_alerts = {f"{rule_id}:{device_id}:{subject}": alert_id for alert_id, rule_id, device_id, subject in alerts_cur}
    for cursor in cursors:
        cursor.close()
    return rules, data, (device_rows, wireless_rows), open_alerts, counters


def _percent(used, total) -> float | None:
    if used is None or not total:
        return None
    return used * 100.0 / total


def _load_interface_samples(tenant_id: str, data: dict[str, DeviceData], since) -> int:
    with _cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT ON (device_id, ifname) device_id::text, ifname, running, greatest(rx_bps, tx_bps)
            FROM devices_interfacesample
            WHERE tenant_id = %s AND device_id = ANY(%s::uuid[]) AND ts >= %s
            ORDER BY device_id, ifname, ts DESC
            """,
            [tenant_id, _array(data), since],
        )
        rows = cursor.fetchall()
    for device_id, ifname, running, bps in rows:
        data[device_id].interfaces[ifname] = (running, bps)
    return len(rows)
