# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Metric partitions (RLS on every one, created ahead, dropped after retention) and rollups."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from devices.models.metrics import RAW_TABLES, ROLLUP_TABLES
from devices.polling.partitions import ensure_partition, maintain, partitions_of
from devices.polling.rollup import rollup
from tenants.context import tenant_context
from tests.factories import make_device

from .poll_support import rows, world  # noqa: F401

pytestmark = pytest.mark.django_db


def _rls(table: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relrowsecurity, c.relforcerowsecurity, "
            "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) FROM pg_class c WHERE c.relname = %s",
            [table],
        )
        return cursor.fetchone()


def test_maintenance_creates_partitions_ahead_with_rls_and_drops_expired(settings):
    settings.METRICS_RAW_RETENTION_DAYS = 7
    now = timezone.now()
    old = ensure_partition("devices_devicesample", now - timedelta(days=10))
    recent = ensure_partition("devices_devicesample", now - timedelta(days=6))
    old_rollup = ensure_partition("devices_devicerollup5m", now - timedelta(days=400))
    report = maintain(now)
    partitions = partitions_of("devices_devicesample")
    assert old not in partitions and old in report["dropped"] and old_rollup in report["dropped"]
    assert recent in partitions
    ahead = f"devices_devicesample_p{(now + timedelta(days=3)):%Y%m%d}"
    assert ahead in partitions
    for table in (*RAW_TABLES, *ROLLUP_TABLES):
        for partition in partitions_of(table):
            assert _rls(partition) == (True, True, 1), partition


def test_partition_function_refuses_other_tables():
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError, match="not a metrics table"), transaction.atomic():
        ensure_partition("tenants_tenant", timezone.now())


def test_app_role_cannot_create_tables_itself():
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE devices_devicesample_p20000101 PARTITION OF devices_devicesample "
            "FOR VALUES FROM ('2000-01-01') TO ('2000-01-02')"
        )


def _insert(device, ts, cpu, temperature, rx_bps, clients):
    with tenant_context(device.tenant_id), connection.cursor() as cursor:
        for table in RAW_TABLES:
            ensure_partition(table, ts)
        cursor.execute(
            "INSERT INTO devices_devicesample (ts, tenant_id, device_id, cpu, temperature, mem_used, mem_total) "
            "VALUES (%s, %s, %s, %s, %s, 10, 100)",
            [ts, device.tenant_id, device.pk, cpu, temperature],
        )
        cursor.execute(
            "INSERT INTO devices_interfacesample (ts, tenant_id, device_id, ifname, rx_bps, tx_bps, rx_bytes, "
            "tx_bytes, running) VALUES (%s, %s, %s, 'ether1', %s, 0, %s, 0, %s)",
            [ts, device.tenant_id, device.pk, rx_bps, rx_bps, rx_bps > 0],
        )
        cursor.execute(
            "INSERT INTO devices_wirelesssample (ts, tenant_id, device_id, clients, signal_avg, signal_min) "
            "VALUES (%s, %s, %s, %s, -60, -70)",
            [ts, device.tenant_id, device.pk, clients],
        )


def test_rollups_aggregate_5_minute_and_hour_buckets(world):
    device = make_device(world.acme, world.north)
    other = make_device(world.globex, world.east)
    hour = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    # bucket 10:00-10:05: three samples; bucket 10:05-10:10: one sample
    for minute, cpu, temp, rx, clients in ((0, 10, 40.0, 100, 1), (1, 20, 42.0, 300, 3), (4, 30, 44.0, 0, 5)):
        _insert(device, hour + timedelta(minutes=minute), cpu, temp, rx, clients)
    _insert(device, hour + timedelta(minutes=7), 70, 50.0, 1000, 2)
    _insert(other, hour + timedelta(minutes=1), 99, 99.0, 9, 9)  # globex: never in acme's rollup
    with tenant_context(world.acme.id):
        first = rollup(world.acme.id, now=hour + timedelta(hours=1, minutes=1), start=hour)
        again = rollup(world.acme.id, now=hour + timedelta(hours=1, minutes=1), start=hour)  # idempotent
    assert first == again and first["rollup_5m_rows"] >= 2
    five = rows(
        world.acme,
        "SELECT ts, samples, cpu_avg, cpu_max, temperature_avg, temperature_max FROM devices_devicerollup5m "
        "WHERE device_id = %s ORDER BY ts",
        [device.pk],
    )
    assert [(r[0], r[1], r[2], r[3]) for r in five] == [(hour, 3, 20.0, 30), (hour + timedelta(minutes=5), 1, 70.0, 70)]
    assert five[0][4] == pytest.approx(42.0) and five[0][5] == pytest.approx(44.0)
    (iface,) = rows(
        world.acme,
        "SELECT samples, rx_bps_avg, rx_bps_max, running_ratio FROM devices_interfacerollup5m "
        "WHERE device_id = %s AND ts = %s",
        [device.pk, hour],
    )
    assert iface[:3] == (3, 133, 300) and iface[3] == pytest.approx(2 / 3)
    (wireless,) = rows(
        world.acme,
        "SELECT clients_avg, clients_max, signal_min FROM devices_wirelessrollup5m WHERE device_id = %s AND ts = %s",
        [device.pk, hour],
    )
    assert wireless == (3.0, 5, -70)
    (hourly,) = rows(
        world.acme,
        "SELECT ts, samples, cpu_avg, cpu_max FROM devices_devicerollup1h WHERE device_id = %s",
        [device.pk],
    )
    assert hourly[:2] == (hour, 4) and hourly[2] == pytest.approx((10 + 20 + 30 + 70) / 4) and hourly[3] == 70
    assert rows(world.globex, "SELECT count(*) FROM devices_devicerollup5m") == [(0,)]
