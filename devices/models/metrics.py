"""Time series of the polling engine, read through the ORM (the tables are written with COPY).

The tables are native PostgreSQL partitioned tables created by migration 0003 with RunSQL (these
models are `managed = False` over them): raw samples partitioned by day and kept
`METRICS_RAW_RETENTION_DAYS` (7), rollups (5 min, 1 h) partitioned by month and kept longer. Every
table and every partition is under the tenant RLS policy; partitions are created ahead and dropped
after retention by `devices.poll_maintain_partitions` through one SECURITY DEFINER function that
adds the policy to each partition it creates. Indexes lead with tenant_id. Rows are narrow and
carry no foreign-key constraints (a per-row FK check would slow COPY): a deleted device's samples
age out with their partitions. Sizing: devices/METRICS.md.
"""

from __future__ import annotations

from django.db import models

from tenants.models import Tenant
from tenants.models.base import TenantQuerySet
from tenants.roles import Action

RAW_TABLES = ("devices_devicesample", "devices_interfacesample", "devices_wirelesssample")
ROLLUP_TABLES = (
    "devices_devicerollup5m",
    "devices_devicerollup1h",
    "devices_interfacerollup5m",
    "devices_interfacerollup1h",
    "devices_wirelessrollup5m",
    "devices_wirelessrollup1h",
)


class MetricRow(models.Model):
    """Shared columns: when, whose, which device. `restrict()` scopes by tenant and site."""

    ts = models.DateTimeField()
    tenant = models.ForeignKey(Tenant, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    device = models.ForeignKey("devices.Device", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    objects = TenantQuerySet.as_manager()
    site_field = "device__site"
    site_optional = False
    view_action = Action.VIEW

    class Meta:
        abstract = True
        managed = False

    def __str__(self) -> str:
        return f"{type(self).__name__} of {self.device_id} at {self.ts:%Y-%m-%d %H:%M:%S}"


# --- raw samples (daily partitions) ----------------------------------------------------------------
class DeviceSample(MetricRow):
    pk = models.CompositePrimaryKey("tenant", "device", "ts")
    cpu = models.SmallIntegerField(null=True)
    mem_used = models.BigIntegerField(null=True)
    mem_total = models.BigIntegerField(null=True)
    disk_used = models.BigIntegerField(null=True)
    disk_total = models.BigIntegerField(null=True)
    uptime_s = models.BigIntegerField(null=True)
    temperature = models.FloatField(null=True)
    voltage = models.FloatField(null=True)

    class Meta(MetricRow.Meta):
        db_table = "devices_devicesample"


class InterfaceSample(MetricRow):
    pk = models.CompositePrimaryKey("tenant", "device", "ifname", "ts")
    ifname = models.CharField(max_length=64)
    rx_bps = models.BigIntegerField(null=True, help_text="bits/s since the previous sample; null on the first")
    tx_bps = models.BigIntegerField(null=True)
    rx_bytes = models.BigIntegerField()
    tx_bytes = models.BigIntegerField()
    running = models.BooleanField()

    class Meta(MetricRow.Meta):
        db_table = "devices_interfacesample"


class WirelessSample(MetricRow):
    pk = models.CompositePrimaryKey("tenant", "device", "ts")
    clients = models.IntegerField()
    signal_avg = models.FloatField(null=True)
    signal_min = models.SmallIntegerField(null=True)

    class Meta(MetricRow.Meta):
        db_table = "devices_wirelesssample"


# --- rollups (monthly partitions); ts is the start of the bucket -------------------------------------
class DeviceRollup(MetricRow):
    pk = models.CompositePrimaryKey("tenant", "device", "ts")
    samples = models.IntegerField()
    cpu_avg = models.FloatField(null=True)
    cpu_max = models.SmallIntegerField(null=True)
    mem_used_avg = models.BigIntegerField(null=True)
    mem_total = models.BigIntegerField(null=True)
    disk_used = models.BigIntegerField(null=True)
    disk_total = models.BigIntegerField(null=True)
    uptime_s = models.BigIntegerField(null=True)
    temperature_avg = models.FloatField(null=True)
    temperature_max = models.FloatField(null=True)
    voltage_avg = models.FloatField(null=True)

    class Meta(MetricRow.Meta):
        abstract = True


class DeviceRollup5m(DeviceRollup):
    class Meta(DeviceRollup.Meta):
        db_table = "devices_devicerollup5m"


class DeviceRollup1h(DeviceRollup):
    class Meta(DeviceRollup.Meta):
        db_table = "devices_devicerollup1h"


class InterfaceRollup(MetricRow):
    pk = models.CompositePrimaryKey("tenant", "device", "ifname", "ts")
    ifname = models.CharField(max_length=64)
    samples = models.IntegerField()
    rx_bps_avg = models.BigIntegerField(null=True)
    rx_bps_max = models.BigIntegerField(null=True)
    tx_bps_avg = models.BigIntegerField(null=True)
    tx_bps_max = models.BigIntegerField(null=True)
    rx_bytes = models.BigIntegerField(null=True)
    tx_bytes = models.BigIntegerField(null=True)
    running_ratio = models.FloatField(null=True)

    class Meta(MetricRow.Meta):
        abstract = True


class InterfaceRollup5m(InterfaceRollup):
    class Meta(InterfaceRollup.Meta):
        db_table = "devices_interfacerollup5m"


class InterfaceRollup1h(InterfaceRollup):
    class Meta(InterfaceRollup.Meta):
        db_table = "devices_interfacerollup1h"


class WirelessRollup(MetricRow):
    pk = models.CompositePrimaryKey("tenant", "device", "ts")
    samples = models.IntegerField()
    clients_avg = models.FloatField(null=True)
    clients_max = models.IntegerField(null=True)
    signal_avg = models.FloatField(null=True)
    signal_min = models.SmallIntegerField(null=True)

    class Meta(MetricRow.Meta):
        abstract = True


class WirelessRollup5m(WirelessRollup):
    class Meta(WirelessRollup.Meta):
        db_table = "devices_wirelessrollup5m"


class WirelessRollup1h(WirelessRollup):
    class Meta(WirelessRollup.Meta):
        db_table = "devices_wirelessrollup1h"
