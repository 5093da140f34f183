"""Downsampling: raw samples → 5-minute buckets → 1-hour buckets (run in the tenant's context).

Upserts (`ON CONFLICT … DO UPDATE`) make every run idempotent: the job re-aggregates the last
few buckets each time, so samples that arrive late (a lagging poll) are still counted. Averages
of averages are weighted by the number of samples.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from .partitions import ensure_partition

FIVE_MIN, HOUR = 300, 3600

_RAW_TO_5M = {
    "devices_devicerollup5m": """
        INSERT INTO devices_devicerollup5m AS r (ts, tenant_id, device_id, samples, cpu_avg, cpu_max, mem_used_avg,
            mem_total, disk_used, disk_total, uptime_s, temperature_avg, temperature_max, voltage_avg)
        SELECT date_bin('5 minutes', ts, 'epoch'), tenant_id, device_id, count(*), avg(cpu), max(cpu),
            avg(mem_used)::bigint, max(mem_total), max(disk_used), max(disk_total), max(uptime_s),
            avg(temperature), max(temperature), avg(voltage)
        FROM devices_devicesample
        WHERE tenant_id = %(tenant)s AND ts >= %(start)s AND ts < %(end)s
        GROUP BY 1, 2, 3
        ON CONFLICT (tenant_id, device_id, ts) DO UPDATE SET samples = EXCLUDED.samples,
            cpu_avg = EXCLUDED.cpu_avg, cpu_max = EXCLUDED.cpu_max, mem_used_avg = EXCLUDED.mem_used_avg,
            mem_total = EXCLUDED.mem_total, disk_used = EXCLUDED.disk_used, disk_total = EXCLUDED.disk_total,
            uptime_s = EXCLUDED.uptime_s, temperature_avg = EXCLUDED.temperature_avg,
            temperature_max = EXCLUDED.temperature_max, voltage_avg = EXCLUDED.voltage_avg
    """,
    "devices_interfacerollup5m": """
        INSERT INTO devices_interfacerollup5m AS r (ts, tenant_id, device_id, ifname, samples, rx_bps_avg, rx_bps_max,
            tx_bps_avg, tx_bps_max, rx_bytes, tx_bytes, running_ratio)
        SELECT date_bin('5 minutes', ts, 'epoch'), tenant_id, device_id, ifname, count(*), avg(rx_bps)::bigint,
            max(rx_bps), avg(tx_bps)::bigint, max(tx_bps), max(rx_bytes), max(tx_bytes),
            avg(running::int)
        FROM devices_interfacesample
        WHERE tenant_id = %(tenant)s AND ts >= %(start)s AND ts < %(end)s
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (tenant_id, device_id, ifname, ts) DO UPDATE SET samples = EXCLUDED.samples,
            rx_bps_avg = EXCLUDED.rx_bps_avg, rx_bps_max = EXCLUDED.rx_bps_max, tx_bps_avg = EXCLUDED.tx_bps_avg,
            tx_bps_max = EXCLUDED.tx_bps_max, rx_bytes = EXCLUDED.rx_bytes, tx_bytes = EXCLUDED.tx_bytes,
            running_ratio = EXCLUDED.running_ratio
    """,
    "devices_wirelessrollup5m": """
        INSERT INTO devices_wirelessrollup5m AS r (ts, tenant_id, device_id, samples, clients_avg, clients_max,
            signal_avg, signal_min)
        SELECT date_bin('5 minutes', ts, 'epoch'), tenant_id, device_id, count(*), avg(clients), max(clients),
            avg(signal_avg), min(signal_min)
        FROM devices_wirelesssample
        WHERE tenant_id = %(tenant)s AND ts >= %(start)s AND ts < %(end)s
        GROUP BY 1, 2, 3
        ON CONFLICT (tenant_id, device_id, ts) DO UPDATE SET samples = EXCLUDED.samples,
            clients_avg = EXCLUDED.clients_avg, clients_max = EXCLUDED.clients_max,
            signal_avg = EXCLUDED.signal_avg, signal_min = EXCLUDED.signal_min
    """,
}

_5M_TO_1H = {
    "devices_devicerollup1h": """
        INSERT INTO devices_devicerollup1h AS r (ts, tenant_id, device_id, samples, cpu_avg, cpu_max, mem_used_avg,
            mem_total, disk_used, disk_total, uptime_s, temperature_avg, temperature_max, voltage_avg)
        SELECT date_bin('1 hour', ts, 'epoch'), tenant_id, device_id, sum(samples),
            sum(cpu_avg * samples) / nullif(sum(samples) FILTER (WHERE cpu_avg IS NOT NULL), 0), max(cpu_max),
            (sum(mem_used_avg * samples) / nullif(sum(samples) FILTER (WHERE mem_used_avg IS NOT NULL), 0))::bigint,
            max(mem_total), max(disk_used), max(disk_total), max(uptime_s),
            sum(temperature_avg * samples) / nullif(sum(samples) FILTER (WHERE temperature_avg IS NOT NULL), 0),
            max(temperature_max),
            sum(voltage_avg * samples) / nullif(sum(samples) FILTER (WHERE voltage_avg IS NOT NULL), 0)
        FROM devices_devicerollup5m
        WHERE tenant_id = %(tenant)s AND ts >= %(start)s AND ts < %(end)s
        GROUP BY 1, 2, 3
        ON CONFLICT (tenant_id, device_id, ts) DO UPDATE SET samples = EXCLUDED.samples,
            cpu_avg = EXCLUDED.cpu_avg, cpu_max = EXCLUDED.cpu_max, mem_used_avg = EXCLUDED.mem_used_avg,
            mem_total = EXCLUDED.mem_total, disk_used = EXCLUDED.disk_used, disk_total = EXCLUDED.disk_total,
            uptime_s = EXCLUDED.uptime_s, temperature_avg = EXCLUDED.temperature_avg,
            temperature_max = EXCLUDED.temperature_max, voltage_avg = EXCLUDED.voltage_avg
    """,
    "devices_interfacerollup1h": """
        INSERT INTO devices_interfacerollup1h AS r (ts, tenant_id, device_id, ifname, samples, rx_bps_avg, rx_bps_max,
            tx_bps_avg, tx_bps_max, rx_bytes, tx_bytes, running_ratio)
        SELECT date_bin('1 hour', ts, 'epoch'), tenant_id, device_id, ifname, sum(samples),
            (sum(rx_bps_avg * samples) / nullif(sum(samples) FILTER (WHERE rx_bps_avg IS NOT NULL), 0))::bigint,
            max(rx_bps_max),
            (sum(tx_bps_avg * samples) / nullif(sum(samples) FILTER (WHERE tx_bps_avg IS NOT NULL), 0))::bigint,
            max(tx_bps_max), max(rx_bytes), max(tx_bytes), sum(running_ratio * samples) / sum(samples)
        FROM devices_interfacerollup5m
        WHERE tenant_id = %(tenant)s AND ts >= %(start)s AND ts < %(end)s
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (tenant_id, device_id, ifname, ts) DO UPDATE SET samples = EXCLUDED.samples,
            rx_bps_avg = EXCLUDED.rx_bps_avg, rx_bps_max = EXCLUDED.rx_bps_max, tx_bps_avg = EXCLUDED.tx_bps_avg,
            tx_bps_max = EXCLUDED.tx_bps_max, rx_bytes = EXCLUDED.rx_bytes, tx_bytes = EXCLUDED.tx_bytes,
            running_ratio = EXCLUDED.running_ratio
    """,
    "devices_wirelessrollup1h": """
        INSERT INTO devices_wirelessrollup1h AS r (ts, tenant_id, device_id, samples, clients_avg, clients_max,
            signal_avg, signal_min)
        SELECT date_bin('1 hour', ts, 'epoch'), tenant_id, device_id, sum(samples),
            sum(clients_avg * samples) / sum(samples), max(clients_max),
            sum(signal_avg * samples) / nullif(sum(samples) FILTER (WHERE signal_avg IS NOT NULL), 0),
            min(signal_min)
        FROM devices_wirelessrollup5m
        WHERE tenant_id = %(tenant)s AND ts >= %(start)s AND ts < %(end)s
        GROUP BY 1, 2, 3
        ON CONFLICT (tenant_id, device_id, ts) DO UPDATE SET samples = EXCLUDED.samples,
            clients_avg = EXCLUDED.clients_avg, clients_max = EXCLUDED.clients_max,
            signal_avg = EXCLUDED.signal_avg, signal_min = EXCLUDED.signal_min
    """,
}


def _floor(at: datetime, seconds: int) -> datetime:
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, at.tzinfo)


def _run(statements: dict[str, str], tenant_id: str, start: datetime, end: datetime) -> int:
    rows = 0
    for table in statements:
        ensure_partition(table, start)
        if end - timedelta(seconds=1) > start:
            ensure_partition(table, end - timedelta(seconds=1))
    with connection.cursor() as cursor:
        for sql in statements.values():
            cursor.execute(sql, {"tenant": tenant_id, "start": start, "end": end})
            rows += max(cursor.rowcount, 0)
    return rows


def rollup(tenant_id: str, *, now: datetime | None = None, start: datetime | None = None) -> dict:
    """Aggregate the complete buckets between `start` (default: 30 min / 3 h back) and `now`."""
    now = now or timezone.now()
    end_5m, end_1h = _floor(now, FIVE_MIN), _floor(now, HOUR)
    start_5m = _floor(start, FIVE_MIN) if start else end_5m - timedelta(minutes=30)
    start_1h = _floor(start, HOUR) if start else end_1h - timedelta(hours=3)
    five = _run(_RAW_TO_5M, str(tenant_id), start_5m, end_5m)
    hour = _run(_5M_TO_1H, str(tenant_id), start_1h, end_1h)
    return {"rollup_5m_rows": five, "rollup_1h_rows": hour}
