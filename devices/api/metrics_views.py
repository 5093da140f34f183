"""Read-only metrics endpoints (tenant-scoped; site-scoped members see their sites' devices only).

- `GET …/devices/{id}/metrics/latest/`: the newest resource, interface and wireless sample.
- `GET …/devices/{id}/metrics/?series=cpu,memory,interface:ether1&since=…&until=…&resolution=auto`:
  time series from raw samples or the 5 min / 1 h rollups (`auto` picks by range).
- `GET …/fleet/summary/`: device counts by status, RouterOS version and model, and the devices
  that need attention (not online).

The device is resolved through the scoped queryset first (another tenant's or site's device is a
404); metric rows are then read for that device only, under RLS.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from devices.models import (
    Device,
    DeviceRollup1h,
    DeviceRollup5m,
    DeviceSample,
    InterfaceRollup1h,
    InterfaceRollup5m,
    InterfaceSample,
    WirelessRollup1h,
    WirelessRollup5m,
    WirelessSample,
)
from tenants.api.base import TenantScopedReadOnlyViewSet

RESOLUTIONS = ("raw", "5m", "1h", "auto")
MAX_POINTS = 20000
ATTENTION_LIMIT = 100

# series name -> (raw columns, rollup columns); values of the device sample / rollup tables
DEVICE_SERIES = {
    "cpu": (["cpu"], ["cpu_avg", "cpu_max"]),
    "memory": (["mem_used", "mem_total"], ["mem_used_avg", "mem_total"]),
    "disk": (["disk_used", "disk_total"], ["disk_used", "disk_total"]),
    "uptime": (["uptime_s"], ["uptime_s"]),
    "temperature": (["temperature"], ["temperature_avg", "temperature_max"]),
    "voltage": (["voltage"], ["voltage_avg"]),
}
WIRELESS_SERIES = (["clients", "signal_avg", "signal_min"], ["clients_avg", "clients_max", "signal_avg", "signal_min"])
INTERFACE_SERIES = (
    ["rx_bps", "tx_bps", "rx_bytes", "tx_bytes", "running"],
    ["rx_bps_avg", "rx_bps_max", "tx_bps_avg", "tx_bps_max", "rx_bytes", "tx_bytes", "running_ratio"],
)
MODELS = {
    "raw": (DeviceSample, InterfaceSample, WirelessSample),
    "5m": (DeviceRollup5m, InterfaceRollup5m, WirelessRollup5m),
    "1h": (DeviceRollup1h, InterfaceRollup1h, WirelessRollup1h),
}


def _when(value: str | None, default: datetime, name: str) -> datetime:
    if not value:
        return default
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well-formed but impossible, e.g. month 13
        parsed = None
    if parsed is None:
        raise exceptions.ValidationError({name: "An ISO 8601 date and time, e.g. 2026-11-23T10:00:00Z."})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.utc)
    return parsed


def choose_resolution(requested: str, since: datetime, until: datetime, now: datetime) -> str:
    """`auto`: raw up to 6 hours (and only within raw retention), 5 min up to 7 days, else 1 h."""
    if requested != "auto":
        return requested
    raw_kept_since = now - timedelta(days=settings.METRICS_RAW_RETENTION_DAYS)
    span = until - since
    if span <= timedelta(hours=6) and since >= raw_kept_since:
        return "raw"
    if span <= timedelta(days=7):
        return "5m"
    return "1h"


def _points(queryset, columns: list[str]) -> list[list]:
    rows = queryset.order_by("ts").values_list("ts", *columns)[: MAX_POINTS + 1]
    points = [[ts.isoformat(), *values] for ts, *values in rows]
    if len(points) > MAX_POINTS:
        raise exceptions.ValidationError({"since": f"More than {MAX_POINTS} points: narrow the range or use 5m/1h."})
    return points


SERIES_PARAMETERS = [
    OpenApiParameter(
        "series",
        str,
        description="Comma-separated: cpu, memory, disk, uptime, temperature, voltage, wireless, interface:<name>",
    ),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="Default: one hour ago."),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Default: now."),
    OpenApiParameter("resolution", str, enum=list(RESOLUTIONS), description="raw, 5m, 1h or auto (default)."),
]


class DeviceMetricsViewSet(TenantScopedReadOnlyViewSet):
    """Metrics of one device: the latest sample and time series."""

    queryset = Device.objects.all()
    pagination_class = None
    filter_backends: list = []

    @extend_schema(summary="The device's latest resource, interface and wireless sample", responses=OpenApiTypes.OBJECT)
    def latest(self, request, *args, **kwargs):
        device = self.get_object()
        since = timezone.now() - timedelta(days=1)
        resource = (
            DeviceSample.objects.filter(tenant_id=device.tenant_id, device_id=device.pk, ts__gte=since)
            .order_by("-ts")
            .values("ts", *DEVICE_COLUMNS)
            .first()
        )
        interfaces, wireless = [], None
        if resource is not None:
            interfaces = list(
                InterfaceSample.objects.filter(tenant_id=device.tenant_id, device_id=device.pk, ts=resource["ts"])
                .order_by("ifname")
                .values("ifname", "rx_bps", "tx_bps", "rx_bytes", "tx_bytes", "running")
            )
            wireless = (
                WirelessSample.objects.filter(tenant_id=device.tenant_id, device_id=device.pk, ts=resource["ts"])
                .values("clients", "signal_avg", "signal_min")
                .first()
            )
        return Response(
            {
                "device": str(device.pk),
                "name": device.name,
                "status": device.status,
                "status_reason": device.status_reason,
                "last_seen": device.last_seen,
                "ts": resource["ts"] if resource else None,
                "resources": {k: v for k, v in resource.items() if k != "ts"} if resource else None,
                "interfaces": interfaces,
                "wireless": wireless,
            }
        )

    @extend_schema(
        summary="Time series of the device (raw samples or rollups)",
        parameters=SERIES_PARAMETERS,
        responses=OpenApiTypes.OBJECT,
    )
    def series(self, request, *args, **kwargs):
        device = self.get_object()
        params = request.query_params
        now = timezone.now()
        until = _when(params.get("until"), now, "until")
        try:
            since = _when(params.get("since"), until - timedelta(hours=1), "since")
        except OverflowError:
            raise exceptions.ValidationError({"until": "Out of range."}) from None
        if since >= until:
            raise exceptions.ValidationError({"since": "Must be before until."})
        requested = params.get("resolution", "auto")
        if requested not in RESOLUTIONS:
            raise exceptions.ValidationError({"resolution": f"One of {', '.join(RESOLUTIONS)}."})
        resolution = choose_resolution(requested, since, until, now)
        names = [n.strip() for value in params.getlist("series") or ["cpu"] for n in value.split(",") if n.strip()]
        device_model, interface_model, wireless_model = MODELS[resolution]
        which = 0 if resolution == "raw" else 1
        scope = {"tenant_id": device.tenant_id, "device_id": device.pk, "ts__gte": since, "ts__lt": until}
        out = {}
        for name in names:
            if name in DEVICE_SERIES:
                columns = DEVICE_SERIES[name][which]
                out[name] = {
                    "columns": ["ts", *columns],
                    "points": _points(device_model.objects.filter(**scope), columns),
                }
            elif name == "wireless":
                columns = WIRELESS_SERIES[which]
                out[name] = {
                    "columns": ["ts", *columns],
                    "points": _points(wireless_model.objects.filter(**scope), columns),
                }
            elif name.startswith("interface:") and len(name) > len("interface:"):
                columns = INTERFACE_SERIES[which]
                rows = interface_model.objects.filter(**scope, ifname=name.split(":", 1)[1])
                out[name] = {"columns": ["ts", *columns], "points": _points(rows, columns)}
            else:
                known = ", ".join([*DEVICE_SERIES, "wireless", "interface:<name>"])
                raise exceptions.ValidationError({"series": f"Unknown series {name!r}: {known}."})
        return Response(
            {
                "device": str(device.pk),
                "resolution": resolution,
                "since": since,
                "until": until,
                "series": out,
            }
        )


DEVICE_COLUMNS = ["cpu", "mem_used", "mem_total", "disk_used", "disk_total", "uptime_s", "temperature", "voltage"]


class FleetSummaryViewSet(TenantScopedReadOnlyViewSet):
    """The tenant's fleet at a glance, over the devices the member may see (site scope applies)."""

    queryset = Device.objects.all()
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="Device counts by status, version and model; devices needing attention", responses=OpenApiTypes.OBJECT
    )
    def summary(self, request, *args, **kwargs):
        devices = self.get_queryset().order_by()

        def counts(field: str) -> dict:
            rows = devices.values(field).annotate(n=Count("id")).order_by("-n", field)
            return {row[field] or "unknown": row["n"] for row in rows}

        attention = list(
            devices.exclude(status="online")
            .order_by("status", "name")
            .values("id", "name", "status", "status_reason", "last_seen")[:ATTENTION_LIMIT]
        )
        for row in attention:
            row["id"] = str(row["id"])
        return Response(
            {
                "devices": devices.count(),
                "enabled": devices.filter(enabled=True).count(),
                "by_status": counts("status"),
                "by_version": counts("ros_version"),
                "by_model": counts("model"),
                "auth_blocked": devices.filter(auth_blocked=True).count(),
                "attention": attention,
            }
        )
